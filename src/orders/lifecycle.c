/*
 * lifecycle.c - the order state machine (see lifecycle.h). The checks run in a fixed order, which
 * decides the answer when several rules are broken at once:
 *   1. not a party and not an admin        -> 404 (the order's existence is not revealed)
 *   2. completed or cancelled              -> 409 (final: no move from anyone)
 *   3. a move that is never this role's    -> 403 (a client delivering, a freelancer accepting,
 *                                             an admin delivering, accepting or revising)
 *   4. the move's own state rules          -> 409 (not paid yet, nothing delivered, already
 *                                             delivered, no revisions left, not yet due, ...)
 * Cancel belongs to every party and admin in some state, so its refusals are all of kind 4.
 *
 * The payment's moves (confirmation, failure, expiry, auto-completion, refunds) have their own
 * rules after rule 1: a confirmation of an order already paid is a repeat that changes nothing,
 * and refunds concern cancelled (or even completed) orders, so final states are judged per move.
 * Only the system (a gateway's event, the jobs process) makes them, except a confirmation, which
 * the client's verified payment or an admin's transfer confirmation make too.
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

static struct lifecycle_decision unchanged(const struct lifecycle_order *o)
{
    struct lifecycle_decision d = {.kind = E_OK, .to = o->status, .payment = o->payment};
    d.unchanged = true;
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
    /* The system ends an order through expiry or a failed payment, which say why. */
    if (role == LIFECYCLE_SYSTEM)
        return refuse(E_FORBIDDEN, "Only a party or an admin can cancel this order");
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

/* The refusal for a move that needs a pending order, by the state it found instead. */
static struct lifecycle_decision refuse_not_pending(const struct lifecycle_order *o)
{
    if (o->status == LIFECYCLE_COMPLETED)
        return refuse(E_CONFLICT, "Order is completed");
    if (o->status == LIFECYCLE_CANCELLED)
        return refuse(E_CONFLICT, "Order is cancelled");
    return refuse(E_CONFLICT, "Order is already paid");
}

bool lifecycle_awaits_payment(const struct lifecycle_order *o)
{
    return o->status == LIFECYCLE_PENDING && o->payment == LIFECYCLE_PAY_PENDING;
}

/* Confirmed before (by the gateway's event, the jobs, the client's own call): a repeat. */
static struct lifecycle_decision decide_confirm(const struct lifecycle_order *o,
                                                enum lifecycle_role role)
{
    if (o->status == LIFECYCLE_PROCESSING || o->status == LIFECYCLE_COMPLETED)
        return unchanged(o);
    if (o->status == LIFECYCLE_CANCELLED)
        return refuse(E_CONFLICT, "Order is cancelled");
    if (role == LIFECYCLE_FREELANCER)
        return refuse(E_FORBIDDEN, "Only the client's payment can confirm an order");
    if (o->payment != LIFECYCLE_PAY_PENDING)
        return refuse(E_CONFLICT, "Payment is not pending");
    return allow(LIFECYCLE_PROCESSING, "paid", LIFECYCLE_PAY_SUCCESS);
}

/* A checkout that will never be paid: the gateway refused or failed it (payment_failed), or it
 * expired (cancelled, as a client's cancel of a checkout is). */
static struct lifecycle_decision decide_unpaid_end(const struct lifecycle_order *o,
                                                   enum lifecycle_move move)
{
    if (o->status != LIFECYCLE_PENDING)
        return refuse_not_pending(o);
    if (move == LIFECYCLE_FAIL_PAYMENT)
        return allow(LIFECYCLE_CANCELLED, "payment_failed", LIFECYCLE_PAY_FAILED);
    return allow(LIFECYCLE_CANCELLED, "cancelled", payment_after_cancel(o->payment));
}

static struct lifecycle_decision decide_auto_complete(const struct lifecycle_order *o)
{
    if (o->status != LIFECYCLE_PROCESSING)
        return o->status == LIFECYCLE_PENDING ? refuse(E_CONFLICT, "Order is not paid yet")
                                              : refuse_not_pending(o);
    if (!o->delivered)
        return refuse(E_CONFLICT, "Order has not been delivered");
    return allow(LIFECYCLE_COMPLETED, "completed", o->payment);
}

/* Money for an order cancelled meanwhile: nothing is owed, so it goes back. A payment already
 * being (or having been) returned is left as it is. */
static struct lifecycle_decision decide_refund_late(const struct lifecycle_order *o)
{
    if (o->status != LIFECYCLE_CANCELLED)
        return refuse(E_CONFLICT, "Order is not cancelled");
    if (o->payment != LIFECYCLE_PAY_PENDING && o->payment != LIFECYCLE_PAY_FAILED)
        return unchanged(o);
    return allow(LIFECYCLE_CANCELLED, NULL, LIFECYCLE_PAY_REFUNDING);
}

/* The gateway returned the money: of a cancelled order being refunded, or of any paid order
 * (a refund made at the gateway). The order keeps its status. */
static struct lifecycle_decision decide_refunded(const struct lifecycle_order *o)
{
    if (o->payment != LIFECYCLE_PAY_REFUNDING && o->payment != LIFECYCLE_PAY_SUCCESS)
        return refuse(E_CONFLICT, "Payment is not being refunded");
    return allow(o->status, "refunded", LIFECYCLE_PAY_REFUNDED);
}

static struct lifecycle_decision decide_payment_move(const struct lifecycle_order *o,
                                                     enum lifecycle_role role,
                                                     enum lifecycle_move move)
{
    if (move == LIFECYCLE_CONFIRM_PAYMENT)
        return decide_confirm(o, role);
    if (role != LIFECYCLE_SYSTEM)
        return refuse(E_FORBIDDEN, "Only the payment's gateway or the jobs make this move");
    switch (move) {
    case LIFECYCLE_FAIL_PAYMENT:
    case LIFECYCLE_EXPIRE:
        return decide_unpaid_end(o, move);
    case LIFECYCLE_AUTO_COMPLETE:
        return decide_auto_complete(o);
    case LIFECYCLE_REFUND_LATE:
        return decide_refund_late(o);
    case LIFECYCLE_REFUNDED:
        return decide_refunded(o);
    default:
        return refuse(E_INTERNAL, "Internal error");
    }
}

struct lifecycle_decision lifecycle_decide(const struct lifecycle_order *o,
                                           enum lifecycle_role role, enum lifecycle_move move)
{
    if (role == LIFECYCLE_NONE)
        return refuse(E_NOT_FOUND, "Order not found");
    if (move > LIFECYCLE_CANCEL)
        return decide_payment_move(o, role, move);
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
    default:
        return refuse(E_INTERNAL, "Internal error");
    }
}

enum lifecycle_role lifecycle_role_for(bool is_client, bool is_freelancer, bool is_admin,
                                       enum lifecycle_move move)
{
    if ((move == LIFECYCLE_CANCEL || move == LIFECYCLE_CONFIRM_PAYMENT) && is_admin)
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
