/*
 * web_public.c - the public browsing pages (include/khedma/web_public.h, docs/web.md "Pages"):
 * home, the category list, a category's gigs and the search. They call the gig services the
 * REST reads call (gigs_read_categories, gigs_read_search, and gig_search_parse for the search
 * parameters), so a page shows what GET /api/gigs answers and refuses what it refuses.
 */
#include "khedma/web_public.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/gig_search.h"
#include "khedma/gigs_read.h"
#include "khedma/jsonx.h"
#include "khedma/read_model.h"
#include "khedma/web.h"
#include "khedma/web_seo.h"

#define HOME_NEWEST 8    /* newest gigs on the home page: two rows of the desktop grid */
#define WEB_PAGE_SIZE 24 /* gigs per listing page: whole rows of 1, 2 and 4 columns */
#define PAGE_WINDOW 2    /* page links shown on each side of the current one */

/* ---- pieces shared with the seller and gig pages --------------------------------------------- */

void web_public_rating(struct html *h, json_object *rating, long long count)
{
    if (!rating || count <= 0) {
        html_raw(h, "<span class=\"rating muted\">No reviews yet</span>");
        return;
    }
    double mean = json_object_get_double(rating);
    int full = (int)(mean + 0.5);
    html_raw(h, "<span class=\"rating\"><span class=\"stars\" aria-hidden=\"true\">");
    for (int i = 1; i <= 5; i++)
        html_raw(h, i <= full ? "★" : "☆");
    html_printf(h, "</span> %.1f out of 5 (%lld review%s)</span>", mean, count,
                count == 1 ? "" : "s");
}

void web_public_month(struct html *h, const char *iso)
{
    static const char *const months[] = {"January",   "February", "March",    "April",
                                         "May",       "June",     "July",     "August",
                                         "September", "October",  "November", "December"};
    int year = 0, month = 0;
    if (!iso || sscanf(iso, "%4d-%2d", &year, &month) != 2 || month < 1 || month > 12)
        return;
    html_printf(h, "%s %d", months[month - 1], year);
}

/* The first image of a GigSummary or GigDetails attachment set whose URL a page may show. */
static const char *first_image(json_object *attachments)
{
    json_object *images = jsonx_array(attachments, "images");
    size_t n = images ? json_object_array_length(images) : 0;
    for (size_t i = 0; i < n; i++) {
        const char *url = jsonx_str(json_object_array_get_idx(images, i), "url");
        if (url && html_url_ok(url))
            return url;
    }
    return NULL;
}

/* "/username/slug", each segment percent-encoded. */
static void gig_path(struct html *h, json_object *gig)
{
    html_raw(h, "/");
    html_path_segment(h, jsonx_str(jsonx_obj(gig, "owner"), "username"));
    html_raw(h, "/");
    html_path_segment(h, jsonx_str(gig, "slug"));
}

void web_public_vip_badge(struct html *h, json_object *owner)
{
    json_object *vip = json_object_object_get(owner, "vip");
    if (!vip || !json_object_get_boolean(vip))
        return;
    /* "VIP" alone would be read as an acronym without context; the hidden words finish it. */
    html_raw(h, " <span class=\"badge-vip\">VIP<span class=\"vh\"> seller</span></span>");
}

static void gig_card(struct html *h, json_object *gig, json_object *ratings)
{
    json_object *owner = jsonx_obj(gig, "owner");
    const char *title = jsonx_str(gig, "title");
    const char *image = first_image(jsonx_obj(gig, "attachaments"));
    html_raw(h, "<li class=\"gig-card\">");
    if (image) {
        /* The title follows as a link, so the image is decoration for a screen reader; its alt
         * still says what it is for people who browse without images. */
        html_raw(h, "<img src=\"");
        html_url(h, image);
        html_raw(h, "\" alt=\"");
        html_attr(h, title);
        html_raw(h, "\" width=\"320\" height=\"200\" loading=\"lazy\">");
    }
    html_raw(h, "<div class=\"body\"><h3><a href=\"");
    gig_path(h, gig);
    html_raw(h, "\">");
    html_text(h, title);
    html_raw(h, "</a></h3><span class=\"muted\">by ");
    html_text(h, jsonx_str(owner, "name"));
    html_raw(h, "</span>");
    web_public_vip_badge(h, owner);
    if (ratings) {
        json_object *r = jsonx_obj(ratings, jsonx_str(owner, "username"));
        long long count = 0;
        jsonx_int(r, "numberOfReviews", &count);
        web_public_rating(h, r ? json_object_object_get(r, "rating") : NULL, count);
    }
    json_object *basic = jsonx_obj(jsonx_obj(gig, "packages"), "basic");
    if (basic) {
        html_raw(h, "<span class=\"price\">From ");
        web_price(h, json_object_get_string(json_object_object_get(basic, "price")), "MAD");
        html_raw(h, "</span>");
    }
    html_raw(h, "</div></li>");
}

void web_public_gig_cards(struct html *h, json_object *items, json_object *ratings)
{
    size_t n = items ? json_object_array_length(items) : 0;
    html_raw(h, "<ul class=\"grid\">");
    for (size_t i = 0; i < n; i++)
        gig_card(h, json_object_array_get_idx(items, i), ratings);
    html_raw(h, "</ul>");
}

json_object *web_public_card_ratings(struct ctx *c, json_object *items)
{
    const char *names[READ_MODEL_RATINGS_MAX];
    size_t n = 0, len = items ? json_object_array_length(items) : 0;
    for (size_t i = 0; i < len && n < READ_MODEL_RATINGS_MAX; i++) {
        const char *u =
            jsonx_str(jsonx_obj(json_object_array_get_idx(items, i), "owner"), "username");
        bool seen = !u;
        for (size_t j = 0; j < n && !seen; j++)
            seen = strcmp(names[j], u) == 0;
        if (!seen)
            names[n++] = u;
    }
    json_object *out = NULL;
    struct err e = {0};
    if (read_model_ratings(c->db, names, n, &out, &e) != E_OK)
        out = NULL;
    err_clear(&e);
    return out;
}

/* ---- pagination ------------------------------------------------------------------------------ */

/* A link to page n: prefix is the escaped path and query up to "page=" (or "?page="). */
static void page_link(struct html *h, const char *prefix, long long n, long long current,
                      const char *label, const char *rel)
{
    html_raw(h, "<li>");
    if (n == current && !rel) {
        html_printf(h, "<span aria-current=\"page\">%lld</span>", n);
    } else {
        html_raw(h, "<a href=\"");
        html_raw(h, prefix);
        html_printf(h, "%lld\"", n);
        if (rel)
            html_printf(h, " rel=\"%s\"", rel);
        html_raw(h, ">");
        if (label)
            html_raw(h, label);
        else
            html_printf(h, "<span class=\"vh\">Page </span>%lld", n);
        html_raw(h, "</a>");
    }
    html_raw(h, "</li>");
}

static void pagination(struct html *h, const char *prefix, json_object *pg)
{
    long long current = 1, total = 0;
    jsonx_int(pg, "currentPage", &current);
    jsonx_int(pg, "totalPages", &total);
    if (total <= 1)
        return;
    html_raw(h, "<nav class=\"pages\" aria-label=\"Pages\"><ul>");
    if (current > 1)
        page_link(h, prefix, current - 1, current, "Previous", "prev");
    long long from = current - PAGE_WINDOW < 1 ? 1 : current - PAGE_WINDOW;
    long long to = current + PAGE_WINDOW > total ? total : current + PAGE_WINDOW;
    if (from > 1)
        page_link(h, prefix, 1, current, NULL, NULL);
    for (long long n = from; n <= to; n++)
        page_link(h, prefix, n, current, NULL, NULL);
    if (to < total)
        page_link(h, prefix, total, current, NULL, NULL);
    if (current < total)
        page_link(h, prefix, current + 1, current, "Next", "next");
    html_raw(h, "</ul></nav>");
}

/* "Showing 1–24 of 130 services" */
static void result_count(struct html *h, json_object *pg)
{
    long long total = 0, current = 1, size = WEB_PAGE_SIZE;
    jsonx_int(pg, "totalItems", &total);
    jsonx_int(pg, "currentPage", &current);
    jsonx_int(pg, "pageSize", &size);
    long long first = (current - 1) * size + 1, last = current * size;
    if (last > total)
        last = total;
    if (total == 0)
        html_raw(h, "<p class=\"muted\">No services found.</p>");
    else if (first > total)
        html_printf(h, "<p class=\"muted\">This page is past the last of %lld service%s.</p>",
                    total, total == 1 ? "" : "s");
    else
        html_printf(h, "<p class=\"muted\">Showing %lld–%lld of %lld service%s.</p>", first, last,
                    total, total == 1 ? "" : "s");
}

/* ---- categories ------------------------------------------------------------------------------ */

static void category_link(struct html *h, json_object *cat, const char *cls)
{
    html_raw(h, "<a");
    if (cls)
        html_printf(h, " class=\"%s\"", cls);
    html_raw(h, " href=\"/services/");
    html_path_segment(h, jsonx_str(cat, "slug"));
    html_raw(h, "\">");
    html_text(h, jsonx_str(cat, "name"));
    html_raw(h, "</a>");
}

/* The category (top-level or sub) whose slug or id is key, and its parent (NULL for a top one). */
static json_object *find_category(json_object *tree, const char *key, json_object **parent)
{
    size_t n = tree ? json_object_array_length(tree) : 0;
    *parent = NULL;
    for (size_t i = 0; i < n; i++) {
        json_object *top = json_object_array_get_idx(tree, i);
        const char *slug = jsonx_str(top, "slug"), *id = jsonx_str(top, "id");
        if ((slug && strcmp(slug, key) == 0) || (id && strcmp(id, key) == 0))
            return top;
        json_object *subs = jsonx_array(top, "subCategories");
        size_t m = subs ? json_object_array_length(subs) : 0;
        for (size_t j = 0; j < m; j++) {
            json_object *sub = json_object_array_get_idx(subs, j);
            slug = jsonx_str(sub, "slug");
            id = jsonx_str(sub, "id");
            if ((slug && strcmp(slug, key) == 0) || (id && strcmp(id, key) == 0)) {
                *parent = top;
                return sub;
            }
        }
    }
    return NULL;
}

/* ---- home ------------------------------------------------------------------------------------ */

static void search_box(struct html *h)
{
    html_raw(h, "<form class=\"hero-search\" action=\"/services/search\" method=\"get\" "
                "role=\"search\"><label for=\"home-q\">What do you need done?</label>"
                "<div class=\"row\"><input id=\"home-q\" name=\"q\" type=\"search\" "
                "maxlength=\"100\" placeholder=\"Logo, website, translation…\">"
                "<button type=\"submit\">Search</button></div></form>");
}

void web_public_home(struct ctx *c)
{
    struct err e = {0};
    json_object *cats = NULL, *newest = NULL;
    struct gig_search s = {.page = 1, .limit = HOME_NEWEST};
    if (gigs_read_categories(c->db, &cats, &e) != E_OK ||
        gigs_read_search(c->db, &s, &newest, &e) != E_OK) {
        json_object_put(cats);
        web_service_error(c, &e);
        err_clear(&e);
        return;
    }
    json_object *items = jsonx_array(newest, "items");
    json_object *ratings = web_public_card_ratings(c, items);
    struct web_page p;
    if (web_page_begin(&p, c, "Freelance services in Morocco",
                       "Find freelancers in Morocco for design, programming, marketing and "
                       "more. Compare packages and prices in MAD, and order online.")) {
        p.nav = "home";
        web_seo_canonical(&p.h, "/");
        web_page_body(&p);
        html_raw(&p.h, "<section class=\"hero\" aria-labelledby=\"home-title\"><h1 "
                       "id=\"home-title\">Find the right freelancer for your project</h1>");
        search_box(&p.h);
        html_raw(&p.h, "</section><section aria-labelledby=\"home-cats\"><h2 id=\"home-cats\">"
                       "Categories</h2><ul class=\"cats\">");
        size_t n = json_object_array_length(cats);
        for (size_t i = 0; i < n; i++) {
            html_raw(&p.h, "<li>");
            category_link(&p.h, json_object_array_get_idx(cats, i), "pill");
            html_raw(&p.h, "</li>");
        }
        html_raw(&p.h, "</ul></section><section aria-labelledby=\"home-new\"><h2 "
                       "id=\"home-new\">Newest services</h2>");
        if (json_object_array_length(items) == 0)
            html_raw(&p.h, "<p class=\"muted\">No services are published yet.</p>");
        else
            web_public_gig_cards(&p.h, items, ratings);
        html_raw(&p.h, "<p><a href=\"/services\">Browse all categories</a></p></section>");
        web_page_send(&p, 200);
    }
    json_object_put(ratings);
    json_object_put(newest);
    json_object_put(cats);
}

/* ---- all categories -------------------------------------------------------------------------- */

void web_public_services(struct ctx *c)
{
    struct err e = {0};
    json_object *cats = NULL;
    if (gigs_read_categories(c->db, &cats, &e) != E_OK) {
        web_service_error(c, &e);
        err_clear(&e);
        return;
    }
    struct web_page p;
    if (web_page_begin(&p, c, "All services",
                       "Every category of freelance services on Khedma, with its "
                       "sub-categories.")) {
        p.nav = "services";
        web_seo_canonical(&p.h, "/services");
        web_page_body(&p);
        html_raw(&p.h, "<h1>All services</h1><div class=\"category-list\">");
        size_t n = json_object_array_length(cats);
        for (size_t i = 0; i < n; i++) {
            json_object *top = json_object_array_get_idx(cats, i);
            html_raw(&p.h, "<section class=\"card\"><h2>");
            category_link(&p.h, top, NULL);
            html_raw(&p.h, "</h2><ul>");
            json_object *subs = jsonx_array(top, "subCategories");
            size_t m = subs ? json_object_array_length(subs) : 0;
            for (size_t j = 0; j < m; j++) {
                html_raw(&p.h, "<li>");
                category_link(&p.h, json_object_array_get_idx(subs, j), NULL);
                html_raw(&p.h, "</li>");
            }
            html_raw(&p.h, "</ul></section>");
        }
        html_raw(&p.h, "</div>");
        web_page_send(&p, 200);
    }
    json_object_put(cats);
}

/* ---- one category ---------------------------------------------------------------------------- */

static void category_page(struct ctx *c, json_object *cat, json_object *parent, json_object *result)
{
    const char *name = jsonx_str(cat, "name");
    struct html path = {0}, title = {0}, desc = {0};
    html_raw(&path, "/services/");
    html_path_segment(&path, jsonx_str(cat, "slug"));
    html_raw(&title, name);
    html_raw(&title, " services");
    html_raw(&desc, "Freelance ");
    html_raw(&desc, name);
    html_raw(&desc, " services in Morocco: compare sellers, packages and prices in MAD.");
    json_object *items = jsonx_array(result, "items");
    json_object *ratings = web_public_card_ratings(c, items);
    struct web_page p;
    if (web_page_begin(&p, c, title.data, desc.data)) {
        p.nav = "services";
        web_seo_canonical(&p.h, path.data);
        web_page_body(&p);
        html_raw(&p.h, "<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><ol><li><a "
                       "href=\"/services\">Services</a></li>");
        if (parent) {
            html_raw(&p.h, "<li>");
            category_link(&p.h, parent, NULL);
            html_raw(&p.h, "</li>");
        }
        html_raw(&p.h, "<li aria-current=\"page\">");
        html_text(&p.h, name);
        html_raw(&p.h, "</li></ol></nav><h1>");
        html_text(&p.h, name);
        html_raw(&p.h, "</h1>");
        json_object *subs = jsonx_array(cat, "subCategories");
        size_t m = subs ? json_object_array_length(subs) : 0;
        if (m > 0) {
            html_raw(&p.h, "<ul class=\"cats\" aria-label=\"Sub-categories\">");
            for (size_t j = 0; j < m; j++) {
                html_raw(&p.h, "<li>");
                category_link(&p.h, json_object_array_get_idx(subs, j), "pill");
                html_raw(&p.h, "</li>");
            }
            html_raw(&p.h, "</ul>");
        }
        json_object *pg = jsonx_obj(result, "pagination");
        /* The cards' titles are h3: a heading for their list keeps the outline in order. */
        html_raw(&p.h, "<h2 class=\"vh\">Services in this category</h2>");
        result_count(&p.h, pg);
        web_public_gig_cards(&p.h, items, ratings);
        html_raw(&path, "?page=");
        pagination(&p.h, path.data, pg);
        web_page_send(&p, 200);
    }
    json_object_put(ratings);
    html_free(&path);
    html_free(&title);
    html_free(&desc);
}

void web_public_category(struct ctx *c)
{
    const char *key = router_param(&c->match, "category");
    struct gig_search_query in = {.category = key, .page = request_query(c->req, "page")};
    struct gig_search s;
    struct err e = {0};
    if (!gig_search_parse(&in, &s, &e)) {
        /* A category that long or not UTF-8 names nothing; a bad page number is the visitor's
         * typing. */
        if (jsonx_has(e.fields, "category"))
            web_not_found(c);
        else
            web_error_page(c, 400, "That page number is not valid: pages are counted from 1.");
        err_clear(&e);
        return;
    }
    s.limit = WEB_PAGE_SIZE;
    json_object *cats = NULL, *result = NULL, *parent = NULL;
    if (gigs_read_categories(c->db, &cats, &e) != E_OK) {
        web_service_error(c, &e);
        err_clear(&e);
        return;
    }
    json_object *cat = find_category(cats, key, &parent);
    if (!cat)
        web_not_found(c);
    else if (gigs_read_search(c->db, &s, &result, &e) != E_OK)
        web_service_error(c, &e);
    else
        category_page(c, cat, parent, result);
    err_clear(&e);
    json_object_put(result);
    json_object_put(cats);
}

/* ---- search ---------------------------------------------------------------------------------- */

/* Messages for people, per field, where the shared parser refused a value. */
static void person_errors(const struct err *parsed, struct err *shown)
{
    static const struct {
        const char *field, *message;
    } words[] = {
        {"q", "Search with at most 100 characters."},
        {"category", "Choose a category from the list of services."},
        {"minPrice", "Enter the lowest price in dirhams as a number, like 150 or 99.50."},
        {"maxPrice", "Enter the highest price in dirhams as a number, like 500 or 1200.50."},
        {"page", "Pages are counted from 1: start again from the first page."},
        {"limit", "Show between 1 and 100 services per page."},
    };
    err_set(shown, E_UNPROCESSABLE, "Please correct the search filters below.");
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (jsonx_has(parsed->fields, words[i].field))
            err_field(shown, words[i].field, words[i].message);
}

static void text_field(struct html *h, const struct err *shown, const char *name, const char *id,
                       const char *label, const char *value, const char *extra)
{
    bool bad = shown && jsonx_has(shown->fields, name);
    html_raw(h, "<div class=\"field\"><label for=\"");
    html_raw(h, id);
    html_raw(h, "\">");
    html_raw(h, label);
    html_raw(h, "</label><input id=\"");
    html_raw(h, id);
    html_raw(h, "\" name=\"");
    html_raw(h, name);
    html_raw(h, "\" ");
    html_raw(h, extra);
    html_raw(h, " value=\"");
    html_attr(h, value ? value : "");
    html_raw(h, "\"");
    if (bad) {
        html_raw(h, " aria-invalid=\"true\" aria-describedby=\"");
        html_raw(h, id);
        html_raw(h, "-error\"");
    }
    html_raw(h, ">");
    web_field_error(h, shown, name, id);
    html_raw(h, "</div>");
}

static void search_form(struct html *h, const struct gig_search_query *in, const struct err *shown)
{
    html_raw(h, "<form class=\"filters\" action=\"/services/search\" method=\"get\" "
                "role=\"search\" aria-label=\"Search filters\">");
    web_form_errors(h, shown);
    text_field(h, shown, "q", "q", "Search for", in->q, "type=\"search\" maxlength=\"100\"");
    text_field(h, shown, "minPrice", "min-price", "Minimum price (MAD)", in->min_price,
               "type=\"text\" inputmode=\"decimal\"");
    text_field(h, shown, "maxPrice", "max-price", "Maximum price (MAD)", in->max_price,
               "type=\"text\" inputmode=\"decimal\"");
    if (in->category && *in->category) {
        html_raw(h, "<input type=\"hidden\" name=\"category\" value=\"");
        html_attr(h, in->category);
        html_raw(h, "\">");
        web_field_error(h, shown, "category", "category");
    }
    web_field_error(h, shown, "page", "page");
    web_field_error(h, shown, "limit", "limit");
    html_raw(h, "<div class=\"field\"><button type=\"submit\">Search</button></div></form>");
}

/* "/services/search?q=..&amp;minPrice=..&amp;page=": the filters kept, escaped for an attribute. */
static void search_prefix(struct html *h, const struct gig_search_query *in)
{
    const struct {
        const char *name, *value;
    } keep[] = {{"q", in->q},
                {"category", in->category},
                {"minPrice", in->min_price},
                {"maxPrice", in->max_price}};
    html_raw(h, "/services/search?");
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
        if (!keep[i].value || !*keep[i].value)
            continue;
        html_raw(h, keep[i].name);
        html_raw(h, "=");
        html_query_value(h, keep[i].value);
        html_raw(h, "&amp;");
    }
    html_raw(h, "page=");
}

static void search_page(struct ctx *c, const struct gig_search_query *in, const struct err *shown,
                        json_object *result)
{
    bool has_q = in->q && *in->q;
    struct html title = {0};
    if (has_q) {
        html_raw(&title, "Results for “");
        html_raw(&title, in->q);
        html_raw(&title, "”");
    } else {
        html_raw(&title, "Search services");
    }
    json_object *items = jsonx_array(result, "items");
    json_object *ratings = web_public_card_ratings(c, items);
    struct web_page p;
    if (web_page_begin(&p, c, title.data,
                       "Search freelance services on Khedma by text and price in MAD.")) {
        p.nav = "services";
        /* Result pages for every combination of filters are not worth indexing. */
        html_raw(&p.h, "<meta name=\"robots\" content=\"noindex, follow\">\n");
        web_page_body(&p);
        html_raw(&p.h, "<h1>");
        html_text(&p.h, title.data);
        html_raw(&p.h, "</h1>");
        search_form(&p.h, in, shown);
        if (result) {
            json_object *pg = jsonx_obj(result, "pagination");
            html_raw(&p.h, "<section aria-labelledby=\"results\"><h2 id=\"results\" "
                           "class=\"vh\">Results</h2>");
            result_count(&p.h, pg);
            web_public_gig_cards(&p.h, items, ratings);
            struct html prefix = {0};
            search_prefix(&prefix, in);
            pagination(&p.h, prefix.data, pg);
            html_free(&prefix);
            html_raw(&p.h, "</section>");
        }
        web_page_send(&p, shown ? 422 : 200);
    }
    json_object_put(ratings);
    html_free(&title);
}

void web_public_search(struct ctx *c)
{
    const struct gig_search_query in = {
        .q = request_query(c->req, "q"),
        .category = request_query(c->req, "category"),
        .min_price = request_query(c->req, "minPrice"),
        .max_price = request_query(c->req, "maxPrice"),
        .page = request_query(c->req, "page"),
    };
    struct gig_search s;
    struct err e = {0};
    if (!gig_search_parse(&in, &s, &e)) {
        struct err shown = {0};
        person_errors(&e, &shown);
        /* The values are written back as typed (html_attr makes any bytes safe text), so the
         * visitor can correct them. */
        search_page(c, &in, &shown, NULL);
        err_clear(&shown);
        err_clear(&e);
        return;
    }
    s.limit = WEB_PAGE_SIZE;
    json_object *result = NULL;
    if (gigs_read_search(c->db, &s, &result, &e) != E_OK)
        web_service_error(c, &e);
    else
        search_page(c, &in, NULL, result);
    err_clear(&e);
    json_object_put(result);
}
