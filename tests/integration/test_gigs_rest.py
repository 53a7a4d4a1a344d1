"""test_gigs_rest.py - the public gig reads (docs/api.md, "Gigs") over REST, against the running
stack: GET /api/categories, GET /api/gigs (text, category, price range, pagination and the 400s
of the query string), GET /api/gigs/{username}/{slug} (GigDetails) and
GET /api/users/{username}/gigs, plus the visibility rules they share with the tRPC reads
(drafts and deleted gigs are invisible to the public; no owner e-mail anywhere).

Fixtures are made the way a client makes them, through the tRPC mutations (plain HTTP POSTs to
/api/trpc/gig.*). Every title carries a marker unique to this run, so searches by that marker see
only this file's gigs even on a database other runs have filled.
"""

import json
import re
import time
import urllib.parse

from harness import assert_envelope, http, signup, unique

CUID_RE = re.compile(r"^c[a-z0-9]{24}$")
ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
SUMMARY_KEYS = {"id", "title", "slug", "status", "category", "attachaments", "owner",
                "offersMultiplePackages", "packages", "createdAt"}
DETAILS_KEYS = {"id", "title", "slug", "status", "description", "offersMultiplePackages", "owner",
                "category", "tags", "packages", "createdAt", "faqs", "attachments"}
PACKAGE_KEYS = {"id", "name", "description", "price", "delivery", "revisions", "type", "gigId",
                "createdAt", "updatedAt"}
TIER_KEYS = {"id", "name", "price", "type"}
ATTACHMENT_KEYS = {"id", "name", "url", "type"}


# --------------------------------------------------------------------------------------------
# Fixtures through the tRPC mutations

def trpc_mutation(path, body, token):
    r = http("POST", "/api/trpc/" + path, json_body=body, token=token)
    assert r.status == 200, f"{path}: {r!r}"
    return r.json["result"]["data"]


def trpc_query(path, input_obj, token=None):
    qs = "?input=" + urllib.parse.quote(json.dumps(input_obj)) if input_obj is not None else ""
    return http("GET", "/api/trpc/" + path + qs, token=token)


def package(name, price):
    return {"name": name, "description": "What you get: " + name, "price": price,
            "delivery": 3, "revisions": 2}


def make_gig(token, title, sub, cat, price, publish=True, standard=None, premium=None):
    """A gig with an overview, packages, a gallery and an FAQ; published unless told not to.
    Returns the published output ({id, slug, owner}) or, for a draft, {"id": ...}."""
    gig = trpc_mutation("gig.createDraft", {}, token)
    gid = gig["id"]
    trpc_mutation("gig.updateOverview", {
        "id": gid, "title": title, "category": cat, "subCategory": sub,
        "tags": [{"id": "t1", "text": "fast"}, {"id": "t2", "text": "Quality"}]}, token)
    body = {"gigId": gid, "basic": package("Basic tier", price)}
    if standard:
        body["standard"] = package("Standard tier", standard)
    if premium:
        body["premium"] = package("Premium tier", premium)
    trpc_mutation("gig.createPackages", body, token)
    trpc_mutation("gig.updateGallery", {
        "id": gid, "images": [f"https://cdn.example.com/{gid}/cover.jpg",
                              f"https://cdn.example.com/{gid}/second.png"],
        "videos": [], "documents": [f"https://cdn.example.com/{gid}/brief.pdf"]}, token)
    trpc_mutation("gig.updateDescriptionFaq", {
        "id": gid,
        "description": {"time": 1, "blocks": [{"type": "paragraph", "data": {"text": title}}],
                        "version": "2.28.0"},
        "faq": [{"question": "How fast?", "answer": "Three days."},
                {"question": "Revisions?", "answer": "Two."}]}, token)
    time.sleep(0.01)  # distinct createdAt, so "newest first" has one right answer
    if not publish:
        return {"id": gid}
    return trpc_mutation("gig.publish", {"id": gid}, token)


_world = {}


def world():
    """One seller with three published gigs, a draft and a deleted gig, made once per run."""
    if _world:
        return _world
    marker = unique("mk")
    seller, token = signup()
    logo = make_gig(token, f"{marker} logo design", "logo-design", "design-creative", 150,
                    standard=300, premium=600)
    web = make_gig(token, f"{marker} react website", "web-development", "programming-tech", 900)
    seo = make_gig(token, f"{marker} 100%_pure seo", "seo", "digital-marketing", 40)
    draft = make_gig(token, f"{marker} unfinished draft", "logo-design", "design-creative", 70,
                     publish=False)
    gone = make_gig(token, f"{marker} deleted gig", "logo-design", "design-creative", 80)
    trpc_mutation("gig.delete", {"id": gone["id"]}, token)
    _world.update(marker=marker, seller=seller, token=token, logo=logo, web=web, seo=seo,
                  draft=draft, gone=gone)
    return _world


def search(**params):
    return http("GET", "/api/gigs?" + urllib.parse.urlencode(params))


def search_ok(**params):
    return assert_envelope(search(**params), 200)


def titles(data):
    return [g["title"] for g in data["items"]]


def keys_anywhere(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from keys_anywhere(v)
    elif isinstance(value, list):
        for v in value:
            yield from keys_anywhere(v)


def assert_no_email(resp, email):
    assert "email" not in set(keys_anywhere(resp.json)), f"an email key in {resp!r}"
    assert email.encode() not in resp.body, "the owner's e-mail leaked"


def check_summary(s):
    assert set(s) >= SUMMARY_KEYS, f"summary keys: {sorted(s)}"
    assert CUID_RE.match(s["id"]) and ISO_RE.match(s["createdAt"])
    assert set(s["attachaments"]) == {"images", "videos", "documents"}
    for lst in s["attachaments"].values():
        for a in lst:
            assert set(a) >= ATTACHMENT_KEYS
    assert set(s["owner"]) == {"name", "username", "vip"}
    assert s["owner"]["vip"] is False, "a seller without a subscription"
    assert set(s["category"]) >= {"id", "name", "parentId"}
    assert "basic" in s["packages"]
    for tier, p in s["packages"].items():
        assert set(p) >= TIER_KEYS and p["type"] == tier
        assert isinstance(p["price"], (int, float)) and not isinstance(p["price"], bool)
    assert isinstance(s["offersMultiplePackages"], bool)


# --------------------------------------------------------------------------------------------
# GET /api/categories

def test_categories_shape_and_order():
    data = assert_envelope(http("GET", "/api/categories"), 200)
    assert isinstance(data, list) and len(data) >= 2
    assert data[0]["slug"] == "design-creative", "ordered by position"
    for top in data:
        assert set(top) >= {"id", "name", "slug", "parentId", "subCategories"}
        assert top["parentId"] is None
        assert top["subCategories"], f"{top['slug']} has no subcategories"
        for sub in top["subCategories"]:
            assert set(sub) >= {"id", "name", "slug", "parentId"}
            assert sub["parentId"] == top["id"]
            assert "subCategories" not in sub
    design = data[0]
    assert "logo-design" in [s["slug"] for s in design["subCategories"]]
    trpc = trpc_query("category.list", None)
    assert trpc.status == 200 and trpc.json["result"]["data"] == data, "same service as tRPC"


# --------------------------------------------------------------------------------------------
# GET /api/gigs

def test_search_by_text_newest_first():
    w = world()
    data = search_ok(q=w["marker"])
    assert titles(data) == [f"{w['marker']} 100%_pure seo", f"{w['marker']} react website",
                            f"{w['marker']} logo design"], "published only, newest first"
    for s in data["items"]:
        check_summary(s)
        assert s["status"] == "published"
    assert data["pagination"] == {"totalItems": 3, "currentPage": 1, "pageSize": 25,
                                  "totalPages": 1}
    upper = search_ok(q=w["marker"].upper() + " LOGO")
    assert titles(upper) == [f"{w['marker']} logo design"], "case-insensitive"


def test_search_text_is_literal():
    w = world()
    assert titles(search_ok(q=f"{w['marker']} 100%_pure")) == [f"{w['marker']} 100%_pure seo"]
    assert search_ok(q=f"{w['marker']}%logo")["items"] == [], "% matches itself only"
    assert search_ok(q=f"{w['marker']} 100__pure")["items"] == [], "_ matches itself only"
    assert search_ok(q="zz" + unique("none"))["pagination"]["totalItems"] == 0


def test_search_by_category_parent_and_child():
    w = world()
    parent = search_ok(q=w["marker"], category="design-creative")
    assert titles(parent) == [f"{w['marker']} logo design"]
    child = search_ok(q=w["marker"], category="web-development")
    assert titles(child) == [f"{w['marker']} react website"]
    other_child = search_ok(q=w["marker"], category="web-design")
    assert other_child["items"] == []
    design = assert_envelope(http("GET", "/api/categories"), 200)[0]
    by_id = search_ok(q=w["marker"], category=design["id"])
    assert titles(by_id) == [f"{w['marker']} logo design"], "a category id works as the slug"
    unknown = search_ok(q=w["marker"], category="no-such-category-" + unique("c"))
    assert unknown["items"] == [] and unknown["pagination"]["totalItems"] == 0


def test_search_by_basic_price_range():
    w = world()
    m = w["marker"]
    assert titles(search_ok(q=m, minPrice="150")) == [f"{m} react website", f"{m} logo design"]
    assert titles(search_ok(q=m, maxPrice="150")) == [f"{m} 100%_pure seo", f"{m} logo design"]
    assert titles(search_ok(q=m, minPrice="100", maxPrice="899.99")) == [f"{m} logo design"]
    assert titles(search_ok(q=m, minPrice="40.00", maxPrice="40")) == [f"{m} 100%_pure seo"]
    # The standard/premium prices do not count: only the basic package's does.
    assert search_ok(q=m, minPrice="600", maxPrice="600")["items"] == []
    empty = search_ok(q=m, minPrice="", maxPrice="")
    assert empty["pagination"]["totalItems"] == 3, "empty parameters mean no filter"


def test_search_pagination():
    w = world()
    m = w["marker"]
    page2 = search_ok(q=m, limit="1", page="2")
    assert titles(page2) == [f"{m} react website"]
    assert page2["pagination"] == {"totalItems": 3, "currentPage": 2, "pageSize": 1,
                                   "totalPages": 3}
    page3 = search_ok(q=m, limit=2, page=2)
    assert titles(page3) == [f"{m} logo design"]
    past = search_ok(q=m, limit=2, page=5)
    assert past["items"] == []
    assert past["pagination"] == {"totalItems": 3, "currentPage": 5, "pageSize": 2,
                                  "totalPages": 2}
    plain = search_ok(limit=100)
    assert len(plain["items"]) <= 100 and plain["pagination"]["pageSize"] == 100
    for s in plain["items"]:
        assert s["status"] == "published" and "basic" in s["packages"]


def test_search_bad_parameters_are_400():
    cases = [("page", "0"), ("page", "abc"), ("page", "-1"), ("page", "1.5"),
             ("limit", "0"), ("limit", "101"), ("limit", "x"),
             ("minPrice", "abc"), ("minPrice", "-5"), ("minPrice", "1.234"), ("minPrice", "1e3"),
             ("maxPrice", "12."), ("maxPrice", "NaN"), ("q", "x" * 101)]
    for name, value in cases:
        r = search(**{name: value})
        assert_envelope(r, 400)
        assert name in r.json["message"], f"{name}={value}: message {r.json['message']!r}"
        assert name in (r.json.get("errors") or {}), f"{name}={value}: errors {r.json!r}"
    both = search(page="0", limit="500")
    assert_envelope(both, 400)
    assert set(both.json["errors"]) == {"page", "limit"}


def test_search_output_has_no_email():
    w = world()
    r = search(q=w["marker"])
    assert_envelope(r, 200)
    assert_no_email(r, w["seller"]["email"])


# --------------------------------------------------------------------------------------------
# GET /api/gigs/{username}/{slug}

def test_details_shape():
    w = world()
    logo = w["logo"]
    r = http("GET", f"/api/gigs/{logo['owner']['username']}/{logo['slug']}")
    d = assert_envelope(r, 200)
    assert set(d) >= DETAILS_KEYS, f"details keys: {sorted(d)}"
    assert d["id"] == logo["id"] and d["slug"] == logo["slug"] and d["status"] == "published"
    assert d["title"] == f"{w['marker']} logo design"
    assert d["description"]["blocks"][0]["data"]["text"] == d["title"], "parsed JSON"
    assert d["offersMultiplePackages"] in (True, False)
    owner = d["owner"]
    assert set(owner) == {"id", "name", "username", "image", "vip", "rating", "numberOfReviews"}
    assert owner["vip"] is False, "a seller without a subscription"
    assert owner["id"] == w["seller"]["id"] and owner["username"] == w["seller"]["username"]
    assert owner["rating"] is None and owner["numberOfReviews"] == 0, "no reviews yet"
    assert d["category"]["slug"] == "logo-design" and set(d["category"]) >= {
        "id", "slug", "name", "parentId"}
    assert [t["name"] for t in d["tags"]] == ["fast", "Quality"]
    assert all(set(t) >= {"id", "name"} for t in d["tags"])
    assert list(d["packages"]) == ["basic", "standard", "premium"]
    for tier, p in d["packages"].items():
        assert set(p) >= PACKAGE_KEYS and p["type"] == tier and p["gigId"] == d["id"]
        assert ISO_RE.match(p["createdAt"]) and ISO_RE.match(p["updatedAt"])
    assert d["packages"]["basic"]["price"] == 150 and d["packages"]["premium"]["price"] == 600
    assert b'"price":150,' in r.body or b'"price": 150,' in r.body, "exact JSON number"
    assert d["faqs"] == [{"question": "How fast?", "answer": "Three days."},
                         {"question": "Revisions?", "answer": "Two."}]
    images = d["attachments"]["images"]
    assert [a["name"] for a in images] == ["cover.jpg", "second.png"]
    assert all(set(a) >= ATTACHMENT_KEYS and a["type"] == "image" for a in images)
    assert [a["name"] for a in d["attachments"]["documents"]] == ["brief.pdf"]
    assert d["attachments"]["videos"] == []
    assert ISO_RE.match(d["createdAt"])
    assert_no_email(r, w["seller"]["email"])


def test_details_same_as_trpc_and_username_case_insensitive():
    w = world()
    logo = w["logo"]
    rest = assert_envelope(http("GET", f"/api/gigs/{logo['owner']['username']}/{logo['slug']}"),
                           200)
    t = trpc_query("gig.getGigDetails", {"username": logo["owner"]["username"],
                                         "slug": logo["slug"]})
    assert t.status == 200 and t.json["result"]["data"] == rest
    upper = http("GET", f"/api/gigs/{logo['owner']['username'].upper()}/{logo['slug']}")
    assert assert_envelope(upper, 200)["id"] == logo["id"]


def test_details_not_found():
    w = world()
    username = w["seller"]["username"]
    for path in (f"/api/gigs/{username}/no-such-slug", f"/api/gigs/nobody{unique('x')}/x",
                 f"/api/gigs/{username}/{w['gone']['slug']}"):
        assert_envelope(http("GET", path), 404, "Gig not found")
    bad = http("GET", f"/api/gigs/{username}/%FF%FE")
    assert bad.status in (400, 404), f"invalid UTF-8 in the path: {bad!r}"
    assert_envelope(bad, bad.status)


# --------------------------------------------------------------------------------------------
# Visibility: drafts and deleted gigs

def test_drafts_and_deleted_are_invisible():
    w = world()
    m = w["marker"]
    found = titles(search_ok(q=m, limit=100))
    assert f"{m} unfinished draft" not in found and f"{m} deleted gig" not in found
    listed = assert_envelope(http("GET", f"/api/users/{w['seller']['username']}/gigs"), 200)
    ids = {g["id"] for g in listed}
    assert w["draft"]["id"] not in ids and w["gone"]["id"] not in ids
    for proc in ("gig.getGigPackages", "gig.getDescriptionFaq", "gig.getGigGallery"):
        anon = trpc_query(proc, {"id": w["draft"]["id"]})
        assert anon.status == 404, f"{proc} of a draft, anonymous: {anon!r}"
        other = signup()[1]
        assert trpc_query(proc, {"id": w["draft"]["id"]}, token=other).status == 404
        own = trpc_query(proc, {"id": w["draft"]["id"]}, token=w["token"])
        assert own.status == 200, f"{proc} of my own draft: {own!r}"
        gone = trpc_query(proc, {"id": w["gone"]["id"]}, token=w["token"])
        assert gone.status == 404, f"{proc} of a deleted gig: {gone!r}"


def test_public_parts_of_a_published_gig():
    w = world()
    gid = w["logo"]["id"]
    gallery = trpc_query("gig.getGigGallery", {"id": gid}).json["result"]["data"]
    assert gallery == {"images": [f"https://cdn.example.com/{gid}/cover.jpg",
                                  f"https://cdn.example.com/{gid}/second.png"],
                       "videos": [], "documents": [f"https://cdn.example.com/{gid}/brief.pdf"]}
    faq = trpc_query("gig.getDescriptionFaq", {"id": gid}).json["result"]["data"]
    assert faq["faq"][0] == {"question": "How fast?", "answer": "Three days."}
    assert faq["description"]["blocks"][0]["type"] == "paragraph"
    packages = trpc_query("gig.getGigPackages", {"id": gid}).json["result"]["data"]
    assert set(packages) == {"basic", "standard", "premium"}
    assert set(packages["basic"]) >= PACKAGE_KEYS and packages["standard"]["price"] == 300


def test_owner_sees_own_drafts_others_do_not():
    w = world()
    uid = w["seller"]["id"]
    mine = trpc_query("gig.getUserGigs", {"id": uid}, token=w["token"])
    assert mine.status == 200
    statuses = {g["id"]: g["status"] for g in mine.json["result"]["data"]}
    assert statuses.get(w["draft"]["id"]) == "draft" and statuses.get(w["logo"]["id"])
    other = signup()[1]
    theirs = trpc_query("gig.getUserGigs", {"id": uid}, token=other)
    assert theirs.status == 200
    seen = theirs.json["result"]["data"]
    assert seen and all(g["status"] == "published" for g in seen)
    assert w["draft"]["id"] not in {g["id"] for g in seen}


def test_gig_by_id_is_details_for_the_owner_only():
    w = world()
    empty = trpc_mutation("gig.createDraft", {}, w["token"])
    r = trpc_query("gig.getGigById", {"id": empty["id"]}, token=w["token"])
    assert r.status == 200, f"my untitled draft: {r!r}"
    d = r.json["result"]["data"]
    assert d["id"] == empty["id"] and d["status"] == "draft" and d["title"] is None
    assert d["category"] is None and d["tags"] == [] and d["packages"] == {} and d["faqs"] == []
    assert set(d["owner"]) == {"id", "name", "username", "image", "vip"}, "no owner stats here"
    mine = trpc_query("gig.getGigById", {"id": w["logo"]["id"]}, token=w["token"])
    public = assert_envelope(
        http("GET", f"/api/gigs/{w['seller']['username']}/{w['logo']['slug']}"), 200)
    for key in ("rating", "numberOfReviews"):
        public["owner"].pop(key)
    assert mine.json["result"]["data"] == public
    other = signup()[1]
    assert trpc_query("gig.getGigById", {"id": w["logo"]["id"]}, token=other).status == 404
    assert trpc_query("gig.getGigById", {"id": w["gone"]["id"]}, token=w["token"]).status == 404
    trpc_mutation("gig.delete", {"id": empty["id"]}, w["token"])


# --------------------------------------------------------------------------------------------
# GET /api/users/{username}/gigs

def test_user_gigs():
    w = world()
    r = http("GET", f"/api/users/{w['seller']['username']}/gigs")
    data = assert_envelope(r, 200)
    assert [g["id"] for g in data] == [w["seo"]["id"], w["web"]["id"], w["logo"]["id"]]
    for s in data:
        check_summary(s)
        assert s["owner"]["username"] == w["seller"]["username"]
    logo = data[2]
    assert set(logo["packages"]) == {"basic", "standard", "premium"}
    assert [a["name"] for a in logo["attachaments"]["images"]] == ["cover.jpg", "second.png"]
    assert_no_email(r, w["seller"]["email"])
    t = trpc_query("gig.getUserGigsByUsername", {"username": w["seller"]["username"]})
    assert t.status == 200 and t.json["result"]["data"] == data


def test_user_gigs_empty_and_unknown():
    fresh, _ = signup()
    assert assert_envelope(http("GET", f"/api/users/{fresh['username']}/gigs"), 200) == []
    assert_envelope(http("GET", f"/api/users/nobody{unique('x')}/gigs"), 404)
