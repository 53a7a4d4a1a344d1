"""test_web_shell.py - what every page of the web storefront shares (src/web/web.c, docs/web.md):
paths outside /api are answered in HTML, errors included, with the security headers; the API
keeps its JSON envelope; the stylesheet and script come from nginx; signup refuses the words
that are the pages' first path segments as usernames.
"""

from harness import assert_envelope, http, signup, unique

SECURITY = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
}


def assert_html_security(r):
    assert r.headers.get("content-type", "").startswith("text/html"), r.headers
    csp = r.headers.get("content-security-policy", "")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, csp
    assert "unsafe-inline" not in csp, csp
    for k, v in SECURITY.items():
        assert r.headers.get(k) == v, (k, r.headers)


def test_unknown_page_is_an_html_404():
    for path in ("/no-such-place/at/all", "/services/" + unique("c") + "/x/y/z"):
        r = http("GET", path)
        assert r.status == 404, (path, r.status)
        assert_html_security(r)
        text = r.body.decode("utf-8")
        assert text.startswith("<!doctype html>"), text[:80]
        assert "<h1>Page not found</h1>" in text
        assert 'lang="en"' in text and "/static/khedma.css" in text


def test_api_paths_keep_the_json_envelope():
    assert_envelope(http("GET", "/api/no-such-route"), 404, "Not found")
    assert_envelope(http("GET", "/api"), 404, "Not found")
    assert http("GET", "/healthz").headers["content-type"].startswith("application/json")


def test_non_canonical_page_path_is_an_html_404():
    r = http("GET", "/services//x")
    assert r.status == 404
    assert_html_security(r)


def test_static_files_come_from_nginx():
    css = http("GET", "/static/khedma.css")
    assert css.status == 200 and css.headers["content-type"].startswith("text/css"), css.headers
    assert "max-age" in css.headers.get("cache-control", "")
    js = http("GET", "/static/khedma.js")
    assert js.status == 200 and "javascript" in js.headers["content-type"], js.headers
    assert http("GET", "/static/" + unique("nope") + ".css").status == 404
    icon = http("GET", "/favicon.ico")  # asked for by browsers whatever the page declares
    assert icon.status == 200 and icon.headers["content-type"] == "image/svg+xml", icon.headers
    assert http("GET", "/static/favicon.svg").status == 200


def test_signup_refuses_page_words_as_usernames():
    for word in ("services", "dashboard", "auth", "order", "static"):
        r = http("POST", "/api/auth/signup", json_body={
            "name": "Reserved Word", "email": unique("r") + "@example.com", "username": word,
            "password": "correct-horse-42"})
        assert_envelope(r, 422, "Validation failed")
        assert "reserved" in r.body.decode("utf-8"), r.body
    signup()  # an ordinary username still works
