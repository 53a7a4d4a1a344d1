"""test_vip_jobs.py - the VIP subscription jobs (docs/vip.md, "Jobs") against the running test stack.

Each test starts from a subscription as the PayTabs confirmation leaves it: a real tokenised
payment in the PayTabs emulator (an authorisation for a trial, a sale otherwise), and the
subscription and its first order written as that confirmation writes them (SQL fixtures: the
checkout is not what is tested here). Time then moves through `khedmad jobs-once` with a test
clock (KHEDMA_TEST_CLOCK_FILE): the end of a trial (capture of its authorisation), renewals
charged with the saved token (PayTabs recurring sales), declines and their retries over three
days, the end of a subscription cancelled at period end, and jobs processes racing for one
renewal. The reconciliation of a paid order whose callback never came, and a trial cancelled
(voided) before its end, go through the VIP checkout itself. The stack's own jobs process runs
beside on the real clock; nothing here is due on it.

The database is shared with earlier tests and runs, so each test looks at its own subscription
only; the emulator's request log is read by cart_id (the subscription order number).
"""

import json
import os
import sys
import threading
import time
import urllib.request
import uuid

from harness import assert_envelope, http, jobs_once, khedmad_env, signup, sql

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "emulators"))
import client as emu  # noqa: E402  (the emulators' test client, found through sys.path)

DAY = 24 * 3600
MONTHLY, YEARLY = 1, 2  # the seeded plans (sql/migrations/0010_vip.sql): 7-day trial on MONTHLY


# --------------------------------------------------------------------------------------------
# Helpers

def paytabs_tokenised(tran_type, amount):
    """An approved tokenised payment (auth or sale) in the PayTabs emulator: (tran_ref, token)."""
    env = khedmad_env()[0]
    body = {"profile_id": int(env["KHEDMA_PAYTABS_PROFILE_ID"]), "tran_type": tran_type, "tran_class": "ecom",
            "cart_id": "vj" + uuid.uuid4().hex[:12], "cart_currency": "MAD", "cart_amount": amount,
            "cart_description": "VIP", "tokenise": 2,
            "customer_details": {"name": "Test User", "email": "vip@example.com", "phone": "+212600000000",
                                 "street1": "Casablanca", "city": "Casablanca", "country": "MA"},
            "callback": "http://127.0.0.1:9/none", "return": "http://127.0.0.1:9/none"}
    req = urllib.request.Request(env["KHEDMA_PAYTABS_API"] + "/payment/request", json.dumps(body).encode(),
                                 {"Content-Type": "application/json",
                                  "authorization": env["KHEDMA_PAYTABS_SERVER_KEY"]})
    ref = json.loads(urllib.request.urlopen(req, timeout=10).read())["tran_ref"]
    emu.complete_paytabs(ref, status="A", callback=False)
    return ref, emu.paytabs_transaction(ref)["token"]


def subscribe(plan=YEARLY):
    """A new user with a live card subscription as the confirmation leaves it: trialing on the
    monthly plan (authorised), active on the yearly one (paid). Returns (user, data, sub_id);
    data has tran_ref, token and order_number of the first order."""
    user, _ = signup()
    trial = plan == MONTHLY
    amount, tax = ("99.00", "16.50") if trial else ("990.00", "165.00")
    ref, token = paytabs_tokenised("auth" if trial else "sale", float(amount))
    sub_id = ("cvj" + uuid.uuid4().hex)[:25]
    days = 7 if trial else 365
    sql("INSERT INTO subscriptions (id, user_id, vip_package_id, provider, status, current_period_start, "
        "current_period_end, trial_end, next_attempt_at, paytabs_token, paytabs_auth_ref) VALUES "
        f"('{sub_id}', '{user['id']}', {plan}, 'paytabs', '{'trialing' if trial else 'active'}', UTC_TIMESTAMP(3), "
        f"UTC_TIMESTAMP(3) + INTERVAL {days} DAY, {f'UTC_TIMESTAMP(3) + INTERVAL {days} DAY' if trial else 'NULL'}, "
        f"UTC_TIMESTAMP(3) + INTERVAL {days} DAY, '{token}', {repr(ref) if trial else 'NULL'})")
    sql("INSERT INTO subscription_orders (id, user_id, vip_package_id, subscription_id, kind, payment_method, "
        f"tran_type, amount, tax, status, tran_ref) VALUES (UUID(), '{user['id']}', {plan}, '{sub_id}', 'initial', "
        f"'credit_card', '{'auth' if trial else 'sale'}', {amount}, {tax}, '{'authorised' if trial else 'paid'}', "
        f"'{ref}')")
    sql(f"UPDATE users SET vip = TRUE WHERE id = '{user['id']}'")
    number = sql(f"SELECT order_number FROM subscription_orders WHERE tran_ref = '{ref}'")[0][0]
    return user, {"tran_ref": ref, "token": token, "order_number": number}, sub_id


def row(sub_id):
    r = sql("SELECT status, UNIX_TIMESTAMP(current_period_end), failed_attempts, cancel_at_period_end, "
            f"UNIX_TIMESTAMP(trial_end) FROM subscriptions WHERE id = '{sub_id}'")[0]
    return {"status": r[0], "period_end": float(r[1]) if r[1] != "NULL" else None,
            "failed_attempts": int(r[2]), "cancel_at_period_end": r[3] == "1",
            "trial_end": float(r[4]) if r[4] != "NULL" else None}


def offset_to(ts, extra=60):
    """The test clock offset at which the jobs see ts (a UNIX time) passed by extra seconds."""
    return int(ts - time.time()) + extra


def extended(old_end, new_end, days):
    """The new period runs the plan's days from the old end, or from the (jobs') moment the charge
    went through when that was later: the jobs here run a minute or two past the end."""
    return 0 <= new_end - (old_end + days * DAY) <= 180


def renewal_orders(sub_id):
    return sql("SELECT order_number, status, amount, tax, tran_ref FROM subscription_orders "
               f"WHERE subscription_id = '{sub_id}' AND kind = 'renewal' ORDER BY order_number")


def followups(kind=None, cart_id=None):
    """The capture, void and recurring requests the emulator received (optionally of one kind/cart)."""
    out = []
    for r in emu.requests(endpoint="paytabs.followup"):
        j = r.get("json") or {}
        what = "recurring" if j.get("tran_class") == "recurring" else j.get("tran_type")
        if (kind is None or what == kind) and (cart_id is None or j.get("cart_id") == str(cart_id)):
            out.append(j)
    return out


def user_vip(user_id):
    return sql(f"SELECT vip FROM users WHERE id = '{user_id}'")[0][0] == "1"


def events(sub_id):
    return [tuple(r) for r in sql("SELECT type, from_status, to_status FROM subscription_events "
                                  f"WHERE subscription_id = '{sub_id}' ORDER BY id")]


# --------------------------------------------------------------------------------------------
# Tests

def test_trial_end_captures_and_activates():
    user, data, sub_id = subscribe(MONTHLY)
    before = row(sub_id)
    jobs_once(offset_s=offset_to(before["trial_end"], -600))      # ten minutes before: nothing
    assert row(sub_id)["status"] == "trialing"
    assert followups("capture", data["order_number"]) == []
    jobs_once(offset_s=offset_to(before["trial_end"]))
    after = row(sub_id)
    assert after["status"] == "active", after
    caps = followups("capture", data["order_number"])
    assert len(caps) == 1 and caps[0]["tran_ref"] == data["tran_ref"], caps
    assert caps[0]["cart_amount"] == 99 and caps[0]["cart_currency"] == "MAD", caps
    assert emu.paytabs_transaction(data["tran_ref"])["captured_by"], "the authorisation was not captured"
    assert extended(before["trial_end"], after["period_end"], 30), (before, after)
    assert user_vip(user["id"])
    assert [e[1:] for e in events(sub_id)] == [("trialing", "active")], events(sub_id)
    jobs_once(offset_s=offset_to(before["trial_end"], 3600))      # once only
    assert len(followups("capture", data["order_number"])) == 1


def test_renewal_charged_with_token_extends_period():
    user, data, sub_id = subscribe(YEARLY)
    before = row(sub_id)
    pay_token = data["token"]
    jobs_once(offset_s=offset_to(before["period_end"]))
    after = row(sub_id)
    assert after["status"] == "active", after
    assert extended(before["period_end"], after["period_end"], 365), (before, after)
    orders = renewal_orders(sub_id)
    assert len(orders) == 1 and orders[0][1] == "paid" and orders[0][2] == "990.00", orders
    assert orders[0][3] == "165.00", orders                        # 20% VAT included in 990
    charges = followups("recurring", orders[0][0])
    assert len(charges) == 1, charges
    c = charges[0]
    assert c["token"] == pay_token and c["tran_ref"] == data["tran_ref"], c
    assert c["cart_description"] == f"Payment for Subscription order number {orders[0][0]}", c
    assert c["cart_amount"] == 990 and orders[0][4], (c, orders)
    assert user_vip(user["id"])
    jobs_once(offset_s=offset_to(before["period_end"], 7200))     # the new period is not due
    assert len(renewal_orders(sub_id)) == 1


def test_declined_renewal_retries_then_expires():
    user, data, sub_id = subscribe(YEARLY)
    end = row(sub_id)["period_end"]
    emu.decline_next_recurring(tran_ref=data["tran_ref"], count=4)
    jobs_once(offset_s=offset_to(end))
    r = row(sub_id)
    assert r["status"] == "past_due" and r["failed_attempts"] == 1, r
    assert user_vip(user["id"]), "past_due keeps the badge while retries run"
    jobs_once(offset_s=offset_to(end, DAY - 600))                 # the first retry is not due yet
    assert row(sub_id)["failed_attempts"] == 1
    for day in (1, 2):
        jobs_once(offset_s=offset_to(end, day * DAY + 60))
        r = row(sub_id)
        assert r["status"] == "past_due" and r["failed_attempts"] == day + 1, (day, r)
    jobs_once(offset_s=offset_to(end, 3 * DAY + 60))
    r = row(sub_id)
    assert r["status"] == "expired", r
    assert not user_vip(user["id"])
    orders = renewal_orders(sub_id)
    assert len(orders) == 4 and all(o[1] == "failed" for o in orders), orders
    jobs_once(offset_s=offset_to(end, 5 * DAY))                   # expired: never charged again
    assert len(renewal_orders(sub_id)) == 4


def test_declined_then_paid_on_retry():
    user, data, sub_id = subscribe(YEARLY)
    end = row(sub_id)["period_end"]
    emu.decline_next_recurring(tran_ref=data["tran_ref"], count=1)
    jobs_once(offset_s=offset_to(end))
    assert row(sub_id)["status"] == "past_due"
    jobs_once(offset_s=offset_to(end, DAY + 60))
    r = row(sub_id)
    assert r["status"] == "active" and r["failed_attempts"] == 0, r
    # Paid a day late on a retry: the new period follows the old one back to back (the badge
    # stayed on while past_due), the subscription store's rule.
    assert abs(r["period_end"] - (end + 365 * DAY)) < 1, (r, end)
    assert [o[1] for o in renewal_orders(sub_id)] == ["failed", "paid"]


def test_cancel_at_period_end_is_not_charged():
    user, data, sub_id = subscribe(YEARLY)
    sql(f"UPDATE subscriptions SET cancel_at_period_end = TRUE WHERE id = '{sub_id}'")
    r = row(sub_id)
    assert r["status"] == "active" and r["cancel_at_period_end"], r
    jobs_once(offset_s=offset_to(r["period_end"], -600))
    assert row(sub_id)["status"] == "active" and user_vip(user["id"])
    jobs_once(offset_s=offset_to(r["period_end"]))
    assert row(sub_id)["status"] == "cancelled"
    assert renewal_orders(sub_id) == []
    assert not user_vip(user["id"])


def test_parallel_jobs_charge_once():
    user, data, sub_id = subscribe(YEARLY)
    end = row(sub_id)["period_end"]
    offset = offset_to(end)
    errors = []

    def run():
        try:
            jobs_once(offset_s=offset)
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    orders = renewal_orders(sub_id)
    assert len(orders) == 1 and orders[0][1] == "paid", orders
    assert len(followups("recurring", orders[0][0])) == 1
    r = row(sub_id)
    assert extended(end, r["period_end"], 365), r


def test_reconciliation_confirms_a_card_order_whose_callback_never_came():
    """Checkout through the API, paid at PayTabs without a callback: after five minutes the jobs
    ask PayTabs by tran_ref and the subscription starts, once."""
    user, token = signup()
    data = assert_envelope(http("POST", "/api/orders/checkout", token=token,
                                json_body={"payment_method": "credit_card", "vip_package_id": YEARLY}), 200)
    emu.complete_paytabs(data["tran_ref"], status="A", callback=False)
    status = lambda: sql(f"SELECT status FROM subscription_orders WHERE tran_ref = '{data['tran_ref']}'")[0][0]
    jobs_once(offset_s=120)                                        # callback only two minutes late
    assert status() == "pending"
    jobs_once(offset_s=400)
    assert status() == "paid"
    assert assert_envelope(http("GET", "/api/subscriptions/me", token=token), 200)["status"] == "active"
    assert user_vip(user["id"])
    queries = [r for r in emu.requests(endpoint="paytabs.query")
               if (r.get("json") or {}).get("tran_ref") == data["tran_ref"]]
    jobs_once(offset_s=4000)                                       # confirmed: never asked again
    assert len([r for r in emu.requests(endpoint="paytabs.query")
                if (r.get("json") or {}).get("tran_ref") == data["tran_ref"]]) == len(queries)


def test_trial_cancel_voids_and_the_jobs_never_capture():
    """A trial bought through the checkout and cancelled: the authorisation is voided at once,
    and the end of the trial captures nothing."""
    user, token = signup()
    data = assert_envelope(http("POST", "/api/orders/checkout", token=token,
                                json_body={"payment_method": "credit_card", "vip_package_id": MONTHLY}), 200)
    assert data["tran_type"] == "auth", data
    emu.complete_paytabs(data["tran_ref"], status="A")
    deadline = time.monotonic() + 15
    while assert_envelope(http("GET", "/api/subscriptions/me", token=token), 200).get("status") != "trialing":
        assert time.monotonic() < deadline, "the trial never started"
        time.sleep(0.1)
    sub_id = sql(f"SELECT subscription_id FROM subscription_orders WHERE tran_ref = '{data['tran_ref']}'")[0][0]
    trial_end = row(sub_id)["trial_end"]
    assert_envelope(http("POST", "/api/subscriptions/me/cancel", json_body={}, token=token), 200)
    voids = followups("void", data["order_number"])
    assert len(voids) == 1 and voids[0]["tran_ref"] == data["tran_ref"], voids
    jobs_once(offset_s=offset_to(trial_end, 3600))
    assert followups("capture", data["order_number"]) == []
    assert row(sub_id)["status"] == "cancelled"
    assert not user_vip(user["id"])
