"""test_auth_gate.py - the one sign-in gate every protected REST route and tRPC procedure passes
(ctx_require_user in src/http/ctx.c): its statuses and messages are the same on every route of a
transport, including the order moves that REST and tRPC each serve from their own files.

REST answers 401 "Authentication required" and, for a cookie-only cross-site write, 403
"Cross-site request refused"; tRPC answers UNAUTHORIZED "You must be signed in".
"""

import json
import urllib.parse

from harness import assert_envelope, http, signup, trpc_superjson

# An id of the right shape that names no order: the gate runs before the order is looked up.
NO_SUCH_ORDER = "c" + "0" * 24

REST_PROTECTED = [
    ("GET", "/api/auth/me"),
    ("PATCH", "/api/users/me"),
    ("GET", "/api/orders"),
    ("GET", f"/api/orders/{NO_SUCH_ORDER}"),
    ("POST", "/api/orders/checkout"),
    ("POST", f"/api/orders/{NO_SUCH_ORDER}/deliver"),
    ("POST", f"/api/orders/{NO_SUCH_ORDER}/cancel"),
    ("GET", f"/api/orders/{NO_SUCH_ORDER}/events"),
    ("POST", f"/api/orders/{NO_SUCH_ORDER}/review"),
    ("GET", "/api/notifications"),
    ("POST", "/api/notifications/read-all"),
]

TRPC_MUTATIONS = ["gig.createDraft", "gig.publish", "order.checkout", "order.create",
                  "order.deliver", "order.accept", "order.requestRevision", "order.cancel"]
TRPC_QUERIES = ["gig.getUserGigs", "order.list", "order.byId"]


def trpc_error(resp):
    body = resp.json
    assert isinstance(body, dict) and "error" in body, resp
    err = body["error"]
    return err["json"] if trpc_superjson() else err


def test_rest_routes_answer_401_in_one_wording():
    for method, path in REST_PROTECTED:
        body = {} if method != "GET" else None
        r = http(method, path, json_body=body) if body is not None else http(method, path)
        assert_envelope(r, 401, "Authentication required")


def test_rest_cookie_only_cross_site_write_is_403_on_every_route():
    _, token = signup()
    plain = {"Content-Type": "text/plain", "Cookie": f"khedma_session={token}"}
    for method, path in REST_PROTECTED:
        # Checkout reads its body first, so a non-JSON one is 415 there before any session check.
        if method == "GET" or path == "/api/orders/checkout":
            continue
        r = http(method, path, data=b"{}", headers=plain)
        assert r.status == 403, (path, r)
        assert_envelope(r, 403, "Cross-site request refused")


def test_trpc_procedures_answer_unauthorized_in_one_wording():
    for path in TRPC_MUTATIONS:
        payload = {"json": {"id": NO_SUCH_ORDER}} if trpc_superjson() else {"id": NO_SUCH_ORDER}
        r = http("POST", "/api/trpc/" + path, json_body=payload)
        assert r.status == 401, (path, r)
        err = trpc_error(r)
        assert err["message"] == "You must be signed in", (path, err)
        assert err["data"]["code"] == "UNAUTHORIZED" and err["data"]["httpStatus"] == 401, err
    for path in TRPC_QUERIES:
        value = {"id": NO_SUCH_ORDER}
        text = json.dumps({"json": value} if trpc_superjson() else value)
        r = http("GET", "/api/trpc/" + path + "?input=" + urllib.parse.quote(text, safe=""))
        assert r.status == 401, (path, r)
        err = trpc_error(r)
        assert err["message"] == "You must be signed in", (path, err)
        assert err["data"]["code"] == "UNAUTHORIZED", err

