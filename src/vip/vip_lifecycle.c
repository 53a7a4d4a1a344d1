/*
 * vip_lifecycle.c - the VIP subscription state machine (include/khedma/vip_lifecycle.h). One
 * table of allowed moves; everything else is refused with 409, so a job or a notification that
 * arrives for a subscription already past that point changes nothing.
 */
#include <string.h>

#include "khedma/vip_lifecycle.h"

static const char *const names[] = {"pending",  "trialing",  "active",
                                    "past_due", "cancelled", "expired"};
#define NSTATUS (sizeof(names) / sizeof(names[0]))
#define BIT(s) (1u << (s))
#define LIVE (BIT(VIP_TRIALING) | BIT(VIP_ACTIVE) | BIT(VIP_PAST_DUE))

struct rule {
    enum vip_move move;
    unsigned from; /* statuses the move starts from */
    enum vip_status to;
    unsigned repeat; /* statuses where the move is an allowed repeat (nothing written) */
    const char *event;
};

/* VIP_PERIOD_ENDED and the cancel-at-end flag moves are judged beside the table (they read
 * cancel_at_period_end). */
static const struct rule rules[] = {
    {VIP_TRIAL_AUTHORISED, BIT(VIP_PENDING), VIP_TRIALING, BIT(VIP_TRIALING), "trial_started"},
    {VIP_PAID, BIT(VIP_PENDING), VIP_ACTIVE, BIT(VIP_ACTIVE), "activated"},
    {VIP_PAYMENT_FAILED, BIT(VIP_PENDING), VIP_EXPIRED, BIT(VIP_EXPIRED), "payment_failed"},
    {VIP_CAPTURED, BIT(VIP_TRIALING) | BIT(VIP_PAST_DUE), VIP_ACTIVE, 0, "trial_converted"},
    {VIP_TRIAL_CANCELLED, BIT(VIP_TRIALING), VIP_CANCELLED, BIT(VIP_CANCELLED), "trial_cancelled"},
    {VIP_RENEWED, BIT(VIP_ACTIVE) | BIT(VIP_PAST_DUE), VIP_ACTIVE, 0, "renewed"},
    {VIP_RENEWAL_DECLINED, LIVE, VIP_PAST_DUE, 0, "renewal_failed"},
    {VIP_RETRIES_EXHAUSTED, BIT(VIP_PAST_DUE), VIP_EXPIRED, BIT(VIP_EXPIRED), "expired"},
    {VIP_PERIOD_ENDED, BIT(VIP_ACTIVE), VIP_CANCELLED, BIT(VIP_CANCELLED), "cancelled"},
    {VIP_EXPIRE, LIVE, VIP_EXPIRED, BIT(VIP_EXPIRED), "expired"},
    {VIP_SET_CANCEL_AT_END, LIVE, VIP_PENDING, 0, "cancel_scheduled"},
    {VIP_CLEAR_CANCEL_AT_END, LIVE, VIP_PENDING, 0, "cancel_unscheduled"},
};

static struct vip_decision refuse(enum vip_status from, const char *message)
{
    struct vip_decision d = {E_CONFLICT, message, from, false, NULL};
    return d;
}

struct vip_decision vip_lifecycle_decide(enum vip_status from, bool cancel_at_end,
                                         enum vip_move move)
{
    const struct rule *r = NULL;
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
        if (rules[i].move == move)
            r = &rules[i];
    if (!r || (unsigned)from >= NSTATUS)
        return refuse(from, "Unknown subscription change");
    struct vip_decision d = {E_OK, NULL, r->to, false, r->event};
    if (r->repeat & BIT(from)) {
        d.to = from;
        d.unchanged = true;
        d.event = NULL;
        return d;
    }
    if (!(r->from & BIT(from)))
        return refuse(from, "Subscription cannot make this change in its current status");
    if (move == VIP_SET_CANCEL_AT_END || move == VIP_CLEAR_CANCEL_AT_END) {
        d.to = from; /* the flag only; the status stays */
        d.unchanged = cancel_at_end == (move == VIP_SET_CANCEL_AT_END);
        d.event = d.unchanged ? NULL : r->event;
    } else if (move == VIP_PERIOD_ENDED && !cancel_at_end) {
        return refuse(from, "Subscription renews at the end of its period");
    }
    return d;
}

bool vip_lifecycle_live(enum vip_status s)
{
    return (unsigned)s < NSTATUS && (LIVE & BIT(s)) != 0;
}

const char *vip_status_name(enum vip_status s)
{
    return (unsigned)s < NSTATUS ? names[s] : NULL;
}

bool vip_status_parse(const char *name, enum vip_status *out)
{
    for (size_t i = 0; name && i < NSTATUS; i++)
        if (strcmp(names[i], name) == 0) {
            *out = (enum vip_status)i;
            return true;
        }
    return false;
}

static const struct {
    const char *from, *to;
} order_moves[] = {
    {"pending", "authorised"}, {"pending", "paid"},      {"pending", "failed"},
    {"authorised", "paid"},    {"authorised", "voided"}, {"authorised", "failed"},
    {"paid", "refunded"},
};

bool vip_order_move_allowed(const char *from, const char *to, bool *unchanged)
{
    *unchanged = strcmp(from, to) == 0;
    if (*unchanged)
        return true;
    for (size_t i = 0; i < sizeof(order_moves) / sizeof(order_moves[0]); i++)
        if (strcmp(order_moves[i].from, from) == 0 && strcmp(order_moves[i].to, to) == 0)
            return true;
    return false;
}
