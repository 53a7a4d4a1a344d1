"""test_order_counts.py - the per-party order counters (docs/decisions.md, "Order counts") that
GET /api/orders and order.list answer totalItems from for the unfiltered and status-only shapes
(and the admin-wide view by filter.userId, with or without status).

Orders are made and moved the ways clients, admins and the jobs do: card checkouts paid in the
gateway emulator and confirmed by POST /api/orders, order.create after a payment, bank transfers
an admin confirms, a card payment the gateway refuses, cancels by client, freelancer and admin
(before and after payment), deliveries accepted, a delivery the jobs auto-complete after three
days and a bank transfer the jobs expire after 24 hours (`khedmad jobs-once` with a test clock).
Then every counter shape's totalItems equals a direct COUNT(*) over orders, the counters equal
COUNT(*) for every (user, side, status), and `khedmad check-order-counts` finds nothing. A counter
changed behind khedmad's back shows in totalItems (so the counters really are what answers) and
makes check-order-counts exit 1 naming it.
"""

import json
import os
import secrets
import sys
import urllib.parse

from harness import (assert_envelope, http, jobs_once, khedmad_run, make_admin, signup, sql,
                     unique)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "emulators"))
import client as emu  # noqa: E402  (the emulators' test client, found through sys.path)

DAY = 24 * 3600
STATUSES = ("pending", "processing", "completed", "cancelled")


def trpc_mutation(path, body, token):
    r = http("POST", "/api/trpc/" + path, json_body=body, token=token, timeout=60)
    assert r.status == 200, f"{path}: {r!r}"
    data = r.json["result"]["data"]
    return data["json"] if isinstance(data, dict) and "json" in data else data


def trpc_query(path, input_obj, token):
    qs = "?input=" + urllib.parse.quote(json.dumps(input_obj)) if input_obj is not None else ""
    r = http("GET", "/api/trpc/" + path + qs, token=token)
    assert r.status == 200, f"{path}: {r!r}"
    data = r.json["result"]["data"]
    return data["json"] if isinstance(data, dict) and "json" in data else data


def make_gig(token, price):
    gid = trpc_mutation("gig.createDraft", {}, token)["id"]
    trpc_mutation("gig.updateOverview", {
        "id": gid, "title": f"{unique('oc')} counted gig", "category": "design-creative",
        "subCategory": "logo-design", "tags": []}, token)
    basic = trpc_mutation("gig.createPackages", {"gigId": gid, "basic": {
        "name": "Basic tier", "description": "Counted orders", "price": price, "delivery": 3,
        "revisions": 1}}, token)["basic"]
    trpc_mutation("gig.publish", {"id": gid}, token)
    return gid, basic["id"]


_world = {}


def world():
    """Two sellers with a gig each, two buyers (one also sells: a user on both sides) and an
    admin."""
    if _world:
        return _world
    s1, st1 = signup()
    s2, st2 = signup()
    b1, bt1 = signup()
    admin, at = signup()
    make_admin(admin["email"])
    g1, p1 = make_gig(st1, 150)
    g2, p2 = make_gig(st2, 90)
    _world.update(s1=(s1, st1), s2=(s2, st2), b1=(b1, bt1), admin=(admin, at),
                  gigs={"s1": (g1, p1, 150), "s2": (g2, p2, 90)})
    return _world


def checkout(token, package_id, method="card"):
    r = http("POST", "/api/orders/checkout",
             json_body={"payment_method": method, "package_id": package_id}, token=token)
    return assert_envelope(r, 200)


def pay(data, status=1):
    if data["provider"] == "youcanpay":
        return emu.pay_token(data["token_id"], status=status, webhook=False)["transaction"]["id"]
    emu.complete_paytabs(data["tran_ref"], status="A" if status == 1 else "D", callback=False)
    return None


def paid(token, package_id):
    """Checkout, paid in the emulator, confirmed by POST /api/orders: processing."""
    data = checkout(token, package_id)
    body = {"checkoutId": data["order_id"]}
    txn = pay(data)
    if txn:
        body["transactionId"] = txn
    assert_envelope(http("POST", "/api/orders", json_body=body, token=token, timeout=60), 200)
    return data["order_id"]


def created(token, gig, package_id, price):
    """Paid first, then order.create (a new order with YouCan Pay; the checkout's with PayTabs)."""
    data = checkout(token, package_id)
    if data["provider"] == "paytabs":
        pay(data)
        order_id, txn = data["order_id"], data["tran_ref"]
    else:
        order_id = "c" + secrets.token_hex(12)
        txn = emu.create_transaction(order_id=order_id, amount=price * 100, currency="MAD",
                                     status=1)["id"]
    out = trpc_mutation("order.create", {"amount": price, "transactionId": txn,
                                         "orderId": order_id, "gigId": gig,
                                         "packageId": package_id}, token)
    assert out["status"] == "processing", out
    return out["id"]


def move(oid, name, token, status=200):
    return assert_envelope(http("POST", f"/api/orders/{oid}/{name}", json_body={}, token=token),
                           status)


def status_of(oid):
    return sql(f"SELECT status FROM orders WHERE id = '{oid}'")[0][0]


def make_orders():
    """A mix of every way an order is made and moved, on both sellers; returns the ids."""
    w = world()
    (b1, bt1), (s1, st1), (s2, st2), (_, at) = w["b1"], w["s1"], w["s2"], w["admin"]
    g1, p1, price1 = w["gigs"]["s1"]
    _, p2, _ = w["gigs"]["s2"]
    ids = {}
    ids["pending_card"] = checkout(bt1, p1)["order_id"]
    ids["pending_bank"] = checkout(st2, p1, "bank_transfer")["order_id"]  # s2 buys from s1
    ids["paid"] = paid(bt1, p1)
    ids["created"] = created(bt1, g1, p1, price1)
    transfer = checkout(bt1, p2, "bank_transfer")["order_id"]
    assert_envelope(http("POST", f"/api/orders/{transfer}/confirm-transfer",
                         json_body={"reference": "BT-" + unique("r")}, token=at), 200)
    ids["transfer"] = transfer
    refused = checkout(bt1, p2)
    txn = pay(refused, status=-1 if refused["provider"] == "youcanpay" else 0)
    body = {"checkoutId": refused["order_id"]}
    if txn:
        body["transactionId"] = txn
    http("POST", "/api/orders", json_body=body, token=bt1, timeout=60)  # refused: 402/409
    ids["refused"] = refused["order_id"]
    ids["cancel_client"] = checkout(bt1, p2)["order_id"]
    move(ids["cancel_client"], "cancel", bt1)
    ids["cancel_freelancer"] = paid(bt1, p1)
    move(ids["cancel_freelancer"], "cancel", st1)
    ids["cancel_admin"] = paid(st2, p1)
    move(ids["cancel_admin"], "cancel", at)
    ids["accepted"] = paid(bt1, p2)
    move(ids["accepted"], "deliver", st2)
    move(ids["accepted"], "accept", bt1)
    ids["auto"] = paid(bt1, p1)
    move(ids["auto"], "deliver", st1)
    ids["expired"] = checkout(bt1, p2, "bank_transfer")["order_id"]
    for _ in range(6):  # older work from earlier runs may take more than one tick
        jobs_once(3 * DAY + 3600)
        if status_of(ids["auto"]) == "completed" and status_of(ids["expired"]) == "cancelled":
            break
    assert status_of(ids["auto"]) == "completed", "auto-completion did not run"
    assert status_of(ids["expired"]) == "cancelled", "checkout expiry did not run"
    assert status_of(ids["cancel_admin"]) == "cancelled"
    return ids


def total(path, token):
    return assert_envelope(http("GET", path, token=token), 200)["pagination"]["totalItems"]


def count_sql(where):
    return int(sql(f"SELECT COUNT(*) FROM orders o WHERE {where}")[0][0])


def in_list(values):
    return ", ".join(f"'{v}'" for v in values)


def test_counter_shapes_match_count_after_creates_payments_cancels_and_jobs():
    w = world()
    make_orders()
    (b1, bt1), (s1, st1), (s2, st2), (_, at) = w["b1"], w["s1"], w["s2"], w["admin"]
    users = [(b1, bt1), (s1, st1), (s2, st2)]
    status_sets = [[s] for s in STATUSES] + [["pending", "processing"],
                                             ["completed", "cancelled", "pending"]]
    checked = 0
    for user, token in users:
        uid = user["id"]
        for as_, column in (("client", "o.user_id"), ("freelancer", "o.freelancer_id")):
            base = f"/api/orders?as={as_}"
            assert total(base, token) == count_sql(f"{column} = '{uid}'"), (uid, as_)
            for statuses in status_sets:
                want = count_sql(f"{column} = '{uid}' AND o.status IN ({in_list(statuses)})")
                spec = ("$in:" + ",".join(statuses)) if len(statuses) > 1 else statuses[0]
                got = total(base + "&filter.status=" + urllib.parse.quote(spec), token)
                assert got == want, (uid, as_, statuses, got, want)
                rest = [s for s in STATUSES if s not in statuses]
                got = total(base + "&filter.status=" + urllib.parse.quote(
                    "$not:$in:" + ",".join(statuses)), token)
                assert got == count_sql(f"{column} = '{uid}' AND o.status IN ({in_list(rest)})"
                                        if rest else "FALSE"), (uid, as_, "not", statuses)
                checked += 2
            for status in STATUSES + (None,):
                inp = {"as": as_} if status is None else {"as": as_, "status": status}
                got = trpc_query("order.list", inp, token)["pagination"]["totalItems"]
                where = f"{column} = '{uid}'" + (f" AND o.status = '{status}'" if status else "")
                assert got == count_sql(where), (uid, as_, status, "order.list")
                checked += 1
    # The admin-wide view: filter.userId $eq / $in, with and without a status.
    ids = [b1["id"], s2["id"]]
    assert total(f"/api/orders?filter.userId={ids[0]}", at) == count_sql(f"o.user_id = '{ids[0]}'")
    both = "$in:" + ",".join(ids + [ids[0]])  # a repeated id counts once
    assert total("/api/orders?filter.userId=" + urllib.parse.quote(both), at) == \
        count_sql(f"o.user_id IN ({in_list(ids)})")
    for status in STATUSES:
        got = total(f"/api/orders?filter.userId={urllib.parse.quote(both)}&filter.status={status}",
                    at)
        assert got == count_sql(f"o.user_id IN ({in_list(ids)}) AND o.status = '{status}'"), status
    # The shapes were not all zero: the mix reached every status on both sides.
    for column in ("o.user_id", "o.freelancer_id"):
        for status in STATUSES:
            assert count_sql(f"{column} IN ({in_list([u['id'] for u, _ in users])}) "
                             f"AND o.status = '{status}'") > 0, (column, status)
    # The counters themselves, row by row, for these users.
    uids = in_list([u["id"] for u, _ in users])
    rows = sql("SELECT user_id, side, status, n FROM order_counts "
               f"WHERE user_id IN ({uids}) AND n <> 0")
    want = sql("SELECT user_id, side, status, n FROM ("
               "SELECT user_id, 'client' AS side, status, COUNT(*) AS n FROM orders "
               f"WHERE user_id IN ({uids}) GROUP BY user_id, status UNION ALL "
               "SELECT freelancer_id, 'freelancer', status, COUNT(*) FROM orders "
               f"WHERE freelancer_id IN ({uids}) GROUP BY freelancer_id, status) x")
    assert sorted(rows) == sorted(want), (rows, want)
    assert checked > 0
    p = khedmad_run("check-order-counts")
    assert p.returncode == 0, f"check-order-counts: {p.stdout[-800:]} {p.stderr[-800:]}"


def test_total_items_come_from_the_counters_and_the_check_sees_a_difference():
    w = world()
    (b1, bt1) = w["b1"]
    uid = b1["id"]
    paid(bt1, w["gigs"]["s1"][1])
    before = total("/api/orders", bt1)
    amount_shape = "/api/orders?filter.amount=" + urllib.parse.quote("$gte:0")
    assert total(amount_shape, bt1) == before
    sql("UPDATE order_counts SET n = n + 5 "
        f"WHERE user_id = '{uid}' AND side = 'client' AND status = 'processing'")
    try:
        assert total("/api/orders", bt1) == before + 5  # the counters answer this shape
        assert total("/api/orders?filter.status=processing", bt1) == \
            count_sql(f"o.user_id = '{uid}' AND o.status = 'processing'") + 5
        assert total(amount_shape, bt1) == before  # a COUNT(*) answers this one
        p = khedmad_run("check-order-counts")
        assert p.returncode == 1, f"check-order-counts missed a difference: {p.stdout[-800:]}"
        assert f"{uid} client processing" in p.stdout, p.stdout[-800:]
    finally:
        sql("UPDATE order_counts SET n = n - 5 "
            f"WHERE user_id = '{uid}' AND side = 'client' AND status = 'processing'")
    assert total("/api/orders", bt1) == before
    p = khedmad_run("check-order-counts")
    assert p.returncode == 0, f"check-order-counts: {p.stdout[-800:]} {p.stderr[-800:]}"
