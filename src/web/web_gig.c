/*
 * web_gig.c - the seller profile (/{username}) and the gig page (/{username}/{slug})
 * (include/khedma/web_gig.h, docs/web.md "Pages"). The gig page is rendered from the GigDetails
 * the public API answers (read_model_details: one indexed lookup of the stored page) and the
 * gig's newest reviews; the profile from the seller's stats in the read model and their
 * published gigs.
 */
#include "khedma/web_gig.h"

#include <stdlib.h>
#include <string.h>

#include "khedma/gigs_read.h"
#include "khedma/jsonx.h"
#include "khedma/read_model.h"
#include "khedma/reviews.h"
#include "khedma/utf8.h"
#include "khedma/web.h"
#include "khedma/web_public.h"
#include "khedma/web_seo.h"

#define GIG_REVIEWS_SHOWN 20
#define META_DESCRIPTION_MAX 160 /* characters, what search results show */

static const char *const PACKAGE_TYPES[] = {"basic", "standard", "premium"};
static const char *const PACKAGE_LABELS[] = {"Basic", "Standard", "Premium"};

/* A path parameter the database can be asked about: MariaDB refuses text that is not UTF-8,
 * and such a path names no user or gig. */
static const char *path_param(struct ctx *c, const char *name)
{
    const char *v = router_param(&c->match, name);
    return v && utf8_valid(v, strlen(v)) ? v : NULL;
}

/* ---- the seller profile ---------------------------------------------------------------------- */

static void profile_page(struct ctx *c, json_object *seller, json_object *gigs)
{
    const char *name = jsonx_str(seller, "name"), *username = jsonx_str(seller, "username");
    long long count = 0;
    jsonx_int(seller, "numberOfReviews", &count);
    json_object *rating = json_object_object_get(seller, "rating");
    struct html title = {0}, desc = {0}, path = {0};
    html_raw(&title, name);
    html_raw(&title, " (@");
    html_raw(&title, username);
    html_raw(&title, ")");
    html_raw(&desc, "Services by ");
    html_raw(&desc, name);
    html_raw(&desc, " on Khedma, the marketplace of freelancers in Morocco.");
    html_raw(&path, "/");
    html_path_segment(&path, username);
    /* Every card shows the same seller, so the seller's own stats stand for all of them. */
    json_object *ratings = json_object_new_object();
    json_object *mine = json_object_new_object();
    json_object_object_add(mine, "rating", json_object_get(rating));
    jsonx_add_int(mine, "numberOfReviews", count);
    json_object_object_add(ratings, username, mine);
    struct web_page p;
    if (web_page_begin(&p, c, title.data, desc.data)) {
        web_seo_canonical(&p.h, path.data);
        web_page_body(&p);
        html_raw(&p.h, "<section class=\"profile card seller-card\" aria-labelledby=\"who\">");
        const char *image = jsonx_str(seller, "image");
        if (image && html_url_ok(image)) {
            html_raw(&p.h, "<img class=\"avatar\" src=\"");
            html_url(&p.h, image);
            html_raw(&p.h, "\" alt=\"");
            html_attr(&p.h, name);
            html_raw(&p.h, "\" width=\"96\" height=\"96\">");
        }
        html_raw(&p.h, "<h1 id=\"who\">");
        html_text(&p.h, name);
        web_public_vip_badge(&p.h, seller);
        html_raw(&p.h, "</h1><p class=\"muted\">@");
        html_text(&p.h, username);
        html_raw(&p.h, "</p><p>");
        web_public_rating(&p.h, rating, count);
        html_raw(&p.h, "</p><p>Member since ");
        web_public_month(&p.h, jsonx_str(seller, "createdAt"));
        html_raw(&p.h, "</p></section><section aria-labelledby=\"their-gigs\"><h2 "
                       "id=\"their-gigs\">Services by ");
        html_text(&p.h, name);
        html_raw(&p.h, "</h2>");
        if (json_object_array_length(gigs) == 0)
            html_raw(&p.h, "<p class=\"muted\">No published services yet.</p>");
        else
            web_public_gig_cards(&p.h, gigs, ratings);
        html_raw(&p.h, "</section>");
        web_page_send(&p, 200);
    }
    json_object_put(ratings);
    html_free(&title);
    html_free(&desc);
    html_free(&path);
}

void web_gig_profile(struct ctx *c)
{
    const char *username = path_param(c, "username");
    if (!username) {
        web_not_found(c);
        return;
    }
    struct err e = {0};
    json_object *seller = NULL, *gigs = NULL;
    if (read_model_seller(c->db, username, &seller, &e) != E_OK ||
        gigs_read_by_username(c->db, username, &gigs, &e) != E_OK)
        web_service_error(c, &e);
    else
        profile_page(c, seller, gigs);
    err_clear(&e);
    json_object_put(seller);
    json_object_put(gigs);
}

/* ---- the gig page ---------------------------------------------------------------------------- */

/* The description's text: the editor's blocks (paragraph, header, list, quote) or plain text.
 * Everything is text; markup typed into a block shows as typed. */
static void block_text(struct html *h, json_object *block, struct html *plain)
{
    const char *type = jsonx_str(block, "type");
    json_object *data = jsonx_obj(block, "data");
    const char *text = jsonx_str(data, "text");
    if (type && strcmp(type, "header") == 0 && text) {
        html_raw(h, "<h3>");
        html_text(h, text);
        html_raw(h, "</h3>");
    } else if (type && strcmp(type, "list") == 0) {
        json_object *items = jsonx_array(data, "items");
        size_t n = items ? json_object_array_length(items) : 0;
        const char *style = jsonx_str(data, "style");
        bool ordered = style && strcmp(style, "ordered") == 0;
        html_raw(h, ordered ? "<ol>" : "<ul>");
        for (size_t i = 0; i < n; i++) {
            json_object *it = json_object_array_get_idx(items, i);
            const char *t = json_object_is_type(it, json_type_string) ? json_object_get_string(it)
                                                                      : jsonx_str(it, "content");
            html_raw(h, "<li>");
            html_text(h, t);
            html_raw(h, "</li>");
            if (t) {
                html_raw(plain, t);
                html_raw(plain, " ");
            }
        }
        html_raw(h, ordered ? "</ol>" : "</ul>");
        return;
    } else if (text) {
        html_raw(h, "<p>");
        html_text(h, text);
        html_raw(h, "</p>");
    }
    if (text) {
        html_raw(plain, text);
        html_raw(plain, " ");
    }
}

static void description(struct html *h, json_object *desc, struct html *plain)
{
    html_raw(h, "<div class=\"description\">");
    if (json_object_is_type(desc, json_type_string)) {
        html_raw(h, "<p>");
        html_text(h, json_object_get_string(desc));
        html_raw(h, "</p>");
        html_raw(plain, json_object_get_string(desc));
    } else {
        json_object *blocks = jsonx_array(desc, "blocks");
        size_t n = blocks ? json_object_array_length(blocks) : 0;
        for (size_t i = 0; i < n; i++)
            block_text(h, json_object_array_get_idx(blocks, i), plain);
    }
    html_raw(h, "</div>");
}

/* The first META_DESCRIPTION_MAX characters of text, cut at a character boundary. */
static void shorten(struct html *text)
{
    if (!text->data)
        return;
    size_t chars = 0, i = 0;
    while (text->data[i] && chars < META_DESCRIPTION_MAX) {
        i++;
        while ((text->data[i] & 0xC0) == 0x80)
            i++;
        chars++;
    }
    while (i > 0 && (text->data[i - 1] == ' ' || text->data[i - 1] == '\n'))
        i--; /* blocks are joined with a space: none at the end */
    text->data[i] = '\0';
    text->len = i;
}

static void gallery(struct html *h, json_object *details)
{
    const char *title = jsonx_str(details, "title");
    json_object *images = jsonx_array(jsonx_obj(details, "attachments"), "images");
    size_t n = images ? json_object_array_length(images) : 0, shown = 0;
    for (size_t i = 0; i < n; i++)
        shown += html_url_ok(jsonx_str(json_object_array_get_idx(images, i), "url")) ? 1 : 0;
    if (shown == 0)
        return;
    html_raw(h, "<section class=\"gallery\" aria-label=\"Gallery\">");
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *url = jsonx_str(json_object_array_get_idx(images, i), "url");
        if (!html_url_ok(url))
            continue;
        k++;
        html_raw(h, "<img src=\"");
        html_url(h, url);
        html_raw(h, "\" alt=\"");
        html_attr(h, title);
        html_printf(h, " — image %zu of %zu\" width=\"640\" height=\"400\"%s>", k, shown,
                    k == 1 ? "" : " loading=\"lazy\"");
    }
    html_raw(h, "</section>");
}

static void faq(struct html *h, json_object *faqs)
{
    size_t n = faqs ? json_object_array_length(faqs) : 0;
    if (n == 0)
        return;
    html_raw(h, "<section aria-labelledby=\"faq\"><h2 id=\"faq\">Frequently asked "
                "questions</h2><dl class=\"faq\">");
    for (size_t i = 0; i < n; i++) {
        json_object *f = json_object_array_get_idx(faqs, i);
        html_raw(h, "<dt>");
        html_text(h, jsonx_str(f, "question"));
        html_raw(h, "</dt><dd>");
        html_text(h, jsonx_str(f, "answer"));
        html_raw(h, "</dd>");
    }
    html_raw(h, "</dl></section>");
}

static void package_card(struct html *h, json_object *pkg, size_t t, const char *path)
{
    long long days = 0, revisions = 0;
    jsonx_int(pkg, "delivery", &days);
    jsonx_int(pkg, "revisions", &revisions);
    html_printf(h,
                "<section class=\"package card\" aria-labelledby=\"pkg-%s\"><h3 id=\"pkg-%s\">%s"
                ": ",
                PACKAGE_TYPES[t], PACKAGE_TYPES[t], PACKAGE_LABELS[t]);
    html_text(h, jsonx_str(pkg, "name"));
    html_raw(h, "</h3><p class=\"price\">");
    web_price(h, json_object_get_string(json_object_object_get(pkg, "price")), "MAD");
    html_raw(h, "</p><p>");
    html_text(h, jsonx_str(pkg, "description"));
    html_printf(h,
                "</p><ul class=\"features\"><li>%lld day%s delivery</li><li>%lld revision%s"
                "</li></ul>",
                days, days == 1 ? "" : "s", revisions, revisions == 1 ? "" : "s");
    html_raw(h, "<a class=\"btn\" href=\"/order");
    html_raw(h, path);
    html_printf(h, "/%s\">Continue</a></section>", PACKAGE_TYPES[t]);
}

static void packages(struct html *h, json_object *details, const char *path)
{
    json_object *pkgs = jsonx_obj(details, "packages");
    html_raw(h, "<section aria-labelledby=\"packages\"><h2 id=\"packages\">Packages</h2>"
                "<div class=\"packages\">");
    for (size_t t = 0; t < 3; t++) {
        json_object *pkg = jsonx_obj(pkgs, PACKAGE_TYPES[t]);
        if (pkg)
            package_card(h, pkg, t, path);
    }
    html_raw(h, "</div></section>");
}

static void seller_card(struct html *h, json_object *owner)
{
    long long count = 0;
    jsonx_int(owner, "numberOfReviews", &count);
    html_raw(h, "<aside class=\"seller-card card\" aria-labelledby=\"seller\"><h2 id=\"seller\">"
                "About the seller</h2>");
    const char *image = jsonx_str(owner, "image");
    if (image && html_url_ok(image)) {
        html_raw(h, "<img class=\"avatar\" src=\"");
        html_url(h, image);
        html_raw(h, "\" alt=\"\" width=\"64\" height=\"64\">");
    }
    html_raw(h, "<p><a href=\"/");
    html_path_segment(h, jsonx_str(owner, "username"));
    html_raw(h, "\">");
    html_text(h, jsonx_str(owner, "name"));
    html_raw(h, "</a>");
    web_public_vip_badge(h, owner);
    html_raw(h, " <span class=\"muted\">@");
    html_text(h, jsonx_str(owner, "username"));
    html_raw(h, "</span></p><p>");
    web_public_rating(h, json_object_object_get(owner, "rating"), count);
    html_raw(h, "</p></aside>");
}

static void reviews(struct html *h, json_object *list, json_object *rating, long long count)
{
    html_raw(h, "<section aria-labelledby=\"reviews\"><h2 id=\"reviews\">Reviews</h2><p>");
    web_public_rating(h, rating, count);
    html_raw(h, "</p>");
    size_t n = list ? json_object_array_length(list) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *r = json_object_array_get_idx(list, i);
        long long stars = 0;
        jsonx_int(r, "rating", &stars);
        html_raw(h, "<article class=\"review\"><h3>");
        html_text(h, jsonx_str(jsonx_obj(r, "author"), "name"));
        html_raw(h, "</h3><p><span class=\"stars\" aria-hidden=\"true\">");
        for (long long s = 1; s <= 5; s++)
            html_raw(h, s <= stars ? "★" : "☆");
        html_printf(h, "</span> %lld out of 5", stars);
        const char *when = jsonx_str(r, "createdAt");
        if (when) {
            html_raw(h, " · <time datetime=\"");
            html_attr(h, when);
            html_raw(h, "\">");
            web_public_month(h, when);
            html_raw(h, "</time>");
        }
        html_raw(h, "</p>");
        const char *comment = jsonx_str(r, "comment");
        if (comment && *comment) {
            html_raw(h, "<p class=\"comment\">");
            html_text(h, comment);
            html_raw(h, "</p>");
        }
        html_raw(h, "</article>");
    }
    html_raw(h, "</section>");
}

/* Everything but the <head> extras: the page's body. plain receives the description's text. */
static void gig_body(struct html *h, json_object *d, json_object *revs, const char *path,
                     struct html *plain)
{
    json_object *cat = jsonx_obj(d, "category");
    html_raw(h, "<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><ol><li><a href=\"/services\">"
                "Services</a></li><li><a href=\"/services/");
    html_path_segment(h, jsonx_str(cat, "slug"));
    html_raw(h, "\">");
    html_text(h, jsonx_str(cat, "name"));
    html_raw(h, "</a></li></ol></nav><div class=\"gig-layout\"><article class=\"gig\"><h1>");
    html_text(h, jsonx_str(d, "title"));
    html_raw(h, "</h1>");
    json_object *tags = jsonx_array(d, "tags");
    size_t nt = tags ? json_object_array_length(tags) : 0;
    if (nt > 0) {
        html_raw(h, "<ul class=\"cats\" aria-label=\"Tags\">");
        for (size_t i = 0; i < nt; i++) {
            html_raw(h, "<li class=\"pill\">");
            html_text(h, jsonx_str(json_object_array_get_idx(tags, i), "name"));
            html_raw(h, "</li>");
        }
        html_raw(h, "</ul>");
    }
    gallery(h, d);
    html_raw(h, "<section aria-labelledby=\"about\"><h2 id=\"about\">About this service</h2>");
    description(h, json_object_object_get(d, "description"), plain);
    html_raw(h, "</section>");
    packages(h, d, path);
    faq(h, jsonx_array(d, "faqs"));
    long long count = 0;
    jsonx_int(revs, "numberOfReviews", &count);
    reviews(h, jsonx_array(revs, "items"), json_object_object_get(revs, "rating"), count);
    html_raw(h, "</article>");
    seller_card(h, jsonx_obj(d, "owner"));
    html_raw(h, "</div>");
}

static void gig_page(struct ctx *c, json_object *d, json_object *revs)
{
    json_object *owner = jsonx_obj(d, "owner");
    struct html path = {0}, body = {0}, plain = {0};
    html_raw(&path, "/");
    html_path_segment(&path, jsonx_str(owner, "username"));
    html_raw(&path, "/");
    html_path_segment(&path, jsonx_str(d, "slug"));
    /* The body first: it yields the description's text, which the head needs. */
    gig_body(&body, d, revs, path.data, &plain);
    if (!plain.data || !*plain.data) {
        html_raw(&plain, jsonx_str(d, "title"));
        html_raw(&plain, " by ");
        html_raw(&plain, jsonx_str(owner, "name"));
    }
    shorten(&plain);
    long long count = 0;
    jsonx_int(revs, "numberOfReviews", &count);
    struct web_page p;
    if (web_page_begin(&p, c, jsonx_str(d, "title"), plain.data)) {
        web_seo_gig_head(&p.h, d, path.data, plain.data, json_object_object_get(revs, "rating"),
                         count);
        web_page_body(&p);
        html_raw_n(&p.h, body.data ? body.data : "", body.len);
        web_page_send(&p, 200);
    }
    html_free(&path);
    html_free(&body);
    html_free(&plain);
}

void web_gig_page(struct ctx *c)
{
    const char *username = path_param(c, "username"), *slug = path_param(c, "slug");
    if (!username || !slug) {
        web_not_found(c);
        return;
    }
    struct err e = {0};
    json_object *raw = NULL, *d = NULL, *revs = NULL;
    if (read_model_details(c->db, username, slug, &raw, &e) != E_OK) {
        web_service_error(c, &e);
        err_clear(&e);
        return;
    }
    d = jsonx_raw_expand(raw);
    const char *id = jsonx_str(d, "id");
    long long seller_reviews = 1;
    jsonx_int(jsonx_obj(d, "owner"), "numberOfReviews", &seller_reviews);
    if (!id) {
        err_set(&e, E_INTERNAL, "Internal error");
        web_service_error(c, &e);
    } else if (seller_reviews == 0) {
        /* A seller without reviews has none on this gig: no second lookup. */
        revs = json_object_new_object();
        gig_page(c, d, revs);
    } else if (reviews_of_gig(c->db, id, GIG_REVIEWS_SHOWN, &revs, &e) != E_OK) {
        web_service_error(c, &e);
    } else {
        gig_page(c, d, revs);
    }
    err_clear(&e);
    json_object_put(revs);
    json_object_put(d);
}
