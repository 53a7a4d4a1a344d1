/*
 * vip_lifecycle.h - the VIP subscription state machine (docs/vip.md, "Lifecycle"): which move is
 * legal from which status, where it leads, whether it changes liveness (the badge) and which
 * event it records. Pure: no database, no clock. The subscription store (subscription_store.h)
 * asks it before every write; tests/unit/test_vip_lifecycle.c walks every move from every status.
 */
#ifndef KHEDMA_VIP_LIFECYCLE_H
#define KHEDMA_VIP_LIFECYCLE_H

#include <stdbool.h>
#include "khedma/errors.h"

enum vip_status {
    VIP_PENDING,
    VIP_TRIALING,
    VIP_ACTIVE,
    VIP_PAST_DUE,
    VIP_CANCELLED,
    VIP_EXPIRED,
};

enum vip_move {
    VIP_TRIAL_AUTHORISED, /* pending -> trialing: PayTabs authorised the card for a trial */
    VIP_PAID,           /* pending -> active: a card sale paid, or an App Store purchase verified */
    VIP_PAYMENT_FAILED, /* pending -> expired: the first payment was declined */
    VIP_CAPTURED,       /* trialing -> active: the trial's authorisation captured */
    VIP_TRIAL_CANCELLED, /* trialing -> cancelled: cancelled during the trial (authorisation voided)
                          */
    VIP_RENEWED,         /* active|past_due -> active: a renewal paid, the period extended */
    VIP_RENEWAL_DECLINED,   /* trialing|active|past_due -> past_due: a capture, renewal or retry
                               declined */
    VIP_RETRIES_EXHAUSTED,  /* past_due -> expired */
    VIP_PERIOD_ENDED,       /* active -> cancelled at the period's end, when cancel_at_period_end */
    VIP_EXPIRE,             /* trialing|active|past_due -> expired: App Store EXPIRED or REFUND */
    VIP_SET_CANCEL_AT_END,  /* trialing|active|past_due: stop renewing at the period's end */
    VIP_CLEAR_CANCEL_AT_END /* trialing|active|past_due: renew again */
};

struct vip_decision {
    enum errkind kind;   /* E_OK, or E_CONFLICT for a move the status does not allow */
    const char *message; /* the refusal's message */
    enum vip_status to;  /* the status after the move */
    bool unchanged;      /* an allowed repeat (a replayed confirmation): nothing to write */
    const char *event;   /* subscription_events.type; NULL when unchanged */
};

/* The decision for move from status from; cancel_at_end is the subscription's flag. */
struct vip_decision vip_lifecycle_decide(enum vip_status from, bool cancel_at_end,
                                         enum vip_move move);
/* Live statuses carry the badge and hold the one-live-per-user key: trialing, active, past_due. */
bool vip_lifecycle_live(enum vip_status s);
const char *vip_status_name(enum vip_status s);
/* false for a name the machine does not know. */
bool vip_status_parse(const char *name, enum vip_status *out);

/* subscription_orders.status moves: pending -> authorised|paid|failed, authorised ->
 * paid|voided|failed, paid -> refunded. Same status: an allowed repeat (*unchanged). */
bool vip_order_move_allowed(const char *from, const char *to, bool *unchanged);

#endif
