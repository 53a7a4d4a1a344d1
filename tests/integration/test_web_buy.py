"""test_web_buy.py - the buyer's journey through the storefront's HTML forms (src/web/web_auth.c,
web_order.c, web_orders.c, web_notifications.c; docs/web.md, "Pages"): accounts, the order page
and its checkout, the gateways' return pages, the orders dashboard with its move forms, and the
notifications. Every form is sent as a browser sends it: application/x-www-form-urlencoded with
this site's Origin and the session cookie, and answered 303 (POST/redirect/GET).
"""

import os
import re
import sys
import time
import urllib.parse

from harness import (BASE_URL, REPO, assert_envelope, http, signup, sql, trpc_post, unique)

sys.path.insert(0, os.path.join(REPO, "tests", "emulators"))
import client as emu  # noqa: E402  (the emulators' control API, tests/emulators/client.py)

ORIGIN = BASE_URL.rstrip("/")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


# ---- helpers ---------------------------------------------------------------------------------

# nginx lets each address sign in 5 times a second (burst 10, shared with /api/auth/login) and
# sign up 20 times a second: these tests stay under both, so only khedmad's throttle answers 429.
_last_post = {}


def pace(path):
    gap = {"/auth/sign-in": 0.25, "/auth/sign-up": 0.06}.get(path)
    if gap:
        wait = _last_post.get(path, 0) + gap - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        _last_post[path] = time.monotonic()


def form(path, fields, cookie=None, origin=ORIGIN):
    pace(path)
    headers = dict(FORM)
    if origin:
        headers["Origin"] = origin
    return http("POST", path, data=urllib.parse.urlencode(fields), headers=headers, cookie=cookie)


def page(path, cookie=None):
    return http("GET", path, cookie=cookie)


def text(r):
    return r.body.decode("utf-8")


def session_of(r):
    """The khedma_session value a response sets ('' when it clears it, None when absent)."""
    for c in r.set_cookies:
        m = re.match(r"khedma_session=([^;]*)", c)
        if m:
            return m.group(1)
    return None


def me(cookie):
    return http("GET", "/api/auth/me", cookie=cookie)


def new_person(phone=True):
    u = unique("wb")
    fields = {"name": f"Buyer {u}", "username": u, "email": f"{u}@example.com",
              "password": "correct-horse-42"}
    if phone:
        fields["phone"] = "+212600" + str(abs(hash(u)) % 1000000).rjust(6, "0")
    return fields


def sign_up(fields, next_=None):
    body = dict(fields)
    if next_:
        body["next"] = next_
    r = form("/auth/sign-up", body)
    assert r.status == 303, r
    cookie = session_of(r)
    assert cookie, r.set_cookies
    return cookie, r.headers["location"]


def trpc(path, body, token):
    r = trpc_post(path, body, token, timeout=60)
    assert r.status == 200, f"{path}: {r!r}"
    data = r.json["result"]["data"]
    return data["json"] if isinstance(data, dict) and "json" in data else data


_world = {}


def world():
    """A seller with a published gig (basic 240 MAD, standard 600 MAD) and a buyer who signed up
    through the form."""
    if _world:
        return _world
    seller, st = signup()
    gid = trpc("gig.createDraft", {}, st)["id"]
    title = f"{unique('wg')} web buy gig"
    trpc("gig.updateOverview", {"id": gid, "title": title, "category": "design-creative",
                                "subCategory": "logo-design", "tags": []}, st)
    pk = trpc("gig.createPackages", {"gigId": gid, "basic": {
        "name": "Basic tier", "description": "One logo concept", "price": 240, "delivery": 4,
        "revisions": 2}, "standard": {"name": "Standard tier", "description": "Three concepts",
                                      "price": 600, "delivery": 5, "revisions": 3}}, st)
    trpc("gig.publish", {"id": gid}, st)
    gigs = assert_envelope(http("GET", f"/api/users/{seller['username']}/gigs"), 200)
    slug = [g for g in gigs if g["id"] == gid][0]["slug"]
    buyer = new_person()
    cookie, _ = sign_up(buyer)
    _world.update(seller=seller, st=st, gid=gid, slug=slug, title=title, packages=pk,
                  buyer=buyer, bc=cookie, path=f"/order/{seller['username']}/{slug}")
    return _world


def seller_cookie():
    w = world()
    if "sc" not in w:
        r = form("/auth/sign-in", {"email": w["seller"]["email"], "password": "correct-horse-42"})
        assert r.status == 303, r
        w["sc"] = session_of(r)
    return w["sc"]


def pay_with_card(package="basic", cookie=None):
    """The Pay form with card: returns (order id, the gateway page URL)."""
    w = world()
    r = form(f"{w['path']}/{package}", {"payment_method": "card"}, cookie=cookie or w["bc"])
    assert r.status == 303, r
    loc = r.headers["location"]
    orders = sql("SELECT id FROM orders WHERE user_id = (SELECT id FROM users WHERE email = "
                 f"'{w['buyer']['email']}') ORDER BY created_at DESC, id DESC LIMIT 1")
    return orders[0][0], loc


def emulator_pay(order_id, loc, ok=True):
    """Pay (or fail) the checkout on the gateway; returns the return page's query."""
    if "/youcanpay/" in loc:
        token = loc.rsplit("/", 1)[1]
        t = emu.pay_token(token, status=1 if ok else -1, webhook=False)["transaction"]
        return "?" + urllib.parse.urlencode({"transaction_id": t["id"], "order_id": order_id})
    tran = emu.find_paytabs(order_id)["tran_ref"]
    emu.complete_paytabs(tran, status="A" if ok else "D", callback=False)
    return ""


def order_status(order_id):
    return sql(f"SELECT status FROM orders WHERE id = '{order_id}'")[0][0]


def paid_order():
    oid, loc = pay_with_card()
    q = emulator_pay(oid, loc)
    suffix = "payment-success" if "/youcanpay/" in loc else "payment-return"
    r = page(f"/orders/{oid}/{suffix}{q}", cookie=world()["bc"])
    assert r.status == 200 and order_status(oid) == "processing", (r, order_status(oid))
    return oid


# ---- accounts ----------------------------------------------------------------------------------

def test_sign_up_form_sets_the_cookie_and_honours_next():
    fields = new_person()
    cookie, loc = sign_up(fields, next_="/dashboard/orders?as=freelancer")
    assert loc == "/dashboard/orders?as=freelancer", loc
    assert assert_envelope(me(cookie), 200)["user"]["username"] == fields["username"]
    # Without next: the dashboard.
    _, loc = sign_up(new_person())
    assert loc == "/dashboard", loc


def test_sign_up_errors_are_422_next_to_the_fields():
    taken = world()["buyer"]
    r = form("/auth/sign-up", {"name": "X Y", "username": "no", "email": "not-an-email",
                               "password": "short", "phone": "call me"})
    assert r.status == 422, r
    t = text(r)
    for field in ("username", "email", "password", "phone"):
        assert f'id="f-{field}-error"' in t, field
        assert f'aria-describedby="f-{field}-hint f-{field}-error"' in t or \
            f'aria-describedby="f-{field}-error"' in t, field
    assert session_of(r) is None
    assert 'value="not-an-email"' in t  # what was typed stays
    assert "short" not in t  # the password is never echoed
    r = form("/auth/sign-up", dict(new_person(), email=taken["email"]))
    assert r.status == 422 and "Email already taken" in text(r), r


def test_sign_in_honours_next_and_refuses_an_off_site_one():
    b = world()["buyer"]
    creds = {"email": b["email"], "password": b["password"]}
    r = form("/auth/sign-in", dict(creds, next="/dashboard/notifications"))
    assert r.status == 303 and r.headers["location"] == "/dashboard/notifications", r
    assert assert_envelope(me(session_of(r)), 200)
    for evil in ("//evil.example/x", "https://evil.example/", "javascript:alert(1)", "/\\evil"):
        r = form("/auth/sign-in", dict(creds, next=evil))
        assert r.status == 303 and r.headers["location"] == "/dashboard", (evil, r.headers)
    # The GET form keeps next (when it is a path here) in a hidden field.
    t = text(page("/auth/sign-in?next=%2Fdashboard%2Forders"))
    assert '<input type="hidden" name="next" value="/dashboard/orders">' in t
    assert 'name="next"' not in text(page("/auth/sign-in?next=https%3A%2F%2Fevil.example"))


def test_sign_in_wrong_password_is_said_in_words():
    b = world()["buyer"]
    r = form("/auth/sign-in", {"email": b["email"], "password": "wrong-password-1"})
    assert r.status == 401 and session_of(r) is None, r
    assert "The email or the password is not right." in text(r)
    assert f'value="{b["email"]}"' in text(r)


def test_sign_in_throttle_is_shown_with_retry_after():
    fields = new_person()
    sign_up(fields)
    r = None
    for _ in range(12):
        r = form("/auth/sign-in", {"email": fields["email"], "password": "wrong-password-1"})
        if r.status == 429:
            break
    assert r.status == 429, r
    assert int(r.headers["retry-after"]) > 0
    assert "Too many failed sign-in attempts. Please wait" in text(r)
    # Only this account is held back: the address count is left for the other tests.
    sql("DELETE FROM login_failures WHERE kind = 'address'")


def test_sign_out_clears_the_cookie_and_ends_the_session():
    cookie, _ = sign_up(new_person())
    r = form("/auth/sign-out", {}, cookie=cookie)
    assert r.status == 303 and r.headers["location"] == "/", r
    assert session_of(r) == "" and any("Max-Age=0" in c for c in r.set_cookies), r.set_cookies
    assert me(cookie).status == 401


def test_forms_from_another_site_are_refused_and_change_nothing():
    cookie, _ = sign_up(new_person())
    r = form("/auth/sign-out", {}, cookie=cookie, origin="https://evil.example")
    assert r.status == 403 and session_of(r) is None, r
    assert me(cookie).status == 200  # still signed in
    b = world()["buyer"]
    r = form("/auth/sign-in", {"email": b["email"], "password": b["password"]},
             origin="https://evil.example")
    assert r.status == 403 and session_of(r) is None, r  # no sign-in CSRF
    r = form("/auth/sign-up", new_person(), origin="https://evil.example")
    assert r.status == 403 and session_of(r) is None, r
    # A cookie-signed form without Origin is refused too (browsers always send it with POST).
    r = form(f"{world()['path']}/basic", {"payment_method": "card"}, cookie=world()["bc"],
             origin=None)
    assert r.status == 403, r
    oid = paid_order()
    r = form(f"/dashboard/orders/{oid}", {"move": "cancel", "reason": "csrf"},
             cookie=world()["bc"], origin="https://evil.example")
    assert r.status == 403 and order_status(oid) == "processing", r


# ---- ordering ----------------------------------------------------------------------------------

def test_order_page_sends_anonymous_visitors_to_sign_in_and_back():
    path = f"{world()['path']}/standard"
    r = page(path)
    assert r.status == 303, r
    assert r.headers["location"] == "/auth/sign-in?next=" + urllib.parse.quote(path, safe=""), r
    # Signing in with that next comes back to the order page.
    b = world()["buyer"]
    r = form("/auth/sign-in", {"email": b["email"], "password": b["password"], "next": path})
    assert r.headers["location"] == path


def test_order_page_shows_the_package_from_the_database():
    w = world()
    r = page(f"{w['path']}/standard", cookie=w["bc"])
    assert r.status == 200, r
    assert r.headers.get("cache-control") == "no-store", r.headers
    t = text(r)
    assert "Standard tier" in t and "600 MAD" in t and "5 days" in t, t
    assert 'name="payment_method" id="pm-card" value="card" checked' in t
    assert 'value="bank_transfer"' in t and ">Pay</button>" in t
    assert page(f"{w['path']}/premium", cookie=w["bc"]).status == 404  # no such tier
    assert page(f"{w['path']}/gold", cookie=w["bc"]).status == 404
    assert page(f"/order/{w['seller']['username']}/no-such-gig/basic", cookie=w["bc"]).status == 404


def test_checkout_by_form_goes_to_the_gateway_page_with_the_database_amount():
    oid, loc = pay_with_card("standard")
    assert loc.startswith("http") and ("/youcanpay/payment-form/" in loc or "/paytabs/" in loc), loc
    amount = sql(f"SELECT total_amount FROM orders WHERE id = '{oid}'")[0][0]
    assert float(amount) == 600.0
    assert order_status(oid) == "pending"


def test_paying_on_the_gateway_then_the_return_page_shows_processing():
    w = world()
    oid, loc = pay_with_card()
    if "/youcanpay/" not in loc:
        return  # the PayTabs return is tested below
    # Before paying, the success address proves nothing: the order is still being confirmed.
    r = page(f"/orders/{oid}/payment-success", cookie=w["bc"])
    assert r.status == 200 and "being confirmed" in text(r), text(r)
    assert order_status(oid) == "pending"
    q = emulator_pay(oid, loc)
    r = page(f"/orders/{oid}/payment-success{q}", cookie=w["bc"])
    assert r.status == 200, r
    assert r.headers.get("cache-control") == "no-store"
    t = text(r)
    assert "Payment received" in t and "In progress" in t, t
    assert order_status(oid) == "processing"
    # Another person cannot use the page.
    other, _ = sign_up(new_person())
    assert page(f"/orders/{oid}/payment-success{q}", cookie=other).status == 404


def test_failed_payment_says_so_and_offers_to_try_again():
    w = world()
    oid, loc = pay_with_card()
    q = emulator_pay(oid, loc, ok=False)
    if "/youcanpay/" in loc:
        # The gateway's failure webhook (not sent here) would cancel it; the page says it failed.
        r = page(f"/orders/{oid}/payment-failed{q}", cookie=w["bc"])
    else:
        r = page(f"/orders/{oid}/payment-return", cookie=w["bc"])
    t = text(r)
    assert r.status == 200 and "Payment failed" in t, t
    assert f'href="{w["path"]}/basic">Try again</a>' in t, t
    assert order_status(oid) != "processing"
    # The freelancer sees the same status, without a checkout to retry.
    seen = text(page(f"/orders/{oid}/payment-failed{q}", cookie=seller_cookie()))
    assert "Payment failed" in seen and "Try again" not in seen, seen
    # Trying again is a new checkout of the same package, which can be paid.
    paid = paid_order()
    assert paid != oid


def test_payment_return_post_redirects_to_the_get_and_changes_nothing():
    oid, _ = pay_with_card()
    r = http("POST", f"/orders/{oid}/payment-return",
             data="tranRef=TST1&cartId=" + oid + "&respStatus=A",
             headers=dict(FORM, Origin="https://secure.paytabs.sa"))
    assert r.status == 303 and r.headers["location"] == f"/orders/{oid}/payment-return", r
    assert session_of(r) is None
    assert order_status(oid) == "pending"


def test_bank_transfer_shows_the_reference():
    w = world()
    r = form(f"{w['path']}/basic", {"payment_method": "bank_transfer"}, cookie=w["bc"])
    assert r.status == 303, r
    loc = r.headers["location"]
    assert loc.startswith("/dashboard/orders/") and loc.endswith("?done=transfer"), loc
    oid = loc.split("/")[3].split("?")[0]
    ref = sql(f"SELECT reference FROM payments WHERE order_id = '{oid}'")[0][0]
    t = text(page(loc, cookie=w["bc"]))
    assert ref and ref in t and "Awaiting payment" in t, t


def test_checkout_without_phone_says_where_to_add_it():
    w = world()
    cookie, _ = sign_up(new_person(phone=False))
    r = form(f"{w['path']}/basic", {"payment_method": "card"}, cookie=cookie)
    assert r.status == 422, r
    t = text(r)
    assert 'id="pay-error"' in t and 'href="/dashboard/settings"' in t, t
    assert 'aria-describedby="pay-error"' in t


def test_gateway_failure_is_said_in_words():
    w = world()
    endpoint = "youcanpay.tokenize" if "youcanpay" in pay_with_card()[1] else "paytabs.request"
    emu.fault(endpoint, "500")
    try:
        r = form(f"{w['path']}/basic", {"payment_method": "card"}, cookie=w["bc"])
    finally:
        emu.clear_faults()
    assert r.status == 502, r
    assert "nothing was charged" in text(r) and ">Pay</button>" in text(r)


# ---- the orders dashboard ----------------------------------------------------------------------

def test_dashboard_orders_filters_and_pages():
    w = world()
    paid = paid_order()
    r = page("/dashboard/orders?status=processing&limit=1", cookie=w["bc"])
    assert r.status == 200 and r.headers.get("cache-control") == "no-store", r
    t = text(r)
    assert f'href="/dashboard/orders/{paid}"' in t, t  # newest first
    assert "Page 1 of" in t and 'rel="next"' in t and "status=processing" in t
    assert "Awaiting payment</span>" not in t.split("</form>", 2)[-1]  # filtered rows only
    t2 = text(page("/dashboard/orders?status=processing&limit=1&page=2", cookie=w["bc"]))
    assert "Page 2 of" in t2 and f'href="/dashboard/orders/{paid}"' not in t2
    # Date filter: nothing placed in the future; a bad date is shown next to the dates.
    assert "No orders match." in text(page("/dashboard/orders?from=2999-01-01", cookie=w["bc"]))
    r = page("/dashboard/orders?from=yesterday", cookie=w["bc"])
    assert r.status == 400 and 'id="f-dates-error"' in text(r), text(r)
    r = page("/dashboard/orders?limit=500", cookie=w["bc"])
    assert r.status == 400 and 'id="f-limit-error"' in text(r), text(r)
    # As the freelancer: the seller sees the order, the buyer's freelancer view is empty.
    assert f'/dashboard/orders/{paid}"' in text(page("/dashboard/orders?as=freelancer",
                                                     cookie=seller_cookie()))
    assert "No orders match." in text(page("/dashboard/orders?as=freelancer", cookie=w["bc"]))


def moves_offered(t):
    return set(re.findall(r'name="move" value="([a-z]+)"', t))


def test_order_moves_through_forms():
    w = world()
    oid = paid_order()
    sc = seller_cookie()
    path = f"/dashboard/orders/{oid}"
    assert moves_offered(text(page(path, cookie=w["bc"]))) == {"cancel"} or \
        moves_offered(text(page(path, cookie=w["bc"]))) == set()
    assert "deliver" in moves_offered(text(page(path, cookie=sc)))
    # A delivery needs a message: said next to the field, nothing changes.
    r = form(path, {"move": "deliver", "reason": ""}, cookie=sc)
    assert r.status == 422 and 'id="r-deliver-error"' in text(r), text(r)
    r = form(path, {"move": "deliver", "reason": "First <b>draft</b>"}, cookie=sc)
    assert r.status == 303 and r.headers["location"] == path + "?done=deliver", r
    t = text(page(path + "?done=deliver", cookie=sc))
    assert "Your delivery was sent" in t and "First &lt;b&gt;draft&lt;/b&gt;" in t, t
    assert moves_offered(text(page(path, cookie=w["bc"]))) >= {"revision", "accept"}
    r = form(path, {"move": "revision", "reason": "Bigger letters"}, cookie=w["bc"])
    assert r.status == 303, r
    assert form(path, {"move": "deliver", "reason": "Second draft"}, cookie=sc).status == 303
    # Accepting twice: the second is refused in words (the move is no longer offered).
    assert form(path, {"move": "accept"}, cookie=w["bc"]).status == 303
    r = form(path, {"move": "accept"}, cookie=w["bc"])
    assert r.status == 409 and "form-errors" in text(r), r
    t = text(page(path, cookie=w["bc"]))
    assert "Completed" in t and moves_offered(t) == {"review"}, moves_offered(t)
    for label in ("Delivered", "Revision requested", "Completed", "Payment received"):
        assert label in t, label
    r = form(path, {"move": "review", "rating": "9"}, cookie=w["bc"])
    assert r.status == 422 and 'id="rating-error"' in text(r), r
    r = form(path, {"move": "review", "rating": "5", "comment": "Great <script>x</script>"},
             cookie=w["bc"])
    assert r.status == 303 and r.headers["location"] == path + "?done=review", r
    t = text(page(path, cookie=w["bc"]))
    assert "review" not in moves_offered(t)
    assert "Great &lt;script&gt;x&lt;/script&gt;" in t and "5 out of 5 stars" in t
    # The seller cannot review, and someone else cannot see the order.
    assert form(path, {"move": "review", "rating": "1"}, cookie=sc).status in (403, 409)
    other, _ = sign_up(new_person())
    assert page(path, cookie=other).status == 404
    assert form(path, {"move": "cancel"}, cookie=other).status == 404


# ---- notifications -----------------------------------------------------------------------------

def test_notifications_mark_read_one_and_all():
    sc = seller_cookie()
    paid_order()
    paid_order()
    r = page("/dashboard/notifications", cookie=sc)
    assert r.status == 200 and r.headers.get("cache-control") == "no-store", r
    t = text(r)
    ids = re.findall(r'action="/dashboard/notifications/(c[a-z0-9]{24})/read"', t)
    assert len(ids) >= 2, t
    r = form(f"/dashboard/notifications/{ids[0]}/read", {"page": "1"}, cookie=sc)
    assert r.status == 303 and r.headers["location"].startswith("/dashboard/notifications"), r
    t = text(page("/dashboard/notifications", cookie=sc))
    assert f"/dashboard/notifications/{ids[0]}/read" not in t
    assert f"/dashboard/notifications/{ids[1]}/read" in t
    r = form("/dashboard/notifications/read-all", {}, cookie=sc)
    assert r.status == 303, r
    t = text(page("/dashboard/notifications", cookie=sc))
    assert "/read\"" not in t and 'class="badge">' not in t.split("<main", 1)[0], t
    # Someone else's notification cannot be marked.
    other, _ = sign_up(new_person())
    assert form(f"/dashboard/notifications/{ids[1]}/read", {}, cookie=other).status == 404
