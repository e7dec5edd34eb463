"""Promotions holding a word, found through their search document on PostgreSQL.

The document (Promotion.search_document: title, merchant's name and every item's product
name, upper-cased, one per line) is written by triggers (migration promotions 0015). A GIN
index over its characters and character pairs gives the promotions holding every pair of
the word (pg_trgm needs 3 characters; most Chinese words have 2), and the document must hold
the word itself. A word with a run of three letters or digits is looked up instead through
a pg_trgm index over the document (migration promotions 0016): a number's or a Latin word's
pairs are in most documents (ten digits make a hundred pairs), its trigrams in a few.
The rows found are candidates: a superset of those whose title, merchant's
name or item holds the word, which callers recheck with their own exact rule (the public
search, the review admin's search). Elsewhere (SQLite) callers use their rule alone.

Whether a word is common is the planner's estimate of its candidates (an ``EXPLAIN``, from
the statistics ANALYZE keeps on the index's characters): counting them would read the word's
whole posting list, which grows with the festival. A common word fills a page within the
first few promotions in the page's order, so it walks them (``strpos``) instead of collecting
and sorting its thousands of candidates. Either way the same rows match; a wrong guess only
costs time.
"""

import unicodedata

from django.db import connections
from django.db.models import BooleanField, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import StrIndex, Upper

from core.pagination import planner_estimate

# Above this many estimated candidates a word is common: walked in the page's order.
COMMON_QUERY_CANDIDATES = 500


# Letters and decimal digits: what the database's locale surely counts as parts of words.
WORD_CHARACTER_CATEGORIES = {"Lu", "Ll", "Lt", "Lo", "Nd"}


def has_trigram(word: str) -> bool:
    """Whether pg_trgm finds trigrams in ``word``: a run of three letters or digits (its
    other characters split words). Without one the trigram index would read every entry."""
    run = 0
    for character in word:
        run = run + 1 if unicodedata.category(character) in WORD_CHARACTER_CATEGORIES else 0
        if run == 3:
            return True
    return False


def has_search_document(queryset: QuerySet) -> bool:
    return connections[queryset.db].vendor == "postgresql"


def narrowed_by_document(promotions: QuerySet, word: str) -> QuerySet:
    """``promotions`` whose search document holds ``word`` (PostgreSQL only): the candidates
    of every promotion whose title, merchant's name or item holds it, to be rechecked."""
    return narrowed(promotions, word)[0]


def narrowed(promotions: QuerySet, word: str) -> tuple[QuerySet, bool]:
    """``narrowed_by_document``, and whether ``word`` is rare: its candidates are read from
    an index (else they are walked in the caller's order)."""
    holding_word = promotions.filter(search_document__contains=Upper(Value(word)))
    holding_grams = holding_word.filter(
        RawSQL(
            "promotions_search_grams(promotions_promotion.search_document) @> promotions_query_grams(UPPER(%s))",
            (word,),
            output_field=BooleanField(),
        )
    )
    if planner_estimate(holding_grams) >= COMMON_QUERY_CANDIDATES:
        # strpos, not LIKE: the planner takes it for a loose filter (a third of the rows)
        # and walks the page's ordered index, where LIKE's guess of a handful sorts them all.
        return promotions.alias(word_at=StrIndex("search_document", Upper(Value(word)))).filter(word_at__gt=0), False
    if has_trigram(word):
        # The trigram index answers LIKE itself (and rechecks it): no pairs to intersect.
        return holding_word, True
    return holding_grams, True
