"""test_web_public.py - the public pages of the web storefront (docs/web.md, "Pages"), against the
running stack: home, /services, a category, the search (filters, pagination, the 422 next to the
field), the seller profile, the gig page (packages with their Continue links, seller card,
reviews, Open Graph, Product JSON-LD), the HTML 404s, /sitemap.xml, /robots.txt, the public
cache and the security headers; and that markup typed into a gig, a name or a review shows as
text on every page that shows it.

Fixtures are made the way clients make them: gigs through the tRPC mutations, a review through a
bank-transfer order an admin confirms and the parties complete.
"""

import html
from html.parser import HTMLParser
import json
import re
import urllib.parse

from harness import NOBODY, http, khedmad_env, make_admin, signup, unique
from test_gigs_rest import make_gig, trpc_mutation
from test_lifecycle import checkout, confirm, move_ok

SUB, CAT = "logo-design", "design-creative"
SECURITY = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
}
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"


def page(path, status=200, **kw):
    r = http("GET", path, **kw)
    assert r.status == status, f"{path}: {r!r}"
    assert r.headers.get("content-type", "").startswith("text/html"), (path, r.headers)
    csp = r.headers.get("content-security-policy", "")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, csp
    assert "unsafe-inline" not in csp, csp
    for k, v in SECURITY.items():
        assert r.headers.get(k) == v, (path, k, r.headers)
    text = r.body.decode("utf-8")
    assert text.startswith("<!doctype html>") and text.rstrip().endswith("</html>"), path
    assert "<main id=\"main\"" in text and "</main>" in text, path
    # Headings in order: the first is the one h1, and none skips a level on the way down.
    levels = [int(n) for n in re.findall(r"<h([1-6])[ >]", text)]
    assert levels and levels[0] == 1 and levels.count(1) == 1, (path, levels)
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), (path, levels)
    return text


def review_order(seller_token, buyer_token, admin_token, package_id, rating, comment):
    oid = checkout(buyer_token, package_id)
    confirm(admin_token, oid)
    move_ok(oid, "deliver", seller_token)
    move_ok(oid, "accept", buyer_token)
    r = http("POST", f"/api/orders/{oid}/review", json_body={"rating": rating, "comment": comment},
             token=buyer_token)
    assert r.status == 201, r


def details(username, slug):
    r = http("GET", f"/api/gigs/{username}/{slug}")
    assert r.status == 200, r
    return r.json["data"]


_world = {}


def world():
    """A seller with a three-package gig reviewed twice, a one-package gig without reviews and a
    draft; made once per run, every title with a marker unique to the run."""
    if _world:
        return _world
    marker = unique("wp")
    seller, st = signup(name=f"Seller {marker}")
    buyer, bt = signup(name=f"Buyer {marker}")
    admin, at = signup()
    make_admin(admin["email"])
    full = make_gig(st, f"{marker} brand logo", SUB, CAT, 150, standard=300, premium=600)
    plain = make_gig(st, f"{marker} plain logo", SUB, CAT, 90)
    draft = make_gig(st, f"{marker} draft logo", SUB, CAT, 70, publish=False)
    basic_id = details(seller["username"], full["slug"])["packages"]["basic"]["id"]
    review_order(st, bt, at, basic_id, 5, "Excellent work, fast.")
    review_order(st, bt, at, basic_id, 4, "Good result.")
    _world.update(marker=marker, seller=seller, st=st, buyer=buyer, bt=bt, at=at, full=full,
                  plain=plain, draft=draft)
    return _world


def public_url():
    """KHEDMA_PUBLIC_URL of the running khedmad, or its default (config.c)."""
    env = khedmad_env()[0]
    return (env.get("KHEDMA_PUBLIC_URL") or f"http://127.0.0.1:{env['KHEDMA_PORT']}").rstrip("/")


def json_ld(text):
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', text, re.S)
    assert len(blocks) == 1, blocks
    return json.loads(blocks[0])


def meta(text, prop):
    m = re.search(r'<meta property="%s" content="([^"]*)">' % re.escape(prop), text)
    return html.unescape(m.group(1)) if m else None


# --------------------------------------------------------------------------------------------
# Pages


def test_home_shows_categories_newest_gigs_and_a_search_box():
    w = world()
    text = page("/?r=" + unique("c"))  # a query of its own: not an answer the cache kept
    assert '<a class="pill" href="/services/design-creative">Design &amp; Creative</a>' in text
    assert f'{w["marker"]} plain logo</a>' in text, "the newest gig is on the home page"
    assert f'{w["marker"]} draft logo' not in text
    assert 'action="/services/search"' in text and 'name="q"' in text
    assert '<label for="home-q">' in text
    assert "From 90 MAD" in text
    assert '<link rel="canonical" href="' in text
    # Headings in order: one h1, then h2 sections.
    heads = re.findall(r"<h([1-6])", text)
    assert heads[0] == "1" and heads.count("1") == 1, heads


def test_services_lists_every_category_with_sub_categories():
    text = page("/services")
    cats = http("GET", "/api/categories").json["data"]
    for top in cats:
        assert f'href="/services/{top["slug"]}">{html.escape(top["name"], quote=True)}' in text
        for sub in top["subCategories"]:
            assert f'href="/services/{sub["slug"]}"' in text, sub


def test_category_pages_top_and_sub():
    w = world()
    for slug in (SUB, CAT):
        text = page(f"/services/{slug}?r=" + unique("c"))
        assert f'{w["marker"]} brand logo</a>' in text, slug
        assert f'{w["marker"]} draft logo' not in text
    sub = page(f"/services/{SUB}")
    assert "<h1>Logo Design</h1>" in sub
    assert 'aria-label="Breadcrumb"' in sub and 'href="/services/design-creative"' in sub
    # The seller's rating on the cards: 4.5 out of 5 from 2 reviews.
    assert "4.5 out of 5 (2 reviews)" in sub
    page("/services/" + unique("nocat"), 404)
    page(f"/services/{SUB}?page=0", 400)


def test_search_with_filters_and_pagination():
    w = world()
    m = w["marker"]
    text = page("/services/search?" + urllib.parse.urlencode({"q": m}))
    assert f"{m} brand logo</a>" in text and f"{m} plain logo</a>" in text
    assert f"{m} draft logo" not in text
    for label in ('<label for="q">Search for</label>',
                  '<label for="min-price">Minimum price (MAD)</label>',
                  '<label for="max-price">Maximum price (MAD)</label>'):
        assert label in text, label
    assert f'value="{m}"' in text
    # Price filter on the basic package, as GET /api/gigs.
    text = page("/services/search?" + urllib.parse.urlencode({"q": m, "minPrice": "100"}))
    assert f"{m} brand logo</a>" in text and f"{m} plain logo</a>" not in text
    assert 'value="100"' in text
    # Pagination: 30 gigs of one marker over two pages of 24; the links keep the filters.
    pm = unique("pg")
    _, token = signup()
    for i in range(26):
        gig = trpc_mutation("gig.createDraft", {}, token)
        trpc_mutation("gig.updateOverview", {"id": gig["id"], "title": f"{pm} paged {i}",
                                             "category": CAT, "subCategory": SUB, "tags": []},
                      token)
        trpc_mutation("gig.createPackages", {"gigId": gig["id"], "basic": {
            "name": "Basic tier", "description": "What you get", "price": 50 + i, "delivery": 2,
            "revisions": 1}}, token)
        trpc_mutation("gig.publish", {"id": gig["id"]}, token)
    q = urllib.parse.urlencode({"q": pm, "maxPrice": "5000"})
    one = page("/services/search?" + q)
    assert "Showing 1–24 of 26 services." in one
    assert one.count('<li class="gig-card">') == 24
    nxt = f'href="/services/search?q={pm}&amp;maxPrice=5000&amp;page=2" rel="next"'
    assert nxt in one, re.findall(r'<nav class="pages".*?</nav>', one)
    two = page("/services/search?" + q + "&page=2")
    assert two.count('<li class="gig-card">') == 2 and "Showing 25–26 of 26" in two
    assert f'href="/services/search?q={pm}&amp;maxPrice=5000&amp;page=1" rel="prev"' in two
    assert '<span aria-current="page">2</span>' in two


def test_search_refuses_what_the_api_refuses_next_to_the_field():
    cases = (({"minPrice": "abc"}, "min-price"), ({"maxPrice": "1.234"}, "max-price"),
             ({"q": "x" * 101}, "q"), ({"page": "0"}, "page"))
    for params, fid in cases:
        api = http("GET", "/api/gigs?" + urllib.parse.urlencode(params))
        assert api.status == 400, (params, api)
        text = page("/services/search?" + urllib.parse.urlencode(params), 422)
        assert f'<p class="field-error" id="{fid}-error">' in text, (params, text[-2000:])
        assert 'role="alert"' in text
        assert '<li class="gig-card">' not in text
    text = page("/services/search?minPrice=abc", 422)
    assert 'aria-describedby="min-price-error"' in text and 'aria-invalid="true"' in text
    assert "Enter the lowest price in dirhams as a number" in text
    assert 'value="abc"' in text, "the typed value is kept"
    # Values the API accepts are accepted here too.
    page("/services/search?minPrice=99.5&maxPrice=1000&page=1")


def test_seller_profile():
    w = world()
    s = w["seller"]
    text = page(f"/{s['username']}")
    assert f"<h1 id=\"who\">Seller {w['marker']}</h1>" in text
    assert f"{w['marker']} brand logo</a>" in text and f"{w['marker']} plain logo</a>" in text
    assert f"{w['marker']} draft logo" not in text
    assert "4.5 out of 5 (2 reviews)" in text
    assert re.search(r"Member since [A-Z][a-z]+ \d{4}", text), "member since"
    page(f"/{s['username'].upper()}")  # usernames are found whatever their case, as in the API
    page("/" + unique("nobody"), 404)
    # A buyer without gigs has a profile with none listed.
    assert "No published services yet." in page(f"/{w['buyer']['username']}")


def test_gig_page_content_and_continue_links():
    w = world()
    u, slug = w["seller"]["username"], w["full"]["slug"]
    d = details(u, slug)
    text = page(f"/{u}/{slug}")
    assert f"<h1>{w['marker']} brand logo</h1>" in text
    assert 'href="/services/logo-design">Logo Design</a>' in text
    for t, price in (("basic", "150 MAD"), ("standard", "300 MAD"), ("premium", "600 MAD")):
        assert f'<a class="btn" href="/order/{u}/{slug}/{t}">Continue</a>' in text, t
        assert price in text
    assert "3 days delivery" in text and "2 revisions" in text
    assert "What you get: Standard tier" in text
    assert "<dt>How fast?</dt><dd>Three days.</dd>" in text
    for img in d["attachments"]["images"]:
        assert f'<img src="{img["url"]}" alt="{w["marker"]} brand logo — image' in text
    assert '<li class="pill">fast</li>' in text
    # Seller card and reviews.
    assert 'class="seller-card card"' in text and f'href="/{u}">Seller {w["marker"]}</a>' in text
    assert text.count("4.5 out of 5 (2 reviews)") == 2, "gig reviews and the seller card"
    assert "Excellent work, fast." in text and "Good result." in text
    assert "5 out of 5" in text and "4 out of 5" in text
    assert f"<title>{w['marker']} brand logo · Khedma</title>" in text
    # The Continue links lead where the order pages live; one of each package type only.
    assert text.count(">Continue</a>") == 3
    plain = page(f"/{u}/{w['plain']['slug']}")
    assert plain.count(">Continue</a>") == 1 and f"/order/{u}/{w['plain']['slug']}/basic" in plain


def test_gig_page_seo_head():
    w = world()
    u, slug = w["seller"]["username"], w["full"]["slug"]
    base = public_url()
    text = page(f"/{u}/{slug}")
    url = f"{base}/{u}/{slug}"
    assert f'<link rel="canonical" href="{url}">' in text
    assert meta(text, "og:title") == f"{w['marker']} brand logo"
    assert meta(text, "og:url") == url and meta(text, "og:type") == "product"
    assert meta(text, "og:description")
    assert meta(text, "og:image").startswith("https://cdn.example.com/")
    assert re.search(r'<meta name="description" content="[^"]+">', text)
    ld = json_ld(text)
    assert ld["@context"] == "https://schema.org" and ld["@type"] == "Product"
    assert ld["name"] == f"{w['marker']} brand logo" and ld["url"] == url
    assert ld["image"][0].startswith("https://cdn.example.com/")
    offers = ld["offers"]
    assert [o["price"] for o in offers] == ["150", "300", "600"]
    for o, t in zip(offers, ("basic", "standard", "premium")):
        assert o["@type"] == "Offer" and o["priceCurrency"] == "MAD"
        assert o["availability"] == "https://schema.org/InStock"
        assert o["url"] == f"{base}/order/{u}/{slug}/{t}"
    ar = ld["aggregateRating"]
    assert ar["@type"] == "AggregateRating" and ar["ratingValue"] == 4.5 and ar["reviewCount"] == 2
    # Without reviews of its own (the seller has some): no AggregateRating, one Offer.
    ld2 = json_ld(page(f"/{u}/{w['plain']['slug']}"))
    assert "aggregateRating" not in ld2 and len(ld2["offers"]) == 1


def test_unknown_unpublished_and_deleted_gigs_are_html_404():
    w = world()
    u = w["seller"]["username"]
    text = page(f"/{u}/" + unique("nogig"), 404)
    assert "<h1>Page not found</h1>" in text
    page(f"/{unique('nouser')}/{w['full']['slug']}", 404)
    # The draft has no slug yet; publish-then-delete removes a page.
    gone = make_gig(w["st"], f"{w['marker']} gone logo", SUB, CAT, 60)
    # Read past the public cache (a cookie), so the deletion shows at once.
    page(f"/{u}/{gone['slug']}", cookie=w["bt"])
    trpc_mutation("gig.delete", {"id": gone["id"]}, w["st"])
    page(f"/{u}/{gone['slug']}", 404, cookie=w["bt"])
    # A path segment that is not UTF-8 names nothing.
    page("/%FF%FE", 404)
    page(f"/{u}/%FF", 404)


def test_sitemap_and_robots():
    w = world()
    base = public_url()
    gone = make_gig(w["st"], f"{w['marker']} sitemap gone", SUB, CAT, 60)
    trpc_mutation("gig.delete", {"id": gone["id"]}, w["st"])
    r = http("GET", "/sitemap.xml", cookie=w["bt"])  # past the public cache
    assert r.status == 200 and r.headers["content-type"].startswith("application/xml"), r
    text = r.body.decode("utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' in text
    u = w["seller"]["username"]
    assert f"<loc>{base}/{u}/{w['full']['slug']}</loc>" in text
    assert f"<loc>{base}/{u}</loc>" in text
    assert f"<loc>{base}/services/{SUB}</loc>" in text
    assert f"/{u}/{gone['slug']}</loc>" not in text, "a deleted gig is not listed"
    # The draft never had a slug; its id is not in any address either.
    assert w["draft"]["id"] not in text
    assert f"<loc>{base}/{w['buyer']['username']}</loc>" not in text, "only sellers with gigs"
    import xml.etree.ElementTree as ET
    ET.fromstring(r.body)  # well-formed
    r = http("GET", "/robots.txt")
    assert r.status == 200 and r.headers["content-type"].startswith("text/plain"), r
    lines = r.body.decode("utf-8").splitlines()
    for rule in ("Disallow: /dashboard$", "Disallow: /dashboard/", "Disallow: /order/",
                 "Disallow: /api/"):
        assert rule in lines, rule
    assert f"Sitemap: {base}/sitemap.xml" in lines


def cache_s():
    return int(khedmad_env()[0].get("KHEDMA_PUBLIC_CACHE_S") or "1")


def test_public_pages_are_cached_for_visitors_only():
    w = world()
    u, slug = w["seller"]["username"], w["full"]["slug"]
    for path in ("/", "/services", f"/services/{SUB}", f"/services/search?q={w['marker']}",
                 f"/{u}", f"/{u}/{slug}", "/sitemap.xml", "/robots.txt"):
        # A query only this run uses: the first request fills a fresh entry.
        fresh = path + ("&" if "?" in path else "?") + "r=" + unique("c")
        a = http("GET", fresh)
        b = http("GET", fresh)
        assert a.status == 200 and b.status == 200 and a.body == b.body, path
        assert "x-accel-expires" not in b.headers
        if cache_s() > 0:
            assert a.headers.get("x-khedma-cache") == "MISS", (path, a.headers)
            assert b.headers.get("x-khedma-cache") == "HIT", (path, b.headers)
        else:
            assert b.headers.get("x-khedma-cache") != "HIT", (path, b.headers)
        # With the session cookie: never from the cache, never kept.
        c = http("GET", fresh, cookie=w["bt"])
        assert c.status == 200 and c.headers.get("cache-control") == "no-store", (path, c.headers)
        assert c.headers.get("x-khedma-cache") != "HIT", (path, c.headers)
    # Errors are never kept.
    for path in (f"/{u}/" + unique("nogig"), "/services/search?minPrice=x&r=" + unique("c")):
        http("GET", path)
        assert http("GET", path).headers.get("x-khedma-cache") != "HIT", path


def test_signed_in_viewer_sees_the_same_page_with_their_header():
    w = world()
    text = page(f"/{w['seller']['username']}/{w['full']['slug']}", cookie=w["bt"])
    assert f"Buyer {w['marker']}" in text and "Sign out" in text
    assert ">Continue</a>" in text


# --------------------------------------------------------------------------------------------
# Markup typed by users shows as text


class Elements(HTMLParser):
    """Every start tag of a page with its attributes, as a browser's parser sees them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def assert_inert(text, where):
    """No markup from users became elements: no script but the site's own file and its JSON-LD,
    no img with src=x, no event handler attribute, no javascript: URL in a link or image."""
    for raw in (SCRIPT, "<img src=x"):
        assert raw not in text, f"{where}: {raw!r} written raw"
    p = Elements()
    p.feed(text)
    for tag, attrs in p.tags:
        if tag == "script":
            assert attrs.get("src") == "/static/khedma.js" or attrs.get(
                "type") == "application/ld+json", f"{where}: a script element {attrs!r}"
        assert not (tag == "img" and attrs.get("src") == "x"), f"{where}: an injected img"
        for name, value in attrs.items():
            assert not name.startswith("on"), f"{where}: event handler {name}={value!r}"
            if name in ("href", "src", "action"):
                assert not (value or "").strip().lower().startswith("javascript:"), where


def test_markup_in_user_text_renders_as_text_everywhere():
    mk = unique("xs")
    name = f"Eve {SCRIPT} {IMG}"
    seller, st = signup(name=name)
    buyer, bt = signup(name=f"Mallory {SCRIPT}")
    admin, at = signup()
    make_admin(admin["email"])
    title = f"{mk} {SCRIPT} {IMG}"[:80]
    gig = trpc_mutation("gig.createDraft", {}, st)
    gid = gig["id"]
    trpc_mutation("gig.updateOverview", {
        "id": gid, "title": title, "category": CAT, "subCategory": SUB,
        "tags": [{"id": "t1", "text": SCRIPT}, {"id": "t2", "text": IMG}]}, st)
    trpc_mutation("gig.createPackages", {"gigId": gid, "basic": {
        "name": "<b>Basic</b>", "description": f"{IMG} x", "price": 100, "delivery": 2,
        "revisions": 1}}, st)
    # javascript: is not a gallery URL the API takes; a quote inside an https URL is.
    bad = http("POST", "/api/trpc/gig.updateGallery", json_body={
        "id": gid, "images": [JS_URL], "videos": [], "documents": []}, token=st)
    assert bad.status == 400, bad
    quoted = "https://cdn.example.com/a.png?x='onmouseover='alert(1)"
    r = http("POST", "/api/trpc/gig.updateGallery", json_body={
        "id": gid, "images": [quoted], "videos": [], "documents": []}, token=st)
    gallery_took_quote = r.status == 200
    trpc_mutation("gig.updateDescriptionFaq", {
        "id": gid,
        "description": {"time": 1, "version": "2.28.0", "blocks": [
            {"type": "paragraph", "data": {"text": f"{SCRIPT} see {JS_URL} {IMG}"}},
            {"type": "header", "data": {"text": SCRIPT, "level": 2}},
            {"type": "list", "data": {"style": "unordered", "items": [IMG, JS_URL]}}]},
        "faq": [{"question": f"Q {SCRIPT}", "answer": f"A {IMG} {JS_URL}"}]}, st)
    pub = trpc_mutation("gig.publish", {"id": gid}, st)
    basic_id = details(seller["username"], pub["slug"])["packages"]["basic"]["id"]
    review_order(st, bt, at, basic_id, 3, f"{SCRIPT} {IMG} {JS_URL}")

    u, slug = seller["username"], pub["slug"]
    fresh = "r=" + unique("c")  # a query of its own: not an answer the public cache kept
    gig_text = page(f"/{u}/{slug}?{fresh}")
    pages = {
        "home": page(f"/?{fresh}"),
        "category": page(f"/services/{SUB}?{fresh}"),
        "search": page("/services/search?" + urllib.parse.urlencode({"q": mk})),
        "search-q": page("/services/search?" + urllib.parse.urlencode({"q": IMG + SCRIPT})),
        "profile": page(f"/{u}?{fresh}"),
        "gig": gig_text,
        "signed-in": page("/", cookie=bt),
    }
    for where, text in pages.items():
        assert_inert(text, where)
    esc_title = html.escape(title, quote=True).replace("&#x27;", "&#39;")
    for where in ("home", "category", "search", "profile", "gig"):
        assert esc_title in pages[where], f"{where}: the title is shown as text"
    assert html.escape(name, quote=True) in pages["profile"]
    assert html.escape(name, quote=True) in gig_text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in gig_text
    assert '<li class="pill">&lt;script&gt;alert(1)&lt;/script&gt;</li>' in gig_text
    assert "<dt>Q &lt;script&gt;alert(1)&lt;/script&gt;</dt>" in gig_text
    assert "Mallory &lt;script&gt;" in gig_text, "the reviewer's name"
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt; javascript:alert(1)" in gig_text
    assert "Mallory &lt;script&gt;" in pages["signed-in"], "the signed-in header"
    if gallery_took_quote:
        assert "x=&#39;onmouseover=&#39;alert(1)" in gig_text
    # The JSON-LD still parses and holds the text as it was typed.
    ld = json_ld(gig_text)
    assert ld["name"] == title and ld["brand"]["name"] == name
    assert "</script" not in re.search(r'ld\+json">(.*?)</script>', gig_text, re.S).group(1)
    assert meta(gig_text, "og:title") == title


def test_api_paths_are_never_taken_by_the_profile_and_gig_pages():
    """/{username} and /{username}/{slug} come last in the route table and match any one or two
    segments; a path under /api still gets the API's JSON 404, whatever its method."""
    for method, path in (("GET", "/api/" + unique("no")), ("POST", "/api/" + unique("no")),
                         ("GET", "/api"), ("DELETE", "/api/" + unique("no"))):
        r = http(method, path, json_body={} if method == "POST" else NOBODY)
        assert r.status == 404, (method, path, r)
        assert r.headers.get("content-type", "").startswith("application/json"), (path, r)
        assert r.json and r.json.get("success") is False, r


def test_uploaded_images_are_absolute_in_open_graph_and_json_ld():
    """A gallery image uploaded to this site is stored as "/uploads/<sha256>.<ext>"; a crawler
    reads og:image and the JSON-LD image away from the page, so they carry the full URL."""
    w = world()
    gig = make_gig(w["st"], f"{w['marker']} uploaded cover", SUB, CAT, 120)
    own = "/uploads/" + "ab" * 32 + ".png"
    trpc_mutation("gig.updateGallery", {"id": gig["id"], "images": [own], "videos": [],
                                        "documents": []}, w["st"])
    text = page(f"/{w['seller']['username']}/{gig['slug']}")
    assert meta(text, "og:image") == public_url() + own, meta(text, "og:image")
    assert json_ld(text)["image"] == [public_url() + own]
    assert f'src="{own}"' in text  # the page itself keeps the site path
