"""Which index finds a searched word's candidates (promotions.search, migration 0016).

A number's or a Latin word's character pairs are in most documents, so the bigram index
gave 26,782 candidates for "000123-004" among a million promotions; its trigrams (pg_trgm)
give a handful. Words without a run of three letters or digits keep the bigram index: for
them pg_trgm finds no trigram and would read its whole index."""

import pytest
from django.db import connection

from promotions import search
from promotions.models import Promotion
from tests.factories import PromotionFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("word", "has_trigram"),
    [
        ("000123-004", True),
        ("tea", True),
        ("规模促销", True),
        ("龙井茶", True),
        ("茶叶", False),  # most Chinese words: two characters, no trigram
        ("a-b-c", False),  # three characters, but three one-letter words
        ("12", False),
        ("¥9.9", False),
        ("½½½", False),  # not surely letters or digits to the database's locale
    ],
)
def test_a_word_has_trigrams_when_it_holds_a_run_of_three_letters_or_digits(word, has_trigram):
    assert search.has_trigram(word) is has_trigram


def _plan(word: str) -> str:
    queryset = search.narrowed_by_document(Promotion.objects.all(), word).order_by().values("pk")
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # A test table is tiny, so the planner would read it whole: ask which index it
        # would use at size.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("word", "index"),
    [
        ("000123-004", "promotions_search_trgm_gin"),
        ("Tea House", "promotions_search_trgm_gin"),
        ("茶叶", "promotions_search_grams_gin"),
        ("12", "promotions_search_grams_gin"),
    ],
)
def test_a_rare_word_is_looked_up_in_the_index_that_narrows_it(word, index, monkeypatch):
    monkeypatch.setattr(search, "COMMON_QUERY_CANDIDATES", 10_000)  # every word is rare here
    for number in range(30):
        PromotionFactory(title=f"规模促销 {number:06d}-004")
    if connection.vendor != "postgresql":  # SQLite has no search document: Django's own search
        assert not search.has_search_document(Promotion.objects.all())
        return

    plan = _plan(word)

    assert index in plan, plan
    other = {"promotions_search_trgm_gin", "promotions_search_grams_gin"} - {index}
    assert other.pop() not in plan, plan
