"""test_vip_badge.py - the VIP badge and ranking (docs/vip.md, "Badge and ranking"): owner.vip in
every public read that shows a gig's owner, the badge on the web pages, VIP owners' published
gigs first in search, category lists and the home page's newest (newest first within each
group), a gig created by a VIP user ranked with the VIP group, the badge gone when the
subscription stops being live, and `khedmad check-read-model` noticing a gig whose owner_vip
differs from its owner's badge.

A user becomes VIP the way an operator repairs one: a live subscription row written with SQL, then
`khedmad vip-sync USER-ID`, which recomputes the badge from the subscriptions through the one
writer of the flags (vip_badge_set's code), so the read model's pages follow. created_at is moved
with SQL to known instants twenty years back (older than any other test's gigs, so the newest
lists other tests read stay theirs once the badge is gone; later on each run), then the read
model is rebuilt so its pages show them.
"""

import json
import re
import urllib.parse

from harness import http, khedmad_run, signup, sql, unique
from test_gigs_rest import make_gig, trpc_mutation, trpc_query

SUB, CAT = "logo-design", "design-creative"
_world = {}


def vip_sync(user_id):
    p = khedmad_run("vip-sync", user_id)
    assert p.returncode == 0, p.stderr[-500:]
    return p.stdout


def check_read_model():
    p = khedmad_run("check-read-model")
    return p.returncode, p.stdout


def rebuild():
    p = khedmad_run("rebuild-read-model")
    assert p.returncode == 0, p.stderr[-500:]


def set_created(gig_id, seconds):
    """created_at = the run's base instant + seconds (the base is twenty years before now)."""
    base = _world["base"]
    sql(f"UPDATE gigs SET created_at = '{base}' + INTERVAL {seconds} SECOND "
        f"WHERE id = '{gig_id}'")


def subscribe(user_id, status="active"):
    sid = unique("csub").ljust(25, "0")[:25]
    sql("INSERT INTO subscriptions (id, user_id, vip_package_id, provider, status, "
        "current_period_start, current_period_end) VALUES "
        f"('{sid}', '{user_id}', 1, 'paytabs', '{status}', NOW(3), NOW(3) + INTERVAL 30 DAY)")
    return sid


def world():
    """Seller V (made VIP) and seller N (never VIP), two gigs each, created at known instants
    interleaved: V1 +1 s, N1 +2 s, V2 +3 s, N2 +4 s."""
    if "gigs" in _world:
        return _world
    m = unique("vb")
    _world["base"] = sql("SELECT NOW(3) - INTERVAL 20 YEAR")[0][0]
    v, vt = signup(name=f"Vip {m}")
    n, nt = signup(name=f"Plain {m}")
    gigs = {}
    for key, token, seconds in (("V1", vt, 1), ("N1", nt, 2), ("V2", vt, 3), ("N2", nt, 4)):
        g = make_gig(token, f"{m} {key} gig", SUB, CAT, 100)
        set_created(g["id"], seconds)
        gigs[key] = g
    rebuild()
    _world.update(m=m, v=v, vt=vt, n=n, nt=nt, gigs=gigs, reader=signup()[1])
    return _world


def search_titles(**params):
    """Titles of one search page (read with a token: the public-read cache never answers it)."""
    w = world()
    r = http("GET", "/api/gigs?" + urllib.parse.urlencode(params), token=w["reader"])
    assert r.status == 200, r
    return r.json["data"]["items"]


def keys(items):
    """The world's keys ("V1"...) of the items that are the world's gigs, in order."""
    m = world()["m"]
    out = []
    for it in items:
        t = it["title"] if isinstance(it, dict) else it
        if t.startswith(m + " "):
            out.append(t.split()[1])
    return out


def page_keys(text):
    m = re.escape(world()["m"])
    return re.findall(m + r" (\w+) gig</a>", text)


def web(path):
    r = http("GET", path, cookie=world()["reader"])
    assert r.status == 200, f"{path}: {r!r}"
    return r.body.decode("utf-8")


def card_of(text, title):
    """The <li class="gig-card"> holding title."""
    for li in re.findall(r'<li class="gig-card">.*?</li>', text, re.S):
        if title in li:
            return li
    raise AssertionError(f"no card for {title!r}")


def details(username, slug):
    w = world()
    r = http("GET", f"/api/gigs/{username}/{slug}", token=w["reader"])
    assert r.status == 200, r
    q = urllib.parse.quote(json.dumps({"username": username, "slug": slug}))
    t = http("GET", f"/api/trpc/gig.getGigDetails?input={q}", token=w["reader"])
    assert t.status == 200, t
    return r.json["data"], t.json["result"]["data"]


def user_gigs(username):
    w = world()
    r = http("GET", f"/api/users/{username}/gigs", token=w["reader"])
    assert r.status == 200, r
    t = trpc_query("gig.getUserGigsByUsername", {"username": username}, token=w["reader"])
    assert t.status == 200, t
    return r.json["data"], t.json["result"]["data"]


def assert_vip_first(items):
    """owner.vip true on a prefix of items, then false; createdAt not rising within each."""
    flags = [s["owner"]["vip"] for s in items]
    assert flags == sorted(flags, reverse=True), flags
    for group in (True, False):
        times = [s["createdAt"] for s in items if s["owner"]["vip"] is group]
        assert times == sorted(times, reverse=True), (group, times)


def assert_owner_vip(user, gig, vip):
    rest, trpc = details(user["username"], gig["slug"])
    assert rest["owner"]["vip"] is vip and trpc["owner"]["vip"] is vip, (rest["owner"], vip)
    for lst in user_gigs(user["username"]):
        assert lst and all(s["owner"]["vip"] is vip for s in lst), (lst, vip)
    found = [s for s in search_titles(q=world()["m"], limit=100) if s["id"] == gig["id"]]
    assert found and found[0]["owner"]["vip"] is vip, found


def test_no_vip_newest_first_and_owner_vip_false():
    w = world()
    assert keys(search_titles(q=w["m"])) == ["N2", "V2", "N1", "V1"]
    assert_owner_vip(w["v"], w["gigs"]["V1"], False)
    assert "badge-vip" not in web(f"/{w['v']['username']}")


def test_vip_owner_ranks_first_and_shows_the_badge():
    w = world()
    sid = subscribe(w["v"]["id"])
    try:
        assert "vip true" in vip_sync(w["v"]["id"])
        want = ["V2", "V1", "N2", "N1"]
        assert keys(search_titles(q=w["m"])) == want
        assert keys(search_titles(q=w["m"], category=SUB)) == want
        assert keys(search_titles(q=w["m"], category=CAT, minPrice="50")) == want
        # Pages of one: the order holds across pages, and the total is every match.
        one = [search_titles(q=w["m"], limit=1, page=p) for p in (1, 2, 3, 4)]
        assert [keys(x)[0] for x in one] == want
        r = http("GET", "/api/gigs?" + urllib.parse.urlencode({"q": w["m"], "limit": 1}),
                 token=w["reader"])
        assert r.json["data"]["pagination"]["totalItems"] == 4, r.json["data"]["pagination"]
        # Unfiltered and category lists: every VIP gig before every other, each group newest
        # first (other sellers may be VIP too, so the property, not the world's places).
        for params in ({"limit": 100}, {"limit": 100, "category": SUB}):
            assert_vip_first(search_titles(**params))
        assert_owner_vip(w["v"], w["gigs"]["V2"], True)
        assert_owner_vip(w["n"], w["gigs"]["N2"], False)
        # The web pages: the same order, the badge on the VIP seller's cards only.
        text = web(f"/services/search?q={w['m']}")
        assert page_keys(text) == want
        assert 'class="badge-vip">VIP<span class="vh"> seller</span>' in card_of(
            text, f"{w['m']} V2 gig")
        assert "badge-vip" not in card_of(text, f"{w['m']} N2 gig")
        for path in (f"/services/{SUB}", "/"):
            cards = re.findall(r'<li class="gig-card">.*?</li>', web(path), re.S)
            badged = ["badge-vip" in c for c in cards]
            assert cards and badged == sorted(badged, reverse=True), (path, badged)
        gig_page = web(f"/{w['v']['username']}/{w['gigs']['V1']['slug']}")
        seller = re.search(r'<aside class="seller-card.*?</aside>', gig_page, re.S).group(0)
        assert "badge-vip" in seller
        profile = web(f"/{w['v']['username']}")
        assert re.search(r'<h1 id="who">[^<]*<span class="badge-vip">', profile), profile[:2000]
        plain = web(f"/{w['n']['username']}/{w['gigs']['N1']['slug']}")
        assert "badge-vip" not in plain
        rc, out = check_read_model()
        assert rc == 0, out
    finally:
        sql(f"UPDATE subscriptions SET status = 'expired' WHERE id = '{sid}'")
        vip_sync(w["v"]["id"])


def test_a_gig_created_by_a_vip_user_ranks_with_the_vip_group():
    w = world()
    sid = subscribe(w["v"]["id"])
    try:
        vip_sync(w["v"]["id"])
        g = make_gig(w["vt"], f"{w['m']} V0 gig", SUB, CAT, 90)
        set_created(g["id"], 0)  # the oldest of all, still before every non-VIP gig
        rebuild()
        assert keys(search_titles(q=w["m"])) == ["V2", "V1", "V0", "N2", "N1"]
        assert sql(f"SELECT owner_vip FROM gigs WHERE id = '{g['id']}'") == [["1"]]
        rc, out = check_read_model()
        assert rc == 0, out
    finally:
        sql(f"UPDATE subscriptions SET status = 'expired' WHERE id = '{sid}'")
        vip_sync(w["v"]["id"])


def test_badge_goes_when_the_subscription_stops_being_live():
    w = world()
    sid = subscribe(w["v"]["id"], status="trialing")
    vip_sync(w["v"]["id"])
    assert_owner_vip(w["v"], w["gigs"]["V1"], True)
    sql(f"UPDATE subscriptions SET status = 'cancelled' WHERE id = '{sid}'")
    assert "vip false" in vip_sync(w["v"]["id"])
    assert_owner_vip(w["v"], w["gigs"]["V1"], False)
    assert keys(search_titles(q=w["m"]))[:4] == ["N2", "V2", "N1", "V1"]
    assert "badge-vip" not in web(f"/{w['v']['username']}")
    assert "badge-vip" not in web(f"/{w['v']['username']}/{w['gigs']['V1']['slug']}")
    rc, out = check_read_model()
    assert rc == 0, out


def test_check_read_model_reports_an_owner_vip_mismatch_and_vip_sync_repairs_it():
    w = world()
    gid = w["gigs"]["N1"]["id"]
    sql(f"UPDATE gigs SET owner_vip = TRUE WHERE id = '{gid}'")
    try:
        rc, out = check_read_model()
        assert rc == 1, out
        assert f"gigs {gid}: owner_vip 1 but the owner's vip is 0" in out, out
    finally:
        assert "vip false" in vip_sync(w["n"]["id"])
    rc, out = check_read_model()
    assert rc == 0, out
    p = khedmad_run("vip-sync", "c" + "0" * 24)
    assert p.returncode == 1 and "User not found" in p.stderr, (p.returncode, p.stderr)
