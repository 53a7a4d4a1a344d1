"""test_accounts.py - accounts (docs/api.md, "Accounts and sessions") over REST against the running stack:
signup, login, logout, me and the profile update, the envelope of every error they can give
(400/401/403/404/405/409/413/415/422/429), the session cookie's flags, the CSRF rule (docs/api.md, "Conventions")
and the promise that no secret (password, hash) ever leaves the server.

Each test_* function runs in definition order; the 429 test is last because it exhausts the
login rate limit on purpose.
"""

import json
import re
import threading
import time

from harness import BASE_URL, assert_envelope, http, signup, stack, unique

CUID_RE = re.compile(r"^c[a-z0-9]{24}$")
ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
USER_KEYS = {"id", "name", "username", "email", "phone", "role",
             "orderUpdatesNotifications", "inboxNotifications", "createdAt"}
PASSWORD = "correct horse battery"


# nginx lets each address sign up 20 times a second (burst 40) and log in 5 times a second
# (burst 10). These tests stay under both, so only the last test ever sees a 429.
_last_post = {}


def pace(path):
    gap = {"/api/auth/signup": 0.06, "/api/auth/login": 0.25}.get(path)
    if gap:
        wait = _last_post.get(path, 0) + gap - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        _last_post[path] = time.monotonic()


def post(path, **kw):
    pace(path)
    return http("POST", path, **kw)


def cookie_header(token):
    return {"Cookie": "khedma_session=" + token}


def new_account(**overrides):
    """A fresh account through the harness; returns (user, token, email, password)."""
    name = unique("acc")
    fields = {"name": "Test " + name, "email": name + "@example.com",
              "username": name, "password": PASSWORD, "phone": None}
    fields.update(overrides)
    pace("/api/auth/signup")
    user, token = signup(**fields)
    return user, token, fields["email"], fields["password"]


def secret_free(resp, password=None):
    """No key mentioning a password or hash anywhere, and no hash-looking value in the bytes."""
    def walk(v):
        if isinstance(v, dict):
            for k, x in v.items():
                low = k.lower()
                assert "password" not in low and "hash" not in low, "secret key %r" % k
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(resp.json)
    assert b"$argon2" not in resp.body
    if password:
        assert password.encode() not in resp.body


def session_cookie(resp):
    """The khedma_session Set-Cookie line (exactly one expected)."""
    lines = [c for c in resp.set_cookies if c.startswith("khedma_session=")]
    assert len(lines) == 1, resp.set_cookies
    return lines[0]


def cookie_attrs(line):
    parts = [p.strip() for p in line.split(";")]
    value = parts[0].split("=", 1)[1]
    attrs = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        attrs[k.lower()] = v
    return value, attrs


def check_session_cookie(resp, token):
    value, attrs = cookie_attrs(session_cookie(resp))
    assert value == token
    assert attrs.get("path") == "/"
    assert "httponly" in attrs
    assert attrs.get("samesite", "").lower() == "lax"
    assert attrs.get("max-age") == "2592000"
    assert ("secure" in attrs) == BASE_URL.startswith("https://")


def check_user(user, **expect):
    assert USER_KEYS <= set(user), user
    assert CUID_RE.match(user["id"]), user["id"]
    assert ISO_RE.match(user["createdAt"]), user["createdAt"]
    assert user["role"] in ("user", "admin")
    assert isinstance(user["orderUpdatesNotifications"], bool)
    assert isinstance(user["inboxNotifications"], bool)
    assert "token" not in user
    for k, v in expect.items():
        assert user[k] == v, (k, user[k], v)


def signup_body(**overrides):
    name = unique("su")
    body = {"name": "Salma " + name, "email": name + "@example.com",
            "username": name, "password": PASSWORD}
    body.update(overrides)
    return body


def expect_422(body, *fields):
    r = post("/api/auth/signup", json_body=body)
    assert_envelope(r, 422, "Validation failed")
    errors = r.json.get("errors")
    assert isinstance(errors, dict), r.json
    for f in fields:
        assert f in errors and errors[f] and all(isinstance(m, str) for m in errors[f]), errors
    return errors


# ---- signup ------------------------------------------------------------------------------

def test_signup_created_with_session_cookie():
    body = signup_body(email=unique("Mixed").upper() + "@Example.COM", phone="+212 612-345678")
    r = post("/api/auth/signup", json_body=body)
    data = assert_envelope(r, 201)
    assert set(data) >= {"user", "token"}
    token = data["token"]
    assert isinstance(token, str) and len(token) >= 32
    check_user(data["user"], name=body["name"], username=body["username"],
               email=body["email"].lower(), phone="+212 612-345678", role="user",
               orderUpdatesNotifications=True, inboxNotifications=True)
    check_session_cookie(r, token)
    secret_free(r, PASSWORD)
    assert r.headers.get("x-request-id")


def test_signup_trims_name_and_email_phone_optional():
    body = signup_body()
    body["name"] = "\u00a0  Youssef El Amrani \t"
    body["email"] = "  " + body["email"] + " "
    r = post("/api/auth/signup", json_body=body)
    user = assert_envelope(r, 201)["user"]
    check_user(user, name="Youssef El Amrani", email=body["email"].strip(), phone=None)


def test_signup_unicode_and_injection_strings_stored_verbatim():
    arabic = "\u062e\u062f\u0645\u0629 \u0645\u0631\u0627\u0643\u0634"  # "khedma marrakech"
    user, token, _, _ = new_account(name=arabic)
    assert user["name"] == arabic
    nasty = "Robert'); DROP TABLE users;-- <script>alert(1)</script> \\ \" %s"
    user, token, _, _ = new_account(name=nasty)
    assert user["name"] == nasty
    me = assert_envelope(http("GET", "/api/auth/me", token=token), 200)["user"]
    assert me["name"] == nasty
    # 100 characters (200 bytes of Arabic) is the limit, in characters not bytes.
    user, _, _, _ = new_account(name="\u0645" * 100)
    assert len(user["name"]) == 100
    expect_422(signup_body(name="\u0645" * 101), "name")


def test_signup_collects_every_field_error():
    errors = expect_422({"name": "", "email": "not-an-email", "username": "No Way!",
                         "password": "short", "phone": "call me"},
                        "name", "email", "username", "password", "phone")
    assert set(errors) == {"name", "email", "username", "password", "phone"}


def test_signup_missing_and_wrong_types():
    expect_422({}, "name", "email", "username", "password")
    expect_422(signup_body(name=42, email=["a@b.co"], username=None, password=12345678),
               "name", "email", "username", "password")
    expect_422(signup_body(phone=612345678), "phone")


def test_signup_email_rules():
    for bad in ["plain", "a@b", "a@@example.com", "a b@example.com", "a@example.com' OR '1'='1",
                "\u00fcser@example.com", "x" * 65 + "@example.com"]:
        expect_422(signup_body(email=bad), "email")


def test_signup_username_rules():
    for bad in ["ab", "x" * 31, "Alice", "with space", "dots.dots", "\u0639\u0644\u064a",
                "admin'--", ""]:
        expect_422(signup_body(username=bad), "username")
    for username in [unique("u") + "-_", unique("0"), (unique("x") + "z" * 30)[:30]]:
        r = post("/api/auth/signup", json_body=signup_body(username=username))
        assert assert_envelope(r, 201)["user"]["username"] == username


def test_signup_password_rules():
    expect_422(signup_body(password="1234567"), "password")
    expect_422(signup_body(password="x" * 1025), "password")
    # 8 characters counted as characters: 8 Arabic letters are enough, 7 are not.
    assert_envelope(post("/api/auth/signup",
                         json_body=signup_body(password="\u0643" * 8)), 201)
    expect_422(signup_body(password="\u0643" * 7), "password")
    assert_envelope(post("/api/auth/signup",
                         json_body=signup_body(password="p" * 1024)), 201)


def test_signup_duplicate_email_any_case_409():
    _, _, email, _ = new_account()
    r = post("/api/auth/signup", json_body=signup_body(email=email.upper()))
    assert_envelope(r, 409, "Email already taken")
    assert not r.set_cookies or all(not c.startswith("khedma_session=") for c in r.set_cookies)


def test_signup_duplicate_username_409():
    user, _, _, _ = new_account()
    r = post("/api/auth/signup", json_body=signup_body(username=user["username"]))
    assert_envelope(r, 409, "Username already taken")


def test_signup_concurrent_duplicates_one_wins():
    body = signup_body()
    results = []

    def go(i):
        b = dict(body, username=(body["username"][:26] + "-" + str(i)))
        results.append(post("/api/auth/signup", json_body=b).status)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results).count(201) == 1, results
    assert all(s in (201, 409) for s in results), results


# ---- login -------------------------------------------------------------------------------

def test_login_returns_token_and_cookie():
    user, _, email, password = new_account()
    r = post("/api/auth/login", json_body={"email": email, "password": password})
    data = assert_envelope(r, 200)
    check_user(data["user"], id=user["id"], email=email.lower())
    check_session_cookie(r, data["token"])
    secret_free(r, password)
    me = assert_envelope(http("GET", "/api/auth/me", token=data["token"]), 200)
    assert me["user"]["id"] == user["id"]


def test_login_email_is_case_insensitive():
    user, _, email, password = new_account()
    r = post("/api/auth/login",
             json_body={"email": "  " + email.upper() + " ", "password": password})
    assert assert_envelope(r, 200)["user"]["id"] == user["id"]


def test_login_wrong_password_and_unknown_email_look_the_same():
    _, _, email, _ = new_account()
    wrong = post("/api/auth/login", json_body={"email": email, "password": "wrong-pass"})
    unknown = post("/api/auth/login",
                   json_body={"email": unique("ghost") + "@example.com", "password": "wrong-pass"})
    assert_envelope(wrong, 401, "Invalid credentials")
    assert_envelope(unknown, 401, "Invalid credentials")
    assert wrong.json == unknown.json
    assert not [c for c in wrong.set_cookies + unknown.set_cookies
                if c.startswith("khedma_session=")]


def test_login_missing_fields_422():
    r = post("/api/auth/login", json_body={"email": 5})
    assert_envelope(r, 422, "Validation failed")
    assert {"email", "password"} <= set(r.json["errors"])


# ---- me / sessions -----------------------------------------------------------------------

def test_me_with_bearer_and_with_cookie():
    user, token, _, _ = new_account()
    by_bearer = http("GET", "/api/auth/me", token=token)
    assert assert_envelope(by_bearer, 200)["user"] == user
    secret_free(by_bearer)
    by_cookie = http("GET", "/api/auth/me", headers=cookie_header(token))
    assert assert_envelope(by_cookie, 200)["user"] == user
    lower_scheme = http("GET", "/api/auth/me", headers={"Authorization": "bearer " + token})
    assert assert_envelope(lower_scheme, 200)["user"]["id"] == user["id"]


def test_me_without_valid_session_401():
    assert_envelope(http("GET", "/api/auth/me"), 401)
    assert_envelope(http("GET", "/api/auth/me", token="garbage"), 401)
    assert_envelope(http("GET", "/api/auth/me", token="A" * 43), 401)
    assert_envelope(http("GET", "/api/auth/me", headers=cookie_header("' OR 1=1 --")), 401)
    _, token, _, _ = new_account()
    assert_envelope(http("GET", "/api/auth/me", headers={"Authorization": "Basic " + token}),
                    401)


def test_logout_revokes_only_that_token():
    _, token, email, password = new_account()
    other = assert_envelope(post("/api/auth/login",
                                 json_body={"email": email, "password": password}), 200)["token"]
    r = http("POST", "/api/auth/logout", token=token)
    assert assert_envelope(r, 200) is None
    value, attrs = cookie_attrs(session_cookie(r))
    assert value == "" and attrs.get("max-age") == "0"
    assert_envelope(http("GET", "/api/auth/me", token=token), 401)
    assert_envelope(http("GET", "/api/auth/me", headers=cookie_header(token)), 401)
    assert_envelope(http("POST", "/api/auth/logout", token=token), 401)
    assert_envelope(http("GET", "/api/auth/me", token=other), 200)


def test_logout_with_cookie_and_json():
    _, token, _, _ = new_account()
    r = http("POST", "/api/auth/logout", json_body={}, headers=cookie_header(token))
    assert_envelope(r, 200)
    assert_envelope(http("GET", "/api/auth/me", token=token), 401)


# ---- PATCH /api/users/me -----------------------------------------------------------------

def test_patch_me_each_field():
    user, token, _, _ = new_account()
    r = http("PATCH", "/api/users/me", json_body={"name": "  New Name  "}, token=token)
    check_user(assert_envelope(r, 200)["user"], id=user["id"], name="New Name",
               phone=None, orderUpdatesNotifications=True, inboxNotifications=True)
    r = http("PATCH", "/api/users/me", json_body={"phone": "0612345678"}, token=token)
    check_user(assert_envelope(r, 200)["user"], name="New Name", phone="0612345678")
    r = http("PATCH", "/api/users/me", json_body={"orderUpdatesNotifications": False},
             token=token)
    check_user(assert_envelope(r, 200)["user"], phone="0612345678",
               orderUpdatesNotifications=False, inboxNotifications=True)
    r = http("PATCH", "/api/users/me", json_body={"inboxNotifications": False}, token=token)
    check_user(assert_envelope(r, 200)["user"], orderUpdatesNotifications=False,
               inboxNotifications=False)
    r = http("PATCH", "/api/users/me", json_body={}, token=token)
    check_user(assert_envelope(r, 200)["user"], name="New Name", phone="0612345678")
    me = assert_envelope(http("GET", "/api/auth/me", token=token), 200)["user"]
    check_user(me, name="New Name", phone="0612345678", orderUpdatesNotifications=False,
               inboxNotifications=False, email=user["email"], username=user["username"],
               createdAt=user["createdAt"])
    secret_free(r)


def test_patch_me_phone_null_clears():
    _, token, _, _ = new_account(phone="+212612345678")
    r = http("PATCH", "/api/users/me", json_body={"phone": None}, token=token)
    assert assert_envelope(r, 200)["user"]["phone"] is None
    me = assert_envelope(http("GET", "/api/auth/me", token=token), 200)["user"]
    assert me["phone"] is None


def test_patch_me_wrong_types_422():
    user, token, _, _ = new_account()
    r = http("PATCH", "/api/users/me", token=token,
             json_body={"name": 5, "phone": 612345678, "orderUpdatesNotifications": "yes",
                        "inboxNotifications": 1})
    assert_envelope(r, 422, "Validation failed")
    assert set(r.json["errors"]) >= {"name", "phone", "orderUpdatesNotifications",
                                     "inboxNotifications"}
    for body, field in [({"name": ""}, "name"), ({"name": "x" * 101}, "name"),
                        ({"name": None}, "name"), ({"phone": "12"}, "phone"),
                        ({"inboxNotifications": None}, "inboxNotifications")]:
        r = http("PATCH", "/api/users/me", json_body=body, token=token)
        assert_envelope(r, 422, "Validation failed")
        assert field in r.json["errors"], (body, r.json)
    # Nothing of the rejected requests was applied.
    me = assert_envelope(http("GET", "/api/auth/me", token=token), 200)["user"]
    assert me == user


def test_patch_me_requires_session():
    assert_envelope(http("PATCH", "/api/users/me", json_body={"name": "x"}), 401)
    assert_envelope(http("PATCH", "/api/users/me", json_body={"name": "x"}, token="nope"), 401)


# ---- CSRF (docs/api.md, "Conventions") --------------------------------------------------

def test_csrf_cookie_alone_needs_json_or_allowed_origin():
    _, token, _, _ = new_account()
    raw = json.dumps({"name": "Changed By Form"}).encode()
    plain = {"Content-Type": "text/plain"}
    r = http("PATCH", "/api/users/me", data=raw, headers=dict(plain, **cookie_header(token)))
    assert_envelope(r, 403)
    r = http("PATCH", "/api/users/me", data=raw,
             headers=dict(plain, Origin="https://evil.example", **cookie_header(token)))
    assert_envelope(r, 403)
    r = http("POST", "/api/auth/logout", data=b"x", headers=dict(plain, **cookie_header(token)))
    assert_envelope(r, 403)
    # The session survived the refused logout.
    assert_envelope(http("GET", "/api/auth/me", headers=cookie_header(token)), 200)
    # Our own origin passes the CSRF rule (then the body rule answers 415).
    r = http("PATCH", "/api/users/me", data=raw,
             headers=dict(plain, Origin=BASE_URL.rstrip("/"), **cookie_header(token)))
    assert_envelope(r, 415)
    # A bearer token is not a browser credential: no CSRF check, the body rule answers.
    r = http("PATCH", "/api/users/me", data=raw, headers=plain, token=token)
    assert_envelope(r, 415)
    # The cookie with a JSON body is what the web app sends.
    r = http("PATCH", "/api/users/me", json_body={"name": "Changed By App"},
             headers=cookie_header(token))
    assert assert_envelope(r, 200)["user"]["name"] == "Changed By App"
    # Safe methods never need it.
    assert_envelope(http("GET", "/api/auth/me", headers=cookie_header(token)), 200)


# ---- request-level errors in the envelope ------------------------------------------------

def test_malformed_json_400():
    for raw in [b'{"name": "x",', b"{name: 1}", b'{"a":1} trailing', b"nul"]:
        r = post("/api/auth/signup", data=raw,
                 headers={"Content-Type": "application/json"})
        assert_envelope(r, 400)


def test_invalid_utf8_400():
    r = post("/api/auth/signup", data=b'{"name":"\xff"}',
             headers={"Content-Type": "application/json"})
    assert_envelope(r, 400)


def test_body_not_an_object_400():
    r = post("/api/auth/signup", json_body=[1, 2])
    assert_envelope(r, 400)


def test_body_too_large_413():
    big = b'{"name":"' + b"a" * int(1.2 * 1024 * 1024) + b'"}'
    r = post("/api/auth/signup", data=big, headers={"Content-Type": "application/json"},
             timeout=30)
    assert_envelope(r, 413)


def test_unknown_api_route_404():
    assert_envelope(http("GET", "/api/no/such/route"), 404)
    assert_envelope(http("POST", "/api/auth/nope", json_body={}), 404)


def test_wrong_method_405():
    r = http("GET", "/api/auth/login")
    assert_envelope(r, 405)
    assert "POST" in r.headers.get("allow", "")
    assert_envelope(http("DELETE", "/api/auth/me"), 405)


def test_non_json_content_type_415():
    body = json.dumps(signup_body()).encode()
    r = post("/api/auth/signup", data=body, headers={"Content-Type": "text/plain"})
    assert_envelope(r, 415)
    r = post("/api/auth/signup", data=b"name=x&email=y",
             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_envelope(r, 415)


# ---- database down ----------------------------------------------------------------------

def wait_healthy(seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if http("GET", "/healthz").status == 200:
            return
        time.sleep(0.2)
    raise AssertionError("the stack did not become healthy again")


def test_database_down_503_then_sessions_survive():
    _, token, email, password = new_account()
    stack("db-stop")
    try:
        assert_envelope(http("GET", "/api/auth/me", token=token), 503, "Database unavailable")
        assert_envelope(post("/api/auth/login", json_body={"email": email, "password": password}),
                        503, "Database unavailable")
        assert_envelope(post("/api/auth/signup", json_body=signup_body()), 503,
                        "Database unavailable")
    finally:
        stack("db-start")
        wait_healthy()
    assert_envelope(http("GET", "/api/auth/me", token=token), 200)


# ---- rate limit (keep last: it spends the login budget on purpose) -----------------------

def test_login_rate_limited_429():
    statuses, bodies = [], []
    lock = threading.Lock()

    def go():
        r = http("POST", "/api/auth/login",
                 json_body={"email": "nobody@example.com", "password": "whatever1"})
        with lock:
            statuses.append(r.status)
            if r.status == 429:
                bodies.append(r)

    threads = [threading.Thread(target=go) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert bodies, statuses
    assert_envelope(bodies[0], 429)
    assert set(statuses) <= {401, 429}, statuses
    time.sleep(3)
