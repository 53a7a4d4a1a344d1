/*
 * jobs_payments.h - the background jobs that ask a card gateway something: the expiry of pending
 * checkouts, reconciliation of pending payments, and PayTabs refunds.
 */
#ifndef KHEDMA_JOBS_PAYMENTS_H
#define KHEDMA_JOBS_PAYMENTS_H

#include <stdbool.h>

#include "khedma/db.h"
#include "khedma/jobs_clock.h"

/* The 24-hour expiry of a pending checkout: what the gateway said, and what is done about it.
 * The rule: an order whose payment may have succeeded is never cancelled without asking the
 * gateway; when the gateway cannot tell, it stays pending, flagged for an operator. */
enum expiry_lookup {
    LOOKUP_NONE,           /* nothing to ask about: no reference known */
    LOOKUP_UNREACHABLE,    /* asked; no usable answer (timeout, 5xx, nonsense) */
    LOOKUP_NOT_FOUND,      /* the gateway knows no such transaction */
    LOOKUP_PENDING,        /* not paid (yet) */
    LOOKUP_FAILED,         /* the payment failed */
    LOOKUP_PAID,           /* paid, for this order, its amount and currency */
    LOOKUP_PAID_ELSEWHERE, /* paid, but not for this order, amount or currency */
};
struct expiry_facts {
    const char *provider; /* "youcanpay", "paytabs" or "bank_transfer" */
    bool page_issued;     /* a payment page was handed out (YouCan Pay token, PayTabs tran_ref) */
    enum expiry_lookup lookup;
};
enum expiry_action {
    EXPIRE_CANCEL,        /* provably unpaid: cancelled, payment failed (event cancelled) */
    EXPIRE_CANCEL_FAILED, /* the gateway says it failed: cancelled (event payment_failed) */
    EXPIRE_CONFIRM,       /* paid after all: confirmed */
    EXPIRE_ASK_LATER,     /* the gateway could not be asked: left pending, asked again */
    EXPIRE_REVIEW,        /* may be paid, the gateway cannot tell: pending, flagged */
};
enum expiry_action jobs_expiry_decide(const struct expiry_facts *f);

/* The jobs. Each returns how many rows it acted on, or -1 after a database error (logged). */
/* Checkouts pending over 24 h: one last gateway query, then confirmed, cancelled or flagged for
 * an operator as jobs_expiry_decide says. */
int jobs_expire_checkouts(struct db *db, const struct jobs_clock *clock);
/* Pending payments younger than 24 h with something to ask about (a PayTabs tran_ref, a YouCan
 * Pay transaction id the client named) that the gateway says are paid get confirmed. */
int jobs_reconcile_payments(struct db *db, const struct jobs_clock *clock);
/* Payments being refunded through PayTabs: the refund call, then 'refunded' + event. */
int jobs_refunds(struct db *db, const struct jobs_clock *clock);

#endif
