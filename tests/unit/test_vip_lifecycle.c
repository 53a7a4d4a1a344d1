/*
 * test_vip_lifecycle.c - unit tests for the VIP subscription state machine (vip_lifecycle.c):
 * every allowed move named with where it leads, then every move from every status walked so that
 * anything outside the allowed table is refused (409) and changes nothing, and the subscription
 * order's status moves.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "khedma/vip_lifecycle.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const enum vip_status all_statuses[] = {VIP_PENDING,  VIP_TRIALING,  VIP_ACTIVE,
                                               VIP_PAST_DUE, VIP_CANCELLED, VIP_EXPIRED};
static const enum vip_move all_moves[] = {
    VIP_TRIAL_AUTHORISED, VIP_PAID,    VIP_PAYMENT_FAILED,    VIP_CAPTURED,
    VIP_TRIAL_CANCELLED,  VIP_RENEWED, VIP_RENEWAL_DECLINED,  VIP_RETRIES_EXHAUSTED,
    VIP_PERIOD_ENDED,     VIP_EXPIRE,  VIP_SET_CANCEL_AT_END, VIP_CLEAR_CANCEL_AT_END};

/* The allowed moves that change something: from, flag, move, to, event. */
static const struct {
    enum vip_status from;
    bool cancel_at_end;
    enum vip_move move;
    enum vip_status to;
    const char *event;
} allowed[] = {
    {VIP_PENDING, false, VIP_TRIAL_AUTHORISED, VIP_TRIALING, "trial_started"},
    {VIP_PENDING, false, VIP_PAID, VIP_ACTIVE, "activated"},
    {VIP_PENDING, false, VIP_PAYMENT_FAILED, VIP_EXPIRED, "payment_failed"},
    {VIP_TRIALING, false, VIP_CAPTURED, VIP_ACTIVE, "trial_converted"},
    {VIP_PAST_DUE, false, VIP_CAPTURED, VIP_ACTIVE, "trial_converted"},
    {VIP_TRIALING, false, VIP_TRIAL_CANCELLED, VIP_CANCELLED, "trial_cancelled"},
    {VIP_ACTIVE, false, VIP_RENEWED, VIP_ACTIVE, "renewed"},
    {VIP_ACTIVE, false, VIP_RENEWAL_DECLINED, VIP_PAST_DUE, "renewal_failed"},
    {VIP_PAST_DUE, false, VIP_RENEWAL_DECLINED, VIP_PAST_DUE, "renewal_failed"},
    {VIP_TRIALING, false, VIP_RENEWAL_DECLINED, VIP_PAST_DUE, "renewal_failed"},
    {VIP_PAST_DUE, false, VIP_RENEWED, VIP_ACTIVE, "renewed"},
    {VIP_PAST_DUE, false, VIP_RETRIES_EXHAUSTED, VIP_EXPIRED, "expired"},
    {VIP_ACTIVE, true, VIP_PERIOD_ENDED, VIP_CANCELLED, "cancelled"},
    {VIP_ACTIVE, false, VIP_EXPIRE, VIP_EXPIRED, "expired"},
    {VIP_ACTIVE, true, VIP_EXPIRE, VIP_EXPIRED, "expired"},
    {VIP_TRIALING, false, VIP_EXPIRE, VIP_EXPIRED, "expired"},
    {VIP_PAST_DUE, false, VIP_EXPIRE, VIP_EXPIRED, "expired"},
    {VIP_ACTIVE, false, VIP_SET_CANCEL_AT_END, VIP_ACTIVE, "cancel_scheduled"},
    {VIP_TRIALING, false, VIP_SET_CANCEL_AT_END, VIP_TRIALING, "cancel_scheduled"},
    {VIP_PAST_DUE, false, VIP_SET_CANCEL_AT_END, VIP_PAST_DUE, "cancel_scheduled"},
    {VIP_ACTIVE, true, VIP_CLEAR_CANCEL_AT_END, VIP_ACTIVE, "cancel_unscheduled"},
    {VIP_TRIALING, true, VIP_CLEAR_CANCEL_AT_END, VIP_TRIALING, "cancel_unscheduled"},
    {VIP_PAST_DUE, true, VIP_CLEAR_CANCEL_AT_END, VIP_PAST_DUE, "cancel_unscheduled"},
};

/* Allowed repeats: a replayed confirmation or notification writes nothing. */
static const struct {
    enum vip_status at;
    bool cancel_at_end;
    enum vip_move move;
} repeats[] = {
    {VIP_TRIALING, false, VIP_TRIAL_AUTHORISED}, {VIP_ACTIVE, false, VIP_PAID},
    {VIP_EXPIRED, false, VIP_PAYMENT_FAILED},    {VIP_CANCELLED, false, VIP_TRIAL_CANCELLED},
    {VIP_EXPIRED, false, VIP_RETRIES_EXHAUSTED}, {VIP_CANCELLED, false, VIP_PERIOD_ENDED},
    {VIP_CANCELLED, true, VIP_PERIOD_ENDED},     {VIP_EXPIRED, false, VIP_EXPIRE},
    {VIP_ACTIVE, true, VIP_SET_CANCEL_AT_END},   {VIP_ACTIVE, false, VIP_CLEAR_CANCEL_AT_END},
};

static void test_allowed_moves(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(allowed); i++) {
        struct vip_decision d =
            vip_lifecycle_decide(allowed[i].from, allowed[i].cancel_at_end, allowed[i].move);
        assert_int_equal(d.kind, E_OK);
        assert_false(d.unchanged);
        assert_int_equal(d.to, allowed[i].to);
        assert_non_null(d.event);
        assert_string_equal(d.event, allowed[i].event);
    }
}

static void test_repeats_change_nothing(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(repeats); i++) {
        struct vip_decision d =
            vip_lifecycle_decide(repeats[i].at, repeats[i].cancel_at_end, repeats[i].move);
        assert_int_equal(d.kind, E_OK);
        assert_true(d.unchanged);
        assert_int_equal(d.to, repeats[i].at);
        assert_null(d.event);
    }
}

static bool listed(enum vip_status s, bool flag, enum vip_move m)
{
    for (size_t i = 0; i < COUNT(allowed); i++)
        if (allowed[i].from == s && allowed[i].cancel_at_end == flag && allowed[i].move == m)
            return true;
    for (size_t i = 0; i < COUNT(repeats); i++)
        if (repeats[i].at == s && repeats[i].cancel_at_end == flag && repeats[i].move == m)
            return true;
    return false;
}

/* The flag does not matter for these moves except where the table says so; a move allowed with
 * one value of the flag and listed only for the other is still allowed. */
static bool allowed_either_flag(enum vip_status s, enum vip_move m)
{
    return m != VIP_PERIOD_ENDED && m != VIP_SET_CANCEL_AT_END && m != VIP_CLEAR_CANCEL_AT_END &&
           (listed(s, false, m) || listed(s, true, m));
}

static void test_everything_else_refused(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(all_statuses); i++)
        for (size_t f = 0; f < 2; f++)
            for (size_t m = 0; m < COUNT(all_moves); m++) {
                enum vip_status s = all_statuses[i];
                struct vip_decision d = vip_lifecycle_decide(s, f == 1, all_moves[m]);
                if (listed(s, f == 1, all_moves[m]) || allowed_either_flag(s, all_moves[m]))
                    continue;
                /* the flag moves from a live status with the flag already so are repeats */
                if ((all_moves[m] == VIP_SET_CANCEL_AT_END ||
                     all_moves[m] == VIP_CLEAR_CANCEL_AT_END) &&
                    vip_lifecycle_live(s) && d.kind == E_OK) {
                    assert_true(d.unchanged);
                    continue;
                }
                assert_int_equal(d.kind, E_CONFLICT);
                assert_non_null(d.message);
                assert_int_equal(d.to, s);
                assert_null(d.event);
            }
}

static void test_named_refusals(void **state)
{
    (void)state;
    /* a renewal that would otherwise end the period is refused unless cancel_at_period_end */
    assert_int_equal(vip_lifecycle_decide(VIP_ACTIVE, false, VIP_PERIOD_ENDED).kind, E_CONFLICT);
    /* final statuses take nothing back */
    assert_int_equal(vip_lifecycle_decide(VIP_EXPIRED, false, VIP_RENEWED).kind, E_CONFLICT);
    assert_int_equal(vip_lifecycle_decide(VIP_CANCELLED, false, VIP_PAID).kind, E_CONFLICT);
    assert_int_equal(vip_lifecycle_decide(VIP_EXPIRED, false, VIP_CAPTURED).kind, E_CONFLICT);
    /* a trial is not captured twice, nor renewed before it is captured */
    assert_int_equal(vip_lifecycle_decide(VIP_ACTIVE, false, VIP_CAPTURED).kind, E_CONFLICT);
    assert_int_equal(vip_lifecycle_decide(VIP_TRIALING, false, VIP_RENEWED).kind, E_CONFLICT);
    /* a pending subscription is neither cancelled nor renewed */
    assert_int_equal(vip_lifecycle_decide(VIP_PENDING, false, VIP_SET_CANCEL_AT_END).kind,
                     E_CONFLICT);
    assert_int_equal(vip_lifecycle_decide(VIP_PENDING, false, VIP_RENEWED).kind, E_CONFLICT);
    /* a paid subscription does not fall back to a trial */
    assert_int_equal(vip_lifecycle_decide(VIP_ACTIVE, false, VIP_TRIAL_AUTHORISED).kind,
                     E_CONFLICT);
}

static void test_liveness_and_names(void **state)
{
    (void)state;
    const bool live[] = {false, true, true, true, false, false};
    for (size_t i = 0; i < COUNT(all_statuses); i++) {
        assert_int_equal(vip_lifecycle_live(all_statuses[i]), live[i]);
        enum vip_status back;
        assert_true(vip_status_parse(vip_status_name(all_statuses[i]), &back));
        assert_int_equal(back, all_statuses[i]);
    }
    enum vip_status s;
    assert_false(vip_status_parse("paid", &s));
    assert_false(vip_status_parse(NULL, &s));
}

static void test_order_moves(void **state)
{
    (void)state;
    bool same = false;
    const char *ok[][2] = {{"pending", "authorised"}, {"pending", "paid"},
                           {"pending", "failed"},     {"authorised", "paid"},
                           {"authorised", "voided"},  {"authorised", "failed"},
                           {"paid", "refunded"}};
    for (size_t i = 0; i < COUNT(ok); i++) {
        assert_true(vip_order_move_allowed(ok[i][0], ok[i][1], &same));
        assert_false(same);
    }
    assert_true(vip_order_move_allowed("paid", "paid", &same));
    assert_true(same);
    const char *no[][2] = {{"paid", "pending"},     {"failed", "paid"},      {"voided", "paid"},
                           {"refunded", "paid"},    {"paid", "voided"},      {"pending", "voided"},
                           {"pending", "refunded"}, {"failed", "authorised"}};
    for (size_t i = 0; i < COUNT(no); i++)
        assert_false(vip_order_move_allowed(no[i][0], no[i][1], &same));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allowed_moves),
        cmocka_unit_test(test_repeats_change_nothing),
        cmocka_unit_test(test_everything_else_refused),
        cmocka_unit_test(test_named_refusals),
        cmocka_unit_test(test_liveness_and_names),
        cmocka_unit_test(test_order_moves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
