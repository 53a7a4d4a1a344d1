/*
 * web_gig_editor.c - the seller's gig list and the gig editor pages (web_gig_editor.h).
 *
 * Every POST builds the same JSON input the gig.* tRPC procedures take and hands it to the same
 * validation (gig_input.c) and service (gigs_write.c), so the pages can never accept what the API
 * refuses or the other way round. The service's field keys ("title", "tags.2.text",
 * "basic.price", "faq.0.answer", "images.1") are mapped back to the inputs that produced them.
 */
#include "khedma/web_gig_editor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/gig_input.h"
#include "khedma/gigs_read.h"
#include "khedma/gigs_write.h"
#include "khedma/http.h"
#include "khedma/jsonx.h"
#include "khedma/router.h"
#include "khedma/web.h"

#define FAQ_EMPTY_ROWS 3 /* blank question rows offered below the existing ones */

static const char *const TIERS[3] = {"basic", "standard", "premium"};
static const char *const TIER_LABELS[3] = {"Basic", "Standard", "Premium"};

enum step {
    STEP_OVERVIEW,
    STEP_PRICING,
    STEP_DESCRIPTION,
    STEP_GALLERY,
    STEP_PUBLISH,
    STEP_DELETE
};
static const char *const STEP_PATHS[] = {"overview", "pricing", "description",
                                         "gallery",  "publish", "delete"};
static const char *const STEP_LABELS[] = {"Overview", "Pricing", "Description and FAQ",
                                          "Gallery",  "Publish", "Delete"};

/* --- shared pieces --------------------------------------------------------------------- */

static const char *gig_param(struct ctx *c)
{
    const char *id = router_param(&c->match, "id");
    return id && strlen(id) <= GIG_REF_MAX ? id : NULL;
}

/* "/dashboard/gigs/<id>/<step>" into out, with "?saved=1" when saved. */
static void step_path(char *out, size_t len, const char *gig_id, enum step s, bool saved)
{
    struct html h = {0};
    html_raw(&h, "/dashboard/gigs/");
    html_path_segment(&h, gig_id);
    html_raw(&h, "/");
    html_raw(&h, STEP_PATHS[s]);
    if (saved)
        html_raw(&h, "?saved=1");
    snprintf(out, len, "%s", h.data);
    html_free(&h);
}

static void redirect_step(struct ctx *c, const char *gig_id, enum step s)
{
    char to[512];
    step_path(to, sizeof to, gig_id, s, true);
    web_redirect(c, to);
}

/* The gig as its owner sees it (GigDetails), or NULL with an error page answered. */
static json_object *load_gig(struct ctx *c, const struct user *u, const char *gig_id)
{
    json_object *gig = NULL;
    struct err e = {0};
    if (!gig_id) {
        web_not_found(c);
        return NULL;
    }
    if (gigs_read_by_id(c->db, u->id, gig_id, &gig, &e) != E_OK) {
        web_service_error(c, &e);
        err_clear(&e);
        return NULL;
    }
    return gig;
}

static const char *gig_title(json_object *gig)
{
    const char *t = jsonx_str(gig, "title");
    return t && *t ? t : "Untitled gig";
}

/* A published gig has a public page; a draft that has a slug was published once and paused. */
static const char *gig_state(json_object *gig)
{
    const char *status = jsonx_str(gig, "status");
    const char *slug = jsonx_str(gig, "slug");
    if (status && strcmp(status, "published") == 0)
        return "published";
    if (status && strcmp(status, "deleted") == 0)
        return "deleted";
    return slug && *slug ? "paused" : "draft";
}

static const char *state_label(const char *state)
{
    if (strcmp(state, "published") == 0)
        return "Published";
    if (strcmp(state, "paused") == 0)
        return "Paused";
    if (strcmp(state, "deleted") == 0)
        return "Deleted";
    return "Draft";
}

/* Page head, site header, the gig's title and the steps, one marked current. */
static bool editor_begin(struct web_page *p, struct ctx *c, json_object *gig, enum step s)
{
    char title[160];
    snprintf(title, sizeof title, "%s · Edit gig", STEP_LABELS[s]);
    if (!web_page_begin(p, c, title, NULL))
        return false;
    p->nav = "dashboard";
    html_raw(&p->h, "<meta name=\"robots\" content=\"noindex\">\n");
    web_page_body(p);
    struct html *h = &p->h;
    const char *id = jsonx_str(gig, "id");
    html_raw(h, "<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/dashboard\">Dashboard"
                "</a> › <a href=\"/dashboard/gigs\">My gigs</a></nav><h1>");
    html_text(h, gig_title(gig));
    html_raw(h, " <span class=\"status\">");
    html_text(h, state_label(gig_state(gig)));
    html_raw(h, "</span></h1><nav class=\"steps\" aria-label=\"Gig editor steps\"><ol>");
    for (int i = STEP_OVERVIEW; i <= STEP_DELETE; i++) {
        char href[512];
        step_path(href, sizeof href, id, (enum step)i, false);
        html_raw(h, "<li><a href=\"");
        html_url(h, href);
        html_raw(h, "\"");
        if (i == (int)s)
            html_raw(h, " aria-current=\"step\"");
        html_raw(h, ">");
        html_raw(h, STEP_LABELS[i]);
        html_raw(h, "</a></li>");
    }
    html_raw(h, "</ol></nav>\n");
    const char *saved = kv_list_get(&c->req->query, "saved");
    if (saved && strcmp(saved, "1") == 0)
        html_raw(h, "<p class=\"flash\" role=\"status\">Your changes were saved.</p>");
    return true;
}

/* Every message of a refused form, at its top: the field messages also appear next to their
 * inputs, but this list is what a screen reader hears first and it never loses one. */
static void error_summary(struct html *h, const struct err *e)
{
    if (!e || e->kind == E_OK)
        return;
    if (!e->fields) {
        web_form_errors(h, e);
        return;
    }
    html_raw(h, "<div class=\"form-errors\" role=\"alert\"><p>");
    html_text(h, "Please correct the following:");
    html_raw(h, "</p><ul>");
    json_object_object_foreach(e->fields, key, msgs)
    {
        (void)key;
        size_t n = json_object_is_type(msgs, json_type_array) ? json_object_array_length(msgs) : 0;
        for (size_t i = 0; i < n; i++) {
            html_raw(h, "<li>");
            html_text(h, json_object_get_string(json_object_array_get_idx(msgs, i)));
            html_raw(h, "</li>");
        }
    }
    html_raw(h, "</ul></div>");
}

static bool has_field_error(const struct err *e, const char *field)
{
    return e && e->fields && json_object_object_get_ex(e->fields, field, NULL);
}

/* <label>, then an <input> with the value and the error reference, then the error. */
static void text_input(struct html *h, const char *id, const char *name, const char *label,
                       const char *type, const char *value, const char *hint, const struct err *e,
                       const char *field, const char *extra)
{
    html_raw(h, "<div class=\"field\"><label for=\"");
    html_attr(h, id);
    html_raw(h, "\">");
    html_text(h, label);
    html_raw(h, "</label>");
    if (hint) {
        html_raw(h, "<p class=\"hint\" id=\"");
        html_attr(h, id);
        html_raw(h, "-hint\">");
        html_text(h, hint);
        html_raw(h, "</p>");
    }
    html_raw(h, "<input id=\"");
    html_attr(h, id);
    html_raw(h, "\" name=\"");
    html_attr(h, name);
    html_raw(h, "\" type=\"");
    html_raw(h, type);
    html_raw(h, "\" value=\"");
    html_attr(h, value ? value : "");
    html_raw(h, "\"");
    if (extra)
        html_raw(h, extra);
    bool bad = has_field_error(e, field);
    if (bad || hint) {
        html_raw(h, " aria-describedby=\"");
        if (hint) {
            html_attr(h, id);
            html_raw(h, "-hint");
        }
        if (bad) {
            html_raw(h, hint ? " " : "");
            html_attr(h, id);
            html_raw(h, "-error");
        }
        html_raw(h, "\"");
    }
    if (bad)
        html_raw(h, " aria-invalid=\"true\"");
    html_raw(h, ">");
    web_field_error(h, e, field, id);
    html_raw(h, "</div>");
}

static void form_open(struct html *h, const char *gig_id, enum step s, const char *cls)
{
    char action[512];
    step_path(action, sizeof action, gig_id, s, false);
    html_raw(h, "<form method=\"post\" class=\"");
    html_raw(h, cls);
    html_raw(h, "\" action=\"");
    html_url(h, action);
    html_raw(h, "\" novalidate>");
}

/* The user once signed in, the gig id of the path and the parsed form of a POST; false with the
 * answer written when any of them is missing or refused. */
static bool post_begin(struct ctx *c, const struct user **u, struct kv_list *form)
{
    memset(form, 0, sizeof *form);
    *u = web_require_user(c);
    if (!*u || !web_post_ok(c))
        return false;
    return web_form(c, form);
}

/* A number typed into a form: a JSON integer when it is one, else the text itself (empty text
 * too), so the validation names the field ("... must be a whole number"). */
static json_object *number_or_text(const char *s)
{
    size_t n = strlen(s);
    bool digits = n > 0 && n <= 12;
    for (size_t i = 0; i < n && digits; i++)
        digits = s[i] >= '0' && s[i] <= '9';
    return digits ? json_object_new_int64(strtoll(s, NULL, 10)) : json_object_new_string(s);
}

/* --- the list -------------------------------------------------------------------------- */

void web_gig_editor_list(struct ctx *c)
{
    const struct user *u = web_require_user(c);
    if (!u)
        return;
    json_object *gigs = NULL;
    struct err e = {0};
    if (gigs_read_user_gigs(c->db, u->id, u->id, &gigs, &e) != E_OK) {
        web_service_error(c, &e);
        err_clear(&e);
        return;
    }
    struct web_page p;
    if (!web_page_begin(&p, c, "My gigs", NULL)) {
        json_object_put(gigs);
        return;
    }
    p.nav = "dashboard";
    html_raw(&p.h, "<meta name=\"robots\" content=\"noindex\">\n");
    web_page_body(&p);
    struct html *h = &p.h;
    html_raw(h, "<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/dashboard\">Dashboard"
                "</a></nav><h1>My gigs</h1>");
    const char *deleted = kv_list_get(&c->req->query, "deleted");
    if (deleted && strcmp(deleted, "1") == 0)
        html_raw(h, "<p class=\"flash\" role=\"status\">The gig was deleted.</p>");
    html_raw(h, "<form method=\"post\" action=\"/dashboard/gigs\"><button type=\"submit\" "
                "class=\"btn\">Create a new gig</button></form>");
    size_t n = json_object_array_length(gigs);
    size_t shown = 0;
    for (size_t i = 0; i < n; i++) {
        json_object *g = json_object_array_get_idx(gigs, i);
        const char *state = gig_state(g);
        if (strcmp(state, "deleted") == 0)
            continue; /* kept for its orders, but gone for the seller too */
        if (shown++ == 0)
            html_raw(h, "<table class=\"list\"><caption class=\"vh\">Your gigs</caption><thead>"
                        "<tr><th scope=\"col\">Gig</th><th scope=\"col\">Status</th>"
                        "<th scope=\"col\">Actions</th></tr></thead><tbody>");
        char edit[512];
        step_path(edit, sizeof edit, jsonx_str(g, "id"), STEP_OVERVIEW, false);
        html_raw(h, "<tr><td>");
        html_text(h, gig_title(g));
        html_raw(h, "</td><td><span class=\"status\">");
        html_text(h, state_label(state));
        html_raw(h, "</span></td><td><a href=\"");
        html_url(h, edit);
        html_raw(h, "\">Edit<span class=\"vh\"> ");
        html_text(h, gig_title(g));
        html_raw(h, "</span></a>");
        if (strcmp(state, "published") == 0) {
            html_raw(h, " · <a href=\"/");
            html_path_segment(h, u->username);
            html_raw(h, "/");
            html_path_segment(h, jsonx_str(g, "slug"));
            html_raw(h, "\">View<span class=\"vh\"> ");
            html_text(h, gig_title(g));
            html_raw(h, "</span></a>");
        }
        html_raw(h, "</td></tr>");
    }
    if (shown)
        html_raw(h, "</tbody></table>");
    else
        html_raw(h, "<p>You have no gigs yet. Create one: it stays a draft until you publish "
                    "it.</p>");
    json_object_put(gigs);
    web_page_send(&p, 200);
}

void web_gig_editor_create(struct ctx *c)
{
    const struct user *u = web_require_user(c);
    if (!u || !web_post_ok(c))
        return;
    json_object *gig = NULL;
    struct err e = {0};
    if (gigs_write_create_draft(c->db, u->id, &gig, &e) != E_OK) {
        web_service_error(c, &e);
        err_clear(&e);
        return;
    }
    char to[512];
    step_path(to, sizeof to, jsonx_str(gig, "id"), STEP_OVERVIEW, false);
    json_object_put(gig);
    web_redirect(c, to);
}

/* --- overview -------------------------------------------------------------------------- */

struct overview_form {
    const char *title, *category, *subcategory;
    const char *tags[GIG_TAGS_MAX];
};

static void category_options(struct html *h, json_object *cats, const char *selected, bool sub)
{
    size_t n = json_object_array_length(cats);
    for (size_t i = 0; i < n; i++) {
        json_object *cat = json_object_array_get_idx(cats, i);
        if (!sub) {
            const char *id = jsonx_str(cat, "id");
            html_raw(h, "<option value=\"");
            html_attr(h, id);
            html_raw(h, "\"");
            if (selected && id && strcmp(selected, id) == 0)
                html_raw(h, " selected");
            html_raw(h, ">");
            html_text(h, jsonx_str(cat, "name"));
            html_raw(h, "</option>");
            continue;
        }
        html_raw(h, "<optgroup label=\"");
        html_attr(h, jsonx_str(cat, "name"));
        html_raw(h, "\">");
        json_object *subs = jsonx_array(cat, "subCategories");
        size_t m = subs ? json_object_array_length(subs) : 0;
        for (size_t k = 0; k < m; k++) {
            json_object *s = json_object_array_get_idx(subs, k);
            const char *id = jsonx_str(s, "id");
            html_raw(h, "<option value=\"");
            html_attr(h, id);
            html_raw(h, "\"");
            if (selected && id && strcmp(selected, id) == 0)
                html_raw(h, " selected");
            html_raw(h, ">");
            html_text(h, jsonx_str(s, "name"));
            html_raw(h, "</option>");
        }
        html_raw(h, "</optgroup>");
    }
}

static void select_field(struct html *h, const char *id, const char *label, json_object *cats,
                         const char *selected, bool sub, const struct err *e)
{
    html_raw(h, "<div class=\"field\"><label for=\"");
    html_raw(h, id);
    html_raw(h, "\">");
    html_raw(h, label);
    html_raw(h, "</label><select id=\"");
    html_raw(h, id);
    html_raw(h, "\" name=\"");
    html_raw(h, id);
    html_raw(h, "\"");
    if (has_field_error(e, id)) {
        html_raw(h, " aria-describedby=\"");
        html_raw(h, id);
        html_raw(h, "-error\" aria-invalid=\"true\"");
    }
    html_raw(h, "><option value=\"\">Choose…</option>");
    category_options(h, cats, selected, sub);
    html_raw(h, "</select>");
    web_field_error(h, e, id, id);
    html_raw(h, "</div>");
}

static void overview_page(struct ctx *c, json_object *gig, const struct overview_form *f,
                          const struct err *e)
{
    json_object *cats = NULL;
    struct err ce = {0};
    if (gigs_read_categories(c->db, &cats, &ce) != E_OK) {
        web_service_error(c, &ce);
        err_clear(&ce);
        return;
    }
    struct web_page p;
    if (!editor_begin(&p, c, gig, STEP_OVERVIEW)) {
        json_object_put(cats);
        return;
    }
    struct html *h = &p.h;
    error_summary(h, e);
    form_open(h, jsonx_str(gig, "id"), STEP_OVERVIEW, "editor");
    text_input(h, "title", "title", "Title", "text", f->title,
               "What you will do, in up to 80 characters: \"I will design your logo\".", e, "title",
               " maxlength=\"80\" required");
    select_field(h, "category", "Category", cats, f->category, false, e);
    select_field(h, "subCategory", "Sub-category (inside the category above)", cats, f->subcategory,
                 true, e);
    html_raw(h, "<fieldset><legend>Tags (up to 5, each up to 30 characters)</legend>");
    web_field_error(h, e, "tags", "tags");
    for (int i = 0; i < GIG_TAGS_MAX; i++) {
        char id[16], label[16], field[24];
        snprintf(id, sizeof id, "tags-%d", i);
        snprintf(label, sizeof label, "Tag %d", i + 1);
        snprintf(field, sizeof field, "tags.%d.text", i);
        text_input(h, id, id, label, "text", f->tags[i], NULL, e, field, " maxlength=\"30\"");
    }
    html_raw(h, "</fieldset><button type=\"submit\" class=\"btn\">Save and continue</button>"
                "</form>");
    json_object_put(cats);
    web_page_send(&p, e ? 422 : 200);
}

void web_gig_editor_overview(struct ctx *c)
{
    const struct user *u = web_require_user(c);
    json_object *gig = u ? load_gig(c, u, gig_param(c)) : NULL;
    if (!gig)
        return;
    struct overview_form f = {0};
    f.title = jsonx_str(gig, "title");
    json_object *cat = jsonx_obj(gig, "category");
    if (cat) { /* the gig's category is the sub-category; its parent is the category */
        f.subcategory = jsonx_str(cat, "id");
        f.category = jsonx_str(cat, "parentId");
    }
    json_object *tags = jsonx_array(gig, "tags");
    size_t n = tags ? json_object_array_length(tags) : 0;
    for (size_t i = 0; i < n && i < GIG_TAGS_MAX; i++)
        f.tags[i] = jsonx_str(json_object_array_get_idx(tags, i), "name");
    overview_page(c, gig, &f, NULL);
    json_object_put(gig);
}

/* Field keys of the overview input whose JSON index differs from the form's: tags are sent
 * without the empty inputs, so tags.<j>.text belongs to input tags-<map[j]>. */
static void remap_tags(struct err *e, const int *map, size_t n)
{
    if (!e->fields)
        return;
    json_object *fields = json_object_new_object();
    json_object_object_foreach(e->fields, key, msgs)
    {
        int j = -1, used = 0;
        char out[64];
        if (sscanf(key, "tags.%d.text%n", &j, &used) == 1 && key[used] == '\0' && j >= 0 &&
            (size_t)j < n)
            snprintf(out, sizeof out, "tags.%d.text", map[j]);
        else
            snprintf(out, sizeof out, "%s", key);
        json_object_object_add(fields, out, json_object_get(msgs));
    }
    json_object_put(e->fields);
    e->fields = fields;
}

void web_gig_editor_overview_save(struct ctx *c)
{
    const struct user *u;
    struct kv_list form;
    if (!post_begin(c, &u, &form))
        return;
    const char *gig_id = gig_param(c);
    json_object *gig = load_gig(c, u, gig_id);
    if (!gig) {
        kv_list_free(&form);
        return;
    }
    struct overview_form f = {0};
    f.title = web_field(&form, "title");
    f.category = web_field(&form, "category");
    f.subcategory = web_field(&form, "subCategory");
    json_object *in = json_object_new_object();
    jsonx_add_str(in, "id", gig_id);
    jsonx_add_str(in, "title", f.title);
    jsonx_add_str(in, "category", f.category);
    jsonx_add_str(in, "subCategory", f.subcategory);
    json_object *tags = json_object_new_array();
    int map[GIG_TAGS_MAX];
    size_t ntags = 0;
    for (int i = 0; i < GIG_TAGS_MAX; i++) {
        char name[16];
        snprintf(name, sizeof name, "tags-%d", i);
        f.tags[i] = web_field(&form, name);
        if (!*f.tags[i])
            continue;
        json_object *t = json_object_new_object();
        jsonx_add_str(t, "id", name);
        jsonx_add_str(t, "text", f.tags[i]);
        json_object_array_add(tags, t);
        map[ntags++] = i;
    }
    json_object_object_add(in, "tags", tags);
    struct overview_input v;
    struct err e = {0};
    json_object *out = NULL;
    if (gig_input_overview(in, &v, &e) == E_OK &&
        gigs_write_update_overview(c->db, u->id, &v, &out, &e) == E_OK) {
        redirect_step(c, gig_id, STEP_PRICING);
    } else if (e.kind == E_BAD_REQUEST || e.kind == E_UNPROCESSABLE) {
        remap_tags(&e, map, ntags);
        overview_page(c, gig, &f, &e);
    } else {
        web_service_error(c, &e);
    }
    json_object_put(out);
    json_object_put(in);
    json_object_put(gig);
    err_clear(&e);
    kv_list_free(&form);
}

/* --- pricing --------------------------------------------------------------------------- */

#define PKG_FIELDS 5
static const char *const PKG_KEYS[PKG_FIELDS] = {"name", "description", "price", "delivery",
                                                 "revisions"};
static const char *const PKG_LABELS[PKG_FIELDS] = {"Package name", "What the buyer gets",
                                                   "Price (MAD, whole dirhams)", "Delivery (days)",
                                                   "Revisions included"};
static const char *const PKG_HINTS[PKG_FIELDS] = {"5 to 20 characters.", "5 to 100 characters.",
                                                  "At least 10 MAD.", "At least 1 day.",
                                                  "At least 1."};

struct pricing_form {
    bool multiple;
    const char *v[3][PKG_FIELDS];
};

static void pricing_page(struct ctx *c, json_object *gig, const struct pricing_form *f,
                         const struct err *e)
{
    struct web_page p;
    if (!editor_begin(&p, c, gig, STEP_PRICING))
        return;
    struct html *h = &p.h;
    error_summary(h, e);
    form_open(h, jsonx_str(gig, "id"), STEP_PRICING, "editor");
    html_raw(h, "<div class=\"field check\"><input type=\"checkbox\" id=\"offersMultiple\" "
                "name=\"offersMultiple\" value=\"1\"");
    if (f->multiple)
        html_raw(h, " checked");
    html_raw(h, "><label for=\"offersMultiple\">Offer three packages (Basic, Standard and "
                "Premium). Without it, buyers only see the Basic package.</label></div>");
    web_field_error(h, e, "value", "offersMultiple");
    for (int t = 0; t < 3; t++) {
        html_raw(h, "<fieldset class=\"package\"><legend>");
        html_raw(h, TIER_LABELS[t]);
        html_raw(h, t == 0 ? " package (required)" : " package (optional)");
        html_raw(h, "</legend>");
        web_field_error(h, e, TIERS[t], TIERS[t]);
        for (int k = 0; k < PKG_FIELDS; k++) {
            char id[32], name[32];
            snprintf(id, sizeof id, "%s-%s", TIERS[t], PKG_KEYS[k]);
            snprintf(name, sizeof name, "%s.%s", TIERS[t], PKG_KEYS[k]);
            bool number = k >= 2;
            text_input(h, id, name, PKG_LABELS[k], number ? "number" : "text", f->v[t][k],
                       PKG_HINTS[k], e, name,
                       number ? " inputmode=\"numeric\" min=\"1\" step=\"1\"" : NULL);
        }
        html_raw(h, "</fieldset>");
    }
    html_raw(h, "<button type=\"submit\" class=\"btn\">Save and continue</button></form>");
    web_page_send(&p, e ? 422 : 200);
}

void web_gig_editor_pricing(struct ctx *c)
{
    const struct user *u = web_require_user(c);
    json_object *gig = u ? load_gig(c, u, gig_param(c)) : NULL;
    if (!gig)
        return;
    struct pricing_form f = {0};
    bool multi = false;
    f.multiple = jsonx_bool(gig, "offersMultiplePackages", &multi) && multi;
    json_object *pkgs = jsonx_obj(gig, "packages");
    for (int t = 0; t < 3; t++) {
        json_object *pk = pkgs ? jsonx_obj(pkgs, TIERS[t]) : NULL;
        for (int k = 0; pk && k < PKG_FIELDS; k++) {
            json_object *v = NULL;
            if (json_object_object_get_ex(pk, PKG_KEYS[k], &v) && v)
                f.v[t][k] = json_object_get_string(v);
        }
    }
    pricing_page(c, gig, &f, NULL);
    json_object_put(gig);
}

void web_gig_editor_pricing_save(struct ctx *c)
{
    const struct user *u;
    struct kv_list form;
    if (!post_begin(c, &u, &form))
        return;
    const char *gig_id = gig_param(c);
    json_object *gig = load_gig(c, u, gig_id);
    if (!gig) {
        kv_list_free(&form);
        return;
    }
    struct pricing_form f = {0};
    f.multiple = strcmp(web_field(&form, "offersMultiple"), "1") == 0;
    json_object *in = json_object_new_object();
    jsonx_add_str(in, "gigId", gig_id);
    for (int t = 0; t < 3; t++) {
        bool any = false;
        for (int k = 0; k < PKG_FIELDS; k++) {
            char name[32];
            snprintf(name, sizeof name, "%s.%s", TIERS[t], PKG_KEYS[k]);
            f.v[t][k] = web_field(&form, name);
            any = any || *f.v[t][k];
        }
        /* A tier left blank is not offered; the basic one is always sent, so that leaving it
         * blank is reported field by field. */
        if (!any && t > 0)
            continue;
        json_object *pk = json_object_new_object();
        jsonx_add_str(pk, "name", f.v[t][0]);
        jsonx_add_str(pk, "description", f.v[t][1]);
        for (int k = 2; k < PKG_FIELDS; k++)
            json_object_object_add(pk, PKG_KEYS[k], number_or_text(f.v[t][k]));
        json_object_object_add(in, TIERS[t], pk);
    }
    json_object *offers = json_object_new_object();
    jsonx_add_str(offers, "id", gig_id);
    jsonx_add_bool(offers, "value", f.multiple);
    struct packages_input v;
    struct offers_input ov;
    struct err e = {0};
    json_object *out = NULL, *out2 = NULL;
    if (gig_input_packages(in, &v, &e) == E_OK && gig_input_offers(offers, &ov, &e) == E_OK &&
        gigs_write_create_packages(c->db, u->id, &v, &out, &e) == E_OK &&
        gigs_write_set_offers_multiple(c->db, u->id, &ov, &out2, &e) == E_OK)
        redirect_step(c, gig_id, STEP_DESCRIPTION);
    else if (e.kind == E_BAD_REQUEST || e.kind == E_UNPROCESSABLE)
        pricing_page(c, gig, &f, &e);
    else
        web_service_error(c, &e);
    json_object_put(out);
    json_object_put(out2);
    json_object_put(in);
    json_object_put(offers);
    json_object_put(gig);
    err_clear(&e);
    kv_list_free(&form);
}

/* --- description and FAQ --------------------------------------------------------------- */

struct faq_row {
    const char *question, *answer;
};

struct description_form {
    const char *description;
    size_t nrows;
    struct faq_row rows[GIG_FAQ_MAX + FAQ_EMPTY_ROWS];
};

static void description_page(struct ctx *c, json_object *gig, const struct description_form *f,
                             const struct err *e)
{
    struct web_page p;
    if (!editor_begin(&p, c, gig, STEP_DESCRIPTION))
        return;
    struct html *h = &p.h;
    error_summary(h, e);
    form_open(h, jsonx_str(gig, "id"), STEP_DESCRIPTION, "editor");
    html_raw(h, "<div class=\"field\"><label for=\"description\">Description</label>"
                "<p class=\"hint\" id=\"description-hint\">What you offer and how you work. "
                "Leave an empty line between paragraphs.</p><textarea id=\"description\" "
                "name=\"description\" rows=\"10\" aria-describedby=\"description-hint");
    if (has_field_error(e, "description"))
        html_raw(h, " description-error\" aria-invalid=\"true");
    html_raw(h, "\">");
    html_text(h, f->description);
    html_raw(h, "</textarea>");
    web_field_error(h, e, "description", "description");
    html_raw(h, "</div><fieldset><legend>Frequently asked questions</legend><p class=\"hint\">"
                "Fill in a question and its answer; clear both, or tick Remove, to take a "
                "question away.</p>");
    web_field_error(h, e, "faq", "faq");
    html_printf(h, "<input type=\"hidden\" name=\"faqRows\" value=\"%zu\">", f->nrows);
    for (size_t i = 0; i < f->nrows; i++) {
        char id[48], label[48], field[48];
        html_printf(h, "<div class=\"faq-row\"><h2 class=\"h3\">Question %zu</h2>", i + 1);
        snprintf(id, sizeof id, "faq-%zu-question", i);
        snprintf(field, sizeof field, "faq.%zu.question", i);
        snprintf(label, sizeof label, "Question %zu", i + 1);
        text_input(h, id, field, label, "text", f->rows[i].question, NULL, e, field,
                   " maxlength=\"200\"");
        snprintf(id, sizeof id, "faq-%zu-answer", i);
        snprintf(field, sizeof field, "faq.%zu.answer", i);
        html_raw(h, "<div class=\"field\"><label for=\"");
        html_raw(h, id);
        html_printf(h, "\">Answer %zu</label><textarea rows=\"3\" maxlength=\"1000\" id=\"", i + 1);
        html_raw(h, id);
        html_raw(h, "\" name=\"");
        html_raw(h, field);
        html_raw(h, "\"");
        if (has_field_error(e, field)) {
            html_raw(h, " aria-invalid=\"true\" aria-describedby=\"");
            html_raw(h, id);
            html_raw(h, "-error\"");
        }
        html_raw(h, ">");
        html_text(h, f->rows[i].answer);
        html_raw(h, "</textarea>");
        web_field_error(h, e, field, id);
        html_raw(h, "</div>");
        if (f->rows[i].question && *f->rows[i].question)
            html_printf(h,
                        "<div class=\"field check\"><input type=\"checkbox\" "
                        "id=\"faq-%zu-remove\" name=\"faq.%zu.remove\" value=\"1\"><label "
                        "for=\"faq-%zu-remove\">Remove question %zu</label></div>",
                        i, i, i, i + 1);
        html_raw(h, "</div>");
    }
    html_raw(h, "</fieldset><button type=\"submit\" class=\"btn\">Save and continue</button>"
                "</form>");
    web_page_send(&p, e ? 422 : 200);
}

/* The description as text: the text of each EditorJS block, blank lines between them. */
static char *description_text(json_object *doc)
{
    struct html t = {0};
    json_object *blocks = doc ? jsonx_array(doc, "blocks") : NULL;
    size_t n = blocks ? json_object_array_length(blocks) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *data = jsonx_obj(json_object_array_get_idx(blocks, i), "data");
        const char *text = data ? jsonx_str(data, "text") : NULL;
        if (!text)
            continue;
        if (t.len)
            html_raw(&t, "\n\n");
        html_raw(&t, text);
    }
    size_t len;
    char *s = html_take(&t, &len);
    return s ? s : strdup("");
}

/* Text typed into the description box as an EditorJS document: one paragraph block per run of
 * lines separated by a blank line. Browsers send a textarea's line ends as CRLF; the text is kept
 * with LF, otherwise as typed (pages escape it when showing it). */
static json_object *description_doc(const char *typed)
{
    size_t n = strlen(typed), k = 0;
    char *text = malloc(n + 1);
    if (!text)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (typed[i] != '\r')
            text[k++] = typed[i];
    text[k] = '\0';
    json_object *blocks = json_object_new_array();
    const char *s = text;
    while (*s) {
        while (*s == '\n')
            s++;
        const char *end = strstr(s, "\n\n");
        size_t len = end ? (size_t)(end - s) : strlen(s);
        while (len > 0 && s[len - 1] == '\n')
            len--;
        if (len > 0) {
            json_object *b = json_object_new_object();
            json_object *data = json_object_new_object();
            jsonx_add_str(b, "type", "paragraph");
            json_object_object_add(data, "text", json_object_new_string_len(s, (int)len));
            json_object_object_add(b, "data", data);
            json_object_array_add(blocks, b);
        }
        s += end ? (size_t)(end - s) : strlen(s);
    }
    free(text);
    json_object *doc = json_object_new_object();
    json_object_object_add(doc, "blocks", blocks);
    return doc;
}

void web_gig_editor_description(struct ctx *c)
{
    const struct user *u = web_require_user(c);
    json_object *gig = u ? load_gig(c, u, gig_param(c)) : NULL;
    if (!gig)
        return;
    struct description_form f = {0};
    char *text = description_text(jsonx_obj(gig, "description"));
    f.description = text;
    json_object *faqs = jsonx_array(gig, "faqs");
    size_t n = faqs ? json_object_array_length(faqs) : 0;
    for (size_t i = 0; i < n && i < GIG_FAQ_MAX; i++) {
        json_object *q = json_object_array_get_idx(faqs, i);
        f.rows[f.nrows].question = jsonx_str(q, "question");
        f.rows[f.nrows++].answer = jsonx_str(q, "answer");
    }
    f.nrows += FAQ_EMPTY_ROWS;
    description_page(c, gig, &f, NULL);
    free(text);
    json_object_put(gig);
}

/* faq.<j>.<part> of the input is row map[j] of the form. */
static void remap_faq(struct err *e, const size_t *map, size_t n)
{
    if (!e->fields)
        return;
    json_object *fields = json_object_new_object();
    json_object_object_foreach(e->fields, key, msgs)
    {
        int j = -1, used = 0;
        char part[16] = "", out[64];
        if (sscanf(key, "faq.%d.%15[a-z]%n", &j, part, &used) == 2 && key[used] == '\0' && j >= 0 &&
            (size_t)j < n)
            snprintf(out, sizeof out, "faq.%zu.%s", map[j], part);
        else
            snprintf(out, sizeof out, "%s", key);
        json_object_object_add(fields, out, json_object_get(msgs));
    }
    json_object_put(e->fields);
    e->fields = fields;
}

void web_gig_editor_description_save(struct ctx *c)
{
    const struct user *u;
    struct kv_list form;
    if (!post_begin(c, &u, &form))
        return;
    const char *gig_id = gig_param(c);
    json_object *gig = load_gig(c, u, gig_id);
    if (!gig) {
        kv_list_free(&form);
        return;
    }
    struct description_form f = {0};
    f.description = web_field(&form, "description");
    long rows = strtol(web_field(&form, "faqRows"), NULL, 10);
    if (rows < 0)
        rows = 0;
    if (rows > GIG_FAQ_MAX + FAQ_EMPTY_ROWS)
        rows = GIG_FAQ_MAX + FAQ_EMPTY_ROWS;
    json_object *in = json_object_new_object();
    jsonx_add_str(in, "id", gig_id);
    json_object_object_add(in, "description", description_doc(f.description));
    json_object *faq = json_object_new_array();
    size_t map[GIG_FAQ_MAX + FAQ_EMPTY_ROWS], nfaq = 0;
    for (long i = 0; i < rows; i++) {
        char qn[32], an[32], rn[32];
        snprintf(qn, sizeof qn, "faq.%ld.question", i);
        snprintf(an, sizeof an, "faq.%ld.answer", i);
        snprintf(rn, sizeof rn, "faq.%ld.remove", i);
        const char *q = web_field(&form, qn), *a = web_field(&form, an);
        if (strcmp(web_field(&form, rn), "1") == 0 || (!*q && !*a))
            continue;
        f.rows[f.nrows].question = q;
        f.rows[f.nrows].answer = a;
        json_object *item = json_object_new_object();
        jsonx_add_str(item, "question", q);
        jsonx_add_str(item, "answer", a);
        json_object_array_add(faq, item);
        map[nfaq++] = f.nrows++;
    }
    json_object_object_add(in, "faq", faq);
    struct description_faq_input v;
    memset(&v, 0, sizeof v);
    struct err e = {0};
    json_object *out = NULL;
    bool parsed = gig_input_description_faq(in, &v, &e) == E_OK;
    if (parsed && gigs_write_update_description_faq(c->db, u->id, &v, &out, &e) == E_OK) {
        redirect_step(c, gig_id, STEP_GALLERY);
    } else if (e.kind == E_BAD_REQUEST || e.kind == E_UNPROCESSABLE) {
        remap_faq(&e, map, nfaq);
        size_t keep = f.nrows;
        f.nrows =
            keep + FAQ_EMPTY_ROWS <= GIG_FAQ_MAX + FAQ_EMPTY_ROWS ? keep + FAQ_EMPTY_ROWS : keep;
        for (size_t i = keep; i < f.nrows; i++)
            f.rows[i].question = f.rows[i].answer = NULL;
        description_page(c, gig, &f, &e);
    } else {
        web_service_error(c, &e);
    }
    if (parsed)
        gig_input_description_faq_free(&v);
    json_object_put(out);
    json_object_put(in);
    json_object_put(gig);
    err_clear(&e);
    kv_list_free(&form);
}

/* --- gallery --------------------------------------------------------------------------- */

static void gallery_form(struct html *h, const char *gig_id, const char *url_value,
                         const struct err *e)
{
    /* Uploads go to their own route, the only one that takes bodies over 1 MiB. */
    html_raw(h, "<h2>Upload images</h2><form method=\"post\" enctype=\"multipart/form-data\" "
                "class=\"editor\" action=\"/dashboard/gallery/upload?gig=");
    html_query_value(h, gig_id);
    html_raw(h, "\"><div class=\"field\"><label for=\"image\">Images (JPEG, PNG or WebP, up to "
                "5 MB each)</label><input id=\"image\" name=\"image\" type=\"file\" multiple "
                "accept=\"image/jpeg,image/png,image/webp\"");
    if (has_field_error(e, "image"))
        html_raw(h, " aria-describedby=\"image-error\" aria-invalid=\"true\"");
    html_raw(h, ">");
    web_field_error(h, e, "image", "image");
    html_raw(h, "</div><button type=\"submit\" class=\"btn\">Upload</button></form>");
    html_raw(h, "<h2>Add an image by its address</h2>");
    form_open(h, gig_id, STEP_GALLERY, "editor");
    html_raw(h, "<input type=\"hidden\" name=\"action\" value=\"add\">");
    text_input(h, "url", "url", "Image address (https://…)", "url", url_value, NULL, e, "url",
               NULL);
    html_raw(h, "<button type=\"submit\" class=\"btn\">Add image</button></form>");
}

static void gallery_list(struct html *h, const char *gig_id, json_object *images)
{
    size_t n = images ? json_object_array_length(images) : 0;
    html_raw(h, "<h2>Images in the gallery</h2>");
    if (n == 0) {
        html_raw(h, "<p>No images yet. A gig needs at least one image to look its best.</p>");
        return;
    }
    html_raw(h, "<ul class=\"gallery-edit\">");
    for (size_t i = 0; i < n; i++) {
        json_object *img = json_object_array_get_idx(images, i);
        const char *url = json_object_is_type(img, json_type_string) ? json_object_get_string(img)
                                                                     : jsonx_str(img, "url");
        html_raw(h, "<li><img src=\"");
        html_url(h, url);
        html_printf(h,
                    "\" alt=\"Gallery image %zu\" width=\"240\" height=\"160\" "
                    "loading=\"lazy\">",
                    i + 1);
        form_open(h, gig_id, STEP_GALLERY, "inline");
        html_raw(h, "<input type=\"hidden\" name=\"action\" value=\"remove\"><input "
                    "type=\"hidden\" name=\"url\" value=\"");
        html_attr(h, url);
        html_printf(h,
                    "\"><button type=\"submit\" class=\"link\">Remove image %zu</button>"
                    "</form></li>",
                    i + 1);
    }
    html_raw(h, "</ul>");
}

static void gallery_answer(struct ctx *c, const struct user *u, json_object *gig,
                           const char *url_value, const struct err *e)
{
    const char *gig_id = jsonx_str(gig, "id");
    json_object *gallery = NULL;
    struct err ge = {0};
    if (gigs_read_gallery(c->db, u->id, gig_id, &gallery, &ge) != E_OK) {
        web_service_error(c, &ge);
        err_clear(&ge);
        return;
    }
    struct web_page p;
    if (!editor_begin(&p, c, gig, STEP_GALLERY)) {
        json_object_put(gallery);
        return;
    }
    struct html *h = &p.h;
    error_summary(h, e);
    web_field_error(h, e, "images", "images");
    gallery_list(h, gig_id, jsonx_array(gallery, "images"));
    gallery_form(h, gig_id, url_value, e);
    char next[512];
    step_path(next, sizeof next, gig_id, STEP_PUBLISH, false);
    html_raw(h, "<p><a class=\"btn\" href=\"");
    html_url(h, next);
    html_raw(h, "\">Continue to publishing</a></p>");
    json_object_put(gallery);
    web_page_send(&p, e ? 422 : 200);
}

void web_gig_editor_gallery_page(struct ctx *c, const struct user *u, const char *gig_id,
                                 const struct err *e)
{
    json_object *gig = load_gig(c, u, gig_id);
    if (!gig)
        return;
    gallery_answer(c, u, gig, NULL, e);
    json_object_put(gig);
}

void web_gig_editor_gallery(struct ctx *c)
{
    const struct user *u = web_require_user(c);
    if (u)
        web_gig_editor_gallery_page(c, u, gig_param(c), NULL);
}

/* The gallery's current lists with images changed: add[] appended, remove (when not NULL)
 * taken out; then the same validation and service as gig.updateGallery. */
static enum errkind gallery_change(struct ctx *c, const struct user *u, const char *gig_id,
                                   const char *const *add, size_t nadd, const char *remove,
                                   struct err *e)
{
    json_object *gallery = NULL;
    if (gigs_read_gallery(c->db, u->id, gig_id, &gallery, e) != E_OK)
        return e->kind;
    json_object *in = json_object_new_object();
    jsonx_add_str(in, "id", gig_id);
    json_object *images = json_object_new_array();
    json_object *old = jsonx_array(gallery, "images");
    size_t n = old ? json_object_array_length(old) : 0;
    for (size_t i = 0; i < n; i++) {
        const char *url = json_object_get_string(json_object_array_get_idx(old, i));
        if (!remove || strcmp(url, remove) != 0)
            json_object_array_add(images, json_object_new_string(url));
    }
    for (size_t i = 0; i < nadd; i++)
        json_object_array_add(images, json_object_new_string(add[i]));
    json_object_object_add(in, "images", images);
    json_object *videos = jsonx_array(gallery, "videos"), *docs = jsonx_array(gallery, "documents");
    if (videos)
        json_object_object_add(in, "videos", json_object_get(videos));
    if (docs)
        json_object_object_add(in, "documents", json_object_get(docs));
    struct gallery_input v;
    json_object *out = NULL;
    if (gig_input_gallery(in, &v, e) == E_OK)
        gigs_write_update_gallery(c->db, u->id, &v, &out, e);
    json_object_put(out);
    json_object_put(in);
    json_object_put(gallery);
    return e->kind;
}

/* The service speaks of list entries ("images.3", "At least one images entry is required");
 * the page speaks of the image the seller just added or removed. */
static void gallery_messages(struct err *e, bool removing)
{
    if (!e->fields)
        return;
    bool at_least_one = json_object_object_get_ex(e->fields, "images", NULL);
    json_object_put(e->fields);
    e->fields = NULL;
    if (removing && at_least_one)
        err_field(e, "images",
                  "A gig keeps at least one image: add another one before "
                  "removing this one.");
    else if (at_least_one)
        err_field(e, "images", "A gig can have at most 20 images: remove one first.");
    else
        err_field(e, "url", "Enter the full address of an image, starting with https://.");
    e->kind = E_BAD_REQUEST;
}

enum errkind web_gig_editor_gallery_add(struct ctx *c, const struct user *u, const char *gig_id,
                                        const char *const *urls, size_t n, struct err *e)
{
    /* An uploaded image's URL is always valid: a refusal here is the list being full. */
    if (gallery_change(c, u, gig_id, urls, n, NULL, e) == E_BAD_REQUEST) {
        json_object_put(e->fields);
        e->fields = NULL;
        err_field(e, "image", "This gig's gallery is full (20 images): remove one first.");
        e->kind = E_BAD_REQUEST;
    }
    return e->kind;
}

void web_gig_editor_gallery_save(struct ctx *c)
{
    const struct user *u;
    struct kv_list form;
    if (!post_begin(c, &u, &form))
        return;
    const char *gig_id = gig_param(c);
    json_object *gig = load_gig(c, u, gig_id);
    if (!gig) {
        kv_list_free(&form);
        return;
    }
    const char *action = web_field(&form, "action");
    const char *url = web_field(&form, "url");
    bool removing = strcmp(action, "remove") == 0;
    struct err e = {0};
    if (removing) {
        gallery_change(c, u, gig_id, NULL, 0, url, &e);
    } else if (!*url) {
        err_field(&e, "url", "Enter the address of an image, starting with https://.");
    } else {
        const char *add[1] = {url};
        gallery_change(c, u, gig_id, add, 1, NULL, &e);
    }
    if (e.kind == E_OK) {
        redirect_step(c, gig_id, STEP_GALLERY);
    } else if (e.kind == E_BAD_REQUEST || e.kind == E_UNPROCESSABLE) {
        gallery_messages(&e, removing);
        snprintf(e.message, sizeof e.message, "%s",
                 removing ? "The image was not removed." : "The image was not added.");
        gallery_answer(c, u, gig, removing ? NULL : url, &e);
    } else {
        web_service_error(c, &e);
    }
    json_object_put(gig);
    err_clear(&e);
    kv_list_free(&form);
}

/* --- publish / pause ------------------------------------------------------------------- */

static void publish_page(struct ctx *c, const struct user *u, json_object *gig, const struct err *e)
{
    struct web_page p;
    if (!editor_begin(&p, c, gig, STEP_PUBLISH))
        return;
    struct html *h = &p.h;
    const char *state = gig_state(gig);
    const char *gig_id = jsonx_str(gig, "id");
    if (e && e->kind != E_OK) {
        html_raw(h, "<div class=\"form-errors\" role=\"alert\"><p>");
        html_text(h, e->message);
        html_raw(h, "</p></div>");
    }
    if (strcmp(state, "published") == 0) {
        html_raw(h, "<p>This gig is published: buyers can find it and order it at <a href=\"/");
        html_path_segment(h, u->username);
        html_raw(h, "/");
        html_path_segment(h, jsonx_str(gig, "slug"));
        html_raw(h, "\">its public page</a>. Pausing it takes it off the site until you publish "
                    "it again, at the same address.</p>");
        form_open(h, gig_id, STEP_PUBLISH, "inline");
        html_raw(h, "<input type=\"hidden\" name=\"action\" value=\"pause\"><button "
                    "type=\"submit\" class=\"btn\">Pause this gig</button></form>");
    } else {
        html_raw(h, "<p>");
        html_raw(h, strcmp(state, "paused") == 0 ? "This gig is paused: nobody can see or order it."
                                                 : "This gig is a draft: only you can see it.");
        html_raw(h, " Publishing needs a title (Overview) and a Basic package (Pricing).</p>");
        form_open(h, gig_id, STEP_PUBLISH, "inline");
        html_raw(h, "<input type=\"hidden\" name=\"action\" value=\"publish\"><button "
                    "type=\"submit\" class=\"btn\">Publish this gig</button></form>");
    }
    web_page_send(&p, e ? 422 : 200);
}

void web_gig_editor_publish(struct ctx *c)
{
    const struct user *u = web_require_user(c);
    json_object *gig = u ? load_gig(c, u, gig_param(c)) : NULL;
    if (!gig)
        return;
    publish_page(c, u, gig, NULL);
    json_object_put(gig);
}

void web_gig_editor_publish_save(struct ctx *c)
{
    const struct user *u;
    struct kv_list form;
    if (!post_begin(c, &u, &form))
        return;
    const char *gig_id = gig_param(c);
    json_object *gig = load_gig(c, u, gig_id);
    if (!gig) {
        kv_list_free(&form);
        return;
    }
    bool pause = strcmp(web_field(&form, "action"), "pause") == 0;
    struct err e = {0};
    json_object *out = NULL;
    if (pause)
        gigs_write_pause(c->db, u->id, gig_id, &out, &e);
    else
        gigs_write_publish(c->db, u->id, gig_id, &out, &e);
    if (e.kind == E_OK)
        redirect_step(c, gig_id, STEP_PUBLISH);
    else if (e.kind == E_UNPROCESSABLE || e.kind == E_CONFLICT)
        publish_page(c, u, gig, &e);
    else
        web_service_error(c, &e);
    json_object_put(out);
    json_object_put(gig);
    err_clear(&e);
    kv_list_free(&form);
}

/* --- delete ---------------------------------------------------------------------------- */

/* A page that asks first: a plain form, not a script's confirm dialog. */
void web_gig_editor_delete(struct ctx *c)
{
    const struct user *u = web_require_user(c);
    json_object *gig = u ? load_gig(c, u, gig_param(c)) : NULL;
    if (!gig)
        return;
    struct web_page p;
    if (editor_begin(&p, c, gig, STEP_DELETE)) {
        struct html *h = &p.h;
        html_raw(h, "<section class=\"notice\"><h2>Delete “");
        html_text(h, gig_title(gig));
        html_raw(h, "”?</h2><p>The gig, its packages, questions and gallery are removed for "
                    "good. Orders already placed stay in your orders. This cannot be "
                    "undone.</p>");
        form_open(h, jsonx_str(gig, "id"), STEP_DELETE, "inline");
        html_raw(h, "<input type=\"hidden\" name=\"confirm\" value=\"1\"><button "
                    "type=\"submit\" class=\"btn danger\">Yes, delete this gig</button></form> "
                    "<a href=\"/dashboard/gigs\">No, keep it</a></section>");
        web_page_send(&p, 200);
    }
    json_object_put(gig);
}

void web_gig_editor_delete_save(struct ctx *c)
{
    const struct user *u;
    struct kv_list form;
    if (!post_begin(c, &u, &form))
        return;
    const char *gig_id = gig_param(c);
    if (strcmp(web_field(&form, "confirm"), "1") != 0) {
        /* Only the confirmation page's button deletes. */
        char back[512];
        step_path(back, sizeof back, gig_id ? gig_id : "", STEP_DELETE, false);
        web_redirect(c, back);
        kv_list_free(&form);
        return;
    }
    struct err e = {0};
    json_object *out = NULL;
    if (!gig_id)
        web_not_found(c);
    else if (gigs_write_delete(c->db, u->id, gig_id, &out, &e) == E_OK)
        web_redirect(c, "/dashboard/gigs?deleted=1");
    else
        web_service_error(c, &e);
    json_object_put(out);
    err_clear(&e);
    kv_list_free(&form);
}
