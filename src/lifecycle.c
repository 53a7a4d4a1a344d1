/*
 * lifecycle.c - the order state machine (see lifecycle.h). The checks run in a fixed order, which
 * decides the answer when several rules are broken at once:
 *   1. not a party and not an admin        -> 404 (the order's existence is not revealed)
 *   2. completed or cancelled              -> 409 (final: no move from anyone)
 *   3. a move that is never this role's    -> 403 (a client delivering, a freelancer accepting,
 *                                             an admin delivering, accepting or revising)
 *   4. the move's own state rules          -> 409 (not paid yet, nothing delivered, already
 *                                             delivered, no revisions left, not yet due, ...)
 * Cancel belongs to every role in some state, so its refusals are all of kind 4.
 */
#include <stddef.h>
#include <string.h>

#include "khedma/lifecycle.h"

static struct lifecycle_decision refuse(enum errkind kind, const char *message)
{
    struct lifecycle_decision d = {.kind = kind, .message = message};
    return d;
}

static struct lifecycle_decision allow(enum lifecycle_status to, const char *event,
                                       enum lifecycle_payment payment)
{
    struct lifecycle_decision d = {.kind = E_OK, .to = to, .event = event, .payment = payment};
    return d;
}

static struct lifecycle_decision decide_deliver(const struct lifecycle_order *o,
                                                enum lifecycle_role role)
{
    if (role != LIFECYCLE_FREELANCER)
        return refuse(E_FORBIDDEN, "Only the freelancer can deliver this order");
    if (o->status == LIFECYCLE_PENDING)
        return refuse(E_CONFLICT, "Order is not paid yet");
    /* One delivery at a time: the client answers it (accept or revision) before the next. */
    if (o->delivered)
        return refuse(E_CONFLICT, "Order is already delivered; waiting for the client's answer");
    return allow(LIFECYCLE_PROCESSING, "delivered", o->payment);
}

static struct lifecycle_decision decide_accept(const struct lifecycle_order *o,
                                               enum lifecycle_role role)
{
    if (role != LIFECYCLE_CLIENT)
        return refuse(E_FORBIDDEN, "Only the client can accept a delivery");
    if (o->status == LIFECYCLE_PENDING)
        return refuse(E_CONFLICT, "Order is not paid yet");
    if (!o->delivered)
        return refuse(E_CONFLICT, "Order has not been delivered");
    return allow(LIFECYCLE_COMPLETED, "completed", o->payment);
}

static struct lifecycle_decision decide_revision(const struct lifecycle_order *o,
                                                 enum lifecycle_role role)
{
    if (role != LIFECYCLE_CLIENT)
        return refuse(E_FORBIDDEN, "Only the client can request a revision");
    if (o->status == LIFECYCLE_PENDING)
        return refuse(E_CONFLICT, "Order is not paid yet");
    if (!o->delivered)
        return refuse(E_CONFLICT, "Order has not been delivered");
    /* Running out is a state of this order, like a final status, hence 409 rather than 422. */
    if (o->revisions_used >= o->revisions_allowed)
        return refuse(E_CONFLICT, "No revisions left on this order");
    return allow(LIFECYCLE_PROCESSING, "revision_requested", o->payment);
}

/* A paid order's money goes back (the jobs process or the gateway's refund event finishes it);
 * a checkout that was never paid has its pending payment closed as failed. */
static enum lifecycle_payment payment_after_cancel(enum lifecycle_payment p)
{
    if (p == LIFECYCLE_PAY_SUCCESS)
        return LIFECYCLE_PAY_REFUNDING;
    if (p == LIFECYCLE_PAY_PENDING)
        return LIFECYCLE_PAY_FAILED;
    return p;
}

static struct lifecycle_decision decide_cancel(const struct lifecycle_order *o,
                                               enum lifecycle_role role)
{
    if (role == LIFECYCLE_CLIENT && o->status == LIFECYCLE_PROCESSING) {
        /* The client may walk away only from work that is late and was never delivered. */
        if (o->delivered)
            return refuse(E_CONFLICT,
                          "Order was delivered: accept it or request a revision instead");
        if (!o->due_passed)
            return refuse(E_CONFLICT, "Order can be cancelled by the client only after its due "
                                      "date has passed without a delivery");
    }
    if (role == LIFECYCLE_FREELANCER && o->status == LIFECYCLE_PENDING)
        return refuse(E_CONFLICT, "A pending order can only be cancelled by its client");
    return allow(LIFECYCLE_CANCELLED, "cancelled", payment_after_cancel(o->payment));
}

struct lifecycle_decision lifecycle_decide(const struct lifecycle_order *o,
                                           enum lifecycle_role role, enum lifecycle_move move)
{
    if (role == LIFECYCLE_NONE)
        return refuse(E_NOT_FOUND, "Order not found");
    if (o->status == LIFECYCLE_COMPLETED)
        return refuse(E_CONFLICT, "Order is completed");
    if (o->status == LIFECYCLE_CANCELLED)
        return refuse(E_CONFLICT, "Order is cancelled");
    switch (move) {
    case LIFECYCLE_DELIVER:
        return decide_deliver(o, role);
    case LIFECYCLE_ACCEPT:
        return decide_accept(o, role);
    case LIFECYCLE_REVISION:
        return decide_revision(o, role);
    case LIFECYCLE_CANCEL:
        return decide_cancel(o, role);
    }
    return refuse(E_INTERNAL, "Internal error");
}

enum lifecycle_role lifecycle_role_for(bool is_client, bool is_freelancer, bool is_admin,
                                       enum lifecycle_move move)
{
    if (move == LIFECYCLE_CANCEL && is_admin)
        return LIFECYCLE_ADMIN;
    if (is_client)
        return LIFECYCLE_CLIENT;
    if (is_freelancer)
        return LIFECYCLE_FREELANCER;
    return is_admin ? LIFECYCLE_ADMIN : LIFECYCLE_NONE;
}

static const char *const status_names[] = {"pending", "processing", "completed", "cancelled"};
static const char *const payment_names[] = {NULL,     "pending",   "success",
                                            "failed", "refunding", "refunded"};

const char *lifecycle_status_name(enum lifecycle_status s)
{
    return (size_t)s < sizeof(status_names) / sizeof(status_names[0]) ? status_names[s] : NULL;
}

bool lifecycle_status_parse(const char *name, enum lifecycle_status *out)
{
    for (size_t i = 0; name && i < sizeof(status_names) / sizeof(status_names[0]); i++)
        if (strcmp(status_names[i], name) == 0) {
            *out = (enum lifecycle_status)i;
            return true;
        }
    return false;
}

const char *lifecycle_payment_name(enum lifecycle_payment p)
{
    return (size_t)p < sizeof(payment_names) / sizeof(payment_names[0]) ? payment_names[p] : NULL;
}

bool lifecycle_payment_parse(const char *name, enum lifecycle_payment *out)
{
    if (!name) {
        *out = LIFECYCLE_PAY_NONE;
        return true;
    }
    for (size_t i = 1; i < sizeof(payment_names) / sizeof(payment_names[0]); i++)
        if (strcmp(payment_names[i], name) == 0) {
            *out = (enum lifecycle_payment)i;
            return true;
        }
    return false;
}

bool lifecycle_move_parse(const char *name, enum lifecycle_move *out)
{
    static const struct {
        const char *name;
        enum lifecycle_move move;
    } moves[] = {{"deliver", LIFECYCLE_DELIVER},
                 {"accept", LIFECYCLE_ACCEPT},
                 {"revision", LIFECYCLE_REVISION},
                 {"requestRevision", LIFECYCLE_REVISION},
                 {"cancel", LIFECYCLE_CANCEL}};
    for (size_t i = 0; name && i < sizeof(moves) / sizeof(moves[0]); i++)
        if (strcmp(moves[i].name, name) == 0) {
            *out = moves[i].move;
            return true;
        }
    return false;
}
