"""test_vip_jobs.py - the VIP subscription jobs (docs/vip.md, "Jobs") against the running test stack.

Subscriptions are bought the way a client buys them: the VIP checkout (POST /api/orders/checkout
with vip_package_id, payment_method credit_card), then the PayTabs emulator completes the payment
page and calls back. Time then moves through `khedmad jobs-once` with a test clock
(KHEDMA_TEST_CLOCK_FILE): the end of a trial (capture of its authorisation), renewals charged
with the saved token (PayTabs recurring sales), declines and their retries over three days, the
end of a subscription cancelled at period end, and two jobs processes racing for one renewal.
The stack's own jobs process runs beside on the real clock; nothing here is due on it.

The database is shared with earlier tests and runs, so each test looks at its own subscription
only; the emulator's request log is read by cart_id (the subscription order number) or token.
"""

import os
import sys
import threading
import time

from harness import assert_envelope, http, jobs_once, signup, sql

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "emulators"))
import client as emu  # noqa: E402  (the emulators' test client, found through sys.path)

DAY = 24 * 3600
MONTHLY, YEARLY = 1, 2  # the seeded plans (sql/migrations/0010_vip.sql): 7-day trial on MONTHLY


# --------------------------------------------------------------------------------------------
# Helpers

def checkout(token, plan):
    r = http("POST", "/api/orders/checkout", json_body={"vip_package_id": plan, "payment_method": "credit_card"},
             token=token)
    data = assert_envelope(r, 200)
    assert data["tran_ref"] and data["order_number"], data
    return data


def me(token):
    return assert_envelope(http("GET", "/api/subscriptions/me", token=token), 200)


def wait_status(token, want, timeout=15.0):
    """The subscription of token's user once its status is want (callbacks arrive asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        sub = me(token)
        if sub and sub.get("status") == want:
            return sub
        assert time.monotonic() < deadline, f"status never became {want}: {sub}"
        time.sleep(0.1)


def subscribe(plan=YEARLY):
    """A new user with a live card subscription: (user, token, checkout data, subscription id)."""
    user, token = signup()
    data = checkout(token, plan)
    emu.complete_paytabs(data["tran_ref"], status="A")
    wait_status(token, "trialing" if plan == MONTHLY else "active")
    sub_id = sql(f"SELECT id FROM subscriptions WHERE user_id = '{user['id']}'")[0][0]
    return user, token, data, sub_id


def row(sub_id):
    r = sql("SELECT status, UNIX_TIMESTAMP(current_period_end), failed_attempts, cancel_at_period_end, "
            f"UNIX_TIMESTAMP(trial_end) FROM subscriptions WHERE id = '{sub_id}'")[0]
    return {"status": r[0], "period_end": float(r[1]) if r[1] != "NULL" else None,
            "failed_attempts": int(r[2]), "cancel_at_period_end": r[3] == "1",
            "trial_end": float(r[4]) if r[4] != "NULL" else None}


def offset_to(ts, extra=60):
    """The test clock offset at which the jobs see ts (a UNIX time) passed by extra seconds."""
    return int(ts - time.time()) + extra


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
    user, token, data, sub_id = subscribe(MONTHLY)
    assert data["tran_type"] == "auth", data
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
    assert abs(after["period_end"] - (before["trial_end"] + 30 * DAY)) < 2, (before, after)
    assert user_vip(user["id"])
    assert me(token)["status"] == "active"
    jobs_once(offset_s=offset_to(before["trial_end"], 3600))      # once only
    assert len(followups("capture", data["order_number"])) == 1


def test_trial_cancel_voids_and_is_never_captured():
    user, token, data, sub_id = subscribe(MONTHLY)
    assert_envelope(http("POST", "/api/subscriptions/me/cancel", json_body={}, token=token), 200)
    voids = followups("void", data["order_number"])
    assert len(voids) == 1 and voids[0]["tran_ref"] == data["tran_ref"], voids
    assert emu.paytabs_transaction(data["tran_ref"])["voided_by"]
    jobs_once(offset_s=offset_to(row(sub_id)["trial_end"] or time.time(), 3600))
    assert followups("capture", data["order_number"]) == []
    assert row(sub_id)["status"] in ("cancelled", "expired")
    assert not user_vip(user["id"])


def test_renewal_charged_with_token_extends_period():
    user, token, data, sub_id = subscribe(YEARLY)
    before = row(sub_id)
    pay_token = emu.paytabs_transaction(data["tran_ref"])["token"]
    jobs_once(offset_s=offset_to(before["period_end"]))
    after = row(sub_id)
    assert after["status"] == "active", after
    assert abs(after["period_end"] - (before["period_end"] + 365 * DAY)) < 2, (before, after)
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
    user, token, data, sub_id = subscribe(YEARLY)
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
    assert me(token)["status"] == "expired"


def test_declined_then_paid_on_retry():
    user, token, data, sub_id = subscribe(YEARLY)
    end = row(sub_id)["period_end"]
    emu.decline_next_recurring(tran_ref=data["tran_ref"], count=1)
    jobs_once(offset_s=offset_to(end))
    assert row(sub_id)["status"] == "past_due"
    jobs_once(offset_s=offset_to(end, DAY + 60))
    r = row(sub_id)
    assert r["status"] == "active" and r["failed_attempts"] == 0, r
    assert abs(r["period_end"] - (end + 365 * DAY)) < 2, r
    assert [o[1] for o in renewal_orders(sub_id)] == ["failed", "paid"]


def test_cancel_at_period_end_is_not_charged():
    user, token, data, sub_id = subscribe(YEARLY)
    assert_envelope(http("POST", "/api/subscriptions/me/cancel", json_body={}, token=token), 200)
    r = row(sub_id)
    assert r["status"] == "active" and r["cancel_at_period_end"], r
    jobs_once(offset_s=offset_to(r["period_end"], -600))
    assert row(sub_id)["status"] == "active" and user_vip(user["id"])
    jobs_once(offset_s=offset_to(r["period_end"]))
    assert row(sub_id)["status"] in ("cancelled", "expired")
    assert renewal_orders(sub_id) == []
    assert not user_vip(user["id"])


def test_parallel_jobs_charge_once():
    user, token, data, sub_id = subscribe(YEARLY)
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
    assert abs(r["period_end"] - (end + 365 * DAY)) < 2, r
