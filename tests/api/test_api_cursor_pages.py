"""Deep pages of the API by cursor (api/pagination.py, issue 17): pages up to
KEYSET_FROM_PAGE are read by number; past it ``next`` and ``previous`` carry a cursor and
the page is read from the last (or first) row's place in the list's order, with no OFFSET.
The contract stays: ``count``, ``next``, ``previous``, ``results``."""

import base64
import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api import pagination
from merchants.models import Merchant
from promotions.models import Promotion
from tests.factories import MerchantFactory, ParticipationFactory, PromotionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def numbered_up_to_page_2(monkeypatch):
    monkeypatch.setattr(pagination, "KEYSET_FROM_PAGE", 2)


@pytest.fixture
def promotions(festival, merchant_a):
    """Seven approved promotions; three start at the same moment (ties the cursor must order)."""
    start = timezone.now() + timedelta(days=3)
    made = [PromotionFactory(merchant=merchant_a, festival=festival, approved=True) for _ in range(7)]
    for index, promotion in enumerate(made):
        promotion.starts_at = start if index in (1, 3, 5) else start + timedelta(hours=index)
        promotion.ends_at = promotion.starts_at + timedelta(days=2)
        promotion.save(update_fields=["starts_at", "ends_at"])
    return made


def _query(link):
    return {name: values[0] for name, values in parse_qs(urlsplit(link).query).items()}


def _walk(client, params, *, link="next", first=None):
    """Every page from ``first`` (or the list's first page), following ``link``."""
    body = client.get("/api/v1/promotions/", first or params).json()
    pages = [body]
    while body[link]:
        body = client.get("/api/v1/promotions/", _query(body[link])).json()
        pages.append(body)
    return pages


@pytest.mark.parametrize("ordering", [None, "starts_at", "-starts_at"])
def test_following_next_then_previous_gives_every_row_once_in_the_lists_order(anon_client, promotions, ordering):
    params = {"page_size": 1, **({"ordering": ordering} if ordering else {})}
    whole = [p["id"] for p in anon_client.get("/api/v1/promotions/", {**params, "page_size": 100}).json()["results"]]

    forward = _walk(anon_client, params)

    assert [page["results"][0]["id"] for page in forward] == whole  # every row once, in order
    assert {page["count"] for page in forward} == {7}
    assert "page=2" in forward[0]["next"] and "cursor" not in forward[0]["next"]
    for page in forward[1:-1]:  # page 2 on: the next page is past the numbered ones
        assert "cursor=" in page["next"] and "page=" not in page["next"]
    assert forward[-1]["next"] is None

    backward = _walk(anon_client, params, link="previous", first=_query(forward[-2]["next"]))

    assert [page["results"][0]["id"] for page in backward] == whole[::-1]
    assert "page=2" in backward[-3]["previous"] and "cursor" not in backward[-3]["previous"]  # page 3's
    assert "page=" not in backward[-2]["previous"]  # page 2's previous is the first page
    assert backward[-1]["previous"] is None


def test_a_cursor_page_reads_from_its_place_without_skipping_rows(anon_client, promotions):
    third = anon_client.get("/api/v1/promotions/", {"page_size": 2, "page": 2}).json()["next"]

    with CaptureQueriesContext(connection) as queries:
        body = anon_client.get("/api/v1/promotions/", _query(third)).json()
    # Read before the next request, whose start empties the connection's query log.
    reads = [q["sql"] for q in queries.captured_queries if "LIMIT 3" in q["sql"]]  # the page, one row more

    whole = [p["id"] for p in anon_client.get("/api/v1/promotions/").json()["results"]]
    assert [p["id"] for p in body["results"]] == whole[4:6]
    assert len(reads) == 1 and "LIMIT 3" in reads[0] and "OFFSET" not in reads[0], reads


def test_a_deep_page_by_number_still_answers_and_leads_on_by_cursor(anon_client, promotions):
    body = anon_client.get("/api/v1/promotions/", {"page_size": 1, "page": 5}).json()
    whole = [p["id"] for p in anon_client.get("/api/v1/promotions/").json()["results"]]

    assert [p["id"] for p in body["results"]] == [whole[4]]
    assert "cursor=" in body["next"] and "cursor=" in body["previous"]
    after = anon_client.get("/api/v1/promotions/", _query(body["next"])).json()
    before = anon_client.get("/api/v1/promotions/", _query(body["previous"])).json()
    assert [p["id"] for p in after["results"]] == [whole[5]]
    assert [p["id"] for p in before["results"]] == [whole[3]]


def _token(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "abc",
        "%%%",
        _token("not a list"),
        _token([3, ["not a moment", 1], False]),
        _token([3, ["2026-05-01T00:00:00+00:00"], False]),  # a value short
        _token([1, ["2026-05-01T00:00:00+00:00", 1], False]),  # a numbered page's place
        _token([3, ["2026-05-01T00:00:00+00:00", 1], "no"]),
        _token([3, ["2099-05-01T00:00:00+00:00", 10**9], False]),  # past the last row
    ],
)
def test_a_cursor_not_given_by_a_link_is_a_404_with_a_message(anon_client, promotions, cursor):
    response = anon_client.get("/api/v1/promotions/", {"cursor": cursor})

    assert response.status_code == 404
    assert response.json() == {
        "detail": "Invalid cursor: follow the next and previous links as given.",
        "code": "not_found",
    }


def test_a_page_number_and_a_cursor_together_are_refused(anon_client, promotions):
    cursor = anon_client.get("/api/v1/promotions/", {"page_size": 1, "page": 2}).json()["next"]

    response = anon_client.get("/api/v1/promotions/", {**_query(cursor), "page": 1})

    assert response.status_code == 400
    assert response.json()["errors"] == {"cursor": ["Give a page number or a cursor, not both."]}


def test_other_lists_follow_cursors_in_their_own_order(anon_client, festival):
    for name in ["Delta", "Alpha", "Charlie", "Bravo", "Alpha"]:
        ParticipationFactory(merchant=MerchantFactory(name=name), festival=festival)
    whole = [m["id"] for m in anon_client.get("/api/v1/merchants/", {"page_size": 100}).json()["results"]]

    body = anon_client.get("/api/v1/merchants/", {"page_size": 1}).json()
    seen = [body["results"][0]["id"]]
    while body["next"]:
        body = anon_client.get("/api/v1/merchants/", _query(body["next"])).json()
        seen.append(body["results"][0]["id"])

    assert seen == whole
    assert list(Merchant.objects.filter(pk__in=whole).order_by("name", "pk").values_list("pk", flat=True)) == whole


@pytest.mark.parametrize(
    "order",
    [("starts_at", "pk"), ("-starts_at", "-pk"), ("-starts_at", "pk"), ("starts_at", "-pk"), ("-title",)],
)
@pytest.mark.parametrize("backward", [False, True])
def test_the_rows_beyond_a_row_are_those_after_it_in_any_order(promotions, order, backward):
    listed = Promotion.objects.order_by(*order)
    fields = pagination.keyset_ordering(listed)
    in_order = list(pagination.ordered(listed, fields).values_list(*[n for n, _d in fields]))
    for index, values in enumerate(in_order):
        beyond = listed.filter(pagination._beyond(listed, fields, list(values), backward=backward))

        expected = in_order[:index] if backward else in_order[index + 1 :]
        assert set(beyond.values_list(*[n for n, _d in fields])) == set(expected), (order, index)


def test_a_list_ordered_by_what_rows_cannot_be_placed_by_pages_by_number_only():
    assert pagination.keyset_ordering(Promotion.objects.order_by("merchant")) is None  # the merchant's ordering
    assert pagination.keyset_ordering(Promotion.objects.order_by("merchant__name")) is None
    assert pagination.keyset_ordering(Promotion.objects.order_by("stream_starts_at")) is None  # may be NULL
    assert pagination.keyset_ordering(Promotion.objects.order_by("?")) is None
    assert pagination.keyset_ordering(Promotion.objects.order_by("merchant_id", "-starts_at")) == [
        ("merchant_id", False),
        ("starts_at", True),
        ("id", True),
    ]
