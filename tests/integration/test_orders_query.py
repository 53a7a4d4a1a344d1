"""test_orders_query.py - the order reads (docs/api.md, "Orders API") through nginx:
GET /api/orders with every filter field and operator, sorting, pagination,
as=client|freelancer, the admin-only filter.userId (403 for everyone else), the 400s that name
the bad parameter, the visibility rule (nobody sees an order they are not a party to, and
GET /api/orders/{id} of someone else's order is 404), and the tRPC procedures order.list and
order.byId.

Orders are made the way clients make them: a freelancer publishes gigs through the tRPC
mutations, clients check out by bank transfer (pending orders, no gateway), an admin confirms
some transfers (processing), a client cancels one (cancelled), and POST /api/orders attaches a
paymentReference and an idempotencyKey. Every user is new to this run, so the lists hold exactly
this file's orders even on a database other runs have filled; admin-wide queries are narrowed to
this run's gigs.
"""

import datetime
import json
import re
import time
import urllib.parse

from harness import assert_envelope, http, make_admin, signup, unique

CUID_RE = re.compile(r"^c[a-z0-9]{24}$")
ORDER_KEYS = {"id", "userId", "gigId", "packageId", "status", "totalAmount", "currency",
              "paymentMethod", "idempotencyKey", "paymentReference", "meta", "createdAt",
              "updatedAt", "dueAt", "deliveredAt", "completedAt", "cancelledAt", "cancelReason",
              "revisions", "package", "gig", "payment"}
PAGINATION_KEYS = {"totalItems", "currentPage", "pageSize", "totalPages"}
STATUS_RANK = {"pending": 0, "processing": 1, "completed": 2, "cancelled": 3}


# --------------------------------------------------------------------------------------------
# Fixtures

def trpc_mutation(path, body, token):
    r = http("POST", "/api/trpc/" + path, json_body=body, token=token)
    assert r.status == 200, f"{path}: {r!r}"
    return r.json["result"]["data"]


def tier(name, price):
    return {"name": name, "description": f"{name} package", "price": price, "delivery": 3,
            "revisions": 1}


def make_gig(token, prices):
    """A published gig whose basic/standard/premium packages cost `prices`; returns
    (gig id, [package ids in tier order])."""
    gid = trpc_mutation("gig.createDraft", {}, token)["id"]
    trpc_mutation("gig.updateOverview", {
        "id": gid, "title": f"{unique('oq')} order query gig", "category": "design-creative",
        "subCategory": "logo-design", "tags": []}, token)
    body = {"gigId": gid}
    for key, label, price in zip(("basic", "standard", "premium"),
                                 ("Basic tier", "Standard tier", "Premium tier"), prices):
        body[key] = tier(label, price)
    packages = trpc_mutation("gig.createPackages", body, token)
    trpc_mutation("gig.publish", {"id": gid}, token)
    return gid, [packages[k]["id"] for k in ("basic", "standard", "premium")[:len(prices)]]


def checkout(token, package_id):
    r = http("POST", "/api/orders/checkout",
             json_body={"payment_method": "bank_transfer", "package_id": package_id}, token=token)
    data = assert_envelope(r, 200)
    assert CUID_RE.match(data["order_id"]), data
    time.sleep(0.015)  # distinct createdAt values (milliseconds), so every order has one place
    return data["order_id"]


def confirm(admin_token, order_id):
    r = http("POST", f"/api/orders/{order_id}/confirm-transfer",
             json_body={"reference": "BT-" + unique("r")}, token=admin_token)
    assert assert_envelope(r, 200)["status"] == "processing"


def attach(token, order_id, reference, key, status):
    """POST /api/orders with a paymentReference and an idempotencyKey: kept on the order both
    when it is already paid (200) and when the transfer is still awaited (422)."""
    r = http("POST", "/api/orders", json_body={
        "checkoutId": order_id, "paymentReference": reference, "idempotencyKey": key},
        token=token)
    assert_envelope(r, status)


_world = {}


def world():
    """Two freelancers, two clients, an admin and an outsider. The first client's orders:
    o1 pending 100 (ref/key 1), o2 processing 250 (ref/key 2), o3 processing 600, o4 cancelled
    40, o5 pending 40; the second client's o6 processing 100 (all on gig 1 but o4 and o5)."""
    if _world:
        return _world
    w = _world
    seller, w["st"] = signup()
    seller2, w["st2"] = signup()
    client, w["ct"] = signup()
    client2, w["ct2"] = signup()
    admin, w["at"] = signup()
    make_admin(admin["email"])
    outsider, w["ot"] = signup()
    w.update(seller=seller, seller2=seller2, client=client, client2=client2, admin=admin,
             outsider=outsider)
    w["g1"], (basic, standard, premium) = make_gig(w["st"], (100, 250, 600))
    w["g2"], (cheap,) = make_gig(w["st2"], (40,))
    w["ref"] = [unique("PR-"), unique("PR-")]
    w["key"] = [unique("IK-"), unique("IK-")]
    o1 = checkout(w["ct"], basic)
    attach(w["ct"], o1, w["ref"][0], w["key"][0], 422)
    o2 = checkout(w["ct"], standard)
    confirm(w["at"], o2)
    attach(w["ct"], o2, w["ref"][1], w["key"][1], 200)
    o3 = checkout(w["ct"], premium)
    confirm(w["at"], o3)
    o4 = checkout(w["ct"], cheap)
    assert_envelope(http("POST", f"/api/orders/{o4}/cancel", json_body={}, token=w["ct"]), 200)
    o5 = checkout(w["ct"], cheap)
    o6 = checkout(w["ct2"], basic)
    confirm(w["at"], o6)
    w["ids"] = {"o1": o1, "o2": o2, "o3": o3, "o4": o4, "o5": o5, "o6": o6}
    w["names"] = {v: k for k, v in w["ids"].items()}
    # The Orders as their client sees them, by name.
    items = listing(w["ct"], limit=100)["items"] + listing(w["ct2"], limit=100)["items"]
    w["orders"] = {w["names"][o["id"]]: o for o in items}
    assert sorted(w["orders"]) == ["o1", "o2", "o3", "o4", "o5", "o6"], sorted(w["orders"])
    return w


# --------------------------------------------------------------------------------------------
# Helpers

def get_orders(token, params=()):
    """GET /api/orders with params (a list of pairs, so keys can repeat)."""
    qs = urllib.parse.urlencode(list(params))
    return http("GET", "/api/orders" + ("?" + qs if qs else ""), token=token)


def listing(token, params=(), **kw):
    params = list(params) + list(kw.items())
    data = assert_envelope(get_orders(token, params), 200)
    assert set(data) >= {"items", "pagination"}, data
    assert set(data["pagination"]) >= PAGINATION_KEYS, data
    return data


def names(token, params=(), **kw):
    """The names (o1..o6) of the orders a query returns, in order; every id must be known."""
    w = _world
    data = listing(token, params, **kw)
    assert data["pagination"]["totalItems"] == len(data["items"]), data["pagination"]
    out = []
    for o in data["items"]:
        assert o["id"] in w["names"], f"unexpected order {o['id']} for {params}"
        out.append(w["names"][o["id"]])
    return out


def newest_first(*wanted):
    """Names of orders sorted by createdAt DESC (the default order)."""
    w = world()
    return sorted(wanted, key=lambda n: (w["orders"][n]["createdAt"], w["ids"][n]), reverse=True)


def bad_request(token, params, param):
    r = get_orders(token, params)
    assert_envelope(r, 400)
    body = r.json
    errors = body.get("errors") or {}
    assert param in errors or param in body["message"], f"{params}: {body}"
    assert body["message"].startswith(param), f"{params}: message {body['message']!r}"
    return body


def trpc_get(path, input_obj, token=None):
    qs = "?input=" + urllib.parse.quote(json.dumps(input_obj)) if input_obj is not None else ""
    return http("GET", "/api/trpc/" + path + qs, token=token)


def iso_shift(iso, hours):
    """The same instant written with a +HH:00 offset."""
    t = datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ") + datetime.timedelta(hours=hours)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + iso[20:23] + f"+{hours:02d}:00"


# --------------------------------------------------------------------------------------------
# Lists, objects, defaults

def test_default_list_is_the_clients_orders_newest_first():
    w = world()
    data = listing(w["ct"])
    assert data["pagination"] == {"totalItems": 5, "currentPage": 1, "pageSize": 25,
                                  "totalPages": 1}, data["pagination"]
    got = [w["names"][o["id"]] for o in data["items"]]
    assert got == newest_first("o1", "o2", "o3", "o4", "o5"), got
    for o in data["items"]:
        assert ORDER_KEYS <= set(o), sorted(ORDER_KEYS - set(o))
        assert o["userId"] == w["client"]["id"]
        assert o["currency"] == "MAD" and o["paymentMethod"] == "bank_transfer"
    o2 = w["orders"]["o2"]
    assert o2["status"] == "processing" and o2["totalAmount"] == 250
    assert o2["paymentReference"] == w["ref"][1] and o2["idempotencyKey"] == w["key"][1]
    assert o2["gig"]["id"] == w["g1"] and o2["gig"]["owner"]["id"] == w["seller"]["id"]
    assert o2["payment"]["status"] == "success" and o2["payment"]["provider"] == "bank_transfer"
    assert w["orders"]["o1"]["paymentReference"] == w["ref"][0]
    assert w["orders"]["o4"]["status"] == "cancelled"
    assert w["orders"]["o5"]["paymentReference"] is None
    # as=client is the default, spelled out
    assert names(w["ct"], [("as", "client")]) == newest_first("o1", "o2", "o3", "o4", "o5")


def test_as_freelancer_lists_the_orders_of_ones_gigs():
    w = world()
    assert names(w["st"], [("as", "freelancer")]) == newest_first("o1", "o2", "o3", "o6")
    assert names(w["st2"], [("as", "freelancer")]) == newest_first("o4", "o5")
    # each side only: the freelancers bought nothing, the clients sell nothing
    assert names(w["st"]) == []
    assert names(w["ct"], [("as", "freelancer")]) == []
    # filters and sorting apply within the side
    got = names(w["st"], [("as", "freelancer"), ("filter.status", "processing"),
                          ("sortBy", "amount:ASC")])
    assert got == sorted(["o2", "o3", "o6"],
                         key=lambda n: (w["orders"][n]["totalAmount"], w["ids"][n])), got


# --------------------------------------------------------------------------------------------
# Every field with every operator

def test_filter_id():
    w = world()
    ct, ids = w["ct"], w["ids"]
    assert names(ct, [("filter.id", ids["o2"])]) == ["o2"]
    assert names(ct, [("filter.id", "$eq:" + ids["o2"])]) == ["o2"]
    assert names(ct, [("filter.id", f"$in:{ids['o1']},{ids['o3']}")]) == newest_first("o1", "o3")
    assert names(ct, [("filter.id", "$not:" + ids["o2"])]) == newest_first("o1", "o3", "o4", "o5")
    assert names(ct, [("filter.id", "$not:$eq:" + ids["o2"])]) == newest_first(
        "o1", "o3", "o4", "o5")
    assert names(ct, [("filter.id", f"$not:$in:{ids['o1']},{ids['o3']}")]) == newest_first(
        "o2", "o4", "o5")
    assert names(ct, [("filter.id", "$null")]) == []
    assert names(ct, [("filter.id", "$not:$null")]) == newest_first("o1", "o2", "o3", "o4", "o5")
    # another client's order is not found by id either
    assert names(ct, [("filter.id", ids["o6"])]) == []
    for op in ("$gt", "$gte", "$lt", "$lte"):
        bad_request(ct, [("filter.id", f"{op}:{ids['o1']}")], "filter.id")
    bad_request(ct, [("filter.id", f"$btw:{ids['o1']},{ids['o2']}")], "filter.id")
    bad_request(ct, [("filter.id", "not-an-id")], "filter.id")


def test_filter_status():
    w = world()
    ct = w["ct"]
    assert names(ct, [("filter.status", "pending")]) == newest_first("o1", "o5")
    assert names(ct, [("filter.status", "$eq:cancelled")]) == ["o4"]
    assert names(ct, [("filter.status", "completed")]) == []
    assert names(ct, [("filter.status", "$in:pending,processing")]) == newest_first(
        "o1", "o2", "o3", "o5")
    assert names(ct, [("filter.status", "$not:cancelled")]) == newest_first(
        "o1", "o2", "o3", "o5")
    assert names(ct, [("filter.status", "$not:$eq:pending")]) == newest_first("o2", "o3", "o4")
    assert names(ct, [("filter.status", "$not:$in:pending,cancelled")]) == newest_first(
        "o2", "o3")
    assert names(ct, [("filter.status", "$null")]) == []
    assert names(ct, [("filter.status", "$not:$null")]) == newest_first(
        "o1", "o2", "o3", "o4", "o5")
    for spec in ("$gt:pending", "$lte:pending", "$btw:pending,processing", "shipped", "PENDING",
                 "$in:pending,shipped", "$in:", "$in:pending,,processing", ""):
        bad_request(ct, [("filter.status", spec)], "filter.status")


def test_filter_amount():
    w = world()
    ct = w["ct"]
    cases = [
        ("250", ["o2"]), ("$eq:250.00", ["o2"]), ("$eq:250.5", []),
        ("$gt:100", ["o2", "o3"]), ("$gte:100", ["o1", "o2", "o3"]),
        ("$lt:100", ["o4", "o5"]), ("$lte:100", ["o1", "o4", "o5"]),
        ("$btw:40,100", ["o1", "o4", "o5"]), ("$btw:40.01,599.99", ["o1", "o2"]),
        ("$in:40,600", ["o3", "o4", "o5"]), ("$not:40", ["o1", "o2", "o3"]),
        ("$not:$in:40,100", ["o2", "o3"]), ("$null", []),
        ("$not:$null", ["o1", "o2", "o3", "o4", "o5"]), ("$gt:-1", ["o1", "o2", "o3", "o4", "o5"]),
    ]
    for spec, want in cases:
        got = names(ct, [("filter.amount", spec)])
        assert got == newest_first(*want), f"filter.amount={spec}: {got}"
    for spec in ("abc", "1.234", "1e3", "$gt:", "$btw:100", "$btw:1,2,3", "$btw:600,40",
                 "12345678901", "$gte:ten", "$not:$gt:5", "$foo:1"):
        bad_request(ct, [("filter.amount", spec)], "filter.amount")


def text_filter_cases(field, values):
    """Every operator on a nullable text column holding values[0] on o1, values[1] on o2."""
    w = world()
    ct = w["ct"]
    a, b = values
    cases = [
        (a, ["o1"]), ("$eq:" + b, ["o2"]), (f"$in:{a},{b}", ["o1", "o2"]),
        ("$in:" + a + "-nope", []), ("$null", ["o3", "o4", "o5"]),
        ("$not:$null", ["o1", "o2"]),
        # a missing value counts as "not the value"
        ("$not:" + a, ["o2", "o3", "o4", "o5"]), ("$not:$eq:" + b, ["o1", "o3", "o4", "o5"]),
        (f"$not:$in:{a},{b}", ["o3", "o4", "o5"]),
    ]
    for spec, want in cases:
        got = names(ct, [(f"filter.{field}", spec)])
        assert got == newest_first(*want), f"filter.{field}={spec}: {got}"
    for spec in ("$gt:" + a, "$gte:" + a, "$lt:" + a, "$lte:" + a, f"$btw:{a},{b}", "", "$in:",
                 "x" * 300, "$null:x"):
        bad_request(ct, [(f"filter.{field}", spec)], f"filter.{field}")


def test_filter_idempotency_key():
    text_filter_cases("idempotencyKey", world()["key"])


def test_filter_payment_reference():
    text_filter_cases("paymentReference", world()["ref"])


def test_filter_gig_id():
    w = world()
    ct, g1, g2 = w["ct"], w["g1"], w["g2"]
    assert names(ct, [("filter.gigId", g2)]) == newest_first("o4", "o5")
    assert names(ct, [("filter.gigId", f"$in:{g1},{g2}")]) == newest_first(
        "o1", "o2", "o3", "o4", "o5")
    assert names(ct, [("filter.gigId", "$not:" + g1)]) == newest_first("o4", "o5")
    assert names(ct, [("filter.gigId", "$not:$in:" + g2)]) == newest_first("o1", "o2", "o3")
    assert names(ct, [("filter.gigId", "$null")]) == []
    assert names(ct, [("filter.gigId", "$not:$null")]) == newest_first(
        "o1", "o2", "o3", "o4", "o5")
    bad_request(ct, [("filter.gigId", "$gt:" + g1)], "filter.gigId")
    bad_request(ct, [("filter.gigId", "my-gig")], "filter.gigId")


def test_filter_created_at():
    w = world()
    ct, at = w["ct"], {n: o["createdAt"] for n, o in w["orders"].items()}
    order = newest_first("o1", "o2", "o3", "o4", "o5")[::-1]  # oldest first
    assert order == ["o1", "o2", "o3", "o4", "o5"], order
    cases = [
        (at["o2"], ["o2"]), ("$eq:" + at["o2"], ["o2"]),
        ("$gt:" + at["o2"], ["o3", "o4", "o5"]), ("$gte:" + at["o2"], ["o2", "o3", "o4", "o5"]),
        ("$lt:" + at["o2"], ["o1"]), ("$lte:" + at["o2"], ["o1", "o2"]),
        (f"$btw:{at['o2']},{at['o4']}", ["o2", "o3", "o4"]),
        (f"$in:{at['o1']},{at['o3']}", ["o1", "o3"]),
        ("$not:" + at["o2"], ["o1", "o3", "o4", "o5"]),
        (f"$not:$in:{at['o1']},{at['o3']}", ["o2", "o4", "o5"]),
        ("$null", []), ("$not:$null", ["o1", "o2", "o3", "o4", "o5"]),
        # the same instant with an offset, and date-only bounds
        (iso_shift(at["o2"], 1), ["o2"]),
        ("$gte:2000-01-01", ["o1", "o2", "o3", "o4", "o5"]), ("$lt:2000-01-01", []),
    ]
    for spec, want in cases:
        got = names(ct, [("filter.createdAt", spec)])
        assert got == newest_first(*want), f"filter.createdAt={spec}: {got}"
    for spec in ("yesterday", "2026-13-01", "2026-02-30", f"$btw:{at['o4']},{at['o2']}",
                 "$btw:" + at["o2"], "$gt:"):
        bad_request(ct, [("filter.createdAt", spec)], "filter.createdAt")


def test_filter_user_id_is_for_admins():
    w = world()
    cid, cid2 = w["client"]["id"], w["client2"]["id"]
    # an admin sees any user's orders (as the client of them)
    assert names(w["at"], [("filter.userId", cid)]) == newest_first("o1", "o2", "o3", "o4", "o5")
    assert names(w["at"], [("filter.userId", "$eq:" + cid2)]) == ["o6"]
    assert names(w["at"], [("filter.userId", f"$in:{cid},{cid2}"), ("filter.gigId", w["g1"])]) \
        == newest_first("o1", "o2", "o3", "o6")
    assert names(w["at"], [("filter.userId", "$not:" + cid), ("filter.gigId", w["g1"])]) == ["o6"]
    assert names(w["at"], [("filter.userId", "$not:$in:" + cid2), ("filter.gigId", w["g1"])]) \
        == newest_first("o1", "o2", "o3")
    # every order: userId is never null; narrowed to this run's gig 2
    assert names(w["at"], [("filter.userId", "$not:$null"), ("filter.gigId", w["g2"])]) == \
        newest_first("o4", "o5")
    assert names(w["at"], [("filter.userId", "$null")]) == []
    # as has no effect once an admin names users
    assert names(w["at"], [("filter.userId", cid2), ("as", "freelancer")]) == ["o6"]
    # without filter.userId an admin sees their own side, like everyone
    assert names(w["at"]) == []
    assert names(w["at"], [("as", "freelancer")]) == []
    # everyone else: 403, even for their own id
    for token, uid in ((w["ct"], cid), (w["ct"], cid2), (w["st"], cid), (w["ot"], cid)):
        r = get_orders(token, [("filter.userId", uid)])
        assert_envelope(r, 403)
        assert "filter.userId" in r.json["message"], r.json
    bad_request(w["at"], [("filter.userId", "$gt:" + cid)], "filter.userId")
    bad_request(w["at"], [("filter.userId", "someone")], "filter.userId")


def test_repeated_and_combined_filters():
    w = world()
    ct = w["ct"]
    got = names(ct, [("filter.amount", "$gte:40"), ("filter.amount", "$lt:250"),
                     ("filter.status", "pending")])
    assert got == newest_first("o1", "o5"), got
    got = names(ct, [("filter.status", "$in:pending,processing,cancelled"),
                     ("filter.gigId", w["g1"]), ("filter.amount", "$btw:100,600"),
                     ("filter.createdAt", "$gte:" + w["orders"]["o2"]["createdAt"])])
    assert got == newest_first("o2", "o3"), got
    # the same field twice with $eq: both must hold
    assert names(ct, [("filter.status", "pending"), ("filter.status", "processing")]) == []


# --------------------------------------------------------------------------------------------
# Sorting and pagination

def test_sorting():
    w = world()
    ct, o = w["ct"], w["orders"]
    five = ["o1", "o2", "o3", "o4", "o5"]

    def by(key, desc):
        return sorted(five, key=lambda n: (key(n), w["ids"][n]), reverse=desc)

    created = lambda n: o[n]["createdAt"]  # noqa: E731
    amount = lambda n: o[n]["totalAmount"]  # noqa: E731
    status = lambda n: (STATUS_RANK[o[n]["status"]], o[n]["createdAt"])  # noqa: E731
    for spec, key in (("createdAt", created), ("amount", amount), ("status", status)):
        for direction in ("ASC", "DESC"):
            got = names(ct, [("sortBy", f"{spec}:{direction}")])
            assert got == by(key, direction == "DESC"), f"sortBy={spec}:{direction}: {got}"
    assert names(ct, [("sortBy", "amount:desc")]) == by(amount, True)
    assert names(ct, [("sortBy", "amount:DESC"), ("filter.amount", "$gte:100")]) == [
        "o3", "o2", "o1"]
    for spec in ("price:ASC", "amount", "amount:UP", ":DESC"):
        bad_request(ct, [("sortBy", spec)], "sortBy")
    bad_request(ct, [("sortBy", "amount:ASC"), ("sortBy", "status:ASC")], "sortBy")


def test_pagination():
    w = world()
    ct = w["ct"]
    everything = newest_first("o1", "o2", "o3", "o4", "o5")
    seen = []
    for page in (1, 2, 3):
        data = listing(ct, [("limit", "2"), ("page", str(page))])
        assert data["pagination"] == {"totalItems": 5, "currentPage": page, "pageSize": 2,
                                      "totalPages": 3}, data["pagination"]
        seen += [w["names"][x["id"]] for x in data["items"]]
    assert seen == everything, seen
    data = listing(ct, [("limit", "2"), ("page", "4")])
    assert data["items"] == [] and data["pagination"]["totalItems"] == 5
    data = listing(ct, [("limit", "100")])
    assert len(data["items"]) == 5 and data["pagination"]["pageSize"] == 100
    data = listing(w["ot"])
    assert data["pagination"] == {"totalItems": 0, "currentPage": 1, "pageSize": 25,
                                  "totalPages": 0}
    for params, param in (([("page", "0")], "page"), ([("page", "x")], "page"),
                          ([("page", "1.5")], "page"), ([("limit", "0")], "limit"),
                          ([("limit", "101")], "limit"), ([("limit", "-1")], "limit"),
                          ([("page", "1"), ("page", "2")], "page")):
        bad_request(ct, params, param)


# --------------------------------------------------------------------------------------------
# Errors and visibility

def test_bad_requests_name_the_parameter():
    w = world()
    ct = w["ct"]
    bad_request(ct, [("filter.price", "5")], "filter.price")
    bad_request(ct, [("filter.freelancerId", w["seller"]["id"])], "filter.freelancerId")
    bad_request(ct, [("as", "admin")], "as")
    bad_request(ct, [("filter.amount", "$gt:1"), ("filter.amount", "$lt:x")], "filter.amount")
    # every bad parameter is listed; the message names the first
    r = get_orders(ct, [("filter.amount", "x"), ("limit", "0"), ("filter.status", "shipped")])
    body = r.json
    assert r.status == 400 and set(body["errors"]) == {"filter.amount", "limit", "filter.status"}
    assert body["message"].startswith("filter.amount"), body
    for messages in body["errors"].values():
        assert all(isinstance(m, str) and m for m in messages), body
    # the body of an error is the envelope, never SQL
    assert "SELECT" not in r.body.decode() and "o.total_amount" not in r.body.decode()


def test_visibility():
    w = world()
    ids = w["ids"]
    # an outsider sees none of them, whatever the query
    assert names(w["ot"]) == []
    assert names(w["ot"], [("as", "freelancer")]) == []
    assert names(w["ot"], [("filter.id", f"$in:{ids['o1']},{ids['o6']}")]) == []
    assert names(w["ot"], [("filter.gigId", w["g1"]), ("as", "freelancer")]) == []
    # a client does not see another client's order of the same gig
    assert names(w["ct2"]) == ["o6"]
    # GET /api/orders/{id}: the client, the freelancer and an admin; 404 for anyone else
    for token in (w["ct"], w["st"], w["at"]):
        order = assert_envelope(http("GET", f"/api/orders/{ids['o1']}", token=token), 200)
        assert order["id"] == ids["o1"] and ORDER_KEYS <= set(order)
        assert order == w["orders"]["o1"]
    for token in (w["ot"], w["ct2"], w["st2"]):
        r = http("GET", f"/api/orders/{ids['o1']}", token=token)
        assert_envelope(r, 404, "Order not found")
    for oid in ("c000000000000000000000000", "not-an-id", "%FF"):
        assert_envelope(http("GET", f"/api/orders/{oid}", token=w["ct"]), 404)
    # not signed in
    assert_envelope(http("GET", "/api/orders"), 401)
    assert_envelope(http("GET", f"/api/orders/{ids['o1']}"), 401)
    assert_envelope(http("GET", "/api/orders", token="not-a-session"), 401)


# --------------------------------------------------------------------------------------------
# tRPC order.list and order.byId

def test_order_list_and_by_id_over_trpc():
    w = world()
    ids = w["ids"]
    r = trpc_get("order.list", None, w["ct"])
    assert r.status == 200, r
    data = r.json["result"]["data"]
    assert [w["names"][o["id"]] for o in data["items"]] == newest_first(
        "o1", "o2", "o3", "o4", "o5")
    assert data["pagination"]["totalItems"] == 5
    r = trpc_get("order.list", {"status": "pending"}, w["ct"])
    assert [w["names"][o["id"]] for o in r.json["result"]["data"]["items"]] == newest_first(
        "o1", "o5")
    r = trpc_get("order.list", {"as": "freelancer", "page": 2, "limit": 3}, w["st"])
    data = r.json["result"]["data"]
    assert [w["names"][o["id"]] for o in data["items"]] == newest_first(
        "o1", "o2", "o3", "o6")[3:]
    assert data["pagination"] == {"totalItems": 4, "currentPage": 2, "pageSize": 3,
                                  "totalPages": 2}
    for bad, field in (({"as": "admin"}, "as"), ({"status": "shipped"}, "status"),
                       ({"page": 0}, "page"), ({"limit": 500}, "limit")):
        r = trpc_get("order.list", bad, w["ct"])
        assert r.status == 400, r
        err = r.json["error"]
        assert err["data"]["code"] == "BAD_REQUEST", err
        assert field in err["data"]["zodError"]["fieldErrors"], err
    r = trpc_get("order.list", None)
    assert r.status == 401 and r.json["error"]["data"]["code"] == "UNAUTHORIZED", r

    r = trpc_get("order.byId", {"id": ids["o2"]}, w["ct"])
    assert r.status == 200 and r.json["result"]["data"] == w["orders"]["o2"], r
    r = trpc_get("order.byId", {"id": ids["o2"]}, w["st"])
    assert r.status == 200 and r.json["result"]["data"]["id"] == ids["o2"], r
    for token in (w["ot"], w["ct2"]):
        r = trpc_get("order.byId", {"id": ids["o2"]}, token)
        assert r.status == 404 and r.json["error"]["data"]["code"] == "NOT_FOUND", r
    r = trpc_get("order.byId", {}, w["ct"])
    assert r.status == 400 and "id" in r.json["error"]["data"]["zodError"]["fieldErrors"], r
    r = trpc_get("order.byId", {"id": ids["o2"]})
    assert r.status == 401, r
    # a query by POST is refused
    r = http("POST", "/api/trpc/order.list", json_body={}, token=w["ct"])
    assert r.status == 405, r
