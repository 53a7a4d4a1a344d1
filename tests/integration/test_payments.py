"""test_payments.py - checkout and payment confirmation (docs/api.md, "Checkout and payment" and "Gateway webhooks")
through nginx, with the development gateway emulators (tests/emulators) standing in for YouCan Pay
and PayTabs: POST /api/orders/checkout and its errors in their documented order, the card flow on the
active gateway (what the gateway received, the signed webhook / callback, POST /api/orders and the
tRPC order.create confirming a payment), forged, tampered and replayed gateway events, failed
payments, gateway faults (HTTP 500, malformed answers, a hang beyond KHEDMA_GATEWAY_TIMEOUT_MS),
bank transfers confirmed by an admin, and idempotency keys (replays byte for byte, mismatches,
20 concurrent identical requests confirming exactly once).

Which card gateway the stack uses is KHEDMA_TEST_CARD_GATEWAY: `youcanpay` (the default) or
`paytabs` (deploy/test runs this file a second time against a khedmad started with
KHEDMA_CARD_GATEWAY=paytabs). Most tests are written once over a small gateway layer (pay(),
gateway_event(), LOOKUP / CHECKOUT endpoints) and run in both modes; the ones that only make sense
for one gateway return early, with a note on stderr, in the other mode.

The hang tests assume the stack's KHEDMA_GATEWAY_TIMEOUT_MS is short: the value is read from this
process's environment (deploy/test exports it), 2000 when it is not set. tRPC calls follow the
stack's transformer (plain JSON or superjson), detected once with a plain request.
Order state is read through GET /api/orders/{id}, its events and the notifications when those
routes answer (probed once); otherwise through what POST /api/orders answers.
"""

import datetime
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import BASE_URL, REPO, assert_envelope, http, make_admin, signup, unique

sys.path.insert(0, os.path.join(REPO, "tests", "emulators"))
import client as emu  # noqa: E402  (the emulators' control API, tests/emulators/client.py)

GATEWAY = (os.environ.get("KHEDMA_TEST_CARD_GATEWAY") or "youcanpay").strip().lower()
assert GATEWAY in ("youcanpay", "paytabs"), f"KHEDMA_TEST_CARD_GATEWAY={GATEWAY!r}"
YCP = GATEWAY == "youcanpay"
TIMEOUT_S = int(os.environ.get("KHEDMA_GATEWAY_TIMEOUT_MS") or "2000") / 1000.0

YCP_WEBHOOK = BASE_URL + "/api/payments/youcanpay/webhook"
PT_CALLBACK = BASE_URL + "/api/payments/paytabs/callback"
EVENT_URL = YCP_WEBHOOK if YCP else PT_CALLBACK
CHECKOUT_EP = "youcanpay.tokenize" if YCP else "paytabs.request"
LOOKUP_EP = "youcanpay.transactions" if YCP else "paytabs.query"

CUID_RE = re.compile(r"^c[a-z0-9]{24}$")
TRPC_CODES = {"BAD_REQUEST": (-32600, 400), "UNAUTHORIZED": (-32001, 401), "NOT_FOUND": (-32004, 404),
              "CONFLICT": (-32009, 409), "PRECONDITION_FAILED": (-32012, 412),
              "UNPROCESSABLE_CONTENT": (-32022, 422), "BAD_GATEWAY": (-32603, 502)}


def only(gateway, why):
    """True when the stack's card gateway is `gateway`; otherwise notes the skip on stderr."""
    if GATEWAY == gateway:
        return True
    print(f"note: {why}: {gateway} only, the stack's card gateway is {GATEWAY}", file=sys.stderr)
    return False


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# --------------------------------------------------------------------------------------------
# tRPC (plain JSON or superjson, as the stack is configured)

_transformer = {}


def superjson():
    if "superjson" not in _transformer:
        r = http("GET", "/api/trpc/category.list")
        assert r.status == 200 and isinstance(r.json, dict), f"category.list: {r!r}"
        data = r.json["result"]["data"]
        _transformer["superjson"] = isinstance(data, dict) and "json" in data
    return _transformer["superjson"]


def trpc(path, body, token=None):
    """POST a mutation; body None is a procedure without input."""
    if body is None:
        payload = {}
    else:
        payload = {"json": body} if superjson() else body
    return http("POST", "/api/trpc/" + path, json_body=payload, token=token, timeout=TIMEOUT_S + 30)


def trpc_ok(r, what=""):
    assert r.status == 200 and isinstance(r.json, dict) and "result" in r.json, f"{what}: {r!r}"
    data = r.json["result"]["data"]
    return data["json"] if superjson() else data


def trpc_error(r, code, what=""):
    number, status = TRPC_CODES[code]
    assert r.status == status and isinstance(r.json, dict) and "error" in r.json, \
        f"{what}: expected {code}/{status}, got {r!r}"
    err = r.json["error"]["json"] if superjson() else r.json["error"]
    assert err["code"] == number and err["data"]["code"] == code and err["data"]["httpStatus"] == status, \
        f"{what}: error shape {err!r}"
    assert isinstance(err.get("message"), str) and err["message"], f"{what}: no message in {err!r}"
    return err


def trpc_mutation(path, body, token):
    return trpc_ok(trpc(path, body, token), path)


# --------------------------------------------------------------------------------------------
# Fixtures: a seller with published gigs, clients, an admin

def new_user(**overrides):
    """harness.signup, waiting out nginx's signup rate limit (429) when other files came first."""
    for _ in range(40):
        try:
            return signup(**overrides)
        except AssertionError as exc:
            if "got 429" not in str(exc):
                raise
            time.sleep(0.5)
    return signup(**overrides)


def tier(name, price, delivery):
    return {"name": name, "description": f"What you get: {name}", "price": price,
            "delivery": delivery, "revisions": 2}


def make_gig(token, title, packages, publish=True):
    """A gig in programming-tech / web-development with these tiers ({"basic": (price, days)});
    returns {"id", "packages": {tier: Package}}."""
    gid = trpc_mutation("gig.createDraft", None, token)["id"]
    trpc_mutation("gig.updateOverview", {"id": gid, "title": title, "category": "programming-tech",
                                         "subCategory": "web-development", "tags": []}, token)
    body = {"gigId": gid}
    for name, (price, days) in packages.items():
        body[name] = tier(f"{name.title()} tier", price, days)
    created = trpc_mutation("gig.createPackages", body, token)
    if publish:
        trpc_mutation("gig.publish", {"id": gid}, token)
    return {"id": gid, "packages": created}


_world = {}


def world():
    """One seller with two published gigs and a draft, two clients with phones, an admin."""
    if _world:
        return _world
    seller, seller_token = new_user()
    client, client_token = new_user()
    other, other_token = new_user()
    admin, admin_token = new_user()
    make_admin(admin["email"])
    assert client.get("phone"), f"harness signup gives a phone by default: {client!r}"
    assert other.get("phone")
    tag = unique("pay")
    gig = make_gig(seller_token, f"{tag} web app", {"basic": (500, 3), "standard": (750, 5)})
    gig2 = make_gig(seller_token, f"{tag} landing page", {"basic": (300, 2)})
    draft = make_gig(seller_token, f"{tag} unfinished", {"basic": (200, 1)}, publish=False)
    _world.update(seller=seller, seller_token=seller_token, client=client, client_token=client_token,
                  other=other, other_token=other_token, admin=admin, admin_token=admin_token,
                  gig=gig, basic=gig["packages"]["basic"], standard=gig["packages"]["standard"],
                  gig2=gig2, basic2=gig2["packages"]["basic"], draft=draft,
                  draft_basic=draft["packages"]["basic"])
    return _world


# --------------------------------------------------------------------------------------------
# REST helpers

def checkout(token, package_id=None, method="card", **extra):
    body = dict(extra)
    if method is not None:
        body["payment_method"] = method
    if package_id is not None:
        body["package_id"] = package_id
    return http("POST", "/api/orders/checkout", json_body=body, token=token, timeout=TIMEOUT_S + 30)


def checkout_ok(token=None, package=None, method="card", **extra):
    w = world()
    token = token or w["client_token"]
    package = package or w["basic"]
    data = assert_envelope(checkout(token, package["id"], method, **extra), 200)
    assert isinstance(data, dict) and CUID_RE.match(data.get("order_id", "")), f"checkout data: {data!r}"
    return data


def submit(token, body, timeout=None):
    return http("POST", "/api/orders", json_body=body, token=token, timeout=timeout or TIMEOUT_S + 30)


def submit_body(data, txn=None, **extra):
    """The POST /api/orders body for a checkout: the transaction id only for YouCan Pay."""
    body = {"checkoutId": data["order_id"]}
    if YCP and txn is not None:
        body["transactionId"] = txn
    body.update(extra)
    return body


def list_orders(token, query="limit=100&sortBy=createdAt:DESC"):
    return assert_envelope(http("GET", "/api/orders?" + query, token=token), 200)


# --------------------------------------------------------------------------------------------
# Reading an order's state: GET /api/orders/{id}, its events and the notifications when the
# server has them (probed once), else what POST /api/orders answers.

_reads = {}


def reads():
    if _reads:
        return _reads
    w = world()
    probe = checkout_ok(method="bank_transfer")
    oid = probe["order_id"]
    r = http("GET", f"/api/orders/{oid}", token=w["client_token"])
    _reads["order"] = r.status == 200
    r = http("GET", f"/api/orders/{oid}/events", token=w["client_token"])
    _reads["events"] = r.status == 200 and isinstance((r.json or {}).get("data"), list)
    r = http("GET", "/api/notifications", token=w["seller_token"])
    _reads["notifications"] = r.status == 200 and isinstance((r.json or {}).get("data"), dict)
    missing = [k for k, v in _reads.items() if not v]
    if missing:
        print(f"note: the server has no {', '.join(missing)} read(s): checking what is available",
              file=sys.stderr)
    return _reads


def get_order(oid, token=None):
    token = token or world()["client_token"]
    return assert_envelope(http("GET", f"/api/orders/{oid}", token=token), 200)


def order_events(oid, token=None):
    token = token or world()["client_token"]
    return assert_envelope(http("GET", f"/api/orders/{oid}/events", token=token), 200)


def notifications(token, order_id, ntype):
    """Every notification of `token`'s user about order_id with this type (all pages)."""
    out = []
    for page in range(1, 50):
        data = assert_envelope(http("GET", f"/api/notifications?limit=100&page={page}", token=token), 200)
        out += [n for n in data["items"] if n.get("orderId") == order_id and n.get("type") == ntype]
        if page >= data["pagination"]["totalPages"]:
            break
    return out


def confirmations(oid, client_token=None, seller_token=None):
    """How many times the order was confirmed: its 'paid' events, else the seller's order.paid
    notifications about it; None when the server offers neither."""
    if reads()["events"]:
        return sum(1 for e in order_events(oid, client_token) if e["type"] == "paid")
    if reads()["notifications"]:
        return len(notifications(seller_token or world()["seller_token"], oid, "order.paid"))
    return None


def assert_confirmations(oid, n, client_token=None, seller_token=None):
    got = confirmations(oid, client_token, seller_token)
    if got is not None:
        assert got == n, f"order {oid}: {got} confirmation(s), expected {n}"
    if n == 1 and reads()["notifications"]:
        notes = notifications(seller_token or world()["seller_token"], oid, "order.paid")
        assert len(notes) == 1, f"order {oid}: the seller has {len(notes)} order.paid notifications"


def parse_iso(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)


def assert_processing(oid, days=3, token=None, amount=500):
    """The order is confirmed: processing, payment success, dueAt = confirmation + days."""
    token = token or world()["client_token"]
    if not reads()["order"]:
        r = submit(token, {"checkoutId": oid})
        assert assert_envelope(r, 200) == {"id": oid}, f"confirmed order {oid}: {r!r}"
        return None
    o = get_order(oid, token)
    assert o["status"] == "processing", f"order {oid}: {o['status']!r}, expected processing"
    assert o["payment"] and o["payment"]["status"] == "success", f"payment: {o['payment']!r}"
    assert o["totalAmount"] == amount and o["payment"]["amount"] == amount, o
    assert o["currency"] == "MAD"
    assert o["dueAt"], f"dueAt not set on a paid order: {o!r}"
    due = parse_iso(o["dueAt"])
    expected = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)
    assert abs((due - expected).total_seconds()) < 300, f"dueAt {o['dueAt']} is not now + {days} days"
    return o


def assert_pending(oid, token=None):
    token = token or world()["client_token"]
    if not reads()["order"]:
        if YCP:  # without a transaction id this asks nothing and changes nothing
            r = submit(token, {"checkoutId": oid})
            assert r.status == 422, f"pending order {oid}: {r!r}"
        return None
    o = get_order(oid, token)
    assert o["status"] == "pending", f"order {oid}: {o['status']!r}, expected pending"
    assert o["dueAt"] is None, f"dueAt on an unpaid order: {o['dueAt']!r}"
    assert o["payment"] and o["payment"]["status"] == "pending", f"payment: {o['payment']!r}"
    return o


def assert_cancelled_failed(oid, token=None):
    token = token or world()["client_token"]
    if not reads()["order"]:
        r = submit(token, {"checkoutId": oid})
        assert r.status in (409, 422), f"cancelled order {oid}: {r!r}"
        return None
    o = get_order(oid, token)
    assert o["status"] == "cancelled", f"order {oid}: {o['status']!r}, expected cancelled"
    assert o["payment"] and o["payment"]["status"] == "failed", f"payment: {o['payment']!r}"
    assert o["cancelledAt"], o
    assert o["dueAt"] is None, o
    if reads()["events"]:
        types = [e["type"] for e in order_events(oid, token)]
        assert "paid" not in types and types.count("payment_failed") == 1, f"events: {types}"
    return o


# --------------------------------------------------------------------------------------------
# The gateway layer: paying, gateway events, faults

def pay(data, status="paid", event=False, **delivery):
    """Pay a card checkout at the gateway as its payment page would. status: paid, pending,
    failed (or a PayTabs response_status letter). event: also send the signed webhook / callback.
    Returns (transaction id for POST /api/orders and order.create, delivery record or None)."""
    if YCP:
        code = {"paid": 1, "pending": 0, "failed": -1}[status]
        if event:
            delivery["webhook_url"] = YCP_WEBHOOK
        else:
            delivery["webhook"] = False
        r = emu.pay_token(data["token_id"], status=code, **delivery)
        return r["transaction"]["id"], r["delivery"]
    if status == "pending":
        return data["tran_ref"], None
    letter = {"paid": "A", "failed": "D"}.get(status, status)
    r = emu.complete_paytabs(data["tran_ref"], status=letter, callback=event, **delivery)
    return data["tran_ref"], r["delivery"]


def make_paid(data, txn):
    """A transaction left pending becomes paid (no event sent)."""
    if YCP:
        emu.set_transaction(txn, status=1)
    else:
        emu.complete_paytabs(data["tran_ref"], status="A", callback=False)


def gateway_event(data, txn, **opts):
    """(Re)send the gateway's signed event for this checkout's transaction in its current state;
    opts as in the emulator: signature_mode, tamper, event_id (YouCan Pay), overrides, copies..."""
    if YCP:
        event_name = opts.pop("event_name", "transaction.paid")
        return emu.send_youcanpay_event(txn, event_name, url=YCP_WEBHOOK, **opts)
    opts.pop("event_id", None)
    return emu.send_paytabs_callback(data["tran_ref"], url=PT_CALLBACK, **opts)


def delivery_answer(d):
    """The server's answer to a webhook / callback the emulator sent: (status, parsed body)."""
    assert d is not None and d.get("error") is None, f"delivery failed: {d!r}"
    try:
        body = json.loads(d["response_body"]) if d.get("response_body") else None
    except ValueError:
        body = None
    return d["status_code"], body


_seq = [0]


def last_seq():
    """The newest request the emulators logged (incrementally, so the log is read once)."""
    reqs = emu.requests(since=_seq[0])
    if reqs:
        _seq[0] = reqs[-1]["seq"]
    return _seq[0]


def requests_since(seq, endpoint):
    return emu.requests(endpoint=endpoint, since=seq)


class Fault:
    """`with Fault(endpoint, kind, ...):` the gateway misbehaves for the calls made inside.
    paytabs.query is also called by the jobs process (reconciliation), so that fault is set for
    many calls; every fault left is cleared on the way out."""

    def __init__(self, endpoint, kind, **kw):
        self.endpoint, self.kind, self.kw = endpoint, kind, kw

    def __enter__(self):
        self.seq = last_seq()
        # A connection closed before any answer may be retried once by the HTTP client on a
        # fresh connection (a kept-alive connection the server dropped): close them all.
        count = 25 if self.endpoint == "paytabs.query" else 2 if self.kind == "close" else 1
        emu.fault(self.endpoint, self.kind, count=count, **self.kw)
        return self

    def __exit__(self, *exc):
        emu.clear_faults()
        return False

    def used(self):
        return [r for r in requests_since(self.seq, self.endpoint) if r.get("fault") == self.kind]


def hang_seconds():
    return TIMEOUT_S + 3.0


# What a failing gateway can do, for the checkout call and for the lookup.
FAULTS = [("500", {}), ("status", {"status": 503}), ("malformed", {}), ("empty", {}), ("html", {}),
          ("close", {}), ("missing_field", {})]


# --------------------------------------------------------------------------------------------
# Checkout: validation in the documented order, nothing written on an error

def order_ids(token):
    return {o["id"] for o in list_orders(token)["items"]}


def test_checkout_needs_a_session():
    w = world()
    r = checkout(None, w["basic"]["id"])
    assert_envelope(r, 401)
    r = http("POST", "/api/orders/checkout", json_body={"payment_method": "card",
                                                         "package_id": w["basic"]["id"]},
             token="not-a-real-token")
    assert_envelope(r, 401)


def test_checkout_errors_in_the_documented_order():
    w = world()
    ct, st = w["client_token"], w["seller_token"]
    before_client, before_seller = order_ids(ct), order_ids(st)
    unknown = "c" + "0" * 24
    cases = [
        # (token, body, status, message)
        (ct, {"payment_method": "paypal", "package_id": w["basic"]["id"]}, 422, "Invalid payment method"),
        (ct, {"payment_method": "", "package_id": w["basic"]["id"]}, 422, "Invalid payment method"),
        (ct, {"payment_method": 1, "package_id": w["basic"]["id"]}, 422, "Invalid payment method"),
        (ct, {"package_id": w["basic"]["id"]}, 422, "Invalid payment method"),
        (ct, {"payment_method": "CARD", "package_id": w["basic"]["id"]}, 422, "Invalid payment method"),
        # the method is checked before the package, even when the package is missing or unknown
        (ct, {"payment_method": "cash"}, 422, "Invalid payment method"),
        (ct, {"payment_method": "cash", "package_id": unknown}, 422, "Invalid payment method"),
        (ct, {}, 422, "Invalid payment method"),
        (ct, {"payment_method": "card", "package_id": unknown}, 404, "Package not found"),
        (ct, {"payment_method": "bank_transfer", "package_id": unknown}, 404, "Package not found"),
        (ct, {"payment_method": "card"}, 404, "Package not found"),
        (ct, {"payment_method": "card", "package_id": w["draft_basic"]["id"]}, 422, "Gig is not available"),
        (ct, {"payment_method": "bank_transfer", "package_id": w["draft_basic"]["id"]}, 422,
         "Gig is not available"),
        # the seller's own draft: not available comes before own gig
        (st, {"payment_method": "card", "package_id": w["draft_basic"]["id"]}, 422, "Gig is not available"),
        (st, {"payment_method": "card", "package_id": w["basic"]["id"]}, 422,
         "You cannot order your own gig"),
        (st, {"payment_method": "bank_transfer", "package_id": w["basic2"]["id"]}, 422,
         "You cannot order your own gig"),
    ]
    for token, body, status, message in cases:
        r = http("POST", "/api/orders/checkout", json_body=body, token=token)
        assert_envelope(r, status, message)
    assert order_ids(ct) == before_client, "a refused checkout wrote an order"
    assert order_ids(st) == before_seller, "a refused checkout wrote an order"


def test_checkout_needs_a_phone_number():
    w = world()
    user, token = new_user(phone=None)
    assert not user.get("phone"), user
    for method in ("card", "bank_transfer"):
        r = checkout(token, w["basic"]["id"], method)
        assert_envelope(r, 422, "User must have a phone number")
    # the rules before it still come first
    assert_envelope(checkout(token, w["basic"]["id"], "paypal"), 422, "Invalid payment method")
    assert_envelope(checkout(token, "c" + "1" * 24), 404, "Package not found")
    assert_envelope(checkout(token, w["draft_basic"]["id"]), 422, "Gig is not available")
    # a seller without a phone ordering their own gig hears about the gig first
    seller, seller_token = new_user(phone=None)
    own = make_gig(seller_token, f"{unique('own')} own gig", {"basic": (100, 1)})
    assert_envelope(checkout(seller_token, own["packages"]["basic"]["id"]), 422,
                    "You cannot order your own gig")

    # a phone set, then cleared with PATCH /api/users/me
    user2, token2 = new_user()
    r = http("PATCH", "/api/users/me", json_body={"phone": None}, token=token2)
    me = assert_envelope(r, 200)
    assert me["user"]["phone"] in (None, ""), me
    assert_envelope(checkout(token2, w["basic"]["id"]), 422, "User must have a phone number")
    assert order_ids(token) == set() and order_ids(token2) == set()
    # and with a phone again, the checkout goes through
    phone = "+2126" + str(int.from_bytes(os.urandom(4), "big") % 10**8).rjust(8, "0")
    r = http("PATCH", "/api/users/me", json_body={"phone": phone}, token=token2)
    assert_envelope(r, 200)
    data = checkout_ok(token2, method="bank_transfer")
    assert order_ids(token2) == {data["order_id"]}


def test_checkout_of_a_package_with_another_gigs_id_is_refused():
    w = world()
    before = order_ids(w["client_token"])
    r = checkout(w["client_token"], w["basic"]["id"], gig_id=w["gig2"]["id"])
    assert r.status in (404, 422), f"package of gig 1 with gig_id of gig 2: {r!r}"
    assert_envelope(r, r.status)
    assert order_ids(w["client_token"]) == before


def test_card_checkout_answers_the_documented_data():
    w = world()
    seq = last_seq()
    data = checkout_ok()
    oid = data["order_id"]
    assert data["amount"] == 500 and is_number(data["amount"]), data
    assert data["currency"] == "MAD" and data["payment_method"] == "card", data
    assert data["provider"] == GATEWAY, data
    pending = assert_pending(oid)
    if pending is not None:
        assert pending["paymentMethod"] == "card" and pending["payment"]["provider"] == GATEWAY, pending
        assert pending["userId"] == w["client"]["id"] and pending["packageId"] == w["basic"]["id"]
        assert pending["gigId"] == w["gig"]["id"], pending
    calls = requests_since(seq, CHECKOUT_EP)
    assert len(calls) == 1, f"{len(calls)} calls to {CHECKOUT_EP} for one checkout"
    assert calls[0]["credentials"] == "ok", f"the gateway saw credentials {calls[0]['credentials']!r}"


def test_youcanpay_checkout_tokenizes_in_minor_units():
    if not only("youcanpay", "tokenize request"):
        return
    w = world()
    seq = last_seq()
    data = checkout_ok()
    oid = data["order_id"]
    assert set(data) >= {"order_id", "amount", "currency", "payment_method", "provider", "token_id",
                         "payment_url"}, data
    assert isinstance(data["token_id"], str) and data["token_id"], data
    form = emu.config()["youcanpay"]["payment_form"]
    assert data["payment_url"] == form + "/" + data["token_id"], data
    tok = emu.token(data["token_id"])
    assert tok["order_id"] == oid
    assert tok["amount"] == 50000, f"YouCan Pay takes minor units: 500 MAD is 50000, got {tok['amount']!r}"
    assert tok["currency"] == "MAD"
    assert tok["success_url"].startswith("http")
    assert tok["success_url"].endswith(f"/orders/{oid}/payment-success"), tok["success_url"]
    assert tok["error_url"].startswith("http") and tok["error_url"].endswith(f"/orders/{oid}/payment-failed")
    assert tok["metadata"].get("order_id") == oid, tok["metadata"]
    c = w["client"]
    assert tok["customer"].get("name") == c["name"], tok["customer"]
    assert tok["customer"].get("email") == c["email"], tok["customer"]
    assert tok["customer"].get("phone") == c["phone"], tok["customer"]
    assert tok["encoding"] == "multipart", tok["encoding"]
    call = [r for r in requests_since(seq, "youcanpay.tokenize") if r.get("token_id") == data["token_id"]]
    assert len(call) == 1 and call[0]["credentials"] == "ok", "pri_key missing or wrong"
    assert call[0]["content_type"] == "multipart/form-data"
    fields = dict(call[0]["fields"])
    assert fields["amount"] == "50000" and fields["order_id"] == oid, fields
    # the standard tier: 750 MAD -> 75000
    data2 = checkout_ok(package=w["standard"])
    assert data2["amount"] == 750
    assert emu.token(data2["token_id"])["amount"] == 75000


def test_paytabs_checkout_requests_a_payment_page():
    if not only("paytabs", "payment page request"):
        return
    w = world()
    seq = last_seq()
    data = checkout_ok()
    oid = data["order_id"]
    assert set(data) >= {"order_id", "amount", "currency", "payment_method", "provider", "tran_ref",
                         "redirect_url", "cart_id", "cart_amount", "cart_currency", "cart_description",
                         "customer_details"}, data
    assert isinstance(data["tran_ref"], str) and data["tran_ref"], data
    assert data["cart_id"] == oid
    assert data["cart_amount"] == 500 and is_number(data["cart_amount"]), data
    assert data["cart_currency"] == "MAD"
    assert isinstance(data["cart_description"], str) and data["cart_description"].strip(), data
    c = w["client"]
    cd = data["customer_details"]
    assert cd.get("name") == c["name"] and cd.get("email") == c["email"] and cd.get("phone") == c["phone"], cd
    tx = emu.paytabs_transaction(data["tran_ref"])
    assert data["redirect_url"] == tx["redirect_url"] and data["redirect_url"].startswith("http"), data
    assert tx["cart_id"] == oid and tx["cart_currency"] == "MAD" and tx["status"] == "P"
    calls = [r for r in requests_since(seq, "paytabs.request") if r.get("tran_ref") == data["tran_ref"]]
    assert len(calls) == 1, calls
    call = calls[0]
    assert call["credentials"] == "ok", "the authorization header (server key) is missing or wrong"
    assert call["content_type"] == "application/json"
    sent = call["json"]
    profile = emu.config()["paytabs"]["profile_id"]
    assert str(sent["profile_id"]) == str(profile), sent["profile_id"]
    assert sent["tran_type"] == "sale" and sent["tran_class"] == "ecom", sent
    assert sent["cart_id"] == oid and sent["cart_currency"] == "MAD", sent
    assert is_number(sent["cart_amount"]) and sent["cart_amount"] == 500, \
        f"PayTabs takes major units as a number: {sent['cart_amount']!r}"
    assert sent["callback"].startswith("http") and sent["callback"].endswith("/api/payments/paytabs/callback")
    assert sent["return"].startswith("http"), sent["return"]
    for f in ("name", "email", "phone", "street1", "city", "country"):
        assert sent["customer_details"].get(f), f"customer_details.{f} missing: {sent['customer_details']!r}"
    data2 = checkout_ok(package=w["standard"])
    assert data2["amount"] == 750 and data2["cart_amount"] == 750
    assert emu.paytabs_transaction(data2["tran_ref"])["cart_amount"] in ("750.00", "750")


def test_checkout_aliases_and_camel_case():
    w = world()
    d = checkout_ok(method="credit_card")
    assert d["payment_method"] in ("card", "credit_card") and d["provider"] == GATEWAY, d
    r = http("POST", "/api/orders/checkout", token=w["client_token"],
             json_body={"paymentMethod": "card", "packageId": w["basic"]["id"], "gigId": w["gig"]["id"]})
    d = assert_envelope(r, 200)
    assert d["provider"] == GATEWAY and d["amount"] == 500, d
    r = http("POST", "/api/orders/checkout", token=w["client_token"],
             json_body={"paymentMethod": "bank_transfer", "packageId": w["basic2"]["id"]})
    d = assert_envelope(r, 200)
    assert d["provider"] == "bank_transfer" and d["amount"] == 300, d
    r = http("POST", "/api/orders/checkout", token=w["client_token"],
             json_body={"paymentMethod": "paypal", "packageId": w["basic"]["id"]})
    assert_envelope(r, 422, "Invalid payment method")


def test_checkout_amount_always_comes_from_the_package():
    w = world()
    seq = last_seq()
    d = checkout_ok(amount=1, totalAmount=1, price=1, cart_amount=1, currency="USD")
    assert d["amount"] == 500 and d["currency"] == "MAD", d
    if YCP:
        assert emu.token(d["token_id"])["amount"] == 50000
    else:
        assert d["cart_amount"] == 500
        call = [r for r in requests_since(seq, "paytabs.request") if r.get("tran_ref") == d["tran_ref"]]
        assert call and call[0]["json"]["cart_amount"] == 500 and call[0]["json"]["cart_currency"] == "MAD"
    if reads()["order"]:
        o = get_order(d["order_id"])
        assert o["totalAmount"] == 500 and o["payment"]["amount"] == 500, o
    b = checkout_ok(method="bank_transfer", package=w["basic2"], amount=0.01)
    assert b["amount"] == 300, b


def test_order_checkout_over_trpc():
    w = world()
    data = trpc_mutation("order.checkout", {"gigId": w["gig"]["id"], "packageId": w["basic"]["id"],
                                            "paymentMethod": "card"}, w["client_token"])
    assert CUID_RE.match(data["order_id"]) and data["amount"] == 500 and data["provider"] == GATEWAY, data
    assert ("token_id" in data) if YCP else ("tran_ref" in data), data
    bank = trpc_mutation("order.checkout", {"packageId": w["basic2"]["id"], "paymentMethod": "bank_transfer"},
                         w["client_token"])
    assert bank["provider"] == "bank_transfer" and bank["amount"] == 300 and bank["reference"], bank
    e = trpc_error(trpc("order.checkout", {"packageId": w["basic"]["id"], "paymentMethod": "paypal"},
                        w["client_token"]), "UNPROCESSABLE_CONTENT", "invalid method")
    assert e["message"] == "Invalid payment method", e
    e = trpc_error(trpc("order.checkout", {"packageId": "c" + "2" * 24, "paymentMethod": "card"},
                        w["client_token"]), "NOT_FOUND", "unknown package")
    assert e["message"] == "Package not found", e
    e = trpc_error(trpc("order.checkout", {"packageId": w["basic"]["id"], "paymentMethod": "card"},
                        w["seller_token"]), "UNPROCESSABLE_CONTENT", "own gig")
    assert e["message"] == "You cannot order your own gig", e
    trpc_error(trpc("order.checkout", {"packageId": w["basic"]["id"], "paymentMethod": "card"}),
               "UNAUTHORIZED", "no session")


# --------------------------------------------------------------------------------------------
# Checkout when the gateway fails: 502, the order cancelled with its payment failed

def test_checkout_gateway_failures_answer_502_and_cancel_the_order():
    w = world()
    user, token = new_user()
    cases = list(FAULTS) + [("hang", {"seconds": hang_seconds()})]
    if YCP:
        cases.append(("missing_field", {"field": "token.id"}))
    for kind, kw in cases:
        before = order_ids(token)
        with Fault(CHECKOUT_EP, kind, **kw) as f:
            started = time.monotonic()
            r = checkout(token, w["basic"]["id"])
            elapsed = time.monotonic() - started
            assert f.used(), f"fault {kind} was not used by the checkout"
        assert r.status == 502, f"checkout with gateway fault {kind}: {r!r}"
        assert_envelope(r, 502)
        if kind == "hang":
            assert TIMEOUT_S - 0.5 <= elapsed < hang_seconds() - 0.5, \
                f"checkout waited {elapsed:.1f}s for a hanging gateway " \
                f"(KHEDMA_GATEWAY_TIMEOUT_MS={TIMEOUT_S * 1000:.0f})"
        new = order_ids(token) - before
        assert len(new) == 1, f"{kind}: expected one new (cancelled) order, got {new}"
        o = assert_cancelled_failed(new.pop(), token)
        if o is not None:
            assert o["payment"]["provider"] == GATEWAY, o
    # the gateway is back: a new checkout is a new order with a new gateway reference
    before = order_ids(token)
    d = checkout_ok(token)
    assert d["order_id"] not in before and order_ids(token) - before == {d["order_id"]}
    assert_pending(d["order_id"], token)


# --------------------------------------------------------------------------------------------
# The card flow: signed gateway event -> processing

def test_gateway_event_confirms_the_order():
    w = world()
    data = checkout_ok()
    oid = data["order_id"]
    txn, d = pay(data, event=True)
    status, body = delivery_answer(d)
    assert status == 200, f"gateway event answered {status}: {body!r}"
    assert body and body.get("success") is True and body.get("status_code") == 200, body
    assert not (body.get("data") or {}).get("ignored"), f"a known order's event was ignored: {body!r}"
    o = assert_processing(oid)
    if o is not None:
        assert o["payment"]["provider"] == GATEWAY
        assert o["payment"]["transactionId"] == txn, o["payment"]
    assert_confirmations(oid, 1)
    if reads()["events"]:
        ev = [e for e in order_events(oid) if e["type"] == "paid"][0]
        assert ev["from"] == "pending" and ev["to"] == "processing", ev
    # POST /api/orders on a confirmed order answers the same, without a transaction id
    for _ in range(2):
        assert assert_envelope(submit(w["client_token"], {"checkoutId": oid}), 200) == {"id": oid}
    assert_confirmations(oid, 1)
    # the freelancer sees it too
    if reads()["order"]:
        assert get_order(oid, w["seller_token"])["status"] == "processing"


def test_gateway_event_replays_take_effect_once():
    data = checkout_ok()
    oid = data["order_id"]
    txn, first = pay(data, event=True)
    assert delivery_answer(first)[0] == 200
    for again in emu.replay(first["id"], copies=2):
        status, body = delivery_answer(again)
        assert status == 200, f"replay answered {status}: {body!r}"
    for again in emu.replay(first["id"], copies=6, concurrent=True):
        assert delivery_answer(again)[0] == 200
    # the same event sent afresh (same id, new bytes) is still the same event
    if YCP:
        event_id = first["event_id"]
        d = gateway_event(data, txn, event_id=event_id)
    else:
        d = gateway_event(data, txn)
    assert delivery_answer(d)[0] == 200
    assert_processing(oid)
    assert_confirmations(oid, 1)


def test_concurrent_first_deliveries_confirm_once():
    data = checkout_ok()
    oid = data["order_id"]
    txn, _ = pay(data)
    first = gateway_event(data, txn, copies=8, concurrent=True)
    key = "event_id" if YCP else "tran_ref"
    answers = [delivery_answer(r) for r in emu.deliveries(GATEWAY) if r.get(key) == first[key]]
    assert len(answers) == 8, answers
    assert all(a[0] == 200 for a in answers), [a[0] for a in answers]
    assert_processing(oid)
    assert_confirmations(oid, 1)


def test_forged_and_tampered_events_are_401_with_no_effect():
    data = checkout_ok()
    oid = data["order_id"]
    txn, _ = pay(data)
    event_id = f"evt-{unique('f')}"
    for opts in ({"signature_mode": "wrong_key"}, {"signature_mode": "missing"},
                 {"signature_mode": "empty"}, {"signature_mode": "garbage"},
                 {"signature_mode": "truncated"}, {"tamper": True},
                 {"sign_with_key": "not-the-gateways-key"}):
        d = gateway_event(data, txn, event_id=event_id, **opts)
        status, body = delivery_answer(d)
        assert status == 401, f"{opts}: answered {status} {body!r}"
        assert body and body.get("success") is False and body.get("data") is None, body
        assert_pending(oid)
        assert_confirmations(oid, 0)
    # a forged copy never uses up the event: the genuine one, same id, still confirms
    d = gateway_event(data, txn, event_id=event_id)
    assert delivery_answer(d)[0] == 200
    assert_processing(oid)
    assert_confirmations(oid, 1)
    # and a forged event after confirmation changes nothing either
    d = gateway_event(data, txn, signature_mode="wrong_key")
    assert delivery_answer(d)[0] == 401
    assert_confirmations(oid, 1)


def test_unsigned_requests_straight_to_the_webhook_are_401():
    data = checkout_ok()
    oid = data["order_id"]
    if YCP:
        body = {"id": f"evt-{unique('u')}", "event_name": "transaction.paid", "sandbox": True,
                "payload": {"transaction": {"id": f"txn-{unique('t')}", "order_id": oid, "amount": 50000,
                                            "currency": "MAD",
                                            "status": 1}, "metadata": {}}}
        header = "x-youcanpay-signature"
    else:
        body = {"tran_ref": data["tran_ref"], "cart_id": oid, "cart_currency": "MAD", "cart_amount": "500.00",
                "tran_type": "Sale",
                "payment_result": {"response_status": "A", "response_message": "Authorised"}}
        header = "signature"
    raw = json.dumps(body)
    for headers in ({}, {header: ""}, {header: "0" * 64}, {header: emu.hmac_sha256_hex("guess", raw)}):
        hdrs = dict(headers, **{"Content-Type": "application/json"})
        r = http("POST", EVENT_URL[len(BASE_URL):], data=raw, headers=hdrs)
        assert_envelope(r, 401)
    assert_pending(oid)
    # the emulator's own signature over the same bytes is accepted (the check is on the raw body)
    sig = emu.sign(GATEWAY, raw)
    r = http("POST", EVENT_URL[len(BASE_URL):], data=raw, headers={"Content-Type": "application/json",
                                                                   header: sig})
    assert_envelope(r, 200)
    assert_processing(oid)


def test_failed_payment_event_cancels_the_order():
    w = world()
    statuses = ["failed"] if YCP else ["D", "E", "V"]
    for status in statuses:
        data = checkout_ok()
        oid = data["order_id"]
        txn, d = pay(data, status=status, event=True)
        code, body = delivery_answer(d)
        assert code == 200, f"{status}: {code} {body!r}"
        assert_cancelled_failed(oid)
        if reads()["notifications"]:
            notes = notifications(w["client_token"], oid, "payment.failed")
            assert len(notes) == 1, f"client notifications payment.failed: {notes!r}"
            assert notifications(w["seller_token"], oid, "order.paid") == []
        # a replay, and a late POST /api/orders, change nothing
        assert delivery_answer(emu.replay(d["id"])[0])[0] == 200
        assert_cancelled_failed(oid)
        r = submit(w["client_token"], submit_body(data, txn))
        assert r.status in (409, 422), f"confirming a cancelled order: {r!r}"
        assert_cancelled_failed(oid)


def test_events_for_unknown_orders_are_ignored_with_200():
    unknown = "c" + unique("z").ljust(24, "0")[:24]
    if YCP:
        tx = emu.create_transaction(order_id=unknown, amount=50000, status=1)
        d = emu.send_youcanpay_event(tx["id"], "transaction.paid", url=YCP_WEBHOOK)
    else:
        data = checkout_ok()
        emu.complete_paytabs(data["tran_ref"], status="A", callback=False)
        d = emu.send_paytabs_callback(data["tran_ref"], url=PT_CALLBACK, overrides={"cart_id": unknown})
    status, body = delivery_answer(d)
    assert status == 200, f"unknown order: {status} {body!r}"
    assert body["success"] is True and body["data"].get("ignored") is True, body
    # an order id that is not even an id
    if YCP:
        tx = emu.create_transaction(order_id="not-one-of-ours", amount=100, status=1)
        d = emu.send_youcanpay_event(tx["id"], "transaction.failed", url=YCP_WEBHOOK)
        status, body = delivery_answer(d)
        assert status == 200 and body["data"].get("ignored") is True, body


def test_youcanpay_paid_event_with_a_wrong_amount_or_currency_does_not_confirm():
    if not only("youcanpay", "amount / currency checks of transaction.paid"):
        return
    for overrides in ({"payload.transaction.amount": 500}, {"payload.transaction.amount": "49999"},
                      {"payload.transaction.currency": "USD"}):
        data = checkout_ok()
        oid = data["order_id"]
        txn, _ = pay(data)
        d = gateway_event(data, txn, overrides=overrides)
        status, body = delivery_answer(d)
        assert status < 500, f"{overrides}: {status} {body!r}"
        assert_pending(oid)
        assert_confirmations(oid, 0)


def test_youcanpay_paid_event_amount_as_a_numeric_string():
    if not only("youcanpay", "amount as a string in the webhook"):
        return
    data = checkout_ok()
    oid = data["order_id"]
    txn, d = pay(data, event=True, amount_format="string")
    assert '"amount":"50000"' in d["body"], d["body"]
    assert delivery_answer(d)[0] == 200
    assert_processing(oid)


def test_paytabs_on_hold_then_authorised():
    if not only("paytabs", "PayTabs H then A callbacks"):
        return
    data = checkout_ok()
    oid = data["order_id"]
    _, d = pay(data, status="H", event=True)
    assert delivery_answer(d)[0] == 200
    assert_pending(oid)
    assert_envelope(submit(world()["client_token"], {"checkoutId": oid}), 422, "Payment not completed")
    _, d = pay(data, status="A", event=True)
    assert delivery_answer(d)[0] == 200
    assert_processing(oid)
    assert_confirmations(oid, 1)


def cancel_paid_order(data):
    """Confirm a card checkout through the gateway event, then the freelancer cancels it."""
    w = world()
    txn, d = pay(data, event=True)
    assert delivery_answer(d)[0] == 200
    assert_processing(data["order_id"])
    r = http("POST", f"/api/orders/{data['order_id']}/cancel", json_body={"reason": "Cannot do it"},
             token=w["seller_token"])
    o = assert_envelope(r, 200)
    assert o["status"] == "cancelled" and o["payment"]["status"] in ("refunding", "refunded"), o
    return txn


def refunded_events(oid):
    return sum(1 for e in order_events(oid) if e["type"] == "refunded") if reads()["events"] else None


def test_youcanpay_refunded_event_finishes_a_refund():
    if not only("youcanpay", "transaction.refunded"):
        return
    data = checkout_ok()
    oid = data["order_id"]
    txn = cancel_paid_order(data)
    assert get_order(oid)["payment"]["status"] == "refunding"
    d = gateway_event(data, txn, event_name="transaction.refunded")
    assert delivery_answer(d)[0] == 200
    o = get_order(oid)
    assert o["payment"]["status"] == "refunded" and o["status"] == "cancelled", o
    assert refunded_events(oid) in (1, None)
    for again in emu.replay(d["id"], copies=2):
        assert delivery_answer(again)[0] == 200
    d = gateway_event(data, txn, event_name="transaction.refunded", signature_mode="wrong_key")
    assert delivery_answer(d)[0] == 401
    assert refunded_events(oid) in (1, None)
    assert get_order(oid)["payment"]["status"] == "refunded"


def test_paytabs_refund_of_a_cancelled_paid_order():
    if not only("paytabs", "refund request"):
        return
    data = checkout_ok()
    oid = data["order_id"]
    seq = last_seq()
    cancel_paid_order(data)
    deadline = time.monotonic() + 40
    o = get_order(oid)
    while o["payment"]["status"] != "refunded" and time.monotonic() < deadline:
        time.sleep(0.5)
        o = get_order(oid)
    assert o["payment"]["status"] == "refunded", f"the refund did not finish within 40 s: {o['payment']!r}"
    assert refunded_events(oid) in (1, None)
    refunds = [r for r in requests_since(seq, "paytabs.refund")
               if (r.get("json") or {}).get("tran_ref") == data["tran_ref"]]
    assert len(refunds) == 1, f"{len(refunds)} refund requests for {data['tran_ref']}"
    sent = refunds[0]["json"]
    assert refunds[0]["credentials"] == "ok" and refunds[0]["status"] == 200, refunds[0]
    assert sent["tran_type"] == "refund" and sent["cart_id"] == oid and sent["cart_currency"] == "MAD", sent
    assert is_number(sent["cart_amount"]) and sent["cart_amount"] == 500, sent
    tx = emu.paytabs_transaction(data["tran_ref"])
    assert tx["refunded_total"] in ("500.00", "500"), tx


# --------------------------------------------------------------------------------------------
# POST /api/orders: the server asks the gateway

def test_submit_confirms_a_paid_checkout():
    w = world()
    data = checkout_ok()
    oid = data["order_id"]
    txn, _ = pay(data)
    assert_pending(oid)
    seq = last_seq()
    body = submit_body(data, txn, paymentReference="INV-" + unique("r"), meta={"cart": [1, 2], "note": "é"})
    r = submit(w["client_token"], body)
    assert assert_envelope(r, 200) == {"id": oid}
    lookups = requests_since(seq, LOOKUP_EP)
    assert lookups, f"POST /api/orders did not ask the gateway ({LOOKUP_EP})"
    assert all(x["credentials"] == "ok" for x in lookups), [x["credentials"] for x in lookups]
    if YCP:
        assert any(x["path"].startswith(f"/youcanpay/api/transactions/{txn}") for x in lookups), lookups
    else:
        mine = [x for x in lookups if x.get("tran_ref") == data["tran_ref"]]
        assert mine, "no payment/query for the checkout's tran_ref"
        profile = emu.config()["paytabs"]["profile_id"]
        assert str(mine[0]["json"]["profile_id"]) == str(profile), mine[0]["json"]
        assert mine[0]["json"]["tran_ref"] == data["tran_ref"], mine[0]["json"]
    o = assert_processing(oid)
    if o is not None:
        assert o["paymentReference"] == body["paymentReference"], o
        assert o["meta"] == body["meta"], o
    # already confirmed: the same answer, nothing new
    assert assert_envelope(submit(w["client_token"], body), 200) == {"id": oid}
    assert assert_envelope(submit(w["client_token"], {"checkoutId": oid}), 200) == {"id": oid}
    assert_confirmations(oid, 1)


def test_submit_unpaid_is_422_and_the_order_stays_pending():
    w = world()
    data = checkout_ok()
    oid = data["order_id"]
    txn, _ = pay(data, status="pending")
    body = submit_body(data, txn, meta={"step": 1}, paymentReference="PR-pending")
    for _ in range(2):
        assert_envelope(submit(w["client_token"], body), 422, "Payment not completed")
        o = assert_pending(oid)
    if o is not None:
        assert o["meta"] == {"step": 1} and o["paymentReference"] == "PR-pending", \
            f"meta / paymentReference not stored on an unpaid submit: {o!r}"
    assert_confirmations(oid, 0)
    make_paid(data, txn)
    assert assert_envelope(submit(w["client_token"], body), 200) == {"id": oid}
    assert_processing(oid)


def test_submit_failed_payment_is_422_payment_not_completed():
    w = world()
    data = checkout_ok()
    oid = data["order_id"]
    txn, _ = pay(data, status="failed")
    r = submit(w["client_token"], submit_body(data, txn))
    assert_envelope(r, 422, "Payment not completed")
    o = get_order(oid) if reads()["order"] else None
    if o is not None:
        assert o["status"] in ("pending", "cancelled") and o["dueAt"] is None, o
    assert_confirmations(oid, 0)


def test_submit_errors():
    w = world()
    ct = w["client_token"]
    data = checkout_ok()
    oid = data["order_id"]
    txn, _ = pay(data)
    assert_envelope(submit(None, submit_body(data, txn)), 401)
    # another user's checkout is not found for them
    assert_envelope(submit(w["other_token"], submit_body(data, txn)), 404)
    assert_envelope(submit(w["seller_token"], submit_body(data, txn)), 404)
    assert_envelope(submit(ct, submit_body({"order_id": "c" + "3" * 24}, txn)), 404)
    bad = [
        {},
        {"transactionId": txn},
        {"checkoutId": 12},
        {"checkoutId": oid, "meta": "not an object"},
        {"checkoutId": oid, "meta": [1, 2]},
        {"checkoutId": oid, "meta": {"blob": "x" * 4100}},
        {"checkoutId": oid, "paymentReference": "r" * 129},
        {"checkoutId": oid, "webhookUrls": "http://example.com/hook"},
        {"checkoutId": oid, "webhookUrls": ["ftp://example.com/hook"]},
        {"checkoutId": oid, "webhookUrls": [f"http://example.com/{i}" for i in range(6)]},
        {"checkoutId": oid, "idempotencyKey": "k" * 256},
    ]
    for body in bad:
        if YCP and "transactionId" not in body and "checkoutId" in body:
            body["transactionId"] = txn
        r = submit(ct, body)
        assert_envelope(r, 422)
        assert isinstance(r.json.get("errors"), dict) and r.json["errors"], f"{body}: no errors in {r!r}"
    assert "checkoutId" in submit(ct, {}).json["errors"]
    assert_pending(oid)
    # the limits themselves are fine
    ok = submit_body(data, txn, meta={"blob": "x" * 3000}, paymentReference="r" * 128,
                     webhookUrls=[f"http://127.0.0.1:9/{i}" for i in range(5)],
                     idempotencyKey=(unique("k") * 30)[:255])
    assert assert_envelope(submit(ct, ok), 200) == {"id": oid}
    assert_processing(oid)


def test_youcanpay_submit_needs_the_right_transaction():
    if not only("youcanpay", "POST /api/orders with a transactionId"):
        return
    w = world()
    ct = w["client_token"]
    a = checkout_ok()
    b = checkout_ok()
    txn_a, _ = pay(a)
    # no transaction id for an order no webhook confirmed
    r = submit(ct, {"checkoutId": b["order_id"]})
    assert_envelope(r, 422)
    # another order's (paid) transaction
    r = submit(ct, {"checkoutId": b["order_id"], "transactionId": txn_a})
    assert_envelope(r, 422)
    assert_pending(b["order_id"])
    # a transaction the gateway does not know
    r = submit(ct, {"checkoutId": b["order_id"], "transactionId": "00000000-0000-4000-8000-000000000000"})
    assert_envelope(r, 422)
    assert_pending(b["order_id"])
    # a transaction for this order but for another amount / currency
    tx = emu.create_transaction(order_id=b["order_id"], amount=500, status=1)
    assert_envelope(submit(ct, {"checkoutId": b["order_id"], "transactionId": tx["id"]}), 422)
    tx = emu.create_transaction(order_id=b["order_id"], amount=50000, currency="USD", status=1)
    assert_envelope(submit(ct, {"checkoutId": b["order_id"], "transactionId": tx["id"]}), 422)
    assert_pending(b["order_id"])
    assert_confirmations(b["order_id"], 0)
    # its own transaction, paid
    assert assert_envelope(submit(ct, {"checkoutId": a["order_id"], "transactionId": txn_a}), 200) == \
        {"id": a["order_id"]}
    assert_processing(a["order_id"])
    # a transaction that confirmed order a cannot confirm order b, even if it named b
    r = submit(ct, {"checkoutId": b["order_id"], "transactionId": txn_a})
    assert r.status in (409, 422), r
    assert_pending(b["order_id"])
    # amounts as numeric strings are read as minor units too
    txn_b, _ = pay(b, amount_format="string")
    assert emu.transaction(txn_b)["amount_format"] == "string"
    assert assert_envelope(submit(ct, {"checkoutId": b["order_id"], "transactionId": txn_b}), 200) == \
        {"id": b["order_id"]}
    assert_processing(b["order_id"])


def test_submit_when_the_gateway_fails_is_502_and_changes_nothing():
    w = world()
    data = checkout_ok()
    oid = data["order_id"]
    txn, _ = pay(data)
    body = submit_body(data, txn)
    for kind, kw in FAULTS + [("hang", {"seconds": hang_seconds()})]:
        with Fault(LOOKUP_EP, kind, **kw):
            started = time.monotonic()
            r = submit(w["client_token"], body)
            elapsed = time.monotonic() - started
        assert r.status == 502, f"POST /api/orders with gateway fault {kind}: {r!r}"
        assert_envelope(r, 502)
        if kind == "hang":
            assert TIMEOUT_S - 0.5 <= elapsed < hang_seconds() - 0.5, \
                f"POST /api/orders waited {elapsed:.1f}s for a hanging gateway"
        assert_pending(oid)
        assert_confirmations(oid, 0)
    assert assert_envelope(submit(w["client_token"], body), 200) == {"id": oid}
    assert_processing(oid)


# --------------------------------------------------------------------------------------------
# order.create (tRPC)

def create_input(data, txn, package=None, gig=None, amount=500, order_id=None):
    w = world()
    return {"amount": amount, "transactionId": txn, "orderId": order_id or data["order_id"],
            "gigId": (gig or w["gig"])["id"], "packageId": (package or w["basic"])["id"]}


def test_order_create_confirms_a_pending_checkout():
    w = world()
    data = checkout_ok()
    oid = data["order_id"]
    txn, _ = pay(data)
    inp = create_input(data, txn)
    order = trpc_mutation("order.create", inp, w["client_token"])
    assert order["id"] == oid, f"order.create made {order['id']} instead of confirming {oid}"
    assert order["status"] == "processing" and order["dueAt"], order
    assert order["totalAmount"] == 500 and order["currency"] == "MAD", order
    assert order["userId"] == w["client"]["id"] and order["gigId"] == w["gig"]["id"], order
    assert order["packageId"] == w["basic"]["id"], order
    assert order["payment"]["status"] == "success" and order["payment"]["provider"] == GATEWAY, order
    assert order["payment"]["transactionId"] == txn, order["payment"]
    assert_processing(oid)
    # the same input again: the same order, nothing new
    again = trpc_mutation("order.create", inp, w["client_token"])
    assert again["id"] == oid and again["status"] == "processing", again
    assert_confirmations(oid, 1)
    # a transaction that confirmed this order cannot confirm another one (CONFLICT, checked first)
    other_checkout = checkout_ok()
    for token, inp2, what in (
            (w["other_token"], create_input(checkout_ok(w["other_token"]), txn), "another client"),
            (w["other_token"], create_input(checkout_ok(w["other_token"]), txn, amount=1),
             "another client, bad amount"),
            (w["client_token"], create_input(other_checkout, txn, amount=499),
             "another checkout, bad amount"),
            (w["client_token"], create_input(other_checkout, txn), "same client, another checkout")):
        trpc_error(trpc("order.create", inp2, token), "CONFLICT", what)
    assert_pending(other_checkout["order_id"])
    assert_confirmations(oid, 1)


def test_order_create_cannot_move_another_clients_payment():
    """Regression: another signed-in user naming a client's paid checkout as orderId used to get a
    new paid order of their own, stranding the client's payment. It is a mismatch now."""
    w = world()
    data = checkout_ok()
    oid = data["order_id"]
    txn, _ = pay(data)
    inp = create_input(data, txn)
    trpc_error(trpc("order.create", inp, w["other_token"]), "UNPROCESSABLE_CONTENT",
               "another client claiming the payment")
    assert_pending(oid)
    order = trpc_mutation("order.create", inp, w["client_token"])
    assert order["id"] == oid and order["status"] == "processing", order
    assert_confirmations(oid, 1)


def test_order_create_mismatches_are_unprocessable():
    w = world()
    ct = w["client_token"]
    data = checkout_ok()
    oid = data["order_id"]
    other = checkout_ok()
    txn, _ = pay(data)
    cases = [
        (create_input(data, txn, amount=499), "amount below the price"),
        (create_input(data, txn, amount=500.01), "amount above the price"),
        (create_input(data, txn, gig=w["gig2"]), "package of another gig"),
        (create_input(data, txn, package=w["basic2"], amount=300), "package of another gig, its price"),
        (create_input(data, txn, package=w["standard"], amount=750), "another package of the gig"),
        (create_input(data, txn, order_id=other["order_id"]), "orderId of another checkout"),
        (create_input(data, txn, order_id="c" + "4" * 24), "orderId unknown"),
    ]
    for inp, what in cases:
        trpc_error(trpc("order.create", inp, ct), "UNPROCESSABLE_CONTENT", what)
    assert_pending(oid)
    assert_pending(other["order_id"])
    assert_confirmations(oid, 0)
    # none of them used the transaction up
    order = trpc_mutation("order.create", create_input(data, txn), ct)
    assert order["id"] == oid and order["status"] == "processing"
    assert_confirmations(oid, 1)


def test_order_create_unpaid_is_precondition_failed():
    w = world()
    data = checkout_ok()
    oid = data["order_id"]
    txn, _ = pay(data, status="pending")
    trpc_error(trpc("order.create", create_input(data, txn), w["client_token"]), "PRECONDITION_FAILED",
               "unpaid")
    assert_pending(oid)
    # a mismatch is reported before the unpaid state
    trpc_error(trpc("order.create", create_input(data, txn, amount=1), w["client_token"]),
               "UNPROCESSABLE_CONTENT", "unpaid, wrong amount")
    make_paid(data, txn)
    order = trpc_mutation("order.create", create_input(data, txn), w["client_token"])
    assert order["id"] == oid and order["status"] == "processing"
    if YCP:
        data2 = checkout_ok()
        txn2, _ = pay(data2, status="failed")
        trpc_error(trpc("order.create", create_input(data2, txn2), w["client_token"]), "PRECONDITION_FAILED",
                   "failed transaction")
        assert_pending(data2["order_id"])


def test_order_create_input_and_session():
    w = world()
    data = checkout_ok()
    txn, _ = pay(data, status="pending")
    inp = create_input(data, txn)
    trpc_error(trpc("order.create", inp), "UNAUTHORIZED", "no session")
    for field in ("amount", "transactionId", "orderId", "gigId", "packageId"):
        bad = {k: v for k, v in inp.items() if k != field}
        e = trpc_error(trpc("order.create", bad, w["client_token"]), "BAD_REQUEST", f"without {field}")
        ze = e["data"].get("zodError")
        assert ze is None or field in ze.get("fieldErrors", {}), e
    trpc_error(trpc("order.create", dict(inp, amount="500"), w["client_token"]), "BAD_REQUEST",
               "amount string")
    assert_pending(data["order_id"])


def test_order_create_when_the_gateway_fails_is_bad_gateway_and_writes_nothing():
    w = world()
    data = checkout_ok()
    oid = data["order_id"]
    txn, _ = pay(data)
    inp = create_input(data, txn)
    for kind, kw in FAULTS + [("hang", {"seconds": hang_seconds()})]:
        with Fault(LOOKUP_EP, kind, **kw):
            started = time.monotonic()
            r = trpc("order.create", inp, w["client_token"])
            elapsed = time.monotonic() - started
        trpc_error(r, "BAD_GATEWAY", f"gateway {kind}")
        if kind == "hang":
            assert TIMEOUT_S - 0.5 <= elapsed < hang_seconds() - 0.5, \
                f"order.create waited {elapsed:.1f}s for a hanging gateway"
        assert_pending(oid)
        assert_confirmations(oid, 0)
    order = trpc_mutation("order.create", inp, w["client_token"])
    assert order["id"] == oid and order["status"] == "processing"
    assert_confirmations(oid, 1)


def test_youcanpay_order_create_without_a_checkout_makes_a_paid_order():
    if not only("youcanpay", "order.create for a transaction made outside a checkout"):
        return
    w = world()
    before = order_ids(w["client_token"])
    external = f"ext-{unique('o')}"
    tx = emu.create_transaction(order_id=external, amount=50000, status=1)
    inp = {"amount": 500, "transactionId": tx["id"], "orderId": external, "gigId": w["gig"]["id"],
           "packageId": w["basic"]["id"]}
    order = trpc_mutation("order.create", inp, w["client_token"])
    assert CUID_RE.match(order["id"]) and order["status"] == "processing", order
    assert order["userId"] == w["client"]["id"] and order["totalAmount"] == 500 and order["dueAt"], order
    assert order["payment"]["status"] == "success" and order["payment"]["transactionId"] == tx["id"], order
    assert order_ids(w["client_token"]) - before == {order["id"]}
    again = trpc_mutation("order.create", inp, w["client_token"])
    assert again["id"] == order["id"]
    assert order_ids(w["client_token"]) - before == {order["id"]}
    assert_confirmations(order["id"], 1)
    # a transaction in another currency / for another amount / for another order id
    for kw, what in (({"currency": "USD"}, "currency"), ({"amount": 40000}, "transaction amount")):
        t = emu.create_transaction(order_id=external + "x", amount=kw.get("amount", 50000),
                                   currency=kw.get("currency", "MAD"), status=1)
        trpc_error(trpc("order.create", dict(inp, transactionId=t["id"], orderId=external + "x"),
                        w["client_token"]), "UNPROCESSABLE_CONTENT", what)
    t = emu.create_transaction(order_id=external + "y", amount=50000, status=1)
    trpc_error(trpc("order.create", dict(inp, transactionId=t["id"], orderId=external + "z"),
                    w["client_token"]),
               "UNPROCESSABLE_CONTENT", "orderId")
    assert order_ids(w["client_token"]) - before == {order["id"]}


# --------------------------------------------------------------------------------------------
# Bank transfer

class Receiver:
    """A local HTTP endpoint for outgoing webhooks (the test stack allows private addresses)."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                received.append({"headers": {k.lower(): v for k, v in self.headers.items()},
                                 "body": self.rfile.read(n), "path": self.path})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/{unique('h')}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, event, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            hits = [r for r in self.received if r["headers"].get("x-khedma-event") == event]
            if hits:
                return hits
            time.sleep(0.2)
        return []

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_bank_transfer_is_confirmed_by_an_admin_only():
    w = world()
    ct = w["client_token"]
    data = checkout_ok(method="bank_transfer")
    oid = data["order_id"]
    assert data["provider"] == "bank_transfer" and data["payment_method"] == "bank_transfer", data
    assert data["amount"] == 500 and data["currency"] == "MAD", data
    assert isinstance(data.get("reference"), str) and data["reference"].strip(), data
    body = {"checkoutId": oid, "paymentReference": "BANK-" + unique("b"), "meta": {"po": "42"},
            "webhookUrls": ["http://127.0.0.1:9/never"]}
    assert_envelope(submit(ct, body), 422, "Payment not completed")
    o = assert_pending(oid)
    if o is not None:
        assert o["meta"] == {"po": "42"} and o["paymentReference"] == body["paymentReference"], o
        assert o["payment"]["provider"] == "bank_transfer" and o["paymentMethod"] == "bank_transfer", o
    # nobody but an admin confirms it
    for token in (ct, w["seller_token"], w["other_token"]):
        r = http("POST", f"/api/orders/{oid}/confirm-transfer", json_body={"reference": data["reference"]},
                 token=token)
        assert_envelope(r, 403)
    assert_envelope(http("POST", f"/api/orders/{oid}/confirm-transfer", json_body={"reference": "x"}), 401)
    assert_pending(oid)
    # an admin does
    r = http("POST", f"/api/orders/{oid}/confirm-transfer", json_body={"reference": data["reference"]},
             token=w["admin_token"])
    order = assert_envelope(r, 200)
    assert order["id"] == oid and order["status"] == "processing" and order["dueAt"], order
    assert order["payment"]["status"] == "success" and order["payment"]["provider"] == "bank_transfer", order
    assert_processing(oid)
    assert_confirmations(oid, 1)
    # twice: 409, nothing new
    r = http("POST", f"/api/orders/{oid}/confirm-transfer", json_body={"reference": data["reference"]},
             token=w["admin_token"])
    assert_envelope(r, 409)
    assert_confirmations(oid, 1)
    # the client's POST /api/orders now answers the confirmed order
    assert assert_envelope(submit(ct, {"checkoutId": oid}), 200) == {"id": oid}
    assert_envelope(http("POST", f"/api/orders/{'c' + '5' * 24}/confirm-transfer",
                         json_body={"reference": "x"}, token=w["admin_token"]), 404)


def test_confirm_transfer_refuses_other_orders():
    w = world()
    card = checkout_ok()
    r = http("POST", f"/api/orders/{card['order_id']}/confirm-transfer", json_body={"reference": "x"},
             token=w["admin_token"])
    assert r.status in (409, 422), f"confirm-transfer of a card order: {r!r}"
    assert_envelope(r, r.status)
    assert_pending(card["order_id"])
    bank = checkout_ok(method="bank_transfer")
    r = http("POST", f"/api/orders/{bank['order_id']}/confirm-transfer", json_body={}, token=w["admin_token"])
    assert r.status in (400, 422), f"confirm-transfer without a reference: {r!r}"
    assert_pending(bank["order_id"])


def test_webhook_urls_given_before_payment_receive_order_paid():
    w = world()
    rcv = Receiver()
    try:
        data = checkout_ok(method="bank_transfer")
        oid = data["order_id"]
        body = {"checkoutId": oid, "paymentReference": "WH-" + unique("w"), "meta": {"source": "test"},
                "webhookUrls": [rcv.url]}
        assert_envelope(submit(w["client_token"], body), 422, "Payment not completed")
        r = http("POST", f"/api/orders/{oid}/confirm-transfer", json_body={"reference": data["reference"]},
                 token=w["admin_token"])
        assert_envelope(r, 200)
        hits = rcv.wait("order.paid", 25)
        assert hits, "no order.paid webhook reached the URL given while the order was unpaid"
        sent = json.loads(hits[0]["body"])
        assert sent["type"] == "order.paid" and sent["data"]["order"]["id"] == oid, sent
        assert sent["data"]["meta"] == {"source": "test"}, sent["data"]
        assert sent["data"]["paymentReference"] == body["paymentReference"], sent["data"]
        assert hits[0]["headers"].get("x-khedma-signature", "").startswith("t="), hits[0]["headers"]
    finally:
        rcv.close()


# --------------------------------------------------------------------------------------------
# Idempotency keys on POST /api/orders

def paid_checkout(token=None):
    data = checkout_ok(token)
    txn, _ = pay(data)
    return data, txn


def test_idempotent_replay_is_byte_for_byte():
    w = world()
    ct = w["client_token"]
    data, txn = paid_checkout()
    key = "idem-" + unique("k")
    body = submit_body(data, txn, idempotencyKey=key, meta={"a": 1, "b": [1, 2]}, paymentReference="P1")
    first = submit(ct, body)
    assert assert_envelope(first, 200) == {"id": data["order_id"]}
    for _ in range(2):
        again = submit(ct, body)
        assert again.status == 200 and again.body == first.body, f"{again!r} != {first!r}"
    # JSON-equal: other key order and spacing
    raw = json.dumps(dict(reversed(list(body.items()))), indent=2)
    again = http("POST", "/api/orders", data=raw, headers={"Content-Type": "application/json"}, token=ct)
    assert again.status == 200 and again.body == first.body, again
    assert_processing(data["order_id"])
    assert_confirmations(data["order_id"], 1)
    if reads()["order"]:
        assert get_order(data["order_id"])["idempotencyKey"] == key


def test_idempotency_key_reused_with_different_parameters_is_422():
    w = world()
    ct = w["client_token"]
    data, txn = paid_checkout()
    key = "idem-" + unique("k")
    body = submit_body(data, txn, idempotencyKey=key, paymentReference="first")
    first = submit(ct, body)
    assert_envelope(first, 200)
    data2, txn2 = paid_checkout()
    for changed in (dict(body, paymentReference="second"), dict(body, meta={"x": 1}),
                    submit_body(data2, txn2, idempotencyKey=key, paymentReference="first")):
        r = submit(ct, changed)
        assert_envelope(r, 422, "Idempotency key reused with different parameters")
    assert_pending(data2["order_id"])
    if reads()["order"]:
        assert get_order(data["order_id"])["paymentReference"] == "first"
    again = submit(ct, body)
    assert again.status == 200 and again.body == first.body
    # keys are per user: another client with the same key runs their own request
    odata, otxn = paid_checkout(w["other_token"])
    r = submit(w["other_token"], submit_body(odata, otxn, idempotencyKey=key))
    assert assert_envelope(r, 200) == {"id": odata["order_id"]}
    assert_processing(odata["order_id"], token=w["other_token"])


def test_a_request_rejected_by_validation_keeps_nothing():
    w = world()
    ct = w["client_token"]
    data, txn = paid_checkout()
    key = "idem-" + unique("k")
    bad = submit_body(data, txn, idempotencyKey=key, meta="not an object")
    assert_envelope(submit(ct, bad), 422)
    assert_envelope(submit(ct, dict(bad, webhookUrls=["ftp://x"])), 422)
    assert_pending(data["order_id"])
    good = submit_body(data, txn, idempotencyKey=key)
    r = submit(ct, good)
    assert assert_envelope(r, 200) == {"id": data["order_id"]}, \
        "the key was kept by a request that failed validation"
    assert_processing(data["order_id"])
    # and it is kept from then on
    assert_envelope(submit(ct, bad), 422)
    again = submit(ct, good)
    assert again.status == 200 and again.body == r.body


def test_twenty_concurrent_identical_requests_confirm_once():
    w = world()
    ct = w["client_token"]
    data, txn = paid_checkout()
    oid = data["order_id"]
    body = submit_body(data, txn, idempotencyKey="idem-" + unique("c"), meta={"n": 20})
    results = [None] * 20
    barrier = threading.Barrier(20)

    def one(i):
        try:
            barrier.wait(timeout=10)
        except threading.BrokenBarrierError:
            pass
        try:
            results[i] = submit(ct, body, timeout=60)
        except Exception as exc:  # noqa: BLE001 - reported below
            results[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    errors = [r for r in results if not hasattr(r, "status")]
    assert not errors, f"requests failed: {errors[:3]}"
    statuses = sorted(r.status for r in results)
    assert all(s in (200, 409) for s in statuses), f"statuses: {statuses}"
    oks = [r for r in results if r.status == 200]
    assert oks, f"no request answered 200: {statuses}"
    assert len({r.body for r in oks}) == 1, f"different 200 bodies: {set(r.body for r in oks)}"
    assert assert_envelope(oks[0], 200) == {"id": oid}
    for r in results:
        if r.status == 409:
            assert_envelope(r, 409)
    # afterwards the key replays the stored answer
    after = submit(ct, body)
    assert after.status == 200 and after.body == oks[0].body
    assert_processing(oid)
    assert_confirmations(oid, 1)


def test_concurrent_identical_requests_without_a_key_confirm_once():
    w = world()
    ct = w["client_token"]
    data, txn = paid_checkout()
    oid = data["order_id"]
    body = submit_body(data, txn)
    results = [None] * 10
    barrier = threading.Barrier(10)

    def one(i):
        try:
            barrier.wait(timeout=10)
        except threading.BrokenBarrierError:
            pass
        results[i] = submit(ct, body, timeout=60)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    statuses = sorted(r.status for r in results if r is not None)
    assert len(statuses) == 10 and all(s in (200, 409) for s in statuses), f"statuses: {statuses}"
    assert 200 in statuses
    assert_processing(oid)
    assert_confirmations(oid, 1)


def test_idempotency_with_order_create_and_events_racing():
    """A webhook, POST /api/orders and order.create for one payment at the same time: one
    confirmation."""
    w = world()
    ct = w["client_token"]
    data, txn = paid_checkout()
    oid = data["order_id"]
    out = {}
    barrier = threading.Barrier(3)

    def via_event():
        barrier.wait(timeout=10)
        out["event"] = gateway_event(data, txn)

    def via_submit():
        barrier.wait(timeout=10)
        out["submit"] = submit(ct, submit_body(data, txn), timeout=60)

    def via_create():
        barrier.wait(timeout=10)
        out["create"] = trpc("order.create", create_input(data, txn), ct)

    threads = [threading.Thread(target=f) for f in (via_event, via_submit, via_create)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert delivery_answer(out["event"])[0] == 200
    assert out["submit"].status in (200, 409), out["submit"]
    assert out["create"].status in (200, 409), out["create"]
    assert_processing(oid)
    assert_confirmations(oid, 1)
