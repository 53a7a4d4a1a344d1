"""test_lifecycle.py - the order lifecycle (docs/api.md, "Order lifecycle") through nginx:
deliver, request a revision, accept and cancel by the client, the freelancer and an admin, every
illegal move (409 / 403 / 404), revisions bounded by the package, dueAt from the package's
delivery days, the cancel rules (including the client's 409 before dueAt and a paid order's
payment turning 'refunding'), GET /api/orders/{id}/events, the notifications each event writes
(and none for users who turned them off), marking them read, reviews, and the owner's rating in
GigDetails following the reviews. The tRPC procedures order.deliver / accept / requestRevision /
cancel are checked on the same rules.

Orders are bank-transfer checkouts confirmed by an admin (no gateway involved). The one thing a
test cannot wait for, a due date days away, is moved into the past in the database.
"""

import datetime
import json
import re
import threading

from harness import assert_envelope, http, make_admin, signup, sql, unique

CUID_RE = re.compile(r"^c[a-z0-9]{24}$")
ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
EVENT_KEYS = {"type", "from", "to", "actorId", "at", "reason"}
NOTIFICATION_KEYS = {"id", "type", "orderId", "title", "body", "readAt", "createdAt"}
REVIEW_KEYS = {"id", "orderId", "gigId", "rating", "comment", "createdAt"}
MOVES = ("deliver", "accept", "revision", "cancel")


# --------------------------------------------------------------------------------------------
# Fixtures

def trpc_mutation(path, body, token):
    r = http("POST", "/api/trpc/" + path, json_body=body, token=token)
    assert r.status == 200, f"{path}: {r!r}"
    return r.json["result"]["data"]


def make_gig(token, revisions=2, delivery=3, price=200):
    """A published gig with a basic package; returns (published output, basic package)."""
    gid = trpc_mutation("gig.createDraft", {}, token)["id"]
    trpc_mutation("gig.updateOverview", {
        "id": gid, "title": f"{unique('lc')} logo design", "category": "design-creative",
        "subCategory": "logo-design", "tags": [{"id": "t1", "text": "logo"}]}, token)
    packages = trpc_mutation("gig.createPackages", {"gigId": gid, "basic": {
        "name": "Basic tier", "description": "One logo, two concepts", "price": price,
        "delivery": delivery, "revisions": revisions}}, token)
    published = trpc_mutation("gig.publish", {"id": gid}, token)
    return published, packages["basic"]


_world = {}


def world():
    """A seller with a gig (2 revisions, 3 days), a buyer, an admin and an outsider."""
    if _world:
        return _world
    seller, seller_token = signup()
    buyer, buyer_token = signup()
    admin, admin_token = signup()
    make_admin(admin["email"])
    outsider, outsider_token = signup()
    gig, basic = make_gig(seller_token)
    _world.update(seller=seller, st=seller_token, buyer=buyer, bt=buyer_token, admin=admin,
                  at=admin_token, outsider=outsider, ot=outsider_token, gig=gig, basic=basic)
    return _world


def checkout(client_token, package_id):
    r = http("POST", "/api/orders/checkout",
             json_body={"payment_method": "bank_transfer", "package_id": package_id},
             token=client_token)
    data = assert_envelope(r, 200)
    assert data["provider"] == "bank_transfer", data
    assert CUID_RE.match(data["order_id"]), data
    return data["order_id"]


def confirm(admin_token, order_id):
    r = http("POST", f"/api/orders/{order_id}/confirm-transfer",
             json_body={"reference": "BT-" + unique("r")}, token=admin_token)
    return assert_envelope(r, 200)


def paid_order(w=None, client_token=None, package_id=None):
    """A processing order (checkout + admin confirmation); returns the Order."""
    w = w or world()
    oid = checkout(client_token or w["bt"], package_id or w["basic"]["id"])
    return confirm(w["at"], oid)


def move(order_id, name, token, reason=None, body=None):
    if body is None:
        body = {} if reason is None else {"reason": reason}
    return http("POST", f"/api/orders/{order_id}/{name}", json_body=body, token=token)


def move_ok(order_id, name, token, reason=None):
    order = assert_envelope(move(order_id, name, token, reason), 200)
    assert order["id"] == order_id
    return order


def events(order_id, token):
    return assert_envelope(http("GET", f"/api/orders/{order_id}/events", token=token), 200)


def notifications(token, query=""):
    return assert_envelope(http("GET", "/api/notifications" + query, token=token), 200)


def order_notifications(token, order_id):
    """Types of the user's notifications about one order, oldest first."""
    items = notifications(token, "?limit=100")["items"]
    return [n["type"] for n in reversed(items) if n["orderId"] == order_id]


def make_overdue(order_id):
    assert CUID_RE.match(order_id)
    sql("UPDATE orders SET due_at = UTC_TIMESTAMP(3) - INTERVAL 1 MINUTE "
        f"WHERE id = '{order_id}'")


def parse_iso(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")


def trpc(path, body, token, method="POST"):
    if method == "GET":
        return http("GET", "/api/trpc/" + path, token=token)
    return http("POST", "/api/trpc/" + path, json_body=body, token=token)


def trpc_error(r, status, code):
    assert r.status == status, r
    err = r.json["error"]
    assert err["data"]["code"] == code and err["data"]["httpStatus"] == status, r
    return err


# --------------------------------------------------------------------------------------------
# The happy path and the Order it produces

def test_full_lifecycle_with_revisions_bounded_by_the_package():
    w = world()
    oid = checkout(w["bt"], w["basic"]["id"])
    before = datetime.datetime.utcnow()
    order = confirm(w["at"], oid)
    after = datetime.datetime.utcnow()
    assert order["status"] == "processing" and order["payment"]["status"] == "success"
    # dueAt = confirmation + the package's 3 delivery days
    due = parse_iso(order["dueAt"])
    days = datetime.timedelta(days=3)
    slack = datetime.timedelta(seconds=5)
    assert before + days - slack <= due <= after + days + slack, (before, due, after)
    assert order["revisions"] == {"allowed": 2, "used": 0}
    assert order["deliveredAt"] is None

    for used in (1, 2):
        order = move_ok(oid, "deliver", w["st"], reason=f"version {used}")
        assert order["status"] == "processing" and ISO_RE.match(order["deliveredAt"])
        order = move_ok(oid, "revision", w["bt"], reason="make it bluer")
        assert order["status"] == "processing" and order["deliveredAt"] is None
        assert order["revisions"] == {"allowed": 2, "used": used}
    order = move_ok(oid, "deliver", w["st"])
    # both revisions used: a third is refused, the delivery stays
    r = move(oid, "revision", w["bt"])
    assert_envelope(r, 409)
    order = move_ok(oid, "accept", w["bt"])
    assert order["status"] == "completed" and ISO_RE.match(order["completedAt"])
    assert order["deliveredAt"] is not None and order["cancelledAt"] is None
    assert order["payment"]["status"] == "success"
    assert order["revisions"] == {"allowed": 2, "used": 2}

    evs = events(oid, w["bt"])
    assert [e["type"] for e in evs] == ["paid", "delivered", "revision_requested", "delivered",
                                        "revision_requested", "delivered", "completed"]
    for e in evs:
        assert EVENT_KEYS <= set(e), e
        assert ISO_RE.match(e["at"]), e
    assert (evs[0]["from"], evs[0]["to"], evs[0]["actorId"]) == ("pending", "processing",
                                                                 w["admin"]["id"])
    for e in evs[1:6]:
        assert (e["from"], e["to"]) == ("processing", "processing"), e
    assert [e["actorId"] for e in evs[1:6]] == [w["seller"]["id"], w["buyer"]["id"]] * 2 + [
        w["seller"]["id"]]
    assert evs[1]["reason"] == "version 1" and evs[2]["reason"] == "make it bluer"
    assert evs[5]["reason"] is None
    assert (evs[6]["from"], evs[6]["to"], evs[6]["actorId"]) == ("processing", "completed",
                                                                 w["buyer"]["id"])
    assert [parse_iso(e["at"]) for e in evs] == sorted(parse_iso(e["at"]) for e in evs)
    # the freelancer's earning: the whole amount, recorded once
    rows = sql(f"SELECT freelancer_id, amount FROM earnings WHERE order_id = '{oid}'")
    assert rows == [[w["seller"]["id"], "200.00"]], rows


def test_package_with_one_revision_allows_exactly_one():
    w = world()
    _, basic = make_gig(w["st"], revisions=1, delivery=1)
    order = paid_order(package_id=basic["id"])
    oid = order["id"]
    assert order["revisions"] == {"allowed": 1, "used": 0}
    move_ok(oid, "deliver", w["st"])
    assert move_ok(oid, "revision", w["bt"])["revisions"]["used"] == 1
    move_ok(oid, "deliver", w["st"])
    r = move(oid, "revision", w["bt"])
    assert_envelope(r, 409)
    assert "revision" in r.json["message"].lower()


def test_long_multibyte_title_and_reason_reach_the_notifications():
    """Notification bodies quote the gig title and the reason: 80 four-byte characters of title
    and 1000 of reason must neither be cut mid-character nor fail the move."""
    w = world()
    _, st = signup()
    gid = trpc_mutation("gig.createDraft", {}, st)["id"]
    trpc_mutation("gig.updateOverview", {
        "id": gid, "title": "\U0001F3A8" * 80, "category": "design-creative",
        "subCategory": "logo-design", "tags": []}, st)
    basic = trpc_mutation("gig.createPackages", {"gigId": gid, "basic": {
        "name": "Basic tier", "description": "One logo", "price": 50, "delivery": 1,
        "revisions": 1}}, st)["basic"]
    trpc_mutation("gig.publish", {"id": gid}, st)
    oid = paid_order(package_id=basic["id"])["id"]
    move_ok(oid, "deliver", st, reason="\U0001F600" * 1000)
    n = [n for n in notifications(w["bt"], "?limit=100")["items"] if n["orderId"] == oid]
    assert [x["type"] for x in n] == ["order.delivered"], n
    assert "\U0001F3A8" * 80 in n[0]["body"] and "\U0001F600" * 1000 in n[0]["body"], n
    assert order_notifications(st, oid) == ["order.paid"]


# --------------------------------------------------------------------------------------------
# Illegal moves

def test_moves_that_are_not_yours_are_403_and_outsiders_get_404():
    w = world()
    oid = paid_order()["id"]
    assert_envelope(move(oid, "deliver", w["bt"]), 403)    # a client delivering
    assert_envelope(move(oid, "deliver", w["at"]), 403)    # an admin delivering
    move_ok(oid, "deliver", w["st"])
    assert_envelope(move(oid, "accept", w["st"]), 403)     # a freelancer accepting
    assert_envelope(move(oid, "revision", w["st"]), 403)   # ... or asking for a revision
    assert_envelope(move(oid, "accept", w["at"]), 403)
    assert_envelope(move(oid, "revision", w["at"]), 403)
    for name in MOVES:
        assert_envelope(move(oid, name, w["ot"]), 404, "Order not found")
    assert_envelope(http("GET", f"/api/orders/{oid}/events", token=w["ot"]), 404)
    # nothing changed
    assert [e["type"] for e in events(oid, w["st"])] == ["paid", "delivered"]


def test_moves_out_of_order_are_409():
    w = world()
    oid = checkout(w["bt"], w["basic"]["id"])
    # pending: nothing but a cancel
    assert_envelope(move(oid, "deliver", w["st"]), 409)
    assert_envelope(move(oid, "accept", w["bt"]), 409)
    assert_envelope(move(oid, "revision", w["bt"]), 409)
    confirm(w["at"], oid)
    # processing, nothing delivered yet
    assert_envelope(move(oid, "accept", w["bt"]), 409)
    assert_envelope(move(oid, "revision", w["bt"]), 409)
    move_ok(oid, "deliver", w["st"])
    # a second delivery before the client answers
    assert_envelope(move(oid, "deliver", w["st"]), 409)
    move_ok(oid, "accept", w["bt"])
    assert_envelope(move(oid, "accept", w["bt"]), 409)


def test_final_states_refuse_every_move():
    w = world()
    completed = paid_order()["id"]
    move_ok(completed, "deliver", w["st"])
    move_ok(completed, "accept", w["bt"])
    cancelled = paid_order()["id"]
    move_ok(cancelled, "cancel", w["st"])
    for oid, status in ((completed, "completed"), (cancelled, "cancelled")):
        for name in MOVES:
            for token in (w["bt"], w["st"], w["at"]):
                r = move(oid, name, token)
                assert_envelope(r, 409)
                assert status in r.json["message"], r
            assert_envelope(move(oid, name, w["ot"]), 404)
    assert events(completed, w["bt"])[-1]["type"] == "completed"
    assert events(cancelled, w["bt"])[-1]["type"] == "cancelled"


def test_bad_requests():
    w = world()
    oid = paid_order()["id"]
    assert_envelope(http("POST", f"/api/orders/{oid}/deliver", json_body={}), 401)
    assert_envelope(http("GET", f"/api/orders/{oid}/events"), 401)
    assert_envelope(move("not-an-id", "deliver", w["st"]), 404)
    assert_envelope(move("c" + "0" * 24, "deliver", w["st"]), 404)
    r = move(oid, "deliver", w["st"], body={"reason": "x" * 1001})
    assert_envelope(r, 422)
    assert "reason" in r.json["errors"]
    r = move(oid, "deliver", w["st"], body={"reason": 42})
    assert_envelope(r, 422)
    r = http("POST", f"/api/orders/{oid}/deliver", data="{", token=w["st"],
             headers={"Content-Type": "application/json"})
    assert_envelope(r, 400)
    r = http("GET", f"/api/orders/{oid}/deliver", token=w["st"])
    assert_envelope(r, 405)
    # none of that moved the order; a body-less POST is fine, and 1000 characters are allowed
    assert [e["type"] for e in events(oid, w["st"])] == ["paid"]
    r = http("POST", f"/api/orders/{oid}/deliver", token=w["st"])
    assert_envelope(r, 200)
    move_ok(oid, "revision", w["bt"], reason="é" * 1000)
    assert events(oid, w["st"])[-1]["reason"] == "é" * 1000


def test_concurrent_moves_are_serialised():
    """Racing accepts and cancels on one delivered order: exactly one wins, one event and at
    most one earning are written, and everyone else gets 409."""
    w = world()
    for _ in range(3):
        oid = paid_order()["id"]
        move_ok(oid, "deliver", w["st"])
        racers = [("accept", w["bt"]), ("accept", w["bt"]), ("cancel", w["st"]),
                  ("cancel", w["at"])]
        statuses = [None] * len(racers)

        def run(i):
            statuses[i] = move(oid, racers[i][0], racers[i][1]).status

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(racers))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(statuses) == [200, 409, 409, 409], statuses
        types = [e["type"] for e in events(oid, w["at"])]
        assert types[:2] == ["paid", "delivered"] and len(types) == 3, types
        earnings = sql(f"SELECT COUNT(*) FROM earnings WHERE order_id = '{oid}'")[0][0]
        assert earnings == ("1" if types[2] == "completed" else "0"), (types, earnings)


# --------------------------------------------------------------------------------------------
# Cancelling

def test_client_cancels_a_pending_checkout():
    w = world()
    oid = checkout(w["bt"], w["basic"]["id"])
    order = move_ok(oid, "cancel", w["bt"], reason="changed my mind")
    assert order["status"] == "cancelled" and ISO_RE.match(order["cancelledAt"])
    assert order["cancelReason"] == "changed my mind"
    assert order["payment"]["status"] == "failed"  # never paid: nothing to refund
    evs = events(oid, w["bt"])
    assert [(e["type"], e["from"], e["to"], e["actorId"], e["reason"]) for e in evs] == [
        ("cancelled", "pending", "cancelled", w["buyer"]["id"], "changed my mind")]
    # a cancelled checkout cannot be confirmed any more
    r = http("POST", f"/api/orders/{oid}/confirm-transfer", json_body={"reference": "x"},
             token=w["at"])
    assert_envelope(r, 409)


def test_freelancer_cannot_cancel_a_pending_checkout():
    w = world()
    oid = checkout(w["bt"], w["basic"]["id"])
    assert_envelope(move(oid, "cancel", w["st"]), 409)


def test_client_cancels_processing_only_when_late_and_undelivered():
    w = world()
    oid = paid_order()["id"]
    r = move(oid, "cancel", w["bt"])
    assert_envelope(r, 409)  # before dueAt
    make_overdue(oid)
    order = move_ok(oid, "cancel", w["bt"], reason="late")
    assert order["status"] == "cancelled" and order["cancelReason"] == "late"
    assert order["payment"]["status"] == "refunding"

    late_but_delivered = paid_order()["id"]
    move_ok(late_but_delivered, "deliver", w["st"])
    make_overdue(late_but_delivered)
    assert_envelope(move(late_but_delivered, "cancel", w["bt"]), 409)
    # once a revision clears the delivery, a late order may be cancelled again
    move_ok(late_but_delivered, "revision", w["bt"])
    assert move_ok(late_but_delivered, "cancel", w["bt"])["status"] == "cancelled"


def test_freelancer_and_admin_cancel_a_paid_order_and_the_payment_is_refunding():
    w = world()
    by_freelancer = paid_order()["id"]
    order = move_ok(by_freelancer, "cancel", w["st"], reason="cannot do it")
    assert order["status"] == "cancelled" and order["payment"]["status"] == "refunding"
    assert order["cancelReason"] == "cannot do it"

    by_admin = paid_order()["id"]
    move_ok(by_admin, "deliver", w["st"])  # an admin may cancel even a delivered order
    order = move_ok(by_admin, "cancel", w["at"], reason="dispute")
    assert order["status"] == "cancelled" and order["payment"]["status"] == "refunding"
    e = events(by_admin, w["at"])[-1]
    assert (e["type"], e["from"], e["to"], e["actorId"]) == ("cancelled", "processing",
                                                             "cancelled", w["admin"]["id"])
    pending = checkout(w["bt"], w["basic"]["id"])
    order = move_ok(pending, "cancel", w["at"])
    assert order["payment"]["status"] == "failed"


# --------------------------------------------------------------------------------------------
# Events and notifications

def test_events_are_visible_to_parties_and_admins_only():
    w = world()
    oid = paid_order()["id"]
    for token in (w["bt"], w["st"], w["at"]):
        evs = events(oid, token)
        assert [e["type"] for e in evs] == ["paid"]
    assert_envelope(http("GET", f"/api/orders/{oid}/events", token=w["ot"]), 404,
                    "Order not found")


def test_events_keep_write_order_when_their_times_tie():
    # Regression: events were sorted by (created_at, id), and ids made by two workers in one
    # millisecond do not sort in time order - a fast revision/deliver pair came out swapped.
    w = world()
    oid = paid_order()["id"]
    move_ok(oid, "deliver", w["st"])
    sql(f"UPDATE order_events SET created_at = '2026-01-01 00:00:00.000' WHERE order_id = '{oid}'")
    # ids that sort against the write order (unique: the suite runs twice on one database)
    late, early = "z" + oid[1:], "0" + oid[1:]
    for eid, kind in ((late, "revision_requested"), (early, "delivered")):
        sql("INSERT INTO order_events (id, order_id, type, from_status, to_status, created_at) "
            f"VALUES ('{eid}', '{oid}', '{kind}', 'processing', 'processing', "
            "'2026-01-01 00:00:00.000')")
    evs = events(oid, w["bt"])
    assert [e["type"] for e in evs] == ["paid", "delivered", "revision_requested", "delivered"], evs
    assert [e["id"] for e in evs[2:]] == [late, early], evs


def test_notifications_newest_first_when_their_times_tie():
    # Regression, as above: newest first means last written first, whatever the ids.
    w = world()
    buyer, bt = signup()
    oid = paid_order(client_token=bt)["id"]
    move_ok(oid, "deliver", w["st"])
    uid = buyer["id"]
    assert CUID_RE.match(uid)
    sql(f"UPDATE notifications SET created_at = '2026-01-01 00:00:00.000' WHERE user_id = '{uid}'")
    newest = "0" + oid[1:]
    sql("INSERT INTO notifications (id, user_id, type, order_id, title, body, created_at) "
        f"VALUES ('{newest}', '{uid}', 'order.delivered', '{oid}', 't', 'b', "
        "'2026-01-01 00:00:00.000')")
    items = notifications(bt, "?limit=100")["items"]
    assert len(items) >= 2 and items[0]["id"] == newest, items
    unread = notifications(bt, "?limit=100&unread=1")["items"]
    assert len(unread) >= 2 and unread[0]["id"] == newest, unread


def test_notifications_follow_the_documented_rules():
    w = world()
    _, bt = signup()
    oid = paid_order(client_token=bt)["id"]
    move_ok(oid, "deliver", w["st"])
    move_ok(oid, "revision", bt)
    move_ok(oid, "deliver", w["st"])
    move_ok(oid, "accept", bt)
    assert order_notifications(w["st"], oid) == ["order.paid", "order.revision_requested",
                                                 "order.completed"]
    assert order_notifications(bt, oid) == ["order.delivered", "order.delivered",
                                            "order.completed"]
    # cancelled: the other party only; an admin's cancel tells both
    by_client = checkout(bt, w["basic"]["id"])
    move_ok(by_client, "cancel", bt)
    assert order_notifications(bt, by_client) == []
    assert order_notifications(w["st"], by_client) == ["order.cancelled"]
    by_freelancer = paid_order(client_token=bt)["id"]
    move_ok(by_freelancer, "cancel", w["st"])
    assert order_notifications(bt, by_freelancer) == ["order.cancelled"]
    assert order_notifications(w["st"], by_freelancer) == ["order.paid"]
    by_admin = paid_order(client_token=bt)["id"]
    move_ok(by_admin, "cancel", w["at"])
    assert order_notifications(bt, by_admin) == ["order.cancelled"]
    assert order_notifications(w["st"], by_admin) == ["order.paid", "order.cancelled"]
    assert order_notifications(w["at"], by_admin) == []
    # the shape
    n = notifications(bt)["items"][0]
    assert NOTIFICATION_KEYS <= set(n), n
    assert CUID_RE.match(n["id"]) and ISO_RE.match(n["createdAt"]) and n["readAt"] is None
    assert isinstance(n["title"], str) and n["title"] and isinstance(n["body"], str)


def test_users_who_turned_order_updates_off_get_none():
    _, qst = signup()
    _, qbt = signup()
    for token in (qst, qbt):
        r = http("PATCH", "/api/users/me", json_body={"orderUpdatesNotifications": False},
                 token=token)
        assert assert_envelope(r, 200)["user"]["orderUpdatesNotifications"] is False
    w = world()
    _, basic = make_gig(qst)
    oid = paid_order(client_token=qbt, package_id=basic["id"])["id"]
    move_ok(oid, "deliver", qst)
    move_ok(oid, "accept", qbt)
    cancelled = paid_order(client_token=qbt, package_id=basic["id"])["id"]
    move_ok(cancelled, "cancel", w["at"])
    for token in (qst, qbt):
        data = notifications(token)
        assert data["items"] == [] and data["pagination"]["totalItems"] == 0, data
    # the events are still written
    assert len(events(oid, qbt)) == 3


def test_mark_read_and_read_all():
    w = world()
    _, bt = signup()
    for _ in range(3):
        oid = paid_order(client_token=bt)["id"]
        move_ok(oid, "deliver", w["st"])  # one order.delivered each
    data = notifications(bt, "?unread=1")
    assert data["pagination"] == {"totalItems": 3, "currentPage": 1, "pageSize": 25,
                                  "totalPages": 1}
    items = data["items"]
    assert [n["createdAt"] for n in items] == sorted((n["createdAt"] for n in items),
                                                     reverse=True)
    first = items[0]
    r = http("POST", f"/api/notifications/{first['id']}/read", token=bt)
    read = assert_envelope(r, 200)
    assert read["id"] == first["id"] and ISO_RE.match(read["readAt"])
    again = assert_envelope(http("POST", f"/api/notifications/{first['id']}/read", token=bt), 200)
    assert again["readAt"] == read["readAt"]  # idempotent: the first readAt stays
    # someone else's, or no such notification: 404
    assert_envelope(http("POST", f"/api/notifications/{first['id']}/read", token=w["st"]), 404)
    assert_envelope(http("POST", "/api/notifications/nope/read", token=bt), 404)
    assert_envelope(http("POST", f"/api/notifications/{'c' + '1' * 24}/read", token=bt), 404)
    unread = notifications(bt, "?unread=1")
    assert unread["pagination"]["totalItems"] == 2
    assert first["id"] not in [n["id"] for n in unread["items"]]
    assert notifications(bt)["pagination"]["totalItems"] == 3
    # paging: newest first, one per page
    pages = [notifications(bt, f"?limit=1&page={p}") for p in (1, 2, 3, 4)]
    assert [len(p["items"]) for p in pages] == [1, 1, 1, 0]
    assert [p["items"][0]["id"] for p in pages[:3]] == [n["id"] for n in items]
    assert pages[0]["pagination"] == {"totalItems": 3, "currentPage": 1, "pageSize": 1,
                                      "totalPages": 3}
    r = http("POST", "/api/notifications/read-all", token=bt)
    assert assert_envelope(r, 200) == {"updated": 2}
    assert assert_envelope(http("POST", "/api/notifications/read-all", token=bt), 200) == {
        "updated": 0}
    assert notifications(bt, "?unread=1")["items"] == []
    assert all(n["readAt"] for n in notifications(bt)["items"])
    # the seller's notifications were not touched
    assert notifications(w["st"], "?unread=1")["pagination"]["totalItems"] > 0


def test_notification_query_errors():
    _, token = signup()
    for query, name in (("?limit=0", "limit"), ("?limit=101", "limit"), ("?limit=x", "limit"),
                        ("?page=0", "page"), ("?page=-1", "page"), ("?page=1.5", "page"),
                        ("?unread=maybe", "unread")):
        r = http("GET", "/api/notifications" + query, token=token)
        assert_envelope(r, 400)
        assert name in r.json["message"] or name in r.json.get("errors", {}), r
    for query in ("?limit=100", "?page=1000", "?unread=0", "?unread=true", "?limit=1&page=1"):
        assert_envelope(http("GET", "/api/notifications" + query, token=token), 200)
    assert_envelope(http("GET", "/api/notifications"), 401)
    assert_envelope(http("POST", "/api/notifications/read-all"), 401)


# --------------------------------------------------------------------------------------------
# Reviews

def review(order_id, token, body):
    return http("POST", f"/api/orders/{order_id}/review", json_body=body, token=token)


def completed_order(w, client_token, package_id):
    oid = paid_order(client_token=client_token, package_id=package_id)["id"]
    move_ok(oid, "deliver", w["st"])
    move_ok(oid, "accept", client_token)
    return oid


def gig_details(w, gig):
    """The page as its seller reads it: signed in, so never a copy from the public-read cache
    (an anonymous reader may see a copy up to KHEDMA_PUBLIC_CACHE_S old; test_public_cache.py)."""
    r = http("GET", f"/api/gigs/{w['seller']['username']}/{gig['slug']}", token=w["st"])
    return assert_envelope(r, 200)


def test_reviews_and_the_owners_rating():
    w = world()
    # a seller of its own, so the rating is only this test's
    seller, st = signup()
    gig_a, basic_a = make_gig(st)
    gig_b, basic_b = make_gig(st)
    w2 = dict(w, seller=seller, st=st)
    details = gig_details(w2, gig_a)
    assert details["owner"]["rating"] is None and details["owner"]["numberOfReviews"] == 0

    oid = paid_order(client_token=w["bt"], package_id=basic_a["id"])["id"]
    assert_envelope(review(oid, w["bt"], {"rating": 5, "comment": "early"}), 409)  # processing
    move_ok(oid, "deliver", st)
    assert_envelope(review(oid, w["bt"], {"rating": 5, "comment": "early"}), 409)  # delivered
    move_ok(oid, "accept", w["bt"])
    assert_envelope(review(oid, st, {"rating": 5, "comment": "self"}), 403)       # freelancer
    assert_envelope(review(oid, w["at"], {"rating": 5, "comment": "admin"}), 403)  # admin
    assert_envelope(review(oid, w["ot"], {"rating": 5, "comment": "who"}), 404)    # outsider
    for bad in ({"rating": 0}, {"rating": 6}, {"rating": 4.5}, {"rating": "5"}, {},
                {"rating": 5, "comment": "x" * 2001}, {"rating": 5, "comment": 7}):
        r = review(oid, w["bt"], bad)
        assert_envelope(r, 422)
    r = review(oid, w["bt"], {"rating": 5, "comment": "Great work"})
    rv = assert_envelope(r, 201)
    assert REVIEW_KEYS <= set(rv), rv
    assert CUID_RE.match(rv["id"]) and ISO_RE.match(rv["createdAt"])
    assert (rv["orderId"], rv["gigId"], rv["rating"], rv["comment"]) == (
        oid, gig_a["id"], 5, "Great work")
    assert_envelope(review(oid, w["bt"], {"rating": 1, "comment": "again"}), 409)

    details = gig_details(w2, gig_a)
    assert details["owner"]["rating"] == 5 and details["owner"]["numberOfReviews"] == 1

    # a second gig of the same owner: the rating is over all the owner's gigs
    _, bt2 = signup()
    oid2 = completed_order(w2, bt2, basic_b["id"])
    rv2 = assert_envelope(review(oid2, bt2, {"rating": 2, "comment": ""}), 201)
    assert rv2["comment"] == "" and rv2["gigId"] == gig_b["id"]
    for gig in (gig_a, gig_b):
        owner = gig_details(w2, gig)["owner"]
        assert owner["rating"] == 3.5 and owner["numberOfReviews"] == 2, owner
    # a comment may be left out
    oid3 = completed_order(w2, bt2, basic_b["id"])
    rv3 = assert_envelope(review(oid3, bt2, {"rating": 3}), 201)
    assert rv3["comment"] is None
    owner = gig_details(w2, gig_b)["owner"]
    assert owner["numberOfReviews"] == 3 and abs(owner["rating"] - 10 / 3) < 1e-9, owner


def test_review_of_a_cancelled_order_is_409():
    w = world()
    oid = checkout(w["bt"], w["basic"]["id"])
    move_ok(oid, "cancel", w["bt"])
    assert_envelope(review(oid, w["bt"], {"rating": 4, "comment": "n/a"}), 409)


# --------------------------------------------------------------------------------------------
# tRPC

def test_trpc_moves():
    w = world()
    oid = paid_order()["id"]
    r = trpc("order.deliver", {"id": oid, "reason": "done"}, w["st"])
    assert r.status == 200, r
    order = r.json["result"]["data"]
    assert order["id"] == oid and order["deliveredAt"] is not None
    trpc_error(trpc("order.deliver", {"id": oid}, w["st"]), 409, "CONFLICT")
    trpc_error(trpc("order.accept", {"id": oid}, w["st"]), 403, "FORBIDDEN")
    trpc_error(trpc("order.accept", {"id": oid}, w["ot"]), 404, "NOT_FOUND")
    trpc_error(trpc("order.accept", {"id": "nope"}, w["bt"]), 404, "NOT_FOUND")
    err = trpc_error(trpc("order.accept", {}, w["bt"]), 400, "BAD_REQUEST")
    assert "id" in err["data"]["zodError"]["fieldErrors"], err
    err = trpc_error(trpc("order.cancel", {"id": oid, "reason": "x" * 1001}, w["bt"]), 400,
                     "BAD_REQUEST")
    assert "reason" in err["data"]["zodError"]["fieldErrors"], err
    trpc_error(trpc("order.accept", {"id": oid}, None), 401, "UNAUTHORIZED")
    trpc_error(trpc("order.accept", None, w["bt"], method="GET"), 405, "METHOD_NOT_SUPPORTED")
    r = trpc("order.requestRevision", {"id": oid}, w["bt"])
    assert r.status == 200 and r.json["result"]["data"]["revisions"]["used"] == 1, r
    assert trpc("order.deliver", {"id": oid}, w["st"]).status == 200
    r = trpc("order.accept", {"id": oid}, w["bt"])
    assert r.status == 200 and r.json["result"]["data"]["status"] == "completed", r
    trpc_error(trpc("order.cancel", {"id": oid}, w["at"]), 409, "CONFLICT")
    other = paid_order()["id"]
    trpc_error(trpc("order.cancel", {"id": other}, w["bt"]), 409, "CONFLICT")  # before dueAt
    r = trpc("order.cancel", {"id": other, "reason": "sorry"}, w["st"])
    data = r.json["result"]["data"]
    assert data["status"] == "cancelled" and data["payment"]["status"] == "refunding", r
    assert [e["type"] for e in events(oid, w["bt"])] == [
        "paid", "delivered", "revision_requested", "delivered", "completed"]
    # a batch: each call judged on its own, in order
    batch = paid_order()["id"]
    r = http("POST", "/api/trpc/order.accept,order.deliver?batch=1",
             data=json.dumps({"0": {"id": batch}, "1": {"id": batch}}),
             headers={"Content-Type": "application/json"}, token=w["st"])
    assert r.status == 207, r
    assert r.json[0]["error"]["data"]["httpStatus"] == 403, r
    assert r.json[1]["result"]["data"]["deliveredAt"] is not None, r
