"""test_vip.py - VIP subscriptions over the API (docs/api.md, "VIP subscriptions"): the plans,
every error of the VIP checkout in its documented order, the card checkout's PayTabs fields
(amounts from the plan, tax, tran_type sale or auth for a first trial, tokenise), payment through
the PayTabs emulator and its signed callback (trialing or active, a replay changing nothing, a
decline leaving nothing live), the in-app purchase's pending order, the cancel, the tRPC reads,
and the badge (users.vip).

The database is shared with other tests; each test makes its own users and reads only their rows.
"""

import os
import re
import sys
import time

from harness import assert_envelope, http, signup, sql, trpc_superjson

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "emulators"))
import client as emu  # noqa: E402

MONTHLY, YEARLY = 1, 2  # seeded by sql/migrations/0010_vip.sql; 7-day trial on MONTHLY
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
BASE_URL = os.environ.get("KHEDMA_TEST_URL", "http://127.0.0.1:8080").rstrip("/")


def checkout(token, **body):
    return http("POST", "/api/orders/checkout", json_body=body, token=token)


def card(token, plan):
    return assert_envelope(checkout(token, payment_method="credit_card", vip_package_id=plan), 200)


def me(token):
    return assert_envelope(http("GET", "/api/subscriptions/me", token=token), 200)


def wait_status(token, want, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        sub = me(token)
        if sub and sub["status"] == want:
            return sub
        assert time.monotonic() < deadline, f"status never became {want}: {sub}"
        time.sleep(0.1)


def user_vip(user):
    return sql(f"SELECT vip FROM users WHERE id = '{user['id']}'")[0][0] == "1"


def plan_row(plan):
    return sql(f"SELECT price, period_days, trial_days FROM vip_packages WHERE id = {plan}")[0]


def events(user):
    return [r[0] for r in sql("SELECT e.type FROM subscription_events e JOIN subscriptions s "
                               f"ON s.id = e.subscription_id WHERE s.user_id = '{user['id']}' "
                               "ORDER BY e.id")]


def test_packages_public_and_trpc():
    data = assert_envelope(http("GET", "/api/vip-packages"), 200)
    ids = [p["id"] for p in data]
    assert MONTHLY in ids and YEARLY in ids, data
    monthly = next(p for p in data if p["id"] == MONTHLY)
    assert monthly["trialDays"] == 7 and monthly["periodDays"] == 30, monthly
    assert monthly["appStoreProductId"] == "ma.khedma.vip.monthly", monthly
    r = http("GET", "/api/trpc/vip.packages")
    out = r.json["result"]["data"]
    out = out["json"] if trpc_superjson() else out
    assert [p["id"] for p in out] == ids, out


def test_checkout_errors_in_order():
    user, token = signup(phone=None)
    # 1. payment method first, even with nothing else right
    assert_envelope(checkout(token, payment_method="paypal", vip_package_id=999999), 422,
                    "Invalid payment method")
    assert_envelope(checkout(token, vip_package_id=MONTHLY), 422, "Invalid payment method")
    # 2. the id the method needs
    assert_envelope(checkout(token, payment_method="credit_card", iap_product_id="x"), 422,
                    "vip_package_id is required")
    assert_envelope(checkout(token, payment_method="in_app_purchase", vip_package_id=1), 422,
                    "iap_product_id is required")
    # 3. unknown or inactive plan, unknown product (before the missing phone)
    assert_envelope(checkout(token, payment_method="credit_card", vip_package_id=999999), 404,
                    "VIP package not found")
    assert_envelope(checkout(token, payment_method="in_app_purchase", iap_product_id="no.such"), 404,
                    "VIP package not found")
    sql("INSERT IGNORE INTO vip_packages (id, name, price, period_days, active) "
        "VALUES (90001, 'Retired plan', 50.00, 30, FALSE)")
    assert_envelope(checkout(token, payment_method="credit_card", vip_package_id=90001), 404,
                    "VIP package not found")
    # 4. phone
    assert_envelope(checkout(token, payment_method="credit_card", vip_package_id=MONTHLY), 422,
                    "User must have a phone number")
    # 5. a live subscription
    user2, token2 = signup()
    data = card(token2, YEARLY)
    emu.complete_paytabs(data["tran_ref"], status="A")
    wait_status(token2, "active")
    for body in ({"payment_method": "credit_card", "vip_package_id": MONTHLY},
                 {"payment_method": "in_app_purchase", "iap_product_id": "ma.khedma.vip.yearly"}):
        assert_envelope(checkout(token2, **body), 422, "User already has an active subscription")
    # no order was written by a refused checkout
    assert sql(f"SELECT COUNT(*) FROM subscription_orders WHERE user_id = '{user['id']}'")[0][0] == "0"


def test_card_checkout_fields_trial_and_sale():
    user, token = signup()
    price, _, _ = plan_row(MONTHLY)
    data = card(token, MONTHLY)
    assert data["tran_type"] == "auth", data  # a first-time trial on a plan with trial days
    assert data["tran_class"] == "ecom" and data["cart_currency"] == "MAD", data
    assert f"{data['cart_amount']:.2f}" == price, (data, price)
    assert data["cart_id"] == data["order_number"], data
    assert data["cart_description"] == f"Payment for Subscription order number {data['order_number']}"
    assert f"{data['tax']:.2f}" == f"{float(price) * 20 / 120:.2f}", data
    assert data["tokenise"] == 2, data
    assert UUID.match(data["order_id"]), data
    assert data["tran_ref"] and data["redirect_url"].startswith("http"), data
    cd = data["customer_details"]
    assert cd["name"] == user["name"] and cd["email"] == user["email"] and cd["phone"], cd
    assert cd["ip"], cd
    sent = [r for r in emu.requests(gateway="paytabs", endpoint="paytabs.request")
            if (r.get("json") or {}).get("cart_id") == data["cart_id"]]
    assert sent and sent[-1]["json"]["tran_type"] == "auth" and sent[-1]["json"]["tokenise"] == 2, sent
    row = sql(f"SELECT amount, tax, tran_type, status FROM subscription_orders WHERE id = '{data['order_id']}'")
    assert row[0] == [price, f"{data['tax']:.2f}", "auth", "pending"], row
    # a plan without trial days, and anyone who already trialled, pays at once
    _, token_y = signup()
    assert card(token_y, YEARLY)["tran_type"] == "sale"


def test_trial_authorised_then_replayed_callback():
    user, token = signup()
    data = card(token, MONTHLY)
    assert not user_vip(user)
    emu.complete_paytabs(data["tran_ref"], status="A")
    sub = wait_status(token, "trialing")
    assert sub["provider"] == "paytabs" and sub["cancelAtPeriodEnd"] is False, sub
    assert sub["trialEnd"] == sub["currentPeriodEnd"], sub
    row = sql("SELECT paytabs_token IS NOT NULL, paytabs_auth_ref, "
              "TIMESTAMPDIFF(HOUR, UTC_TIMESTAMP(), trial_end), next_attempt_at = trial_end "
              f"FROM subscriptions WHERE user_id = '{user['id']}'")[0]
    assert row[0] == "1" and row[1] == data["tran_ref"] and row[3] == "1", row
    assert 7 * 24 - 2 <= int(row[2]) <= 7 * 24, row
    assert user_vip(user)
    before = events(user)
    assert before == ["trial_started"], before
    # the same callback again changes nothing
    emu.send_paytabs_callback(data["tran_ref"], url=BASE_URL + "/api/payments/paytabs/callback")
    assert events(user) == before
    assert me(token)["status"] == "trialing"
    n = sql(f"SELECT COUNT(*) FROM notifications WHERE user_id = '{user['id']}' AND type LIKE 'vip.%'")
    assert n[0][0] == "1", n


def test_sale_paid_active_and_trpc_my_subscription():
    user, token = signup()
    data = card(token, YEARLY)
    r = http("GET", "/api/trpc/vip.mySubscription", token=token)
    out = r.json["result"]["data"]
    assert (out["json"] if trpc_superjson() else out) is None, r.body
    emu.complete_paytabs(data["tran_ref"], status="A")
    sub = wait_status(token, "active")
    assert sub["plan"]["id"] == YEARLY and sub["trialEnd"] is None, sub
    days = sql("SELECT TIMESTAMPDIFF(DAY, current_period_start, current_period_end) "
               f"FROM subscriptions WHERE user_id = '{user['id']}'")[0][0]
    assert days == plan_row(YEARLY)[1], days
    assert sql(f"SELECT status FROM subscription_orders WHERE id = '{data['order_id']}'")[0][0] == "paid"
    assert user_vip(user)
    r = http("GET", "/api/trpc/vip.mySubscription", token=token)
    out = r.json["result"]["data"]
    out = out["json"] if trpc_superjson() else out
    assert out["status"] == "active" and out["id"] == sub["id"], out
    assert http("GET", "/api/trpc/vip.mySubscription").status == 401


def test_declined_payment_leaves_nothing_live():
    user, token = signup()
    data = card(token, YEARLY)
    emu.complete_paytabs(data["tran_ref"], status="D")
    deadline = time.monotonic() + 15
    while sql(f"SELECT status FROM subscription_orders WHERE id = '{data['order_id']}'")[0][0] != "failed":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert sql(f"SELECT COUNT(*) FROM subscriptions WHERE live_user_id = '{user['id']}'")[0][0] == "0"
    assert not user_vip(user)
    # the user may check out again
    card(token, YEARLY)


def test_in_app_purchase_pending_order():
    user, token = signup()
    data = assert_envelope(checkout(token, payment_method="in_app_purchase",
                                    iap_product_id="ma.khedma.vip.monthly"), 200)
    assert list(data) == ["order_id"] and UUID.match(data["order_id"]), data
    row = sql("SELECT o.status, o.payment_method, o.amount, s.provider, s.status FROM subscription_orders o "
              f"JOIN subscriptions s ON s.id = o.subscription_id WHERE o.id = '{data['order_id']}'")
    assert row == [["pending", "in_app_purchase", plan_row(MONTHLY)[0], "app_store", "pending"]], row
    assert me(token) is None


def test_cancel_card_and_app_store():
    _, token = signup()
    assert_envelope(http("POST", "/api/subscriptions/me/cancel", token=token), 404,
                    "Subscription not found")
    data = card(token, YEARLY)
    emu.complete_paytabs(data["tran_ref"], status="A")
    wait_status(token, "active")
    sub = assert_envelope(http("POST", "/api/subscriptions/me/cancel", token=token), 200)
    assert sub["status"] == "active" and sub["cancelAtPeriodEnd"] is True, sub
    # a trial is cancelled at once and its authorisation voided at PayTabs
    user_t, token_t = signup()
    data_t = card(token_t, MONTHLY)
    emu.complete_paytabs(data_t["tran_ref"], status="A")
    wait_status(token_t, "trialing")
    sub = assert_envelope(http("POST", "/api/subscriptions/me/cancel", token=token_t), 200)
    assert sub["status"] == "cancelled", sub
    voids = [r for r in emu.requests(gateway="paytabs", endpoint="paytabs.followup")
             if (r.get("json") or {}).get("tran_type") == "void"
             and r["json"].get("tran_ref") == data_t["tran_ref"]]
    assert len(voids) == 1, voids
    assert sql(f"SELECT status FROM subscription_orders WHERE id = '{data_t['order_id']}'")[0][0] == "voided"
    assert not user_vip(user_t)
    # an App Store subscription is cancelled in the App Store
    user_a, token_a = signup()
    sql("INSERT INTO subscriptions (id, user_id, vip_package_id, provider, status, current_period_end) "
        f"VALUES ('a{user_a['id'][1:]}', '{user_a['id']}', 1, 'app_store', 'active', "
        "UTC_TIMESTAMP() + INTERVAL 30 DAY)")
    r = http("POST", "/api/subscriptions/me/cancel", token=token_a)
    assert_envelope(r, 422)
    assert "App Store" in r.json["message"], r.json


def test_a_paid_subscription_gives_the_badge_and_the_first_places():
    """End to end: a seller pays for VIP by card through the emulator; their gig's owner.vip turns
    true in the public read and on the web page, and it ranks before a newer non-VIP gig."""
    from test_gigs_rest import make_gig  # noqa: E402 (test module helpers)
    from harness import unique
    marker = unique("vipe2e")
    seller, st = signup()
    other, ot = signup()
    mine = make_gig(st, f"{marker} vip logo", "logo-design", "design-creative", 150)
    newer = make_gig(ot, f"{marker} plain logo", "logo-design", "design-creative", 150)

    def search():
        r = http("GET", f"/api/gigs?q={marker}", headers={"Cookie": "khedma_session=x"})
        return [g["slug"] for g in assert_envelope(r, 200)["items"]]

    details = f"/api/gigs/{seller['username']}/{mine['slug']}"
    assert assert_envelope(http("GET", details), 200)["owner"]["vip"] is False
    assert search() == [newer["slug"], mine["slug"]]  # newest first while nobody is VIP

    data = card(st, YEARLY)
    emu.complete_paytabs(data["tran_ref"], status="A")
    wait_status(st, "active")
    nocache = {"Cookie": "khedma_session=x"}  # past the public cache's second
    assert assert_envelope(http("GET", details, headers=nocache), 200)["owner"]["vip"] is True
    assert search() == [mine["slug"], newer["slug"]]  # the VIP seller's gig first
    page = http("GET", f"/{seller['username']}/{mine['slug']}", headers=nocache).body.decode()
    assert 'class="badge-vip"' in page
    other_page = http("GET", f"/{other['username']}/{newer['slug']}", headers=nocache).body.decode()
    assert 'class="badge-vip"' not in other_page
