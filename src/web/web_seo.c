/*
 * web_seo.c - what the storefront tells search engines (include/khedma/web_seo.h): a gig page's
 * canonical link, Open Graph tags and schema.org Product JSON-LD, /sitemap.xml and /robots.txt.
 * Absolute URLs start with KHEDMA_PUBLIC_URL, the address people and crawlers use.
 */
#include "khedma/web_seo.h"

#include <stdlib.h>
#include <string.h>

#include "khedma/config.h"
#include "khedma/gigs_read.h"
#include "khedma/http.h"
#include "khedma/jsonx.h"
#include "khedma/read_model.h"
#include "khedma/web.h"

/* Gigs listed in /sitemap.xml, read SITEMAP_BATCH at a time by gig id. A sitemap holds at most
 * 50,000 URLs; the gigs, their sellers, the categories and two pages stay below that. */
#define SITEMAP_GIGS_MAX 20000
#define SITEMAP_BATCH 1000

static const char *const PACKAGE_TYPES[] = {"basic", "standard", "premium"};

void web_seo_absolute(struct html *h, const char *path)
{
    html_attr(h, g_config->public_url);
    html_raw(h, path);
}

void web_seo_canonical(struct html *h, const char *path)
{
    html_raw(h, "<link rel=\"canonical\" href=\"");
    web_seo_absolute(h, path);
    html_raw(h, "\">\n");
}

static void og_tag(struct html *h, const char *property, const char *value)
{
    html_raw(h, "<meta property=\"");
    html_raw(h, property);
    html_raw(h, "\" content=\"");
    html_attr(h, value);
    html_raw(h, "\">\n");
}

/* An absolute URL as plain text (for JSON-LD and og:url, escaped by their writers). */
static char *absolute_text(const char *path)
{
    struct html t = {0};
    html_raw(&t, g_config->public_url);
    html_raw(&t, path);
    return html_take(&t, NULL);
}

/* The gallery's images a page may show, as plain URLs. */
static json_object *image_urls(json_object *details)
{
    json_object *list = json_object_new_array();
    json_object *images = jsonx_array(jsonx_obj(details, "attachments"), "images");
    size_t n = images ? json_object_array_length(images) : 0;
    for (size_t i = 0; i < n; i++) {
        const char *url = jsonx_str(json_object_array_get_idx(images, i), "url");
        /* A crawler reads these away from the page: this site's own uploads ("/uploads/...")
         * are made absolute on KHEDMA_PUBLIC_URL, other http(s) URLs are already. */
        if (!url || !html_url_ok(url))
            continue;
        if (url[0] == '/') {
            char *abs = absolute_text(url);
            json_object_array_add(list, json_object_new_string(abs));
            free(abs);
        } else {
            json_object_array_add(list, json_object_new_string(url));
        }
    }
    return list;
}

static json_object *offers(json_object *details, const char *path)
{
    json_object *list = json_object_new_array();
    json_object *packages = jsonx_obj(details, "packages");
    for (size_t i = 0; i < 3; i++) {
        json_object *pkg = jsonx_obj(packages, PACKAGE_TYPES[i]);
        if (!pkg)
            continue;
        struct html order = {0};
        html_raw(&order, "/order");
        html_raw(&order, path);
        html_raw(&order, "/");
        html_raw(&order, PACKAGE_TYPES[i]);
        char *url = absolute_text(order.data);
        html_free(&order);
        json_object *o = json_object_new_object();
        jsonx_add_str(o, "@type", "Offer");
        jsonx_add_str(o, "name", jsonx_str(pkg, "name"));
        /* schema.org wants the price as text with a '.' for decimals: the API's number is that. */
        jsonx_add_str(o, "price", json_object_get_string(json_object_object_get(pkg, "price")));
        jsonx_add_str(o, "priceCurrency", "MAD");
        jsonx_add_str(o, "availability", "https://schema.org/InStock");
        jsonx_add_str(o, "url", url);
        free(url);
        json_object_array_add(list, o);
    }
    return list;
}

static json_object *product(json_object *details, const char *url, const char *path,
                            const char *description, json_object *images, json_object *gig_rating,
                            long long gig_reviews)
{
    json_object *ld = json_object_new_object();
    jsonx_add_str(ld, "@context", "https://schema.org");
    jsonx_add_str(ld, "@type", "Product");
    jsonx_add_str(ld, "name", jsonx_str(details, "title"));
    jsonx_add_str(ld, "description", description);
    jsonx_add_str(ld, "url", url);
    jsonx_add_str(ld, "category", jsonx_str(jsonx_obj(details, "category"), "name"));
    if (json_object_array_length(images) > 0)
        json_object_object_add(ld, "image", json_object_get(images));
    json_object *brand = json_object_new_object();
    jsonx_add_str(brand, "@type", "Brand");
    jsonx_add_str(brand, "name", jsonx_str(jsonx_obj(details, "owner"), "name"));
    json_object_object_add(ld, "brand", brand);
    json_object_object_add(ld, "offers", offers(details, path));
    if (gig_reviews > 0 && gig_rating) {
        json_object *ar = json_object_new_object();
        jsonx_add_str(ar, "@type", "AggregateRating");
        json_object_object_add(ar, "ratingValue", json_object_get(gig_rating));
        jsonx_add_int(ar, "reviewCount", gig_reviews);
        jsonx_add_int(ar, "bestRating", 5);
        jsonx_add_int(ar, "worstRating", 1);
        json_object_object_add(ld, "aggregateRating", ar);
    }
    return ld;
}

void web_seo_gig_head(struct html *h, json_object *details, const char *path,
                      const char *description, json_object *gig_rating, long long gig_reviews)
{
    char *url = absolute_text(path);
    json_object *images = image_urls(details);
    web_seo_canonical(h, path);
    og_tag(h, "og:type", "product");
    og_tag(h, "og:site_name", "Khedma");
    og_tag(h, "og:title", jsonx_str(details, "title"));
    og_tag(h, "og:description", description);
    og_tag(h, "og:url", url);
    if (json_object_array_length(images) > 0)
        og_tag(h, "og:image", json_object_get_string(json_object_array_get_idx(images, 0)));
    json_object *ld = product(details, url, path, description, images, gig_rating, gig_reviews);
    html_raw(h, "<script type=\"application/ld+json\">");
    html_json_script(h, ld);
    html_raw(h, "</script>\n");
    json_object_put(ld);
    json_object_put(images);
    free(url);
}

/* ---- sitemap and robots ---------------------------------------------------------------------- */

static void sitemap_url(struct html *x, const char *path)
{
    html_raw(x, "<url><loc>");
    html_text(x, g_config->public_url); /* html_text's escapes are XML's too */
    html_raw(x, path);
    html_raw(x, "</loc></url>\n");
}

static void sitemap_categories(struct html *x, json_object *cats)
{
    size_t n = cats ? json_object_array_length(cats) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *top = json_object_array_get_idx(cats, i);
        json_object *subs = jsonx_array(top, "subCategories");
        size_t m = subs ? json_object_array_length(subs) : 0;
        for (size_t j = 0; j <= m; j++) {
            json_object *cat = j == 0 ? top : json_object_array_get_idx(subs, j - 1);
            struct html path = {0};
            html_raw(&path, "/services/");
            html_path_segment(&path, jsonx_str(cat, "slug"));
            sitemap_url(x, path.data);
            html_free(&path);
        }
    }
}

/* The gigs' pages, then one profile per seller among them; false with e set on a failure. */
static bool sitemap_gigs(struct ctx *c, struct html *x, struct err *e)
{
    json_object *sellers = json_object_new_object();
    char after[64] = "";
    bool ok = true;
    for (int listed = 0; listed < SITEMAP_GIGS_MAX;) {
        json_object *batch = NULL;
        if (read_model_pages_after(c->db, after, SITEMAP_BATCH, &batch, e) != E_OK) {
            ok = false;
            break;
        }
        size_t n = json_object_array_length(batch);
        for (size_t i = 0; i < n && listed < SITEMAP_GIGS_MAX; i++, listed++) {
            json_object *g = json_object_array_get_idx(batch, i);
            const char *user = jsonx_str(g, "username");
            struct html path = {0};
            html_raw(&path, "/");
            html_path_segment(&path, user);
            if (!jsonx_has(sellers, path.data))
                json_object_object_add(sellers, path.data, NULL);
            html_raw(&path, "/");
            html_path_segment(&path, jsonx_str(g, "slug"));
            sitemap_url(x, path.data);
            html_free(&path);
            snprintf(after, sizeof after, "%s", jsonx_str(g, "gigId"));
        }
        json_object_put(batch);
        if (n < SITEMAP_BATCH)
            break;
    }
    json_object_object_foreach(sellers, path, unused)
    {
        (void)unused;
        sitemap_url(x, path);
    }
    json_object_put(sellers);
    return ok;
}

void web_seo_sitemap(struct ctx *c)
{
    struct err e = {0};
    json_object *cats = NULL;
    struct html x = {0};
    html_raw(&x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    sitemap_url(&x, "/");
    sitemap_url(&x, "/services");
    if (gigs_read_categories(c->db, &cats, &e) != E_OK || !sitemap_gigs(c, &x, &e)) {
        json_object_put(cats);
        html_free(&x);
        web_service_error(c, &e);
        err_clear(&e);
        return;
    }
    sitemap_categories(&x, cats);
    json_object_put(cats);
    html_raw(&x, "</urlset>\n");
    size_t len = 0;
    char *body = html_take(&x, &len);
    response_set_header(c->resp, "Content-Type", "application/xml; charset=utf-8");
    response_set_header(c->resp, "X-Content-Type-Options", "nosniff");
    c->resp->status = 200;
    response_body(c->resp, body, len);
    free(body);
}

void web_seo_robots(struct ctx *c)
{
    /* RFC 9309 "$" ends a pattern: /dashboard and /api themselves are kept out without hiding
     * the profiles of sellers whose usernames merely start with those words (/dashboarder). */
    struct html t = {0};
    html_raw(&t, "User-agent: *\n"
                 "Disallow: /dashboard$\n"
                 "Disallow: /dashboard/\n"
                 "Disallow: /order/\n"
                 "Disallow: /api$\n"
                 "Disallow: /api/\n"
                 "Disallow: /auth/\n"
                 "Allow: /\n\n"
                 "Sitemap: ");
    html_raw(&t, g_config->public_url);
    html_raw(&t, "/sitemap.xml\n");
    size_t len = 0;
    char *body = html_take(&t, &len);
    response_set_header(c->resp, "Content-Type", "text/plain; charset=utf-8");
    response_set_header(c->resp, "X-Content-Type-Options", "nosniff");
    c->resp->status = 200;
    response_body(c->resp, body, len);
    free(body);
}
