"""test_web_seller.py - the seller's side of the web storefront (docs/web.md, "Pages"): the
dashboard, the gig editor driven through its HTML forms step by step, gallery uploads (type from
the bytes, size limit, content-addressed files served by nginx with long cache headers), publish,
pause and delete with a confirmation page, the earnings and settings pages, and the CSRF rule.
"""

import base64
import os
import re
import struct
import urllib.parse
import zlib

from harness import BASE_URL, VAR, assert_envelope, http, make_admin, signup, unique
from test_lifecycle import checkout, confirm, move_ok

ORIGIN = BASE_URL.rstrip("/")

# A 2x2 JPEG and a 2x2 WebP (VP8X with an ICC profile, then VP8), as Chromium's canvas encodes
# them: real files, not just their magic numbers.
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/4gHYSUNDX1BST0ZJTEUAAQEAAAHIAAAAAAQwAABtbnRyUkdCIFhZWiAH4AABAAEAAAAA"
    "AABhY3NwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAA9tYAAQAAAADTLQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAlkZXNjAAAA8AAAACRyWFlaAAABFAAAABRnWFlaAAABKAAAABRiWFlaAAABPAAAABR3dHB0"
    "AAABUAAAABRyVFJDAAABZAAAAChnVFJDAAABZAAAAChiVFJDAAABZAAAAChjcHJ0AAABjAAAADxtbHVjAAAAAAAAAAEAAAAMZW5V"
    "UwAAAAgAAAAcAHMAUgBHAEJYWVogAAAAAAAAb6IAADj1AAADkFhZWiAAAAAAAABimQAAt4UAABjaWFlaIAAAAAAAACSgAAAPhAAA"
    "ts9YWVogAAAAAAAA9tYAAQAAAADTLXBhcmEAAAAAAAQAAAACZmYAAPKnAAANWQAAE9AAAApbAAAAAAAAAABtbHVjAAAAAAAAAAEA"
    "AAAMZW5VUwAAACAAAAAcAEcAbwBvAGcAbABlACAASQBuAGMALgAgADIAMAAxADb/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEj"
    "JR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2Nj"
    "Y2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAACAAIDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAA"
    "AAX/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFQEBAQAAAAAAAAAAAAAAAAAABAb/xAAUEQEAAAAAAAAAAAAAAAAAAAAA/9oADAMB"
    "AAIRAxEAPwCeAGpH/9k=")
WEBP = base64.b64decode(
    "UklGRhYCAABXRUJQVlA4WAoAAAAgAAAAAQAAAQAASUNDUMgBAAAAAAHIAAAAAAQwAABtbnRyUkdCIFhZWiAH4AABAAEAAAAAAABh"
    "Y3NwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAA9tYAAQAAAADTLQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAlkZXNjAAAA8AAAACRyWFlaAAABFAAAABRnWFlaAAABKAAAABRiWFlaAAABPAAAABR3dHB0AAAB"
    "UAAAABRyVFJDAAABZAAAAChnVFJDAAABZAAAAChiVFJDAAABZAAAAChjcHJ0AAABjAAAADxtbHVjAAAAAAAAAAEAAAAMZW5VUwAA"
    "AAgAAAAcAHMAUgBHAEJYWVogAAAAAAAAb6IAADj1AAADkFhZWiAAAAAAAABimQAAt4UAABjaWFlaIAAAAAAAACSgAAAPhAAAts9Y"
    "WVogAAAAAAAA9tYAAQAAAADTLXBhcmEAAAAAAAQAAAACZmYAAPKnAAANWQAAE9AAAApbAAAAAAAAAABtbHVjAAAAAAAAAAEAAAAM"
    "ZW5VUwAAACAAAAAcAEcAbwBvAGcAbABlACAASQBuAGMALgAgADIAMAAxADZWUDggKAAAAJABAJ0BKgIAAgACwEwloAJ0ugADmAD+"
    "6NcevPUxxf/maP0m+k3cwAA=")
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00" \
      b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>'
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def png(width=3, height=2, extra=b""):
    """A real PNG: signature, IHDR, one IDAT of the deflated scanlines, IEND; extra goes into a
    tEXt chunk (to make a large but valid file)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes([200, 30, 30]) * width for _ in range(height))
    body = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    if extra:
        body += chunk(b"tEXt", b"Comment\x00" + extra)
    body += chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def browser(cookie, method, path, form=None, files=None, origin=ORIGIN):
    """A request as a browser sends a form: Origin, the session cookie, urlencoded fields or a
    multipart body (files: [(field, filename, content_type, bytes)])."""
    headers = {"Origin": origin} if origin else {}
    data = None
    if files is not None:
        boundary = "----khedmaTest" + unique("b")
        parts = []
        for k, v in (form or {}).items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'
                         .encode() + v.encode() + b"\r\n")
        for field, name, ctype, content in files:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
                         f'filename="{name}"\r\nContent-Type: {ctype}\r\n\r\n'.encode()
                         + content + b"\r\n")
        data = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    elif form is not None:
        data = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    return http(method, path, data=data, headers=headers, cookie=cookie, timeout=30)


def text(r):
    return r.body.decode("utf-8")


def field_error(page, input_id):
    """The text of the error shown next to an input, or None."""
    m = re.search(r'<p class="field-error" id="' + re.escape(input_id) + r'-error">(.*?)</p>', page)
    return m.group(1) if m else None


def new_seller():
    user, token = signup()
    return user, token


def create_gig(cookie):
    r = browser(cookie, "POST", "/dashboard/gigs", form={})
    assert r.status == 303, r
    loc = r.headers["location"]
    m = re.fullmatch(r"/dashboard/gigs/([a-z0-9]+)/overview", loc)
    assert m, loc
    return m.group(1)


def categories():
    cats = assert_envelope(http("GET", "/api/categories"), 200)
    top = next(c for c in cats if c["subCategories"])
    return top, top["subCategories"][0]


def fill_gig(cookie, gig, title="I will design a clean logo"):
    top, sub = categories()
    r = browser(cookie, "POST", f"/dashboard/gigs/{gig}/overview", form={
        "title": title, "category": top["id"], "subCategory": sub["id"],
        "tags-0": "logo", "tags-1": "", "tags-2": "branding", "tags-3": "", "tags-4": ""})
    assert r.status == 303 and r.headers["location"] == f"/dashboard/gigs/{gig}/pricing?saved=1", r
    r = browser(cookie, "POST", f"/dashboard/gigs/{gig}/pricing", form={
        "basic.name": "Basic logo", "basic.description": "One concept, PNG files",
        "basic.price": "250", "basic.delivery": "3", "basic.revisions": "2"})
    assert r.status == 303, r
    return top, sub


def completed_order(gig, seller_token):
    """A bank-transfer order of the gig's basic package, confirmed, delivered and accepted."""
    _, buyer = signup()
    admin, admin_token = signup()
    make_admin(admin["email"])
    pkg = trpc_get_details(seller_token, gig)["packages"]["basic"]["id"]
    order_id = checkout(buyer, pkg)
    confirm(admin_token, order_id)
    move_ok(order_id, "deliver", seller_token)
    move_ok(order_id, "accept", buyer)
    return order_id


def test_editor_steps_through_forms():
    user, cookie = new_seller()
    r = browser(cookie, "GET", "/dashboard/gigs")
    assert r.status == 200 and "no gigs yet" in text(r), r
    assert "no-store" in r.headers.get("cache-control", ""), r.headers
    gig = create_gig(cookie)
    page = text(browser(cookie, "GET", f"/dashboard/gigs/{gig}/overview"))
    top, sub = categories()
    assert 'name="subCategory"' in page and sub["name"] in page
    fill_gig(cookie, gig)
    page = text(browser(cookie, "GET", f"/dashboard/gigs/{gig}/overview"))
    assert 'value="I will design a clean logo"' in page and 'value="branding"' in page
    assert f'<option value="{sub["id"]}" selected>' in page, "sub-category prefilled"

    # Three packages, offered together.
    r = browser(cookie, "POST", f"/dashboard/gigs/{gig}/pricing", form={
        "offersMultiple": "1",
        "basic.name": "Basic logo", "basic.description": "One concept, PNG files",
        "basic.price": "250", "basic.delivery": "3", "basic.revisions": "2",
        "standard.name": "Standard logo", "standard.description": "Two concepts, vector files",
        "standard.price": "500", "standard.delivery": "5", "standard.revisions": "3",
        "premium.name": "Premium logo", "premium.description": "Three concepts and a guide",
        "premium.price": "900", "premium.delivery": "7", "premium.revisions": "5"})
    assert r.status == 303 and r.headers["location"] == f"/dashboard/gigs/{gig}/description?saved=1"
    page = text(browser(cookie, "GET", f"/dashboard/gigs/{gig}/pricing"))
    assert 'name="offersMultiple" value="1" checked' in page
    assert 'name="premium.price" type="number" value="900"' in page, page

    # Description and FAQ: two questions, then the first removed with its checkbox.
    r = browser(cookie, "POST", f"/dashboard/gigs/{gig}/description", form={
        "description": "I draw logos.\n\nEvery file is yours.", "faqRows": "3",
        "faq.0.question": "Do I get the source?", "faq.0.answer": "Yes, the vector files.",
        "faq.1.question": "", "faq.1.answer": "",
        "faq.2.question": "How fast?", "faq.2.answer": "Three days."})
    assert r.status == 303 and r.headers["location"] == f"/dashboard/gigs/{gig}/gallery?saved=1"
    details = trpc_get_details(cookie, gig)
    assert [f["question"] for f in details["faqs"]] == ["Do I get the source?", "How fast?"]
    assert [b["data"]["text"] for b in details["description"]["blocks"]] == [
        "I draw logos.", "Every file is yours."]
    page = text(browser(cookie, "GET", f"/dashboard/gigs/{gig}/description"))
    assert "I draw logos.\n\nEvery file is yours.</textarea>" in page
    r = browser(cookie, "POST", f"/dashboard/gigs/{gig}/description", form={
        "description": "I draw logos.", "faqRows": "2",
        "faq.0.question": "Do I get the source?", "faq.0.answer": "Yes.", "faq.0.remove": "1",
        "faq.1.question": "How fast?", "faq.1.answer": "Three days."})
    assert r.status == 303
    assert [f["question"] for f in trpc_get_details(cookie, gig)["faqs"]] == ["How fast?"]

    # Gallery by URL, then publish: the public API shows the gig.
    r = browser(cookie, "POST", f"/dashboard/gigs/{gig}/gallery",
                form={"action": "add", "url": "https://example.com/logo.png"})
    assert r.status == 303, r
    r = browser(cookie, "POST", f"/dashboard/gigs/{gig}/publish", form={"action": "publish"})
    assert r.status == 303 and r.headers["location"] == f"/dashboard/gigs/{gig}/publish?saved=1"
    slug = "i-will-design-a-clean-logo"
    pub = assert_envelope(http("GET", f"/api/gigs/{user['username']}/{slug}"), 200)
    assert pub["title"] == "I will design a clean logo" and pub["offersMultiplePackages"] is True
    assert set(pub["packages"]) == {"basic", "standard", "premium"}
    page = text(browser(cookie, "GET", "/dashboard/gigs"))
    assert "Published" in page and f'href="/{user["username"]}/{slug}"' in page

    # Pause: gone from the public API, "Paused" in the list; publish again: same address.
    assert browser(cookie, "POST", f"/dashboard/gigs/{gig}/publish", form={"action": "pause"}).status == 303
    # (read with a session: past the public cache, which may keep the page a second)
    assert http("GET", f"/api/gigs/{user['username']}/{slug}", cookie=cookie).status == 404
    assert "Paused" in text(browser(cookie, "GET", "/dashboard/gigs"))
    assert browser(cookie, "POST", f"/dashboard/gigs/{gig}/publish", form={"action": "publish"}).status == 303
    assert http("GET", f"/api/gigs/{user['username']}/{slug}", cookie=cookie).status == 200


def test_description_paragraphs_from_a_browser_textarea():
    _, cookie = new_seller()
    gig = create_gig(cookie)
    # Browsers send a textarea's line ends as CRLF.
    r = browser(cookie, "POST", f"/dashboard/gigs/{gig}/description", form={
        "description": "\r\nLine one\r\nline two\r\n\r\n\r\nSecond\r\n", "faqRows": "0"})
    assert r.status == 303, r
    blocks = trpc_get_details(cookie, gig)["description"]["blocks"]
    assert [b["data"]["text"] for b in blocks] == ["Line one\nline two", "Second"], blocks
    assert all(b["type"] == "paragraph" for b in blocks)


def test_markup_typed_into_the_editor_is_shown_as_text():
    _, cookie = new_seller()
    gig = create_gig(cookie)
    top, sub = categories()
    evil = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
    r = browser(cookie, "POST", f"/dashboard/gigs/{gig}/overview", form={
        "title": evil[:80], "category": top["id"], "subCategory": sub["id"], "tags-0": "<b>x</b>"})
    assert r.status == 303, r
    r = browser(cookie, "POST", f"/dashboard/gigs/{gig}/description", form={
        "description": evil, "faqRows": "1", "faq.0.question": evil, "faq.0.answer": "javascript:alert(3)"})
    assert r.status == 303, r
    r = browser(cookie, "POST", f"/dashboard/gigs/{gig}/gallery",
                form={"action": "add", "url": "https://example.com/a.png?q=\"><script>"})
    for path in ("overview", "description", "gallery", "publish", "delete"):
        page = text(browser(cookie, "GET", f"/dashboard/gigs/{gig}/{path}"))
        assert "<script>alert" not in page and "<img src=x" not in page, (path, page)
        assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page or path == "gallery", path
    page = text(browser(cookie, "GET", "/dashboard/gigs"))
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert 'value="&lt;b&gt;x&lt;/b&gt;"' in text(browser(cookie, "GET", f"/dashboard/gigs/{gig}/overview"))


def trpc_get_details(cookie, gig):
    q = urllib.parse.quote('{"id":"%s"}' % gig)
    r = http("GET", f"/api/trpc/gig.getGigById?input={q}", cookie=cookie)
    assert r.status == 200, r
    return r.json["result"]["data"]


def test_validation_messages_next_to_their_fields():
    _, cookie = new_seller()
    gig = create_gig(cookie)
    top, sub = categories()
    r = browser(cookie, "POST", f"/dashboard/gigs/{gig}/overview", form={
        "title": "", "category": top["id"], "subCategory": sub["id"],
        "tags-0": "ok", "tags-1": "", "tags-2": "x" * 31})
    assert r.status == 422, r
    page = text(r)
    assert field_error(page, "title") and "Title" in field_error(page, "title"), page
    # The third input's tag is the second one sent: its message is still next to the third.
    assert field_error(page, "tags-2") and "30" in field_error(page, "tags-2"), page
    assert field_error(page, "tags-1") is None
    assert 'aria-describedby="tags-2-error"' in page
    assert 'value="' + "x" * 31 + '"' in page, "typed values are kept"

    r = browser(cookie, "POST", f"/dashboard/gigs/{gig}/pricing", form={
        "basic.name": "Tiny", "basic.description": "One concept, PNG files",
        "basic.price": "5", "basic.delivery": "abc", "basic.revisions": "2",
        "standard.name": "Standard logo", "standard.price": "",
    })
    assert r.status == 422, r
    page = text(r)
    assert "5 to 20" in (field_error(page, "basic-name") or ""), page
    assert "between 10" in (field_error(page, "basic-price") or ""), page
    assert "whole number" in (field_error(page, "basic-delivery") or ""), page
    assert field_error(page, "standard-price"), "a half-filled tier is reported, not dropped"

    r = browser(cookie, "POST", f"/dashboard/gigs/{gig}/description", form={
        "description": "Fine.", "faqRows": "3", "faq.0.question": "", "faq.0.answer": "",
        "faq.2.question": "Q?", "faq.2.answer": "a" * 1001})
    assert r.status == 422, r
    # Rows are renumbered without the empty ones; the message stays with its answer.
    page = text(r)
    assert "a" * 1001 + "</textarea><p class=\"field-error\" id=\"faq-0-answer-error\">" in page, page

    r = browser(cookie, "POST", f"/dashboard/gigs/{gig}/gallery",
                form={"action": "add", "url": "javascript:alert(1)"})
    assert r.status == 422 and field_error(text(r), "url"), r

    r = browser(cookie, "POST", f"/dashboard/gigs/{gig}/publish", form={"action": "publish"})
    assert r.status == 422 and "title" in text(r), r


def multipart_upload(cookie, gig, files, form=None):
    return browser(cookie, "POST", f"/dashboard/gallery/upload?gig={gig}", form=form or {},
                   files=files)


def uploads():
    d = os.path.join(VAR, "uploads")
    return set(os.listdir(d)) if os.path.isdir(d) else set()


def gallery_urls(cookie, gig):
    q = urllib.parse.quote('{"id":"%s"}' % gig)
    r = http("GET", f"/api/trpc/gig.getGigGallery?input={q}", cookie=cookie)
    assert r.status == 200, r
    return r.json["result"]["data"]["images"]


def test_uploads_are_typed_from_their_bytes_and_served_by_nginx():
    _, cookie = new_seller()
    gig = create_gig(cookie)
    pic = png(4, 3, extra=unique("p").encode())
    r = multipart_upload(cookie, gig, [("image", "photo.jpg", "image/jpeg", pic),
                                       ("image", "b.jpeg", "application/octet-stream", JPEG),
                                       ("image", "c", "text/plain", WEBP)])
    assert r.status == 303 and r.headers["location"] == f"/dashboard/gigs/{gig}/gallery?saved=1", r
    urls = gallery_urls(cookie, gig)
    assert len(urls) == 3, urls
    assert re.fullmatch(r"/uploads/[0-9a-f]{64}\.png", urls[0]), urls  # a PNG named .jpg
    assert urls[1].endswith(".jpg") and urls[2].endswith(".webp"), urls
    import hashlib
    assert urls[0] == "/uploads/" + hashlib.sha256(pic).hexdigest() + ".png"
    for url, body, ctype in zip(urls, (pic, JPEG, WEBP), ("image/png", "image/jpeg", "image/webp")):
        got = http("GET", url)
        assert got.status == 200 and got.body == body, (url, got.status)
        assert got.headers["content-type"] == ctype, got.headers
        assert got.headers["cache-control"] == "public, max-age=31536000, immutable", got.headers
        assert got.headers["x-content-type-options"] == "nosniff"
    page = text(browser(cookie, "GET", f"/dashboard/gigs/{gig}/gallery"))
    assert f'<img src="{urls[0]}" alt="Gallery image 1"' in page
    # Nothing else under /uploads/: no listing, no other names.
    assert http("GET", "/uploads/").status == 404
    assert http("GET", "/uploads/" + "0" * 64 + ".png").status == 404
    assert http("GET", "/uploads/../uploads/x").status in (400, 404)

    # Remove one image through its button.
    r = browser(cookie, "POST", f"/dashboard/gigs/{gig}/gallery", form={"action": "remove", "url": urls[1]})
    assert r.status == 303 and gallery_urls(cookie, gig) == [urls[0], urls[2]]


def test_refused_uploads_store_nothing():
    _, cookie = new_seller()
    gig = create_gig(cookie)
    before = uploads()
    cases = [
        ("cat.gif", "image/gif", GIF, "is not a JPEG, PNG or WebP"),
        ("logo.png", "image/png", SVG, "is not a JPEG, PNG or WebP"),
        ("page.jpg", "image/jpeg", HTML, "is not a JPEG, PNG or WebP"),
        ("cut.png", "image/png", png()[:-12], "is not a JPEG, PNG or WebP"),
        ("big.png", "image/png", png(extra=b"x" * (5 * 1024 * 1024)), "larger than 5 MB"),
    ]
    for name, ctype, body, words in cases:
        # A good image alongside a bad one: the whole upload is refused.
        r = multipart_upload(cookie, gig, [("image", "ok.png", "image/png", png(1, 1, unique("k").encode())),
                                           ("image", name, ctype, body)])
        assert r.status == 422, (name, r)
        msg = field_error(text(r), "image")
        assert msg and words in msg and name in msg, (name, msg)
        assert 'aria-describedby="image-error"' in text(r)
    assert uploads() == before, "nothing stored"
    assert gallery_urls(cookie, gig) == []
    # No file chosen.
    r = multipart_upload(cookie, gig, [("image", "", "application/octet-stream", b"")])
    assert r.status == 422 and "Choose an image" in field_error(text(r), "image")
    # Over nginx's limit for the route: nginx refuses it before khedmad and sends the browser
    # back to the gallery step, which says why next to the file input.
    r = multipart_upload(cookie, gig, [("image", "huge.png", "image/png", b"\0" * (7 * 1024 * 1024))])
    assert r.status == 303, r
    loc = urllib.parse.urlsplit(r.headers["location"])
    assert loc.path + "?" + loc.query == f"/dashboard/gallery/too-large?gig={gig}", loc
    r = browser(cookie, "GET", loc.path + "?" + loc.query)
    assert r.status == 422 and "larger than 6 MB" in field_error(text(r), "image"), r
    # Everywhere else the body limit stays 1 MiB, in nginx and in khedmad.
    r = browser(cookie, "POST", f"/dashboard/gigs/{gig}/description",
                form={"description": "x" * (1024 * 1024 + 10)})
    assert r.status == 413, r
    assert uploads() == before


def test_upload_to_someone_elses_gig_is_refused():
    _, owner = new_seller()
    _, other = new_seller()
    gig = create_gig(owner)
    before = uploads()
    r = multipart_upload(other, gig, [("image", "a.png", "image/png", png(2, 2, unique("o").encode()))])
    assert r.status == 404, r
    assert browser(other, "GET", f"/dashboard/gigs/{gig}/overview").status == 404
    assert uploads() == before


def test_csrf_refusal():
    _, cookie = new_seller()
    gig = create_gig(cookie)
    for path, form in ((f"/dashboard/gigs/{gig}/overview", {"title": "x"}),
                       (f"/dashboard/gigs/{gig}/delete", {"confirm": "1"}),
                       ("/dashboard/settings", {"name": "Evil"}),
                       ("/dashboard/gigs", {})):
        r = browser(cookie, "POST", path, form=form, origin="https://evil.example")
        assert r.status == 403, (path, r)
        r = browser(cookie, "POST", path, form=form, origin=None)
        assert r.status == 403, (path, r)
    r = browser(cookie, "POST", f"/dashboard/gallery/upload?gig={gig}", form={},
                files=[("image", "a.png", "image/png", png())], origin="https://evil.example")
    assert r.status == 403
    # Signed out: the dashboard sends the visitor to sign in and back.
    r = http("GET", "/dashboard/earnings")
    assert r.status == 303 and r.headers["location"] == "/auth/sign-in?next=%2Fdashboard%2Fearnings"


def test_delete_asks_first():
    user, cookie = new_seller()
    gig = create_gig(cookie)
    fill_gig(cookie, gig, title="Delete me soon")
    page = text(browser(cookie, "GET", f"/dashboard/gigs/{gig}/delete"))
    assert "Delete “Delete me soon”?" in page and 'name="confirm" value="1"' in page
    # Without the confirmation field nothing happens.
    r = browser(cookie, "POST", f"/dashboard/gigs/{gig}/delete", form={})
    assert r.status == 303 and r.headers["location"] == f"/dashboard/gigs/{gig}/delete"
    assert browser(cookie, "GET", f"/dashboard/gigs/{gig}/overview").status == 200
    r = browser(cookie, "POST", f"/dashboard/gigs/{gig}/delete", form={"confirm": "1"})
    assert r.status == 303 and r.headers["location"] == "/dashboard/gigs?deleted=1"
    assert browser(cookie, "GET", f"/dashboard/gigs/{gig}/overview").status == 404
    assert "Delete me soon" not in text(browser(cookie, "GET", "/dashboard/gigs?deleted=1"))


def test_settings_phone_then_checkout():
    seller, scookie = new_seller()
    gig = create_gig(scookie)
    fill_gig(scookie, gig, title="Checkout target " + unique("t"))
    assert browser(scookie, "POST", f"/dashboard/gigs/{gig}/publish", form={"action": "publish"}).status == 303
    pkg = trpc_get_details(scookie, gig)["packages"]["basic"]["id"]

    buyer, cookie = signup(phone=None)
    r = http("POST", "/api/orders/checkout", json_body={
        "payment_method": "card", "package_id": pkg}, token=cookie)
    assert_envelope(r, 422, "User must have a phone number")
    page = text(browser(cookie, "GET", "/dashboard"))
    assert "needed to pay" in page
    page = text(browser(cookie, "GET", "/dashboard/settings"))
    assert "Needed to pay for an order" in page and 'name="phone"' in page
    r = browser(cookie, "POST", "/dashboard/settings", form={
        "name": "Buyer Name", "phone": "call me maybe", "orderUpdatesNotifications": "1"})
    assert r.status == 422 and "phone number" in (field_error(text(r), "phone") or ""), r
    r = browser(cookie, "POST", "/dashboard/settings", form={"name": "", "phone": ""})
    assert r.status == 422 and field_error(text(r), "name"), r
    r = browser(cookie, "POST", "/dashboard/settings", form={
        "name": "Buyer Name", "phone": "+212 600 000 111", "inboxNotifications": "1"})
    assert r.status == 303 and r.headers["location"] == "/dashboard/settings?saved=1"
    me = assert_envelope(http("GET", "/api/auth/me", cookie=cookie), 200)["user"]
    assert me["phone"] == "+212 600 000 111" and me["name"] == "Buyer Name"
    assert me["orderUpdatesNotifications"] is False and me["inboxNotifications"] is True
    page = text(browser(cookie, "GET", "/dashboard/settings?saved=1"))
    assert "Your settings were saved." in page and 'name="inboxNotifications" checked' in page
    r = http("POST", "/api/orders/checkout", json_body={
        "payment_method": "card", "package_id": pkg}, token=cookie)
    assert r.status == 200, r


def test_dashboard_and_earnings():
    seller, scookie = new_seller()
    page = text(browser(scookie, "GET", "/dashboard"))
    for href in ("/dashboard/orders", "/dashboard/gigs", "/dashboard/earnings",
                 "/dashboard/settings", "/dashboard/notifications"):
        assert f'href="{href}"' in page, href
    assert "0 orders in all" in page
    page = text(browser(scookie, "GET", "/dashboard/earnings"))
    assert "Total earned: <strong>0 MAD</strong>" in page and "No earnings here yet" in page
    assert browser(scookie, "GET", "/dashboard/earnings?page=0").status == 400

    # One completed order: the freelancer's earning shows with its total.
    gig = create_gig(scookie)
    title = "Earning gig " + unique("e")
    fill_gig(scookie, gig, title=title)
    assert browser(scookie, "POST", f"/dashboard/gigs/{gig}/publish", form={"action": "publish"}).status == 303
    order_id = completed_order(gig, scookie)
    page = text(browser(scookie, "GET", "/dashboard/earnings"))
    assert "Total earned: <strong>250 MAD</strong>" in page, page
    assert title in page and f'href="/dashboard/orders/{order_id}"' in page
    page = text(browser(scookie, "GET", "/dashboard"))
    assert re.search(r"Completed</dt><dd><a [^>]*>1<", page), page
