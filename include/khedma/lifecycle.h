/*
 * lifecycle.h - the order state machine (docs/api.md, "Order lifecycle") as a pure decision:
 * given what is known about an order and who is asking, may this move happen, and if so what does
 * it lead to (new status, event type, effect on the payment)? No database, no clock: the order
 * store (order_store.c) reads the facts under the order's row lock and applies the decision in
 * the same transaction, so the rules live in one place that unit tests can walk completely. The
 * moves of the API (deliver, accept, revision, cancel) and those of payments, gateways and jobs
 * (confirmation, failure, expiry, auto-completion, refunds) are all decided here.
 */
#ifndef KHEDMA_LIFECYCLE_H
#define KHEDMA_LIFECYCLE_H

#include <stdbool.h>
#include "khedma/errors.h"

enum lifecycle_status {
    LIFECYCLE_PENDING,
    LIFECYCLE_PROCESSING,
    LIFECYCLE_COMPLETED,
    LIFECYCLE_CANCELLED
};

enum lifecycle_payment {
    LIFECYCLE_PAY_NONE, /* no payment row (never the case for orders made by checkout) */
    LIFECYCLE_PAY_PENDING,
    LIFECYCLE_PAY_SUCCESS,
    LIFECYCLE_PAY_FAILED,
    LIFECYCLE_PAY_REFUNDING,
    LIFECYCLE_PAY_REFUNDED,
};

/* Who is asking, as far as this order is concerned. LIFECYCLE_NONE is someone who may not even see
 * the order (neither party nor admin); LIFECYCLE_SYSTEM is a gateway's event or the jobs process.
 */
enum lifecycle_role {
    LIFECYCLE_NONE,
    LIFECYCLE_CLIENT,
    LIFECYCLE_FREELANCER,
    LIFECYCLE_ADMIN,
    LIFECYCLE_SYSTEM
};

enum lifecycle_move {
    /* The parties' and admins' moves (the API). */
    LIFECYCLE_DELIVER,
    LIFECYCLE_ACCEPT,
    LIFECYCLE_REVISION,
    LIFECYCLE_CANCEL,
    /* The payment's moves. */
    LIFECYCLE_CONFIRM_PAYMENT, /* the gateway (an admin, for a transfer) says paid: processing */
    LIFECYCLE_FAIL_PAYMENT,    /* the gateway refused or failed it: cancelled, payment failed */
    LIFECYCLE_EXPIRE,          /* not paid within 24 hours: cancelled, payment failed */
    LIFECYCLE_AUTO_COMPLETE,   /* a delivery left unanswered for 3 days: completed */
    LIFECYCLE_REFUND_LATE,     /* money arrived after the order was cancelled: payment refunding */
    LIFECYCLE_REFUNDED,        /* the money went back: payment refunded */
};

/* The facts the rules depend on. */
struct lifecycle_order {
    enum lifecycle_status status;
    enum lifecycle_payment payment;
    bool delivered;  /* deliveredAt is set: a delivery awaits the client's answer */
    bool due_passed; /* dueAt is set and not in the future */
    long long revisions_used, revisions_allowed;
};

/* What the move does. kind E_OK: allowed, and to / event / payment say what to write; otherwise
 * kind and message are the refusal (E_NOT_FOUND, E_CONFLICT or E_FORBIDDEN). */
struct lifecycle_decision {
    enum errkind kind;
    const char *message;
    enum lifecycle_status to;
    const char *event; /* paid, delivered, revision_requested, completed, cancelled, refunded,
                          payment_failed; NULL when the move records no event */
    enum lifecycle_payment payment; /* the payment's status afterwards (unchanged when no effect) */
    bool unchanged; /* allowed, but there is nothing to write (a repeated confirmation, say) */
};

struct lifecycle_decision lifecycle_decide(const struct lifecycle_order *o,
                                           enum lifecycle_role role, enum lifecycle_move move);

/* The role a user acts in for a move. A user can hold several (an admin who is also the client);
 * the one that can make the move wins: admin for cancel (admins may always cancel) and for a
 * payment's confirmation (an admin confirms bank transfers), the party for every other move (an
 * admin delivers nothing). */
enum lifecycle_role lifecycle_role_for(bool is_client, bool is_freelancer, bool is_admin,
                                       enum lifecycle_move move);

/* Names as the database and the API spell them; parsing returns false on an unknown name. */
const char *lifecycle_status_name(enum lifecycle_status s);
bool lifecycle_status_parse(const char *name, enum lifecycle_status *out);
const char *lifecycle_payment_name(enum lifecycle_payment p); /* NULL for LIFECYCLE_PAY_NONE */
bool lifecycle_payment_parse(const char *name,
                             enum lifecycle_payment *out); /* NULL name: LIFECYCLE_PAY_NONE */
/* "deliver", "accept", "revision" (also "requestRevision"), "cancel". */
bool lifecycle_move_parse(const char *name, enum lifecycle_move *out);

/* A checkout still waiting for its money: order pending, payment pending. */
bool lifecycle_awaits_payment(const struct lifecycle_order *o);

#endif
