/*
 * trpc_procs.c - the tRPC procedure table at /api/trpc and its gig.* and category.* procedures
 * (the order.* ones are in trpc_procs_orders.c): each entry is a thin adapter that checks the
 * session (ctx_require_user, for protected procedures), validates the input with gig_input.h, and
 * calls the same service function the REST handlers use. Authentication runs before input
 * validation, as in a tRPC protectedProcedure whose middleware precedes .input().
 */
#include <string.h>

#include "khedma/config.h"
#include "khedma/gig_input.h"
#include "khedma/gigs_read.h"
#include "khedma/read_model.h"
#include "khedma/gigs_write.h"
#include "khedma/trpc.h"
#include "khedma/trpc_procs.h"
#include "khedma/trpc_procs_orders.h"
#include "khedma/vip_read.h"

static const struct user *need_user(struct ctx *c, struct err *e)
{
    return ctx_require_user(c, TRPC_PROCS_SIGN_IN_REQUIRED, e);
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
    return u ? gigs_write_create_draft(c->db, u->id, out, e) : e->kind;
}

static enum errkind p_update_overview(struct ctx *c, json_object *in, json_object **out,
                                      struct err *e)
{
    const struct user *u = need_user(c, e);
    struct overview_input v;
    if (!u || gig_input_overview(in, &v, e) != E_OK)
        return e->kind;
    return gigs_write_update_overview(c->db, u->id, &v, out, e);
}

static enum errkind p_create_packages(struct ctx *c, json_object *in, json_object **out,
                                      struct err *e)
{
    const struct user *u = need_user(c, e);
    struct packages_input v;
    if (!u || gig_input_packages(in, &v, e) != E_OK)
        return e->kind;
    return gigs_write_create_packages(c->db, u->id, &v, out, e);
}

static enum errkind p_set_offers_multiple(struct ctx *c, json_object *in, json_object **out,
                                          struct err *e)
{
    const struct user *u = need_user(c, e);
    struct offers_input v;
    if (!u || gig_input_offers(in, &v, e) != E_OK)
        return e->kind;
    return gigs_write_set_offers_multiple(c->db, u->id, &v, out, e);
}

static enum errkind p_offers_multiple(struct ctx *c, json_object *in, json_object **out,
                                      struct err *e)
{
    const struct user *u = need_user(c, e);
    struct ref_input v;
    if (!u || gig_input_id(in, &v, e) != E_OK)
        return e->kind;
    return gigs_read_offers_multiple(c->db, u->id, v.id, out, e);
}

static enum errkind p_update_description_faq(struct ctx *c, json_object *in, json_object **out,
                                             struct err *e)
{
    const struct user *u = need_user(c, e);
    struct description_faq_input v;
    if (!u || gig_input_description_faq(in, &v, e) != E_OK)
        return e->kind;
    enum errkind k = gigs_write_update_description_faq(c->db, u->id, &v, out, e);
    gig_input_description_faq_free(&v);
    return k;
}

static enum errkind p_update_gallery(struct ctx *c, json_object *in, json_object **out,
                                     struct err *e)
{
    const struct user *u = need_user(c, e);
    struct gallery_input v;
    if (!u || gig_input_gallery(in, &v, e) != E_OK)
        return e->kind;
    return gigs_write_update_gallery(c->db, u->id, &v, out, e);
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
    return owner_call(c, in, out, e, gigs_write_publish);
}

static enum errkind p_delete(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    return owner_call(c, in, out, e, gigs_write_delete);
}

static enum errkind p_user_gigs(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    return owner_call(c, in, out, e, gigs_read_user_gigs);
}

static enum errkind p_gig_by_id(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    return owner_call(c, in, out, e, gigs_read_by_id);
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
    return viewer_call(c, in, out, e, gigs_read_packages);
}

static enum errkind p_description_faq(struct ctx *c, json_object *in, json_object **out,
                                      struct err *e)
{
    return viewer_call(c, in, out, e, gigs_read_description_faq);
}

static enum errkind p_gallery(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    return viewer_call(c, in, out, e, gigs_read_gallery);
}

static enum errkind p_details(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    struct details_input v;
    if (gig_input_details(in, &v, e) != E_OK)
        return e->kind;
    return read_model_details(c->db, v.username, v.slug, out, e);
}

static enum errkind p_by_username(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    char username[GIG_REF_MAX + 1];
    if (gig_input_ref(in, "username", username, e) != E_OK)
        return e->kind;
    return gigs_read_by_username(c->db, username, out, e);
}

static enum errkind p_vip_packages(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    (void)in;
    return vip_read_packages(c->db, out, e);
}

/* Its data is null when the user has no subscription (a NULL output). */
static enum errkind p_vip_my_subscription(struct ctx *c, json_object *in, json_object **out,
                                          struct err *e)
{
    (void)in;
    const struct user *u = need_user(c, e);
    if (!u)
        return e->kind;
    return vip_read_my_subscription(c->db, u->id, out, e);
}

static enum errkind p_categories(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    return gigs_read_categories(c->db, out, e);
}

/* CACHE_PUBLIC marks the queries whose anonymous answer is the same for every anonymous caller.
 * The reads by gig id also show an owner their unpublished gig, but a signed-in request carries a
 * cookie or Authorization header and response_cache_policy never lets such an answer be cached. */
static const struct trpc_proc procs[] = {
    {"gig.createDraft", TRPC_MUTATION, p_create_draft, CACHE_NEVER},
    {"gig.updateOverview", TRPC_MUTATION, p_update_overview, CACHE_NEVER},
    {"gig.createPackages", TRPC_MUTATION, p_create_packages, CACHE_NEVER},
    {"gig.udpateOffersMultiplePackages", TRPC_MUTATION, p_set_offers_multiple, CACHE_NEVER},
    {"gig.doesOffersMultiplePackages", TRPC_QUERY, p_offers_multiple, CACHE_NEVER},
    {"gig.updateDescriptionFaq", TRPC_MUTATION, p_update_description_faq, CACHE_NEVER},
    {"gig.updateGallery", TRPC_MUTATION, p_update_gallery, CACHE_NEVER},
    {"gig.publish", TRPC_MUTATION, p_publish, CACHE_NEVER},
    {"gig.delete", TRPC_MUTATION, p_delete, CACHE_NEVER},
    {"gig.getUserGigs", TRPC_QUERY, p_user_gigs, CACHE_NEVER},
    {"gig.getGigById", TRPC_QUERY, p_gig_by_id, CACHE_NEVER},
    {"gig.getGigDetails", TRPC_QUERY, p_details, CACHE_PUBLIC},
    {"gig.getUserGigsByUsername", TRPC_QUERY, p_by_username, CACHE_PUBLIC},
    {"gig.getGigPackages", TRPC_QUERY, p_packages, CACHE_PUBLIC},
    {"gig.getDescriptionFaq", TRPC_QUERY, p_description_faq, CACHE_PUBLIC},
    {"gig.getGigGallery", TRPC_QUERY, p_gallery, CACHE_PUBLIC},
    {"category.list", TRPC_QUERY, p_categories, CACHE_PUBLIC},
    {"vip.packages", TRPC_QUERY, p_vip_packages, CACHE_PUBLIC},
    {"vip.mySubscription", TRPC_QUERY, p_vip_my_subscription, CACHE_NEVER},
    {"order.checkout", TRPC_MUTATION, trpc_procs_orders_checkout, CACHE_NEVER},
    {"order.create", TRPC_MUTATION, trpc_procs_orders_create, CACHE_NEVER},
    {"order.list", TRPC_QUERY, trpc_procs_orders_list, CACHE_NEVER},
    {"order.byId", TRPC_QUERY, trpc_procs_orders_by_id, CACHE_NEVER},
    {"order.deliver", TRPC_MUTATION, trpc_procs_orders_deliver, CACHE_NEVER},
    {"order.accept", TRPC_MUTATION, trpc_procs_orders_accept, CACHE_NEVER},
    {"order.requestRevision", TRPC_MUTATION, trpc_procs_orders_request_revision, CACHE_NEVER},
    {"order.cancel", TRPC_MUTATION, trpc_procs_orders_cancel, CACHE_NEVER},
};

static bool use_superjson(void)
{
    return strcmp(g_config->trpc_transformer, "superjson") == 0;
}

void trpc_procs_handle(struct ctx *c)
{
    const char *tail = router_param(&c->match, "path");
    trpc_handle(c, procs, sizeof(procs) / sizeof(procs[0]), tail ? tail : "", use_superjson());
}

void trpc_procs_refuse(struct ctx *c, enum errkind kind, const char *message)
{
    trpc_refuse(c, use_superjson(), kind, message);
}

const char *trpc_procs_name(size_t i)
{
    return i < sizeof(procs) / sizeof(procs[0]) ? procs[i].path : NULL;
}
