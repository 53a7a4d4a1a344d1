/*
 * gigs_write.c - the gig mutations (docs/api.md, "Gigs"): draft, overview, packages, description
 * and FAQ, gallery, publish and delete. Each call is one transaction that first locks the gig row
 * and checks its owner, so two requests on one gig serialise and nobody edits a gig that is not
 * theirs. Outputs are built by the read side (gigs_read.c) after commit, so one function defines
 * each shape.
 */
#include <stdio.h>
#include <string.h>

#include "khedma/dberr.h"
#include "khedma/gigs_read.h"
#include "khedma/gigs_write.h"
#include "khedma/cuid.h"
#include "khedma/jsonx.h"
#include "khedma/read_model.h"
#include "khedma/slug.h"

#define PUBLISH_ATTEMPTS 6 /* the plain slug, then suffixed variants */

struct owned_gig {
    char status[16];
    bool has_title;
    char slug[SLUG_BUF_LEN];
    char title[UTF8_BUF(GIG_TITLE_MAX)];
};

/* Start a transaction and lock the caller's gig. A gig that does not exist, is deleted or has
 * another owner answers `missing` ("Gig not found"), so callers cannot probe other users' ids. */
static enum errkind begin_owned(struct db *db, const char *owner_id, const char *gig_id,
                                enum errkind missing, struct owned_gig *g, struct err *e)
{
    int rc = db_begin(db);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    struct db_result *r = NULL;
    rc = db_exec(db, "SELECT owner_id, status, title, slug FROM gigs WHERE id = ? FOR UPDATE",
                 DB_PARAMS(DBP_S(gig_id)), &r, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    bool mine = r->rows == 1 && strcmp(db_result_get(r, 0, 0), owner_id) == 0 &&
                strcmp(db_result_get(r, 0, 1), "deleted") != 0;
    if (mine && g) {
        snprintf(g->status, sizeof(g->status), "%s", db_result_get(r, 0, 1));
        g->has_title = db_result_get(r, 0, 2) != NULL;
        snprintf(g->title, sizeof(g->title), "%s", g->has_title ? db_result_get(r, 0, 2) : "");
        snprintf(g->slug, sizeof(g->slug), "%s",
                 db_result_get(r, 0, 3) ? db_result_get(r, 0, 3) : "");
    }
    db_result_free(r);
    if (!mine) {
        db_rollback(db);
        return err_set(e, missing,
                       missing == E_UNAUTHORIZED ? "Gig not found or not yours" : "Gig not found");
    }
    return E_OK;
}

/* Commit the change to the gig, with its public page brought up to date in the same transaction
 * (the read model, read_model.h). */
static enum errkind commit(struct db *db, const char *gig_id, struct err *e)
{
    if (read_model_gig_changed(db, gig_id, e) != E_OK)
        return e->kind;
    int rc = db_commit(db);
    return rc == DB_OK ? E_OK : dberr_fail(db, rc, e);
}

/* Run one statement inside the open transaction; on failure roll back and fill e. */
static enum errkind tx_exec(struct db *db, const char *sql, const struct db_param *p, size_t n,
                            struct err *e)
{
    int rc = db_exec(db, sql, p, n, NULL, NULL);
    return rc == DB_OK ? E_OK : dberr_fail(db, rc, e);
}

enum errkind gigs_write_create_draft(struct db *db, const char *owner_id, json_object **out,
                                     struct err *e)
{
    char id[CUID_LEN + 1];
    cuid_new(id);
    /* The gig starts with its owner's badge flag. INSERT ... SELECT share-locks the user row, so
     * it serialises with vip_badge_set's UPDATE of that row: either the copy sees the new flag or
     * the badge's UPDATE of the owner's gigs sees this gig. */
    int rc = db_exec(db,
                     "INSERT INTO gigs (id, owner_id, owner_vip) SELECT ?, u.id, u.vip FROM users "
                     "u WHERE u.id = ?",
                     DB_PARAMS(DBP_S(id), DBP_S(owner_id)), NULL, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    return gigs_read_plain(db, id, out, e);
}

/* Resolve category (top level) and subcategory (its child), each by id or slug, to the
 * subcategory's id. */
static enum errkind resolve_category(struct db *db, const struct overview_input *in,
                                     char sub_id[CUID_LEN + 1], struct err *e)
{
    struct db_result *r = NULL;
    int rc = db_exec(db,
                     "SELECT s.id FROM categories p JOIN categories s ON s.parent_id = p.id "
                     "WHERE (p.id = ? OR p.slug = ?) AND p.parent_id IS NULL "
                     "AND (s.id = ? OR s.slug = ?)",
                     DB_PARAMS(DBP_S(in->category), DBP_S(in->category), DBP_S(in->subcategory),
                               DBP_S(in->subcategory)),
                     &r, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    bool found = r->rows == 1;
    if (found)
        snprintf(sub_id, CUID_LEN + 1, "%s", db_result_get(r, 0, 0));
    db_result_free(r);
    if (found)
        return E_OK;
    db_rollback(db);
    err_field(e, "subCategory", "Subcategory must be a child of the category");
    return err_set(e, E_BAD_REQUEST, "Unknown category or subcategory");
}

static enum errkind replace_tags(struct db *db, const char *gig_id, const struct overview_input *in,
                                 struct err *e)
{
    if (tx_exec(db, "DELETE FROM tags WHERE gig_id = ?", DB_PARAMS(DBP_S(gig_id)), e) != E_OK)
        return e->kind;
    for (size_t i = 0; i < in->ntags; i++) {
        char id[CUID_LEN + 1];
        cuid_new(id);
        if (tx_exec(db, "INSERT INTO tags (id, gig_id, name, position) VALUES (?, ?, ?, ?)",
                    DB_PARAMS(DBP_S(id), DBP_S(gig_id), DBP_S(in->tags[i]), DBP_I((long long)i)),
                    e) != E_OK)
            return e->kind;
    }
    return E_OK;
}

enum errkind gigs_write_update_overview(struct db *db, const char *owner_id,
                                        const struct overview_input *in, json_object **out,
                                        struct err *e)
{
    if (begin_owned(db, owner_id, in->id, E_NOT_FOUND, NULL, e) != E_OK)
        return e->kind;
    char sub_id[CUID_LEN + 1];
    if (resolve_category(db, in, sub_id, e) != E_OK)
        return e->kind;
    if (tx_exec(db, "UPDATE gigs SET title = ?, category_id = ? WHERE id = ?",
                DB_PARAMS(DBP_S(in->title), DBP_S(sub_id), DBP_S(in->id)), e) != E_OK)
        return e->kind;
    if (replace_tags(db, in->id, in, e) != E_OK || commit(db, in->id, e) != E_OK)
        return e->kind;
    return gigs_read_plain(db, in->id, out, e);
}

static enum errkind upsert_package(struct db *db, const char *gig_id, const char *type,
                                   const struct package_input *p, struct err *e)
{
    if (!p->present)
        return E_OK;
    char id[CUID_LEN + 1];
    cuid_new(id);
    char price[32];
    snprintf(price, sizeof(price), "%lld", p->price);
    /* One row per (gig, tier): a repeat call updates the row in place, keeping its id so orders
     * that reference it stay valid. */
    return tx_exec(db,
                   "INSERT INTO packages (id, gig_id, type, name, description, price, delivery, "
                   "revisions) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
                   "name = VALUES(name), description = VALUES(description), "
                   "price = VALUES(price), delivery = VALUES(delivery), "
                   "revisions = VALUES(revisions)",
                   DB_PARAMS(DBP_S(id), DBP_S(gig_id), DBP_S(type), DBP_S(p->name),
                             DBP_S(p->description), DBP_S(price), DBP_I(p->delivery),
                             DBP_I(p->revisions)),
                   e);
}

enum errkind gigs_write_create_packages(struct db *db, const char *owner_id,
                                        const struct packages_input *in, json_object **out,
                                        struct err *e)
{
    if (begin_owned(db, owner_id, in->gig_id, E_NOT_FOUND, NULL, e) != E_OK)
        return e->kind;
    if (upsert_package(db, in->gig_id, "basic", &in->basic, e) != E_OK ||
        upsert_package(db, in->gig_id, "standard", &in->standard, e) != E_OK ||
        upsert_package(db, in->gig_id, "premium", &in->premium, e) != E_OK ||
        commit(db, in->gig_id, e) != E_OK)
        return e->kind;
    return gigs_read_packages(db, owner_id, in->gig_id, out, e);
}

enum errkind gigs_write_set_offers_multiple(struct db *db, const char *owner_id,
                                            const struct offers_input *in, json_object **out,
                                            struct err *e)
{
    if (begin_owned(db, owner_id, in->id, E_NOT_FOUND, NULL, e) != E_OK)
        return e->kind;
    if (tx_exec(db, "UPDATE gigs SET offers_multiple_packages = ? WHERE id = ?",
                DB_PARAMS(DBP_I(in->value ? 1 : 0), DBP_S(in->id)), e) != E_OK ||
        commit(db, in->id, e) != E_OK)
        return e->kind;
    return gigs_read_plain(db, in->id, out, e);
}

static enum errkind replace_faq(struct db *db, const struct description_faq_input *in,
                                struct err *e)
{
    if (tx_exec(db, "DELETE FROM faqs WHERE gig_id = ?", DB_PARAMS(DBP_S(in->id)), e) != E_OK)
        return e->kind;
    for (size_t i = 0; i < in->nfaq; i++) {
        char id[CUID_LEN + 1];
        cuid_new(id);
        if (tx_exec(db,
                    "INSERT INTO faqs (id, gig_id, question, answer, position) "
                    "VALUES (?, ?, ?, ?, ?)",
                    DB_PARAMS(DBP_S(id), DBP_S(in->id), DBP_S(in->faq[i].question),
                              DBP_S(in->faq[i].answer), DBP_I((long long)i)),
                    e) != E_OK)
            return e->kind;
    }
    return E_OK;
}

enum errkind gigs_write_update_description_faq(struct db *db, const char *owner_id,
                                               const struct description_faq_input *in,
                                               json_object **out, struct err *e)
{
    if (begin_owned(db, owner_id, in->id, E_UNAUTHORIZED, NULL, e) != E_OK)
        return e->kind;
    const char *description = jsonx_to_string(in->description);
    if (tx_exec(db, "UPDATE gigs SET description = ? WHERE id = ?",
                DB_PARAMS(DBP_S(description), DBP_S(in->id)), e) != E_OK)
        return e->kind;
    if (replace_faq(db, in, e) != E_OK || commit(db, in->id, e) != E_OK)
        return e->kind;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "success", json_object_new_boolean(1));
    json_object_object_add(o, "description", json_object_get(in->description));
    json_object_object_add(o, "faq", json_object_new_int((int)in->nfaq));
    *out = o;
    return E_OK;
}

/* The attachment's name: the URL's last path segment, without query or fragment. */
static void attachment_name(const char *url, char *out, size_t outlen)
{
    const char *start = strstr(url, "://");
    start = start ? start + 3 : url;
    size_t end = strcspn(start, "?#");
    const char *last = start;
    for (size_t i = 0; i < end; i++)
        if (start[i] == '/' && i + 1 < end)
            last = start + i + 1;
    size_t len = (size_t)(start + end - last);
    if (len > 0 && last[len - 1] == '/')
        len--;
    if (len >= outlen)
        len = outlen - 1;
    memcpy(out, last, len);
    out[len] = '\0';
}

/* Insert one list of attachments; image rows are also appended to `images` for the output. */
static enum errkind insert_attachments(struct db *db, const char *gig_id, const char *type,
                                       const char *const *urls, size_t n, json_object *images,
                                       struct err *e)
{
    for (size_t i = 0; i < n; i++) {
        char id[CUID_LEN + 1], name[256];
        cuid_new(id);
        attachment_name(urls[i], name, sizeof(name));
        if (tx_exec(db,
                    "INSERT INTO attachments (id, gig_id, name, url, type, position) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    DB_PARAMS(DBP_S(id), DBP_S(gig_id), DBP_S(name), DBP_S(urls[i]), DBP_S(type),
                              DBP_I((long long)i)),
                    e) != E_OK)
            return e->kind;
        if (!images)
            continue;
        json_object *a = json_object_new_object();
        jsonx_add_str(a, "id", id);
        jsonx_add_str(a, "name", name);
        jsonx_add_str(a, "url", urls[i]);
        jsonx_add_str(a, "type", type);
        json_object_array_add(images, a);
    }
    return E_OK;
}

enum errkind gigs_write_update_gallery(struct db *db, const char *owner_id,
                                       const struct gallery_input *in, json_object **out,
                                       struct err *e)
{
    if (begin_owned(db, owner_id, in->id, E_UNAUTHORIZED, NULL, e) != E_OK)
        return e->kind;
    json_object *images = json_object_new_array();
    if (tx_exec(db, "DELETE FROM attachments WHERE gig_id = ?", DB_PARAMS(DBP_S(in->id)), e) !=
            E_OK ||
        insert_attachments(db, in->id, "image", in->images, in->nimages, images, e) != E_OK ||
        insert_attachments(db, in->id, "video", in->videos, in->nvideos, NULL, e) != E_OK ||
        insert_attachments(db, in->id, "document", in->documents, in->ndocuments, NULL, e) !=
            E_OK ||
        commit(db, in->id, e) != E_OK) {
        json_object_put(images);
        return e->kind;
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "success", json_object_new_boolean(1));
    json_object_object_add(o, "images", images);
    *out = o;
    return E_OK;
}

static enum errkind check_publishable(struct db *db, const char *gig_id, const struct owned_gig *g,
                                      struct err *e)
{
    if (!g->has_title || g->title[0] == '\0') {
        db_rollback(db);
        return err_set(e, E_UNPROCESSABLE, "Add a title before publishing the gig");
    }
    struct db_result *r = NULL;
    int rc = db_exec(db, "SELECT 1 FROM packages WHERE gig_id = ? AND type = 'basic'",
                     DB_PARAMS(DBP_S(gig_id)), &r, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    bool has_basic = r->rows == 1;
    db_result_free(r);
    if (!has_basic) {
        db_rollback(db);
        return err_set(e, E_UNPROCESSABLE, "Add a basic package before publishing the gig");
    }
    return E_OK;
}

/* Give the gig a slug unique for its owner. The unique key (owner_id, slug) is the arbiter: a
 * concurrent publish of a same-titled gig waits on our row lock, then gets a duplicate-key error
 * and tries a suffixed slug. A failed statement does not end the transaction. */
static enum errkind assign_slug(struct db *db, const char *gig_id, const char *title,
                                char slug[SLUG_BUF_LEN], struct err *e)
{
    char base[SLUG_BUF_LEN];
    slug_from_title(title, base, SLUG_MAX + 1);
    snprintf(slug, SLUG_BUF_LEN, "%s", base);
    for (int attempt = 0; attempt < PUBLISH_ATTEMPTS; attempt++) {
        if (attempt > 0)
            slug_with_suffix(base, slug, SLUG_BUF_LEN);
        int rc = db_exec(db, "UPDATE gigs SET slug = ?, status = 'published' WHERE id = ?",
                         DB_PARAMS(DBP_S(slug), DBP_S(gig_id)), NULL, NULL);
        if (rc == DB_OK)
            return E_OK;
        if (rc != DB_DUPLICATE)
            return dberr_fail(db, rc, e);
    }
    db_rollback(db);
    return err_set(e, E_CONFLICT, "Could not find a free slug; try again");
}

static json_object *publish_output(struct db *db, const char *gig_id, const char *slug,
                                   struct err *e)
{
    struct db_result *r = NULL;
    int rc = db_exec(db,
                     "SELECT u.name, u.username FROM gigs g JOIN users u ON u.id = g.owner_id "
                     "WHERE g.id = ?",
                     DB_PARAMS(DBP_S(gig_id)), &r, NULL);
    if (rc != DB_OK || r->rows != 1) {
        if (rc == DB_OK)
            db_result_free(r);
        dberr_fail(db, rc == DB_OK ? DB_ERR : rc, e);
        return NULL;
    }
    json_object *o = json_object_new_object(), *owner = json_object_new_object();
    jsonx_add_str(o, "id", gig_id);
    jsonx_add_str(o, "slug", slug);
    jsonx_add_str(owner, "name", db_result_get(r, 0, 0));
    jsonx_add_str(owner, "username", db_result_get(r, 0, 1));
    json_object_object_add(o, "owner", owner);
    db_result_free(r);
    return o;
}

enum errkind gigs_write_publish(struct db *db, const char *owner_id, const char *gig_id,
                                json_object **out, struct err *e)
{
    struct owned_gig g;
    if (begin_owned(db, owner_id, gig_id, E_NOT_FOUND, &g, e) != E_OK)
        return e->kind;
    if (check_publishable(db, gig_id, &g, e) != E_OK)
        return e->kind;
    char slug[SLUG_BUF_LEN];
    if (g.slug[0]) {
        /* Published before (or paused): keep the slug so links stay valid. */
        snprintf(slug, sizeof(slug), "%s", g.slug);
        if (tx_exec(db, "UPDATE gigs SET status = 'published', is_paused = 0 WHERE id = ?",
                    DB_PARAMS(DBP_S(gig_id)), e) != E_OK)
            return e->kind;
    } else if (assign_slug(db, gig_id, g.title, slug, e) != E_OK) {
        return e->kind;
    }
    if (commit(db, gig_id, e) != E_OK)
        return e->kind;
    *out = publish_output(db, gig_id, slug, e);
    return *out ? E_OK : e->kind;
}

enum errkind gigs_write_pause(struct db *db, const char *owner_id, const char *gig_id,
                              json_object **out, struct err *e)
{
    struct owned_gig g;
    if (begin_owned(db, owner_id, gig_id, E_NOT_FOUND, &g, e) != E_OK)
        return e->kind;
    if (strcmp(g.status, "published") != 0) {
        db_rollback(db);
        return err_set(e, E_UNPROCESSABLE, "Only a published gig can be paused");
    }
    /* Back to a draft that keeps its slug: gone from every public read, and publishing again
     * brings it back at the same address. */
    if (tx_exec(db, "UPDATE gigs SET status = 'draft', is_paused = 1 WHERE id = ?",
                DB_PARAMS(DBP_S(gig_id)), e) != E_OK ||
        commit(db, gig_id, e) != E_OK)
        return e->kind;
    return gigs_read_plain(db, gig_id, out, e);
}

enum errkind gigs_write_delete(struct db *db, const char *owner_id, const char *gig_id,
                               json_object **out, struct err *e)
{
    if (begin_owned(db, owner_id, gig_id, E_NOT_FOUND, NULL, e) != E_OK)
        return e->kind;
    struct db_result *r = NULL;
    int rc = db_exec(db, "SELECT 1 FROM orders WHERE gig_id = ? LIMIT 1", DB_PARAMS(DBP_S(gig_id)),
                     &r, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    bool has_orders = r->rows > 0;
    db_result_free(r);
    /* A gig with orders stays (orders reference it) but is hidden from every read except its
     * owner's own list; one without is removed with its packages, tags, FAQ and gallery. */
    const char *sql = has_orders ? "UPDATE gigs SET status = 'deleted' WHERE id = ?"
                                 : "DELETE FROM gigs WHERE id = ?";
    if (tx_exec(db, sql, DB_PARAMS(DBP_S(gig_id)), e) != E_OK || commit(db, gig_id, e) != E_OK)
        return e->kind;
    json_object *o = json_object_new_object();
    jsonx_add_str(o, "id", gig_id);
    *out = o;
    return E_OK;
}
