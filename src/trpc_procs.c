/*
 * trpc_procs.c - the tRPC procedure table at /api/trpc: each entry is a thin adapter that checks
 * the session (for protected procedures), validates the input with gig_input.h, and calls the
 * same service function the REST handlers use. Authentication runs before input validation, as
 * in a tRPC protectedProcedure whose middleware precedes .input().
 */
#include <string.h>

#include "khedma/app.h"
#include "khedma/checkout.h"
#include "khedma/config.h"
#include "khedma/gigs.h"
#include "khedma/jsonx.h"
#include "khedma/order_create.h"
#include "khedma/order_query.h"
#include "khedma/orders_read.h"
#include "khedma/trpc.h"

/* The signed-in user, or NULL with e set (UNAUTHORIZED, FORBIDDEN for a cookie-only cross-site
 * mutation, or the database's error). */
static const struct user *need_user(struct ctx *c, struct err *e)
{
    enum errkind dberr = E_OK;
    const struct user *u = ctx_user(c, &dberr);
    if (dberr != E_OK) {
        err_set(e, dberr, "Database unavailable");
        return NULL;
    }
    if (!u) {
        err_set(e, E_UNAUTHORIZED, "You must be signed in");
        return NULL;
    }
    if (!ctx_csrf_ok(c)) {
        err_set(e, E_FORBIDDEN, "Cross-site request refused");
        return NULL;
    }
    return u;
}

/* The signed-in user's id for public reads that also show the owner their unpublished gig;
 * NULL when anonymous (a database failure here just means "anonymous"). */
static const char *viewer_id(struct ctx *c)
{
    enum errkind dberr = E_OK;
    const struct user *u = ctx_user(c, &dberr);
    return u ? u->id : NULL;
}

static enum errkind p_create_draft(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    const struct user *u = need_user(c, e);
    return u ? gigs_create_draft(c->db, u->id, out, e) : e->kind;
}

static enum errkind p_update_overview(struct ctx *c, json_object *in, json_object **out,
                                      struct err *e)
{
    const struct user *u = need_user(c, e);
    struct overview_input v;
    if (!u || gig_input_overview(in, &v, e) != E_OK)
        return e->kind;
    return gigs_update_overview(c->db, u->id, &v, out, e);
}

static enum errkind p_create_packages(struct ctx *c, json_object *in, json_object **out,
                                      struct err *e)
{
    const struct user *u = need_user(c, e);
    struct packages_input v;
    if (!u || gig_input_packages(in, &v, e) != E_OK)
        return e->kind;
    return gigs_create_packages(c->db, u->id, &v, out, e);
}

static enum errkind p_set_offers_multiple(struct ctx *c, json_object *in, json_object **out,
                                          struct err *e)
{
    const struct user *u = need_user(c, e);
    struct offers_input v;
    if (!u || gig_input_offers(in, &v, e) != E_OK)
        return e->kind;
    return gigs_set_offers_multiple(c->db, u->id, &v, out, e);
}

static enum errkind p_offers_multiple(struct ctx *c, json_object *in, json_object **out,
                                      struct err *e)
{
    const struct user *u = need_user(c, e);
    struct ref_input v;
    if (!u || gig_input_id(in, &v, e) != E_OK)
        return e->kind;
    return gigs_offers_multiple(c->db, u->id, v.id, out, e);
}

static enum errkind p_update_description_faq(struct ctx *c, json_object *in, json_object **out,
                                             struct err *e)
{
    const struct user *u = need_user(c, e);
    struct description_faq_input v;
    if (!u || gig_input_description_faq(in, &v, e) != E_OK)
        return e->kind;
    enum errkind k = gigs_update_description_faq(c->db, u->id, &v, out, e);
    description_faq_input_free(&v);
    return k;
}

static enum errkind p_update_gallery(struct ctx *c, json_object *in, json_object **out,
                                     struct err *e)
{
    const struct user *u = need_user(c, e);
    struct gallery_input v;
    if (!u || gig_input_gallery(in, &v, e) != E_OK)
        return e->kind;
    return gigs_update_gallery(c->db, u->id, &v, out, e);
}

/* Procedures whose input is {id} and which act on the caller's own gig. */
typedef enum errkind (*owner_fn)(struct db *, const char *, const char *, json_object **,
                                 struct err *);

static enum errkind owner_call(struct ctx *c, json_object *in, json_object **out, struct err *e,
                               owner_fn fn)
{
    const struct user *u = need_user(c, e);
    struct ref_input v;
    if (!u || gig_input_id(in, &v, e) != E_OK)
        return e->kind;
    return fn(c->db, u->id, v.id, out, e);
}

static enum errkind p_publish(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    return owner_call(c, in, out, e, gigs_publish);
}

static enum errkind p_delete(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    return owner_call(c, in, out, e, gigs_delete);
}

static enum errkind p_user_gigs(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    return owner_call(c, in, out, e, gigs_user_gigs);
}

static enum errkind p_gig_by_id(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    return owner_call(c, in, out, e, gigs_by_id);
}

/* Public reads by gig id: the viewer (if any) also sees their own unpublished gig. */
static enum errkind viewer_call(struct ctx *c, json_object *in, json_object **out, struct err *e,
                                owner_fn fn)
{
    struct ref_input v;
    if (gig_input_id(in, &v, e) != E_OK)
        return e->kind;
    return fn(c->db, viewer_id(c), v.id, out, e);
}

static enum errkind p_packages(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    return viewer_call(c, in, out, e, gigs_packages);
}

static enum errkind p_description_faq(struct ctx *c, json_object *in, json_object **out,
                                      struct err *e)
{
    return viewer_call(c, in, out, e, gigs_description_faq);
}

static enum errkind p_gallery(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    return viewer_call(c, in, out, e, gigs_gallery);
}

static enum errkind p_details(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    struct details_input v;
    if (gig_input_details(in, &v, e) != E_OK)
        return e->kind;
    return gigs_details(c->db, v.username, v.slug, out, e);
}

static enum errkind p_by_username(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    char username[GIG_REF_MAX + 1];
    if (gig_input_ref(in, "username", username, e) != E_OK)
        return e->kind;
    return gigs_by_username(c->db, username, out, e);
}

static enum errkind p_categories(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    return categories_list(c->db, out, e);
}

static enum errkind p_order_checkout(struct ctx *c, json_object *in, json_object **out,
                                     struct err *e)
{
    const struct user *u = need_user(c, e);
    if (!u)
        return e->kind;
    struct checkout_input v = {jsonx_str(in, "paymentMethod"), jsonx_str(in, "packageId"),
                               jsonx_str(in, "gigId"), c->req->remote_addr};
    return checkout_order(c->db, u, &v, out, e);
}

/* A required non-empty string field, reported under its own name. */
static const char *required_string(json_object *in, const char *key, struct err *e)
{
    const char *s = jsonx_str(in, key);
    if (!s || !*s || strlen(s) > GIG_REF_MAX)
        err_field(e, key, "Required string");
    return s;
}

static enum errkind p_order_create(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    const struct user *u = need_user(c, e);
    if (!u)
        return e->kind;
    json_object *amount = in ? json_object_object_get(in, "amount") : NULL;
    bool number =
        json_object_is_type(amount, json_type_int) || json_object_is_type(amount, json_type_double);
    if (!number)
        err_field(e, "amount", "Expected number");
    struct order_create v = {number ? json_object_get_string(amount) : NULL,
                             required_string(in, "transactionId", e),
                             required_string(in, "orderId", e), required_string(in, "gigId", e),
                             required_string(in, "packageId", e)};
    if (e->kind != E_OK)
        return err_set(e, E_BAD_REQUEST, "Invalid input");
    return order_create_paid(c->db, u, &v, out, e);
}

/* order.list {as?, status?, page?, limit?}: a page of the caller's orders (order_query.h). */
static enum errkind p_order_list(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    const struct user *u = need_user(c, e);
    struct order_query q;
    if (!u || order_query_from_json(in, &q, e) != E_OK)
        return e->kind;
    enum errkind k = orders_read_list(c->db, u, &q, out, e);
    order_query_free(&q);
    return k;
}

/* order.byId {id}: one order of the caller's (as client or freelancer; admins: any). */
static enum errkind p_order_by_id(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    const struct user *u = need_user(c, e);
    if (!u)
        return e->kind;
    const char *id = jsonx_str(in, "id");
    if (!id) {
        err_field(e, "id", "Expected string");
        return err_set(e, E_BAD_REQUEST, "Invalid input");
    }
    return cuid_valid(id) ? orders_read_get(c->db, u, id, out, e)
                          : err_set(e, E_NOT_FOUND, "Order not found");
}

static const struct trpc_proc procs[] = {
    {"gig.createDraft", TRPC_MUTATION, p_create_draft},
    {"gig.updateOverview", TRPC_MUTATION, p_update_overview},
    {"gig.createPackages", TRPC_MUTATION, p_create_packages},
    {"gig.udpateOffersMultiplePackages", TRPC_MUTATION, p_set_offers_multiple},
    {"gig.doesOffersMultiplePackages", TRPC_QUERY, p_offers_multiple},
    {"gig.updateDescriptionFaq", TRPC_MUTATION, p_update_description_faq},
    {"gig.updateGallery", TRPC_MUTATION, p_update_gallery},
    {"gig.publish", TRPC_MUTATION, p_publish},
    {"gig.delete", TRPC_MUTATION, p_delete},
    {"gig.getUserGigs", TRPC_QUERY, p_user_gigs},
    {"gig.getGigById", TRPC_QUERY, p_gig_by_id},
    {"gig.getGigDetails", TRPC_QUERY, p_details},
    {"gig.getUserGigsByUsername", TRPC_QUERY, p_by_username},
    {"gig.getGigPackages", TRPC_QUERY, p_packages},
    {"gig.getDescriptionFaq", TRPC_QUERY, p_description_faq},
    {"gig.getGigGallery", TRPC_QUERY, p_gallery},
    {"category.list", TRPC_QUERY, p_categories},
    {"order.checkout", TRPC_MUTATION, p_order_checkout},
    {"order.create", TRPC_MUTATION, p_order_create},
    {"order.list", TRPC_QUERY, p_order_list},
    {"order.byId", TRPC_QUERY, p_order_by_id},
    {"order.deliver", TRPC_MUTATION, trpc_order_deliver},
    {"order.accept", TRPC_MUTATION, trpc_order_accept},
    {"order.requestRevision", TRPC_MUTATION, trpc_order_request_revision},
    {"order.cancel", TRPC_MUTATION, trpc_order_cancel},
};

static bool use_superjson(void)
{
    return strcmp(g_config->trpc_transformer, "superjson") == 0;
}

void handle_trpc(struct ctx *c)
{
    const char *tail = route_param(&c->match, "path");
    trpc_handle(c, procs, sizeof(procs) / sizeof(procs[0]), tail ? tail : "", use_superjson());
}

void handle_trpc_refused(struct ctx *c, enum errkind kind, const char *message)
{
    trpc_refuse(c, use_superjson(), kind, message);
}
