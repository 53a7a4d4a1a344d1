"""test_read_model.py - the read model of public gig reads (docs/decisions.md, "Read model for gig
pages"): every write that changes what a public gig page shows keeps the stored page and the
seller's stats current in its own transaction, and `khedmad check-read-model` notices any
difference between the model and the base tables (exit 1, one line per difference).

Breaking the model on purpose uses direct SQL on the test stack's database; each test puts the
model back (`khedmad rebuild-read-model`) so the check run after the whole suite still passes.
"""

import json
import urllib.parse

from harness import http, khedmad_run, signup, sql
from test_gigs_rest import make_gig, trpc_mutation

SUB, CAT = "logo-design", "design-creative"


_reader = []


def details(username, slug):
    """The page as a signed-in visitor who is not the owner sees it: the same public page, read
    past the public-read cache (which never serves credentials), so a write shows at once."""
    if not _reader:
        _reader.append(signup()[1])
    q = urllib.parse.quote(json.dumps({"username": username, "slug": slug}))
    r = http("GET", f"/api/trpc/gig.getGigDetails?input={q}", token=_reader[0])
    return r.status, (r.json or {}).get("result", {}).get("data")


def check():
    p = khedmad_run("check-read-model")
    return p.returncode, p.stdout


def rebuild():
    p = khedmad_run("rebuild-read-model")
    assert p.returncode == 0, p.stderr[-500:]


def test_check_passes_then_fails_on_a_broken_page_and_broken_stats():
    user, token = signup()
    gig = make_gig(token, "Read model check gig", SUB, CAT, 120)
    rc, out = check()
    assert rc == 0, out
    try:
        sql("UPDATE gig_pages SET head = REPLACE(head, 'Read model check gig', 'Tampered') "
            f"WHERE gig_id = '{gig['id']}'")
        rc, out = check()
        assert rc == 1, out
        assert f"gig_pages {gig['id']}: head differs" in out, out
        rebuild()
        sql(f"INSERT INTO seller_stats (user_id, rating_sum, rating_count) VALUES "
            f"('{user['id']}', 5, 1) ON DUPLICATE KEY UPDATE rating_count = rating_count + 1")
        rc, out = check()
        assert rc == 1, out
        assert f"seller_stats {user['id']}:" in out, out
        rebuild()
        sql(f"DELETE FROM gig_pages WHERE gig_id = '{gig['id']}'")
        rc, out = check()
        assert rc == 1 and "published gig without a page" in out, out
    finally:
        rebuild()
    rc, out = check()
    assert rc == 0, out


def test_writes_keep_the_page_current():
    user, token = signup()
    gig = make_gig(token, "Read model edits gig", SUB, CAT, 80)
    status, page = details(user["username"], gig["slug"])
    assert status == 200 and page["title"] == "Read model edits gig"
    # An edit of the overview and a rename of the owner show on the page at once.
    trpc_mutation("gig.updateOverview", {
        "id": gig["id"], "title": "Read model edits gig v2", "category": CAT, "subCategory": SUB,
        "tags": [{"id": "t1", "text": "renamed"}]}, token)
    r = http("PATCH", "/api/users/me", json_body={"name": "Renamed Seller"}, token=token)
    assert r.status == 200, r
    status, page = details(user["username"], gig["slug"])
    assert status == 200, status
    assert page["title"] == "Read model edits gig v2"
    assert [t["name"] for t in page["tags"]] == ["renamed"]
    assert page["owner"]["name"] == "Renamed Seller"
    # Deleting the gig removes its page.
    trpc_mutation("gig.delete", {"id": gig["id"]}, token)
    status, _ = details(user["username"], gig["slug"])
    assert status == 404, status
    assert sql(f"SELECT COUNT(*) FROM gig_pages WHERE gig_id = '{gig['id']}'") == [["0"]]
    rc, out = check()
    assert rc == 0, out


def test_build_fills_pages_made_outside_the_server():
    """`khedmad rebuild-read-model` (and `migrate`, for the missing pages) builds the model of
    rows written by other means, e.g. a bulk load; the check then agrees."""
    user, token = signup()
    gig = make_gig(token, "Read model bulk gig", SUB, CAT, 50)
    sql(f"DELETE FROM gig_pages WHERE gig_id = '{gig['id']}'")
    status, _ = details(user["username"], gig["slug"])
    assert status == 404
    p = khedmad_run("migrate")
    assert p.returncode == 0, p.stderr[-500:]
    status, page = details(user["username"], gig["slug"])
    assert status == 200 and page["id"] == gig["id"]
    rc, out = check()
    assert rc == 0, out
