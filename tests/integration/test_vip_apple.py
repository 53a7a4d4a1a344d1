"""test_vip_apple.py - in-app purchases on iOS against the running test stack (docs/vip.md, "In-app
purchase on iOS").

The App Store emulator (tests/emulators/appstore.py) signs StoreKit 2 transactions and App Store
Server Notifications V2 with a chain under the root khedmad trusts (KHEDMA_APPLE_ROOT_CA), and
"forged" ones with a chain of the same names under another root. A pending in_app_purchase order
comes from the checkout (a pending app_store subscription and its order); then the
signed transaction activates it, each mismatch is refused with its own message, a transaction
bound to another user is refused, and every notification type changes the bound subscription
once.
"""

import json
import os
import time
import urllib.request
import uuid

from harness import VAR, assert_envelope, http, khedmad_restart, signup, sql

TX_PATH = "/api/subscriptions/apple/transactions"
NOTIFY_PATH = "/api/subscriptions/apple/notifications"
MONTHLY = "ma.khedma.vip.monthly"
DAY_MS = 86400 * 1000
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _emulator_url():
    with open(os.path.join(VAR, "run", "emulators.env")) as f:
        for line in f:
            if line.startswith("KHEDMA_EMULATOR_URL="):
                return line.split("=", 1)[1].strip()
    raise AssertionError("no KHEDMA_EMULATOR_URL in emulators.env")


def appstore(path, body):
    req = urllib.request.Request(_emulator_url() + "/appstore/" + path, data=json.dumps(body).encode(),
                                 method="POST", headers={"Content-Type": "application/json"})
    with _OPENER.open(req, timeout=30) as r:
        return json.load(r)


def pending_order(user, token, product=MONTHLY):
    """The in_app_purchase checkout: a pending app_store subscription and its pending order;
    returns (subscription id, order UUID)."""
    r = http("POST", "/api/orders/checkout", token=token,
             json_body={"payment_method": "in_app_purchase", "iap_product_id": product})
    order_id = assert_envelope(r, 200)["order_id"]
    sub_id = sql(f"SELECT subscription_id FROM subscription_orders WHERE id = '{order_id}'")[0][0]
    return sub_id, order_id


def sub_row(sub_id):
    rows = sql(f"SELECT status, cancel_at_period_end, original_transaction_id, "
               f"UNIX_TIMESTAMP(current_period_end) FROM subscriptions WHERE id = '{sub_id}'")
    status, cancel, otid, end = rows[0]
    return {"status": status, "cancel": cancel == "1", "otid": otid, "end": float(end) if end != "NULL" else None}


def signed_tx(order_id, **fields):
    body = {"productId": MONTHLY, "appAccountToken": order_id}
    body.update(fields)
    return appstore("transactions", {k: v for k, v in body.items() if v is not None})


def submit(token, order_id, jws):
    return http("POST", TX_PATH, json_body={"order_id": order_id, "signedTransaction": jws}, token=token)


def buy(**fields):
    """A user with an active App Store subscription; returns (user, token, sub id, transaction)."""
    user, token = signup()
    sub_id, order_id = pending_order(user, token)
    out = signed_tx(order_id, **fields)
    assert_envelope(submit(token, order_id, out["signedTransaction"]), 200)
    return user, token, sub_id, out["transaction"]


def notify(otid, ntype, **extra):
    body = {"notificationType": ntype, "transaction": {"originalTransactionId": otid,
                                                       **extra.pop("transaction", {})}}
    body.update(extra)
    return appstore("notifications", body)


def test_signed_transaction_activates_until_expires_date():
    user, token = signup()
    sub_id, order_id = pending_order(user, token)
    expires = int(time.time() * 1000) + 30 * DAY_MS
    out = signed_tx(order_id, expiresDate=expires)
    data = assert_envelope(submit(token, order_id, out["signedTransaction"]), 200)
    assert data["status"] == "active" and data["subscriptionId"] == sub_id, data
    row = sub_row(sub_id)
    assert row["status"] == "active" and row["otid"] == out["transaction"]["originalTransactionId"], row
    assert abs(row["end"] - expires / 1000) < 1, (row, expires)
    order = sql(f"SELECT status, tran_ref FROM subscription_orders WHERE id = '{order_id}'")[0]
    assert order == ["paid", out["transaction"]["transactionId"]], order
    assert sql(f"SELECT vip FROM users WHERE id = '{user['id']}'")[0][0] == "1"
    # the same transaction again: the order is no longer pending
    assert_envelope(submit(token, order_id, out["signedTransaction"]), 422,
                    "Subscription order is not a pending in-app purchase")


def test_mismatches_refused_with_their_message():
    user, token = signup()
    sub_id, order_id = pending_order(user, token)
    cases = [
        ({"bundleId": "com.example.other"}, "Transaction is for another app (bundleId)"),
        ({"productId": "ma.khedma.vip.yearly"}, "Transaction is for another product than the order's plan"),
        ({"appAccountToken": str(uuid.uuid4())}, "Transaction's appAccountToken does not match the order"),
        ({"environment": "Production"}, "Transaction is from another App Store environment"),
    ]
    for fields, message in cases:
        out = signed_tx(order_id, **fields)
        assert_envelope(submit(token, order_id, out["signedTransaction"]), 422, message)
    assert sub_row(sub_id)["status"] == "pending"


def test_forged_and_malformed_refused():
    user, token = signup()
    sub_id, order_id = pending_order(user, token)
    forged = signed_tx(order_id, forged=True)["signedTransaction"]
    assert_envelope(submit(token, order_id, forged), 400, "Invalid signed transaction: certificate chain not trusted")
    good = signed_tx(order_id)["signedTransaction"]
    h, p, s = good.split(".")
    assert_envelope(submit(token, order_id, f"{h}.{p}x.{s}"), 400)
    assert_envelope(submit(token, order_id, "eyJhbGciOiJub25lIn0.e30."), 400)
    r = http("POST", TX_PATH, json_body={"order_id": order_id}, token=token)
    assert r.status == 400 and "signedTransaction" in json.dumps(r.json.get("errors")), r.body
    assert sub_row(sub_id)["status"] == "pending"


def test_other_users_order_and_transaction_refused():
    owner, owner_token = signup()
    _, order_id = pending_order(owner, owner_token)
    _, other_token = signup()
    out = signed_tx(order_id)
    assert_envelope(submit(other_token, order_id, out["signedTransaction"]), 404, "Subscription order not found")
    # a transaction bound to another user's subscription
    _, _, _, tx = buy()
    user, token = signup()
    sub_id, order_id = pending_order(user, token)
    again = signed_tx(order_id, originalTransactionId=tx["originalTransactionId"])
    assert_envelope(submit(token, order_id, again["signedTransaction"]), 409,
                    "This App Store subscription belongs to another Khedma account")
    assert sub_row(sub_id)["status"] == "pending"


def test_notifications_applied_once_each():
    user, token, sub_id, tx = buy()
    otid = tx["originalTransactionId"]
    new_end = int(time.time() * 1000) + 60 * DAY_MS
    out = notify(otid, "DID_RENEW", transaction={"expiresDate": new_end})
    assert out["delivery"]["status_code"] == 200, out["delivery"]
    body = json.loads(out["delivery"]["response_body"])
    assert body["data"]["applied"] is True and body["data"]["duplicate"] is False, body
    row = sub_row(sub_id)
    assert row["status"] == "active" and abs(row["end"] - new_end / 1000) < 1, row
    # replayed: 200, a duplicate, nothing changes
    sql(f"UPDATE subscriptions SET cancel_at_period_end = FALSE WHERE id = '{sub_id}'")
    again = appstore("notifications", {"signedPayload": out["signedPayload"]})
    body = json.loads(again["delivery"]["response_body"])
    assert again["delivery"]["status_code"] == 200 and body["data"]["duplicate"] is True, body
    assert sub_row(sub_id)["end"] == row["end"]
    # renewal status off and on
    off = notify(otid, "DID_CHANGE_RENEWAL_STATUS", autoRenewStatus=0, subtype="AUTO_RENEW_DISABLED")
    assert sub_row(sub_id)["cancel"] is True
    notify(otid, "DID_CHANGE_RENEWAL_STATUS", autoRenewStatus=1, subtype="AUTO_RENEW_ENABLED")
    assert sub_row(sub_id)["cancel"] is False
    # the "off" one replayed after "on": applied again it would stop renewal; it must not
    events = sql(f"SELECT COUNT(*) FROM subscription_events WHERE subscription_id = '{sub_id}'")
    again = appstore("notifications", {"signedPayload": off["signedPayload"]})
    assert json.loads(again["delivery"]["response_body"])["data"]["duplicate"] is True
    assert sub_row(sub_id)["cancel"] is False
    assert sql(f"SELECT COUNT(*) FROM subscription_events WHERE subscription_id = '{sub_id}'") == events
    # billing failed: past_due, still VIP; then expired: VIP gone
    notify(otid, "DID_FAIL_TO_RENEW")
    assert sub_row(sub_id)["status"] == "past_due"
    assert sql(f"SELECT vip FROM users WHERE id = '{user['id']}'")[0][0] == "1"
    notify(otid, "EXPIRED", subtype="VOLUNTARY")
    assert sub_row(sub_id)["status"] == "expired"
    assert sql(f"SELECT vip FROM users WHERE id = '{user['id']}'")[0][0] == "0"
    uuids = sql(f"SELECT COUNT(*) FROM apple_notifications WHERE original_transaction_id = '{otid}'")
    assert uuids[0][0] == "5", uuids


def test_refund_expires_and_refunds_the_order():
    user, token, sub_id, tx = buy()
    notify(tx["originalTransactionId"], "REFUND", transaction={"transactionId": tx["transactionId"]})
    assert sub_row(sub_id)["status"] == "expired"
    order = sql(f"SELECT status FROM subscription_orders WHERE tran_ref = '{tx['transactionId']}'")
    assert order == [["refunded"]], order


def test_forged_and_unknown_notifications():
    user, token, sub_id, tx = buy()
    otid = tx["originalTransactionId"]
    out = notify(otid, "EXPIRED", forged=True)
    assert out["delivery"]["status_code"] == 400, out["delivery"]
    uuid_ = out["notification"]["notificationUUID"]
    assert sql(f"SELECT COUNT(*) FROM apple_notifications WHERE notification_uuid = '{uuid_}'") == [["0"]]
    assert sub_row(sub_id)["status"] == "active"
    # an original transaction bound to no subscription: claimed, 200, nothing applied
    out = notify("1999999999999999", "DID_RENEW")
    body = json.loads(out["delivery"]["response_body"])
    assert out["delivery"]["status_code"] == 200 and body["data"]["applied"] is False, body
    # no session needed, but a body is
    r = http("POST", NOTIFY_PATH, json_body={})
    assert r.status == 400, r.body


def test_unconfigured_root_answers_503():
    """Without KHEDMA_APPLE_ROOT_CA nothing is accepted: both routes answer 503."""
    user, token = signup()
    _, order_id = pending_order(user, token)
    jws = signed_tx(order_id)["signedTransaction"]
    # empty rather than removed: deploy/lib.sh fills unset variables from the emulators' lines
    khedmad_restart(env={"KHEDMA_APPLE_ROOT_CA": ""})
    try:
        assert_envelope(submit(token, order_id, jws), 503, "App Store verification is not configured")
        r = http("POST", NOTIFY_PATH, json_body={"signedPayload": jws})
        assert_envelope(r, 503, "App Store verification is not configured")
    finally:
        khedmad_restart(env={"KHEDMA_APPLE_ROOT_CA": os.path.join(VAR, "run", "appstore-root.pem")})
    assert_envelope(submit(token, order_id, jws), 200)


def test_same_original_transaction_raced_by_two_users():
    """Two users send transactions of one original transaction at once: exactly one is bound,
    the other refused with 409 whichever check (the read or the unique key) caught it."""
    import threading
    otid = str(1500000000000000 + int.from_bytes(os.urandom(5), "big"))
    entries = []
    for _ in range(2):
        user, token = signup()
        sub_id, order_id = pending_order(user, token)
        jws = signed_tx(order_id, originalTransactionId=otid)["signedTransaction"]
        entries.append((token, order_id, jws))
    results = [None, None]
    barrier = threading.Barrier(2)

    def send(i):
        token, order_id, jws = entries[i]
        barrier.wait()
        results[i] = submit(token, order_id, jws)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status for r in results)
    assert statuses == [200, 409], [(r.status, r.body[:200]) for r in results]
    loser = next(r for r in results if r.status == 409)
    assert_envelope(loser, 409, "This App Store subscription belongs to another Khedma account")
    assert sql(f"SELECT COUNT(*) FROM subscriptions WHERE original_transaction_id = '{otid}'") == [["1"]]
