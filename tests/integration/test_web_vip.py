"""test_web_vip.py - the VIP page of the web storefront (src/web/web_vip.c, docs/web.md): the
plans and the viewer's subscription, a card subscription through the plain form (the API's VIP
checkout, so its messages), PayTabs' return to the page, which asks PayTabs before it shows the
outcome (no callback needed), the cancel, and the CSRF rule.
"""

import os
import sys
import urllib.parse

from harness import http, signup, sql, BASE_URL

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "emulators"))
import client as emu  # noqa: E402

ORIGIN = BASE_URL.rstrip("/")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def post(path, fields, cookie=None, origin=ORIGIN):
    headers = dict(FORM)
    if origin:
        headers["Origin"] = origin
    return http("POST", path, data=urllib.parse.urlencode(fields), headers=headers, cookie=cookie)


def page(path, cookie):
    r = http("GET", path, cookie=cookie)
    assert r.status == 200, (path, r.status)
    return r.body.decode("utf-8")


def orders_of(user):
    return sql("SELECT order_number, tran_ref, status FROM subscription_orders "
               f"WHERE user_id = '{user['id']}' ORDER BY order_number")


def test_subscribe_by_card_return_and_cancel():
    user, token = signup()
    text = page("/dashboard/vip", token)
    assert "You are not a VIP seller yet" in text
    assert "VIP Monthly" in text and "VIP Yearly" in text and "Subscribe with card" in text

    r = post("/dashboard/vip", {"vip_package_id": "2"}, cookie=token)
    assert r.status == 303, (r.status, r.body[:300])
    [(number, ref, status)] = orders_of(user)
    assert status == "pending"
    assert "/paytabs/payment/page/" in r.headers["location"], r.headers  # the PayTabs page
    # PayTabs is told to send the browser back to the VIP page with the order number.
    sent = emu.paytabs_transaction(ref)
    assert sent["return"] == f"{ORIGIN}/dashboard/vip/return?order={number}", sent["return"]

    # Paid on PayTabs' page, but its callback never arrives: the return page asks PayTabs.
    emu.complete_paytabs(ref, status="A", callback=False)
    back = http("POST", f"/dashboard/vip/return?order={number}", data="tranRef=" + ref,
                headers=dict(FORM, Origin="https://secure.paytabs.sa"))
    assert back.status == 303 and back.headers["location"] == f"/dashboard/vip?order={number}"
    assert orders_of(user)[0][2] == "pending", "the cross-site POST changes nothing"
    text = page(back.headers["location"], token)
    assert "you are now a VIP seller" in text and "Active" in text, text
    assert orders_of(user)[0][2] == "paid"
    assert sql(f"SELECT vip FROM users WHERE id = '{user['id']}'")[0][0] == "1"
    assert "Subscribe with card" not in text  # one live subscription at a time

    # Stop renewing: the page says when it ends; a foreign Origin changes nothing.
    assert post("/dashboard/vip/cancel", {}, cookie=token, origin="https://evil.example").status == 403
    assert "Stop renewing" in page("/dashboard/vip", token)
    r = post("/dashboard/vip/cancel", {}, cookie=token)
    assert r.status == 303 and r.headers["location"] == "/dashboard/vip?cancelled=1"
    text = page("/dashboard/vip?cancelled=1", token)
    assert "will not renew" in text and "Ends" in text and "Stop renewing" not in text


def test_refusals_are_shown_in_words():
    user, token = signup(phone=None)
    r = post("/dashboard/vip", {"vip_package_id": "1"}, cookie=token)
    assert r.status == 422, r.status
    text = r.body.decode("utf-8")
    assert "User must have a phone number" in text and 'href="/dashboard/settings"' in text
    assert orders_of(user) == []
    _, token2 = signup()
    assert post("/dashboard/vip", {"vip_package_id": "99"}, cookie=token2).status == 404
    # Cross-site form: refused, nothing written.
    other, token3 = signup()
    assert post("/dashboard/vip", {"vip_package_id": "2"}, cookie=token3,
                origin="https://evil.example").status == 403
    assert orders_of(other) == []


def test_visitors_are_sent_to_sign_in():
    r = http("GET", "/dashboard/vip")
    assert r.status == 303 and r.headers["location"] == "/auth/sign-in?next=%2Fdashboard%2Fvip"
