"""The users of bench/load.py (issue 15, "Measured"); run by it, not by hand.

    locust -f bench/locustfile.py --headless -u 100 -r 20 -t 60s --csv var/bench-load/mixed \\
        PublicVisitor ApiPartner PortalMerchant      # the mixed load
    locust -f bench/locustfile.py … TrivialVisitor   # the same users on a trivial view (the ceiling)

``LOAD_CONFIG`` names the JSON file bench/load.py writes: the hosts (users are
spread over them in turn), the running festival, its public promotions and
categories, one merchant-bound API key per merchant and one portal login per
merchant. Every write the server accepts (a 2xx, or the portal's redirect after
saving) is appended to ``LOAD_ACCEPTED`` as one JSON line, which bench/load.py
looks up in the database afterwards ("lost writes").

Users wait ``LOAD_THINK`` seconds between tasks (default 0: a closed loop, so both
runs saturate the server and their throughputs compare).
"""

import itertools
import json
import os
import random
import re
import uuid
from datetime import UTC, datetime
from urllib.parse import urlencode

from locust import between, constant, events, task
from locust.contrib.fasthttp import FastHttpUser

from bench.support import CSRF, RECORDED_AT  # bench/load.py runs locust with the checkout on PYTHONPATH

CONFIG = json.loads(open(os.environ["LOAD_CONFIG"], encoding="utf-8").read())  # noqa: SIM115
THINK = float(os.environ.get("LOAD_THINK", "0"))
WAIT = constant(0) if THINK <= 0 else between(0, 2 * THINK)
_host_turn = itertools.count()
_key_turn = itertools.count()
_login_turn = itertools.count()
_accepted = open(os.environ["LOAD_ACCEPTED"], "a", encoding="utf-8", buffering=1)  # noqa: SIM115

PRODUCT_URL = re.compile(r"/merchant/products/(\d+)/$")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def accepted(kind, **fields):
    """One accepted write, flushed at once (gevent runs one greenlet at a time, so lines never interleave)."""
    _accepted.write(json.dumps({"kind": kind, **fields}) + "\n")


@events.quitting.add_listener
def _close(**_kwargs):
    _accepted.close()


class SpreadUser(FastHttpUser):
    """Each new user takes the next host, so users are spread evenly over the instances."""

    abstract = True
    wait_time = WAIT
    host = CONFIG["hosts"][0]
    network_timeout = 120.0
    connection_timeout = 30.0

    def __init__(self, environment):
        self.host = CONFIG["hosts"][next(_host_turn) % len(CONFIG["hosts"])]
        super().__init__(environment)


class PublicVisitor(SpreadUser):
    """A consumer browsing the public site (anonymous, pages cached until an event drops them)."""

    weight = 5
    festival = CONFIG["festival"]

    @task(2)
    def home(self):
        self.client.get("/", name="public: /")

    @task(2)
    def festival_page(self):
        self.client.get(f"/festivals/{self.festival}/", name="public: festival")

    @task(4)
    def promotion_list(self):
        query = {}
        if random.random() < 0.5:
            query["category"] = random.choice(CONFIG["categories"])
        if random.random() < 0.3:
            query["kind"] = random.choice(CONFIG["promotion_kinds"])
        if random.random() < 0.3:
            query["sort"] = random.choice(["start", "discount", "price"])
        if random.random() < 0.2:
            query["page"] = 2
        suffix = f"?{urlencode(query)}" if query else ""
        with self.client.get(
            f"/festivals/{self.festival}/promotions/{suffix}", name="public: promotions list", catch_response=True
        ) as response:
            if response.status_code == 404 and "page" in query:
                response.success()  # a filter with fewer than two pages: an honest 404

    @task(3)
    def promotion_page(self):
        self.client.get(f"/promotions/{random.choice(CONFIG['promotions'])}/", name="public: promotion")


class ApiPartner(SpreadUser):
    """A partner platform with a merchant-bound key: reads the festival, writes its merchant's products and prices."""

    weight = 3
    festival = CONFIG["festival"]

    def on_start(self):
        key = CONFIG["api_keys"][next(_key_turn) % len(CONFIG["api_keys"])]
        self.merchant = key["merchant"]
        self.headers = {"Authorization": f"Api-Key {key['key']}", "Accept": "application/json"}
        self.products = []

    @task(3)
    def promotions(self):
        self.client.get(
            f"/api/v1/promotions/?festival={self.festival}&page_size=20",
            headers=self.headers,
            name="api: promotions?festival",
        )

    @task(2)
    def merchants(self):
        self.client.get(f"/api/v1/merchants/?festival={self.festival}", headers=self.headers, name="api: merchants")

    @task(2)
    def products(self):
        self.client.get("/api/v1/products/", headers=self.headers, name="api: products")

    @task(2)
    def create_product(self):
        sku = f"LOAD-{uuid.uuid4().hex[:12]}"
        body = {"sku": sku, "name": f"压测商品 {sku}", "unit": "件"}
        with self.client.post(
            "/api/v1/products/", json=body, headers=self.headers, name="api: POST product", catch_response=True
        ) as response:
            if response.status_code == 201:
                product = response.json()["id"]
                self.products.append(product)
                accepted("product", id=product, merchant=self.merchant, sku=sku)

    @task(2)
    def record_price(self):
        if not self.products:
            return self.create_product()
        product = random.choice(self.products)
        price = f"{random.randint(1000, 99999) / 100:.2f}"
        recorded_at = datetime.now(UTC).isoformat()  # microseconds: one price per product and instant
        with self.client.post(
            f"/api/v1/products/{product}/prices/",
            json={"price": price, "recorded_at": recorded_at},
            headers=self.headers,
            name="api: POST price",
            catch_response=True,
        ) as response:
            if response.status_code == 201:
                accepted("price", id=response.json()["id"], product=product, price=price)
        return None


class PortalMerchant(SpreadUser):
    """A merchant's staff in the portal: logs in (CSRF), lists products, adds a product and records its price."""

    weight = 2

    def on_start(self):
        login = CONFIG["portal_logins"][next(_login_turn) % len(CONFIG["portal_logins"])]
        self.merchant = login["merchant"]
        page = self.client.get("/merchant/login/", name="portal: login page")
        token = CSRF.search(page.text or "")
        with self.client.post(
            "/merchant/login/",
            data=urlencode(
                {
                    "csrfmiddlewaretoken": token.group(1) if token else "",
                    "username": login["username"],
                    "password": login["password"],
                    "next": "/merchant/",
                }
            ),
            headers={**FORM, "Referer": f"{self.host}/merchant/login/"},
            allow_redirects=False,
            name="portal: POST login",
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login refused ({response.status_code})")

    @task(2)
    def home(self):
        self.client.get("/merchant/", name="portal: home")

    @task(2)
    def product_list(self):
        self.client.get("/merchant/products/", name="portal: products")

    @task(3)
    def add_product_and_price(self):
        form = self.client.get("/merchant/products/add/", name="portal: product form")
        token = CSRF.search(form.text or "")
        sku = f"PORTAL-{uuid.uuid4().hex[:12]}"
        with self.client.post(
            "/merchant/products/add/",
            data=urlencode(
                {
                    "csrfmiddlewaretoken": token.group(1) if token else "",
                    "sku": sku,
                    "name": f"门户商品 {sku}",
                    "category": "",
                    "unit": "件",
                    "description": "",
                }
            ),
            headers={**FORM, "Referer": f"{self.host}/merchant/products/add/"},
            allow_redirects=False,
            name="portal: POST product",
            catch_response=True,
        ) as response:
            saved = PRODUCT_URL.search(response.headers.get("Location", "") if response.status_code == 302 else "")
            if not saved:
                response.failure(f"product not saved ({response.status_code})")
                return
            product = int(saved.group(1))
            accepted("product", id=product, merchant=self.merchant, sku=sku)
        detail = self.client.get(f"/merchant/products/{product}/", name="portal: product page")
        token = CSRF.search(detail.text or "")
        recorded_at = RECORDED_AT.search(detail.text or "")
        price = f"{random.randint(1000, 99999) / 100:.2f}"
        with self.client.post(
            f"/merchant/products/{product}/",
            data=urlencode(
                {
                    "csrfmiddlewaretoken": token.group(1) if token else "",
                    "price": price,
                    "recorded_at": recorded_at.group(1) if recorded_at else "",
                }
            ),
            headers={**FORM, "Referer": f"{self.host}/merchant/products/{product}/"},
            allow_redirects=False,
            name="portal: POST price",
            catch_response=True,
        ) as response:
            if response.status_code == 302:
                accepted("price", product=product, price=price)
            else:
                response.failure(f"price not saved ({response.status_code})")


class TrivialVisitor(SpreadUser):
    """The same users, waits and hosts on a view that does nothing: the ceiling of this machine and gunicorn."""

    @task
    def trivial(self):
        self.client.get("/bench/trivial/", name="trivial")
