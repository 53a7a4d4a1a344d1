/*
 * lifecycle.h - the order state machine of seed 001 (contract section 6) as a pure decision: given
 * what is known about an order and who is asking, may this move happen, and if so what does it
 * lead to (new status, event type, effect on the payment)? No database, no clock: the caller
 * reads the facts under the order's row lock and applies the decision in the same transaction,
 * so the rules live in one place that unit tests can walk completely.
 */
#ifndef KHEDMA_LIFECYCLE_H
#define KHEDMA_LIFECYCLE_H

#include <stdbool.h>
#include "khedma/errors.h"

enum lc_status { LC_PENDING, LC_PROCESSING, LC_COMPLETED, LC_CANCELLED };

enum lc_payment {
    LC_PAY_NONE, /* no payment row (never the case for orders made by checkout) */
    LC_PAY_PENDING,
    LC_PAY_SUCCESS,
    LC_PAY_FAILED,
    LC_PAY_REFUNDING,
    LC_PAY_REFUNDED,
};

/* Who is asking, as far as this order is concerned. LC_NONE is someone who may not even see the
 * order (neither party nor admin). */
enum lc_role { LC_NONE, LC_CLIENT, LC_FREELANCER, LC_ADMIN };

enum lc_move { LC_DELIVER, LC_ACCEPT, LC_REVISION, LC_CANCEL };

/* The facts the rules depend on. */
struct lc_order {
    enum lc_status status;
    enum lc_payment payment;
    bool delivered;  /* deliveredAt is set: a delivery awaits the client's answer */
    bool due_passed; /* dueAt is set and not in the future */
    long long revisions_used, revisions_allowed;
};

/* What the move does. kind E_OK: allowed, and to / event / payment say what to write; otherwise
 * kind and message are the refusal (E_NOT_FOUND, E_CONFLICT or E_FORBIDDEN). */
struct lc_decision {
    enum errkind kind;
    const char *message;
    enum lc_status to;
    const char *event;       /* delivered, revision_requested, completed, cancelled */
    enum lc_payment payment; /* the payment's status afterwards (unchanged when no effect) */
};

struct lc_decision lifecycle_decide(const struct lc_order *o, enum lc_role role, enum lc_move move);

/* The role a user acts in for a move. A user can hold several (an admin who is also the client);
 * the one that can make the move wins: admin for cancel (admins may always cancel), the party for
 * every other move (an admin delivers nothing). */
enum lc_role lifecycle_role(bool is_client, bool is_freelancer, bool is_admin, enum lc_move move);

/* Names as the database and the contract spell them; parsing returns false on an unknown name. */
const char *lc_status_name(enum lc_status s);
bool lc_status_parse(const char *name, enum lc_status *out);
const char *lc_payment_name(enum lc_payment p);                /* NULL for LC_PAY_NONE */
bool lc_payment_parse(const char *name, enum lc_payment *out); /* NULL name: LC_PAY_NONE */
/* "deliver", "accept", "revision" (also "requestRevision"), "cancel". */
bool lc_move_parse(const char *name, enum lc_move *out);

#endif
