"""test_edges.py - the edges of the HTTP surface: only canonical paths route, failed logins are
throttled by the application (per account and per client address, kept in the database), answers
that depend on the session are never cacheable, and tRPC batches as long as the batch limit stay
in tRPC whatever the length of their URL.

The throttle tests spend the login budget of 127.0.0.1; they clear the address counter before and
after, so the other files can still log in with wrong passwords.
"""

import json
import time
import urllib.parse

from harness import assert_envelope, http, signup, sql, unique

PASSWORD = "correct-horse-42"  # what harness.signup() gives every account
EMAIL_LIMIT = 10
ADDRESS_LIMIT = 50

_last_login = [0.0]


def login(email, password, path="/api/auth/login"):
    """POST a login, paced under nginx's 5/s limit so every answer comes from khedmad."""
    wait = _last_login[0] + 0.25 - time.monotonic()
    if wait > 0:
        time.sleep(wait)
    _last_login[0] = time.monotonic()
    return http("POST", path, json_body={"email": email, "password": password})


def clear_address_failures():
    sql("DELETE FROM login_failures WHERE kind = 'address'")


def new_account():
    user, token = signup()
    return user["email"], token


def trpc_error(resp):
    err = resp.json["error"]
    return err["data"]["code"], err["data"]["httpStatus"]


# ---- canonical paths ----------------------------------------------------------------------

def test_login_path_variants_404():
    email, _ = new_account()
    for path in ("/api/auth/login/", "/api/auth/login%2f", "/api/auth/login%2F",
                 "/api/auth%2flogin", "/api/auth/./login", "/api//auth/login"):
        r = login(email, PASSWORD, path)
        assert_envelope(r, 404, "Not found")
        assert not r.set_cookies, path
    assert_envelope(login(email, PASSWORD), 200)


def test_rest_trailing_slash_404():
    _, token = new_account()
    assert_envelope(http("GET", "/api/auth/me/", token=token), 404, "Not found")
    assert_envelope(http("GET", "/api/categories/"), 404, "Not found")
    assert_envelope(http("GET", "/api/auth/me", token=token), 200)


def test_trpc_non_canonical_path_is_trpc_404():
    _, token = signup()
    gid = http("POST", "/api/trpc/gig.createDraft", json_body={}, token=token)
    gid = gid.json["result"]["data"]["id"]
    query = "?input=" + urllib.parse.quote(json.dumps({"id": gid}))
    assert http("GET", "/api/trpc/gig.getGigPackages" + query, token=token).status == 200
    for path in ("/api/trpc/gig.getGigPackages/", "/api/trpc/gig%2fgetGigPackages",
                 "/api/trpc//gig.getGigPackages", "/api/trpc/./gig.getGigPackages"):
        r = http("GET", path + query, token=token)
        assert r.status == 404, (path, r)
        assert trpc_error(r) == ("NOT_FOUND", 404), (path, r)
        assert "path" not in r.json["error"]["data"], (path, r)


# ---- login throttle -----------------------------------------------------------------------

def test_login_throttle_per_account():
    clear_address_failures()
    try:
        email, _ = new_account()
        for i in range(EMAIL_LIMIT):
            assert_envelope(login(email, f"wrong-password-{i}"), 401, "Invalid credentials")
        r = login(email, "wrong-password-x")
        assert_envelope(r, 429, "Too many login attempts; try again later")
        assert 1 <= int(r.headers["retry-after"]) <= 15 * 60, r.headers
        # The right password is refused too: a locked account is no password oracle.
        r = login(email, PASSWORD)
        assert_envelope(r, 429, "Too many login attempts; try again later")
        assert not r.set_cookies
        # Another account from the same address is not affected.
        other, _ = new_account()
        assert_envelope(login(other, PASSWORD), 200)
    finally:
        clear_address_failures()


def test_login_success_does_not_count():
    clear_address_failures()
    try:
        email, _ = new_account()
        for _ in range(EMAIL_LIMIT + 2):
            assert_envelope(login(email, PASSWORD), 200)
        for i in range(EMAIL_LIMIT - 1):
            assert_envelope(login(email, f"wrong-password-{i}"), 401)
        # A success clears the account's failures.
        assert_envelope(login(email, PASSWORD), 200)
        for i in range(EMAIL_LIMIT - 1):
            assert_envelope(login(email, f"wrong-password-{i}"), 401)
        assert_envelope(login(email, PASSWORD), 200)
    finally:
        clear_address_failures()


def test_login_throttle_per_address():
    clear_address_failures()
    try:
        for _ in range(ADDRESS_LIMIT):
            assert_envelope(login(f"{unique('nobody')}@example.com", "wrong-password"), 401)
        email, _ = new_account()
        r = login(email, PASSWORD)
        assert_envelope(r, 429, "Too many login attempts; try again later")
        assert int(r.headers["retry-after"]) >= 1
    finally:
        clear_address_failures()
    email, _ = new_account()
    assert_envelope(login(email, PASSWORD), 200)


# ---- caching of private answers -------------------------------------------------------------

def assert_private(r, what):
    assert r.headers.get("cache-control") == "no-store", (what, r.status, r.headers)
    assert "Cookie" in r.headers.get("vary", "") and "Authorization" in r.headers["vary"], what


def assert_public(r, what):
    assert "no-store" not in r.headers.get("cache-control", ""), (what, r.headers)
    assert "Cookie" in r.headers.get("vary", "") and "Authorization" in r.headers["vary"], what


def test_private_answers_not_cacheable():
    user, token = signup()
    email = user["email"]
    assert_private(http("POST", "/api/auth/signup", json_body={"email": "x"}), "signup error")
    r = login(email, PASSWORD)
    assert r.status == 200 and r.set_cookies
    assert_private(r, "login")
    assert_private(login(email, "wrong-password"), "login failure")
    cookie = r.json["data"]["token"]
    assert_private(http("GET", "/api/auth/me", token=token), "me by token")
    assert_private(http("GET", "/api/auth/me", cookie=cookie), "me by cookie")
    assert_private(http("PATCH", "/api/users/me", json_body={"name": "Edge Case"}, token=token),
                   "users/me")
    assert_private(http("GET", "/api/orders", token=token), "orders")
    assert_private(http("GET", "/api/orders/nosuchorder", token=token), "order 404")
    assert_private(http("GET", "/api/notifications", token=token), "notifications")
    assert_private(http("GET", "/api/gigs", token=token), "gigs read with a session")
    assert_private(http("GET", "/api/trpc/gig.getUserGigs", token=token), "tRPC with a session")
    draft = http("POST", "/api/trpc/gig.createDraft", json_body={}, token=token)
    assert_private(draft, "tRPC mutation")
    assert_private(http("POST", "/api/auth/logout", token=token), "logout")
    # Public anonymous reads stay as they were (no no-store), but say what they vary on.
    assert_public(http("GET", "/api/gigs"), "anonymous gigs")
    assert_public(http("GET", "/api/categories"), "anonymous categories")
    assert_public(http("GET", "/api/trpc/gig.getGigPackages?input=" +
                       urllib.parse.quote(json.dumps({"id": draft.json["result"]["data"]["id"]}))),
                  "anonymous tRPC query")


# ---- long tRPC batches --------------------------------------------------------------------

def test_trpc_batch_of_25_deletes():
    _, token = signup()
    ids = []
    for _ in range(25):
        r = http("POST", "/api/trpc/gig.createDraft", json_body={}, token=token)
        assert r.status == 200, r
        ids.append(r.json["result"]["data"]["id"])
    path = ",".join(["gig.delete"] * 25)
    assert len(path) > 255
    body = {str(i): {"id": gid} for i, gid in enumerate(ids)}
    r = http("POST", "/api/trpc/" + path + "?batch=1", json_body=body, token=token)
    assert r.status == 200, r
    assert isinstance(r.json, list) and len(r.json) == 25, r
    assert all("result" in item for item in r.json), r


def test_trpc_batch_of_100_queries():
    _, token = signup()
    gid = http("POST", "/api/trpc/gig.createDraft", json_body={}, token=token)
    gid = gid.json["result"]["data"]["id"]
    inputs = {str(i): {"id": gid if i % 2 == 0 else "nosuchgig"} for i in range(100)}
    url = ("/api/trpc/" + ",".join(["gig.getGigPackages"] * 100) + "?batch=1&input=" +
           urllib.parse.quote(json.dumps(inputs)))
    r = http("GET", url, token=token)
    assert r.status == 207, r
    assert isinstance(r.json, list) and len(r.json) == 100, r
    for i, item in enumerate(r.json):
        if i % 2 == 0:
            assert "result" in item, (i, item)
        else:
            assert item["error"]["data"]["code"] == "NOT_FOUND", (i, item)


def test_trpc_url_limit():
    # Just under the 32 KiB limit: served by tRPC (an input it refuses, in its own shape).
    prefix = "/api/trpc/gig.getGigPackages?input="
    empty = urllib.parse.quote('{"id":""}', safe="")
    filler = "x" * (32 * 1024 - len(prefix) - len(empty))
    url = prefix + urllib.parse.quote('{"id":"' + filler + '"}', safe="")
    assert len(url) == 32 * 1024
    r = http("GET", url)
    assert r.json and "error" in r.json, r
    assert r.json["error"]["data"]["code"] in ("NOT_FOUND", "BAD_REQUEST"), r
    # One byte more: refused as a whole, still in tRPC's shape.
    r = http("GET", url + "x")
    assert r.status == 413, r
    assert trpc_error(r) == ("PAYLOAD_TOO_LARGE", 413), r
    # Far longer than that: nginx refuses it, in tRPC's shape as well.
    r = http("GET", prefix + "x" * (200 * 1024))
    assert r.status in (413, 414), r
    assert r.json and "error" in r.json, r
    # A REST route over the limit gets the REST envelope.
    assert_envelope(http("GET", "/api/gigs?q=" + "x" * (32 * 1024)), 414)


def test_unreadable_requests_answer_in_the_transport_shape():
    # A malformed percent-escape makes the request unreadable before routing: under /api/trpc
    # the answer is still a tRPC error, elsewhere the REST envelope.
    r = http("GET", "/api/trpc/gig.getGigPackages?input=%zz")
    assert r.status == 400, r
    assert r.json and "error" in r.json, r
    assert trpc_error(r) == ("BAD_REQUEST", 400), r
    assert "success" not in r.json, r
    assert_envelope(http("GET", "/api/gigs?q=%zz"), 400)
    # The same escape in the path is refused by nginx itself, in the same two shapes.
    r = http("GET", "/api/trpc/gig.get%zzGigPackages")
    assert r.status == 400, r
    assert trpc_error(r) == ("BAD_REQUEST", 400), r
    assert_envelope(http("GET", "/api/gi%zzgs"), 400)
