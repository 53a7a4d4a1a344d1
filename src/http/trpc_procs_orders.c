/*
 * trpc_procs_orders.c - the order.* tRPC procedures: checkout, create, list, byId and the moves
 * deliver, accept, requestRevision and cancel. Each is a thin adapter like those of trpc_procs.c:
 * the session first (ctx_require_user), then the input, then the same service function the REST
 * handlers call. Validation failures are BAD_REQUEST "Invalid input" with per-field messages
 * (zodError); an id that cannot be an id is simply not found.
 */
#include <string.h>

#include "khedma/gig_input.h"
#include "khedma/cuid.h"
#include "khedma/jsonx.h"
#include "khedma/order_input.h"
#include "khedma/order_moves.h"
#include "khedma/order_query.h"
#include "khedma/checkout.h"
#include "khedma/order_create.h"
#include "khedma/orders_read.h"
#include "khedma/trpc_procs.h"
#include "khedma/trpc_procs_orders.h"

static const struct user *need_user(struct ctx *c, struct err *e)
{
    return ctx_require_user(c, TRPC_PROCS_SIGN_IN_REQUIRED, e);
}

enum errkind trpc_procs_orders_checkout(struct ctx *c, json_object *in, json_object **out,
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

enum errkind trpc_procs_orders_create(struct ctx *c, json_object *in, json_object **out,
                                      struct err *e)
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

/* A page of the caller's orders (order_query.h). */
enum errkind trpc_procs_orders_list(struct ctx *c, json_object *in, json_object **out,
                                    struct err *e)
{
    const struct user *u = need_user(c, e);
    struct order_query q;
    if (!u || order_query_from_json(in, &q, e) != E_OK)
        return e->kind;
    enum errkind k = orders_read_list(c->db, u, &q, out, e);
    order_query_free(&q);
    return k;
}

/* One order of the caller's (as client or freelancer; admins: any). */
enum errkind trpc_procs_orders_by_id(struct ctx *c, json_object *in, json_object **out,
                                     struct err *e)
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

/* Input {id, reason?}; the output is the Order after the move. */
static enum errkind move(struct ctx *c, json_object *in, json_object **out, struct err *e,
                         enum lifecycle_move m)
{
    const struct user *u = need_user(c, e);
    if (!u)
        return e->kind;
    const char *id = jsonx_str(in, "id");
    if (!id || !*id)
        err_field(e, "id", "Required");
    const char *reason = order_input_text(in, "reason", MOVE_REASON_MAX, true, e);
    if (e->kind != E_OK)
        return err_set(e, E_BAD_REQUEST, "Invalid input");
    if (!cuid_valid(id))
        return err_set(e, E_NOT_FOUND, "Order not found");
    return order_moves_make(c->db, u, id, m, reason, out, e);
}

enum errkind trpc_procs_orders_deliver(struct ctx *c, json_object *in, json_object **out,
                                       struct err *e)
{
    return move(c, in, out, e, LIFECYCLE_DELIVER);
}

enum errkind trpc_procs_orders_accept(struct ctx *c, json_object *in, json_object **out,
                                      struct err *e)
{
    return move(c, in, out, e, LIFECYCLE_ACCEPT);
}

enum errkind trpc_procs_orders_request_revision(struct ctx *c, json_object *in, json_object **out,
                                                struct err *e)
{
    return move(c, in, out, e, LIFECYCLE_REVISION);
}

enum errkind trpc_procs_orders_cancel(struct ctx *c, json_object *in, json_object **out,
                                      struct err *e)
{
    return move(c, in, out, e, LIFECYCLE_CANCEL);
}
