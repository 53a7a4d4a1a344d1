"""test_public_cache.py - the public-read cache in nginx (docs/deploy.md, "Public-read cache"),
against the running stack: which answers nginx keeps, for how long, and who never gets them.

Whether a request reached khedmad is read from khedmad's own access log (log/khedmad.log, one
JSON line per request with its X-Request-Id): every request here sends an id of its own, and nginx
passes it on only when it asks khedmad. The X-Khedma-Cache header nginx adds is not relied on.

The file adapts to the stack's KHEDMA_PUBLIC_CACHE_S (read from the running khedmad): with the
default (1 s) it proves what is cached and what never is; deploy/test runs it once more on a stack
restarted with KHEDMA_PUBLIC_CACHE_S=0 and then proves that nothing is cached at all.
"""

import json
import os
import threading
import time
import urllib.parse

from harness import VAR, assert_envelope, http, khedmad_env, signup, unique
from test_gigs_rest import make_gig, trpc_mutation

KHEDMAD_LOG = os.path.join(VAR, "log", "khedmad.log")
NGINX_CONF = os.path.join(VAR, "nginx", "nginx.conf")


def cache_s():
    return int(khedmad_env()[0].get("KHEDMA_PUBLIC_CACHE_S") or "1")


def get(path, rid, **kw):
    headers = dict(kw.pop("headers", {}), **{"X-Request-Id": rid})
    return http("GET", path, headers=headers, **kw)


def reached(ids, settle=0.3):
    """The subset of ids that khedmad logged an access for. khedmad logs after answering, so the
    log is read again until every id is there or `settle` seconds have passed."""
    ids = set(ids)
    deadline = time.monotonic() + settle
    while True:
        seen = set()
        with open(KHEDMAD_LOG, encoding="utf-8", errors="replace") as f:
            for line in f:
                if '"kind":"access"' not in line:
                    continue
                try:
                    rid = json.loads(line).get("id")
                except ValueError:
                    continue
                if rid in ids:
                    seen.add(rid)
        if seen == ids or time.monotonic() >= deadline:
            return seen
        time.sleep(0.05)


def trpc_get(path, input_obj, batch=False):
    if batch:
        return f"/api/trpc/{path}?batch=1&input=" + urllib.parse.quote(json.dumps(input_obj))
    return f"/api/trpc/{path}?input=" + urllib.parse.quote(json.dumps(input_obj))


_gig = {}


def gig():
    """One seller with one published gig and one draft, made once per run."""
    if not _gig:
        seller, token = signup()
        marker = unique("pc")
        pub = make_gig(token, f"{marker} cached gig", "logo-design", "design-creative", 120)
        draft = make_gig(token, f"{marker} private draft", "logo-design", "design-creative", 90,
                         publish=False)
        _gig.update(seller=seller, token=token, marker=marker, pub=pub, draft=draft)
    return _gig


def fresh_gig():
    """A published gig of its own, so its pages have never been requested."""
    g = gig()
    return make_gig(g["token"], f"{unique('pc')} fresh gig", "logo-design", "design-creative", 130)


def public_paths(g):
    u, s = g["seller"]["username"], g["pub"]["slug"]
    details = {"username": u, "slug": s}
    return [
        "/api/categories",
        "/api/gigs?" + urllib.parse.urlencode({"q": g["marker"]}),
        f"/api/gigs/{u}/{s}",
        f"/api/users/{u}/gigs",
        trpc_get("gig.getGigDetails", details),
        trpc_get("gig.getUserGigsByUsername", {"username": u}),
        "/api/trpc/category.list",
        trpc_get("gig.getGigPackages", {"id": g["pub"]["id"]}),
        trpc_get("gig.getGigDetails,category.list", {"0": details}, batch=True),
    ]


def test_x_accel_expires_never_reaches_a_client():
    g = gig()
    for path in public_paths(g):
        r = get(path, unique("rid"))
        assert r.status == 200, f"{path}: {r!r}"
        assert "x-accel-expires" not in r.headers, f"{path}: {r.headers!r}"


def test_anonymous_public_reads_are_served_from_the_cache():
    """Two anonymous reads in a row: the second never reaches khedmad while the cache is on (the
    first may have been a hit of an earlier test); with the cache off both do."""
    g = gig()
    for path in public_paths(g):
        first, second = unique("rid"), unique("rid")
        a, b = get(path, first), get(path, second)
        assert a.status == 200 and b.status == 200, f"{path}: {a!r} {b!r}"
        assert a.body == b.body, path
        assert b.headers.get("x-request-id") == second, "a cached answer keeps another request's id"
        seen = reached([first, second], settle=0.5)
        if cache_s() > 0:
            assert second not in seen, f"{path}: the second anonymous read reached khedmad"
        else:
            assert seen == {first, second}, f"{path}: with the cache off every read reaches khedmad"


def test_signed_in_requests_never_get_or_fill_the_cache():
    g = gig()
    other, other_token = signup()
    for path in public_paths(g):
        get(path, unique("rid"))  # the anonymous copy is now cached (when the cache is on)
        by_token, by_cookie, by_owner = unique("rid"), unique("rid"), unique("rid")
        for rid, kw in ((by_token, {"token": other_token}), (by_cookie, {"cookie": other_token}),
                        (by_owner, {"token": g["token"]})):
            r = get(path, rid, **kw)
            assert r.status == 200, f"{path}: {r!r}"
            assert r.headers.get("cache-control") == "no-store", f"{path}: {r.headers!r}"
        assert reached([by_token, by_cookie, by_owner], settle=2.0) == {by_token, by_cookie,
                                                                       by_owner}, path
    # A signed-in answer is not stored: the next anonymous read of a fresh page reaches khedmad.
    fresh = fresh_gig()
    path = f"/api/gigs/{g['seller']['username']}/{fresh['slug']}"
    signed, anon = unique("rid"), unique("rid")
    assert get(path, signed, token=g["token"]).status == 200
    assert get(path, anon).status == 200
    assert reached([signed, anon], settle=2.0) == {signed, anon}


def test_owner_sees_own_draft_and_the_public_never_does():
    """The reads by gig id show the owner an unpublished gig; that answer is never cached, so an
    anonymous read right after is still refused, and the refusals are not cached either."""
    g = gig()
    path = trpc_get("gig.getGigPackages", {"id": g["draft"]["id"]})
    ids = []
    for _ in range(2):
        rid = unique("rid")
        r = get(path, rid, token=g["token"])
        assert r.status == 200, f"owner: {r!r}"
        anon = unique("rid")
        r = get(path, anon)
        assert r.status == 404, f"anonymous read of a draft: {r!r}"
        ids += [rid, anon]
    assert reached(ids, settle=2.0) == set(ids)


def edit_description(g, gid, text):
    trpc_mutation("gig.updateDescriptionFaq", {
        "id": gid,
        "description": {"time": 2, "blocks": [{"type": "paragraph", "data": {"text": text}}],
                        "version": "2.28.0"},
        "faq": [{"question": "How fast?", "answer": "Three days."}]}, g["token"])


def description_text(resp, trpc):
    data = resp.json["result"]["data"] if trpc else resp.json["data"]
    if isinstance(data, dict) and "json" in data:  # superjson
        data = data["json"]
    return json.dumps(data["description"])


def test_edit_seen_by_owner_at_once_and_by_public_within_the_bound():
    g = gig()
    fresh = fresh_gig()
    u = g["seller"]["username"]
    rest = f"/api/gigs/{u}/{fresh['slug']}"
    trpc = trpc_get("gig.getGigDetails", {"username": u, "slug": fresh["slug"]})
    for path, is_trpc in ((rest, False), (trpc, True)):
        assert get(path, unique("rid")).status == 200  # cached, when the cache is on
    text = unique("edited")
    edit_description(g, fresh["id"], text)
    edited = time.monotonic()
    for path, is_trpc in ((rest, False), (trpc, True)):
        r = get(path, unique("rid"), token=g["token"])
        assert r.status == 200 and text in description_text(r, is_trpc), \
            f"the owner does not see their edit at once: {r!r}"
    # The bound is checked against when each read was sent: nginx decided after that moment.
    bound = cache_s() + 1.0
    for path, is_trpc in ((rest, False), (trpc, True)):
        while True:
            sent = time.monotonic()
            r = get(path, unique("rid"))
            assert r.status == 200, r
            if text in description_text(r, is_trpc):
                break
            assert cache_s() > 0, "with the cache off an anonymous read sees an edit at once"
            assert sent - edited <= bound, \
                f"{path}: the public still sees the old page {bound} s after the edit"
            time.sleep(0.05)


def test_deleted_gig_leaves_public_reads_within_the_bound():
    """After the delete, khedmad's answer (404) may not be stored, so nginx keeps the old copy;
    it must still stop handing it out once KHEDMA_PUBLIC_CACHE_S has passed."""
    g = gig()
    fresh = fresh_gig()
    u = g["seller"]["username"]
    paths = [f"/api/gigs/{u}/{fresh['slug']}",
             trpc_get("gig.getGigDetails", {"username": u, "slug": fresh["slug"]}),
             trpc_get("gig.getGigPackages", {"id": fresh["id"]})]
    for path in paths:
        assert get(path, unique("rid")).status == 200
    trpc_mutation("gig.delete", {"id": fresh["id"]}, g["token"])
    deleted = time.monotonic()
    for path in paths:
        assert get(path, unique("rid"), token=g["token"]).status == 404, "the owner sees it at once"
    bound = cache_s() + 1.0
    for path in paths:
        while True:
            sent = time.monotonic()
            if get(path, unique("rid")).status == 404:
                break
            assert sent - deleted <= bound, f"{path}: still public {bound} s after the delete"
            time.sleep(0.05)
    # and it stays gone, also once the old copy's time has long passed
    time.sleep(cache_s() + 0.2)
    for path in paths:
        assert get(path, unique("rid")).status == 404, path


def burst(path, n=16):
    """n concurrent anonymous GETs of path; returns their request ids."""
    ids = [unique("burst") for _ in range(n)]
    start = threading.Barrier(n)
    results = [None] * n

    def one(i):
        start.wait()
        results[i] = get(path, ids[i])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bodies = {r.body for r in results}
    assert all(r.status == 200 for r in results), [r for r in results if r.status != 200][:2]
    assert len(bodies) == 1, "a burst got different answers"
    return ids


def test_a_burst_reaches_khedmad_once():
    """A burst on a page never asked for (the cache lock), then on the same page once expired
    (stale while one background update runs): one request each reaches khedmad."""
    g = gig()
    fresh = fresh_gig()
    path = trpc_get("gig.getGigDetails", {"username": g["seller"]["username"],
                                          "slug": fresh["slug"]})
    n = 16
    cold = burst(path, n)
    seen_cold = reached(cold, settle=2.0 if cache_s() == 0 else 0.5)
    if cache_s() == 0:
        assert len(seen_cold) == n, f"cache off: {len(seen_cold)} of {n} reached khedmad"
        return
    assert len(seen_cold) == 1, f"a cold burst sent {len(seen_cold)} requests to khedmad"
    time.sleep(cache_s() + 0.3)
    expired = burst(path, n)
    seen = reached(expired, settle=1.0)
    assert len(seen) == 1, f"a burst on an expired page sent {len(seen)} requests to khedmad"


def test_errors_and_other_methods_are_never_cached():
    g = gig()
    u = g["seller"]["username"]
    cases = [
        ("GET", f"/api/gigs/{u}/{unique('no-such-gig')}", 404),
        ("GET", trpc_get("gig.getGigDetails", {"username": u, "slug": unique("nope")}), 404),
        ("GET", trpc_get("gig.getGigDetails", {"username": u}), 400),
        ("GET", "/api/gigs?page=-1", 400),
        # A public query batched with a protected one: private, and refused without a session.
        ("GET", trpc_get("category.list,gig.getUserGigs", {"1": {"id": "x"}}, batch=True), 207),
        ("HEAD", "/api/categories", 200),
        ("POST", "/api/categories", 405),
        ("POST", "/api/trpc/category.list", 415),
    ]
    for method, path, status in cases:
        ids = []
        for _ in range(2):
            rid = unique("rid")
            r = http(method, path, headers={"X-Request-Id": rid}, data=b"" if method == "POST"
                     else None)
            assert r.status == status, f"{method} {path}: {r!r}"
            assert "x-accel-expires" not in r.headers
            ids.append(rid)
        assert reached(ids, settle=2.0) == set(ids), f"{method} {path} was answered from the cache"


def test_nginx_config_follows_the_setting():
    with open(NGINX_CONF, encoding="utf-8") as f:
        directives = [line.strip() for line in f if not line.strip().startswith("#")]
    has_cache = any(d.startswith("fastcgi_cache") for d in directives)
    assert has_cache == (cache_s() > 0), f"KHEDMA_PUBLIC_CACHE_S={cache_s()}, cache directives: {has_cache}"
    r = http("GET", "/api/categories")
    assert_envelope(r, 200)
    assert ("x-khedma-cache" in r.headers) == (cache_s() > 0)
