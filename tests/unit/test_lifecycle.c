/*
 * test_lifecycle.c - unit tests for the order state machine (lifecycle.c): every move by every
 * role from every state (docs/api.md, "Order lifecycle"), named case by case for the rules
 * people read (who may deliver, accept, revise and cancel, and when), then walked exhaustively
 * over all combinations of the facts for the invariants that must hold everywhere (404 before
 * anything for outsiders, final states answer 409, the payment only changes on cancel, ...).
 * The payment's moves (confirmation, failure, expiry, auto-completion, refunds), made by the
 * gateways and the jobs through the order store, are walked the same way.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "khedma/lifecycle.h"

static const enum lifecycle_role all_roles[] = {LIFECYCLE_NONE, LIFECYCLE_CLIENT,
                                                LIFECYCLE_FREELANCER, LIFECYCLE_ADMIN};
static const enum lifecycle_move all_moves[] = {LIFECYCLE_DELIVER, LIFECYCLE_ACCEPT,
                                                LIFECYCLE_REVISION, LIFECYCLE_CANCEL};
static const enum lifecycle_status all_statuses[] = {LIFECYCLE_PENDING, LIFECYCLE_PROCESSING,
                                                     LIFECYCLE_COMPLETED, LIFECYCLE_CANCELLED};
static const enum lifecycle_payment all_payments[] = {
    LIFECYCLE_PAY_NONE,   LIFECYCLE_PAY_PENDING,   LIFECYCLE_PAY_SUCCESS,
    LIFECYCLE_PAY_FAILED, LIFECYCLE_PAY_REFUNDING, LIFECYCLE_PAY_REFUNDED};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A paid order being worked on: processing, payment success, 0 of 2 revisions used. */
static struct lifecycle_order processing(bool delivered, bool due_passed)
{
    struct lifecycle_order o = {.status = LIFECYCLE_PROCESSING,
                                .payment = LIFECYCLE_PAY_SUCCESS,
                                .delivered = delivered,
                                .due_passed = due_passed,
                                .revisions_used = 0,
                                .revisions_allowed = 2};
    return o;
}

/* A checkout not paid yet. */
static struct lifecycle_order pending(void)
{
    struct lifecycle_order o = {
        .status = LIFECYCLE_PENDING, .payment = LIFECYCLE_PAY_PENDING, .revisions_allowed = 2};
    return o;
}

static void expect_refused(const struct lifecycle_order *o, enum lifecycle_role role,
                           enum lifecycle_move move, enum errkind kind)
{
    struct lifecycle_decision d = lifecycle_decide(o, role, move);
    if (d.kind != kind)
        fail_msg("role %d move %d status %d: kind %d, expected %d (%s)", role, move, o->status,
                 d.kind, kind, d.message ? d.message : "no message");
    assert_non_null(d.message);
    assert_true(strlen(d.message) > 0);
}

static struct lifecycle_decision expect_allowed(const struct lifecycle_order *o,
                                                enum lifecycle_role role, enum lifecycle_move move,
                                                enum lifecycle_status to, const char *event,
                                                enum lifecycle_payment payment)
{
    struct lifecycle_decision d = lifecycle_decide(o, role, move);
    if (d.kind != E_OK)
        fail_msg("role %d move %d status %d refused: %s", role, move, o->status, d.message);
    assert_int_equal(d.to, to);
    assert_string_equal(d.event, event);
    assert_int_equal(d.payment, payment);
    return d;
}

static void test_deliver(void **state)
{
    struct lifecycle_order o = processing(false, false);
    expect_allowed(&o, LIFECYCLE_FREELANCER, LIFECYCLE_DELIVER, LIFECYCLE_PROCESSING, "delivered",
                   LIFECYCLE_PAY_SUCCESS);
    o.due_passed = true; /* late delivery is still a delivery */
    expect_allowed(&o, LIFECYCLE_FREELANCER, LIFECYCLE_DELIVER, LIFECYCLE_PROCESSING, "delivered",
                   LIFECYCLE_PAY_SUCCESS);
    o.revisions_used = 2; /* after the last revision the freelancer still delivers */
    expect_allowed(&o, LIFECYCLE_FREELANCER, LIFECYCLE_DELIVER, LIFECYCLE_PROCESSING, "delivered",
                   LIFECYCLE_PAY_SUCCESS);
    /* a second delivery before the client answers */
    o = processing(true, false);
    expect_refused(&o, LIFECYCLE_FREELANCER, LIFECYCLE_DELIVER, E_CONFLICT);
    /* not paid yet */
    o = pending();
    expect_refused(&o, LIFECYCLE_FREELANCER, LIFECYCLE_DELIVER, E_CONFLICT);
    /* not theirs: the client and an admin never deliver */
    o = processing(false, false);
    expect_refused(&o, LIFECYCLE_CLIENT, LIFECYCLE_DELIVER, E_FORBIDDEN);
    expect_refused(&o, LIFECYCLE_ADMIN, LIFECYCLE_DELIVER, E_FORBIDDEN);
    o = pending();
    expect_refused(&o, LIFECYCLE_CLIENT, LIFECYCLE_DELIVER, E_FORBIDDEN);
}

static void test_accept(void **state)
{
    struct lifecycle_order o = processing(true, false);
    expect_allowed(&o, LIFECYCLE_CLIENT, LIFECYCLE_ACCEPT, LIFECYCLE_COMPLETED, "completed",
                   LIFECYCLE_PAY_SUCCESS);
    o.due_passed = true;
    expect_allowed(&o, LIFECYCLE_CLIENT, LIFECYCLE_ACCEPT, LIFECYCLE_COMPLETED, "completed",
                   LIFECYCLE_PAY_SUCCESS);
    o.revisions_used = 2; /* accepting needs no revision left */
    expect_allowed(&o, LIFECYCLE_CLIENT, LIFECYCLE_ACCEPT, LIFECYCLE_COMPLETED, "completed",
                   LIFECYCLE_PAY_SUCCESS);
    o = processing(false, true);
    expect_refused(&o, LIFECYCLE_CLIENT, LIFECYCLE_ACCEPT, E_CONFLICT); /* nothing delivered */
    o = pending();
    expect_refused(&o, LIFECYCLE_CLIENT, LIFECYCLE_ACCEPT, E_CONFLICT);
    o = processing(true, false);
    expect_refused(&o, LIFECYCLE_FREELANCER, LIFECYCLE_ACCEPT, E_FORBIDDEN);
    expect_refused(&o, LIFECYCLE_ADMIN, LIFECYCLE_ACCEPT, E_FORBIDDEN);
}

static void test_revision(void **state)
{
    struct lifecycle_order o = processing(true, false);
    expect_allowed(&o, LIFECYCLE_CLIENT, LIFECYCLE_REVISION, LIFECYCLE_PROCESSING,
                   "revision_requested", LIFECYCLE_PAY_SUCCESS);
    o.revisions_used = 1; /* the last one */
    expect_allowed(&o, LIFECYCLE_CLIENT, LIFECYCLE_REVISION, LIFECYCLE_PROCESSING,
                   "revision_requested", LIFECYCLE_PAY_SUCCESS);
    o.revisions_used = 2; /* used == allowed: none left */
    expect_refused(&o, LIFECYCLE_CLIENT, LIFECYCLE_REVISION, E_CONFLICT);
    o.revisions_used = 3; /* never more than allowed, even if the data were off */
    expect_refused(&o, LIFECYCLE_CLIENT, LIFECYCLE_REVISION, E_CONFLICT);
    o.revisions_used = 0;
    o.revisions_allowed = 0;
    expect_refused(&o, LIFECYCLE_CLIENT, LIFECYCLE_REVISION, E_CONFLICT);
    o = processing(false, false); /* before any delivery */
    expect_refused(&o, LIFECYCLE_CLIENT, LIFECYCLE_REVISION, E_CONFLICT);
    o = pending();
    expect_refused(&o, LIFECYCLE_CLIENT, LIFECYCLE_REVISION, E_CONFLICT);
    o = processing(true, false);
    expect_refused(&o, LIFECYCLE_FREELANCER, LIFECYCLE_REVISION, E_FORBIDDEN);
    expect_refused(&o, LIFECYCLE_ADMIN, LIFECYCLE_REVISION, E_FORBIDDEN);
}

static void test_cancel_by_client(void **state)
{
    struct lifecycle_order o = pending();
    expect_allowed(&o, LIFECYCLE_CLIENT, LIFECYCLE_CANCEL, LIFECYCLE_CANCELLED, "cancelled",
                   LIFECYCLE_PAY_FAILED);
    o.payment = LIFECYCLE_PAY_FAILED; /* a checkout whose payment failed already stays failed */
    expect_allowed(&o, LIFECYCLE_CLIENT, LIFECYCLE_CANCEL, LIFECYCLE_CANCELLED, "cancelled",
                   LIFECYCLE_PAY_FAILED);
    /* processing: only once late and never delivered */
    o = processing(false, false);
    expect_refused(&o, LIFECYCLE_CLIENT, LIFECYCLE_CANCEL, E_CONFLICT);
    o = processing(false, true);
    expect_allowed(&o, LIFECYCLE_CLIENT, LIFECYCLE_CANCEL, LIFECYCLE_CANCELLED, "cancelled",
                   LIFECYCLE_PAY_REFUNDING);
    o = processing(true, true);
    expect_refused(&o, LIFECYCLE_CLIENT, LIFECYCLE_CANCEL, E_CONFLICT);
    o = processing(true, false);
    expect_refused(&o, LIFECYCLE_CLIENT, LIFECYCLE_CANCEL, E_CONFLICT);
    /* a revision cleared the delivery: late and undelivered again */
    o = processing(false, true);
    o.revisions_used = 1;
    expect_allowed(&o, LIFECYCLE_CLIENT, LIFECYCLE_CANCEL, LIFECYCLE_CANCELLED, "cancelled",
                   LIFECYCLE_PAY_REFUNDING);
}

static void test_cancel_by_freelancer(void **state)
{
    for (int delivered = 0; delivered < 2; delivered++)
        for (int due = 0; due < 2; due++) {
            struct lifecycle_order o = processing(delivered, due);
            expect_allowed(&o, LIFECYCLE_FREELANCER, LIFECYCLE_CANCEL, LIFECYCLE_CANCELLED,
                           "cancelled", LIFECYCLE_PAY_REFUNDING);
        }
    struct lifecycle_order o = pending();
    expect_refused(&o, LIFECYCLE_FREELANCER, LIFECYCLE_CANCEL, E_CONFLICT);
}

static void test_cancel_by_admin(void **state)
{
    struct lifecycle_order o = pending();
    expect_allowed(&o, LIFECYCLE_ADMIN, LIFECYCLE_CANCEL, LIFECYCLE_CANCELLED, "cancelled",
                   LIFECYCLE_PAY_FAILED);
    for (int delivered = 0; delivered < 2; delivered++)
        for (int due = 0; due < 2; due++) {
            o = processing(delivered, due);
            expect_allowed(&o, LIFECYCLE_ADMIN, LIFECYCLE_CANCEL, LIFECYCLE_CANCELLED, "cancelled",
                           LIFECYCLE_PAY_REFUNDING);
        }
}

/* Final means final: no role and no move, whatever the other facts; but an outsider still gets
 * 404, so a final state reveals nothing to them. */
static void test_final_states(void **state)
{
    for (size_t s = 2; s < COUNT(all_statuses); s++)
        for (size_t r = 0; r < COUNT(all_roles); r++)
            for (size_t m = 0; m < COUNT(all_moves); m++)
                for (int delivered = 0; delivered < 2; delivered++) {
                    struct lifecycle_order o = processing(delivered, delivered);
                    o.status = all_statuses[s];
                    o.payment = s == 2 ? LIFECYCLE_PAY_SUCCESS : LIFECYCLE_PAY_REFUNDING;
                    expect_refused(&o, all_roles[r], all_moves[m],
                                   all_roles[r] == LIFECYCLE_NONE ? E_NOT_FOUND : E_CONFLICT);
                }
    struct lifecycle_order o = processing(true, false);
    o.status = LIFECYCLE_COMPLETED;
    assert_string_equal(lifecycle_decide(&o, LIFECYCLE_CLIENT, LIFECYCLE_ACCEPT).message,
                        "Order is completed");
    o.status = LIFECYCLE_CANCELLED;
    assert_string_equal(lifecycle_decide(&o, LIFECYCLE_ADMIN, LIFECYCLE_CANCEL).message,
                        "Order is cancelled");
}

static const char *expected_event(enum lifecycle_move m)
{
    static const char *const events[] = {"delivered", "completed", "revision_requested",
                                         "cancelled"};
    return events[m];
}

static void check_invariants(const struct lifecycle_order *o, enum lifecycle_role role,
                             enum lifecycle_move move)
{
    struct lifecycle_decision d = lifecycle_decide(o, role, move);
    if (role == LIFECYCLE_NONE) {
        assert_int_equal(d.kind, E_NOT_FOUND);
        return;
    }
    if (d.kind != E_OK) {
        assert_true(d.kind == E_CONFLICT || d.kind == E_FORBIDDEN);
        assert_non_null(d.message);
        return;
    }
    assert_true(o->status == LIFECYCLE_PENDING || o->status == LIFECYCLE_PROCESSING);
    assert_string_equal(d.event, expected_event(move));
    if (move == LIFECYCLE_DELIVER || move == LIFECYCLE_REVISION) {
        /* deliveries and revisions have from = to = processing */
        assert_int_equal(o->status, LIFECYCLE_PROCESSING);
        assert_int_equal(d.to, LIFECYCLE_PROCESSING);
    }
    if (move == LIFECYCLE_ACCEPT)
        assert_int_equal(d.to, LIFECYCLE_COMPLETED);
    if (move == LIFECYCLE_REVISION)
        assert_true(o->revisions_used < o->revisions_allowed);
    if (move != LIFECYCLE_CANCEL) {
        assert_int_equal(d.payment, o->payment); /* only a cancel touches the payment */
        return;
    }
    assert_int_equal(d.to, LIFECYCLE_CANCELLED);
    if (o->payment == LIFECYCLE_PAY_SUCCESS)
        assert_int_equal(d.payment, LIFECYCLE_PAY_REFUNDING);
    else if (o->payment == LIFECYCLE_PAY_PENDING)
        assert_int_equal(d.payment, LIFECYCLE_PAY_FAILED);
    else
        assert_int_equal(d.payment, o->payment);
}

/* Every combination of the facts, every role, every move. */
static void test_whole_matrix(void **state)
{
    size_t allowed = 0, total = 0;
    for (size_t s = 0; s < COUNT(all_statuses); s++)
        for (size_t p = 0; p < COUNT(all_payments); p++)
            for (int flags = 0; flags < 4; flags++)
                for (long long used = 0; used <= 3; used++)
                    for (size_t r = 0; r < COUNT(all_roles); r++)
                        for (size_t m = 0; m < COUNT(all_moves); m++) {
                            struct lifecycle_order o = {all_statuses[s],
                                                        all_payments[p],
                                                        flags & 1,
                                                        (flags & 2) != 0,
                                                        used,
                                                        2};
                            check_invariants(&o, all_roles[r], all_moves[m]);
                            allowed +=
                                lifecycle_decide(&o, all_roles[r], all_moves[m]).kind == E_OK;
                            total++;
                        }
    assert_int_equal(total, 4 * 6 * 4 * 4 * 4 * 4);
    assert_true(allowed > 0 && allowed < total);
}

static void test_role(void **state)
{
    for (size_t m = 0; m < COUNT(all_moves); m++) {
        enum lifecycle_move move = all_moves[m];
        assert_int_equal(lifecycle_role_for(false, false, false, move), LIFECYCLE_NONE);
        assert_int_equal(lifecycle_role_for(true, false, false, move), LIFECYCLE_CLIENT);
        assert_int_equal(lifecycle_role_for(false, true, false, move), LIFECYCLE_FREELANCER);
        assert_int_equal(lifecycle_role_for(false, false, true, move), LIFECYCLE_ADMIN);
    }
    /* an admin who is a party acts as the party, except that an admin may always cancel */
    assert_int_equal(lifecycle_role_for(true, false, true, LIFECYCLE_ACCEPT), LIFECYCLE_CLIENT);
    assert_int_equal(lifecycle_role_for(true, false, true, LIFECYCLE_REVISION), LIFECYCLE_CLIENT);
    assert_int_equal(lifecycle_role_for(false, true, true, LIFECYCLE_DELIVER),
                     LIFECYCLE_FREELANCER);
    assert_int_equal(lifecycle_role_for(true, false, true, LIFECYCLE_CANCEL), LIFECYCLE_ADMIN);
    assert_int_equal(lifecycle_role_for(false, true, true, LIFECYCLE_CANCEL), LIFECYCLE_ADMIN);
    /* an admin who is the client may cancel before the due date */
    struct lifecycle_order o = processing(false, false);
    assert_int_equal(lifecycle_decide(&o, lifecycle_role_for(true, false, true, LIFECYCLE_CANCEL),
                                      LIFECYCLE_CANCEL)
                         .kind,
                     E_OK);
}

static void test_names(void **state)
{
    for (size_t s = 0; s < COUNT(all_statuses); s++) {
        enum lifecycle_status back;
        assert_true(lifecycle_status_parse(lifecycle_status_name(all_statuses[s]), &back));
        assert_int_equal(back, all_statuses[s]);
    }
    for (size_t p = 0; p < COUNT(all_payments); p++) {
        enum lifecycle_payment back = LIFECYCLE_PAY_SUCCESS;
        assert_true(lifecycle_payment_parse(lifecycle_payment_name(all_payments[p]), &back));
        assert_int_equal(back, all_payments[p]);
    }
    enum lifecycle_status st;
    enum lifecycle_payment pay;
    enum lifecycle_move mv;
    assert_false(lifecycle_status_parse("Pending", &st));
    assert_false(lifecycle_status_parse("", &st));
    assert_false(lifecycle_status_parse(NULL, &st));
    assert_false(lifecycle_payment_parse("paid", &pay));
    assert_true(lifecycle_move_parse("deliver", &mv) && mv == LIFECYCLE_DELIVER);
    assert_true(lifecycle_move_parse("accept", &mv) && mv == LIFECYCLE_ACCEPT);
    assert_true(lifecycle_move_parse("revision", &mv) && mv == LIFECYCLE_REVISION);
    assert_true(lifecycle_move_parse("requestRevision", &mv) && mv == LIFECYCLE_REVISION);
    assert_true(lifecycle_move_parse("cancel", &mv) && mv == LIFECYCLE_CANCEL);
    assert_false(lifecycle_move_parse("complete", &mv));
    assert_false(lifecycle_move_parse(NULL, &mv));
    assert_string_equal(lifecycle_status_name(LIFECYCLE_PROCESSING), "processing");
    assert_string_equal(lifecycle_payment_name(LIFECYCLE_PAY_REFUNDING), "refunding");
    assert_null(lifecycle_payment_name(LIFECYCLE_PAY_NONE));
}

static const enum lifecycle_move payment_moves[] = {
    LIFECYCLE_CONFIRM_PAYMENT, LIFECYCLE_FAIL_PAYMENT, LIFECYCLE_EXPIRE,
    LIFECYCLE_AUTO_COMPLETE,   LIFECYCLE_REFUND_LATE,  LIFECYCLE_REFUNDED};

static void expect_unchanged(const struct lifecycle_order *o, enum lifecycle_role role,
                             enum lifecycle_move move)
{
    struct lifecycle_decision d = lifecycle_decide(o, role, move);
    assert_int_equal(d.kind, E_OK);
    assert_true(d.unchanged);
    assert_null(d.event);
    assert_int_equal(d.to, o->status);
    assert_int_equal(d.payment, o->payment);
}

static void test_confirm_payment(void **state)
{
    struct lifecycle_order o = pending();
    /* the client's verified payment, an admin's transfer confirmation, a gateway or the jobs */
    expect_allowed(&o, LIFECYCLE_CLIENT, LIFECYCLE_CONFIRM_PAYMENT, LIFECYCLE_PROCESSING, "paid",
                   LIFECYCLE_PAY_SUCCESS);
    expect_allowed(&o, LIFECYCLE_ADMIN, LIFECYCLE_CONFIRM_PAYMENT, LIFECYCLE_PROCESSING, "paid",
                   LIFECYCLE_PAY_SUCCESS);
    struct lifecycle_decision d =
        expect_allowed(&o, LIFECYCLE_SYSTEM, LIFECYCLE_CONFIRM_PAYMENT, LIFECYCLE_PROCESSING,
                       "paid", LIFECYCLE_PAY_SUCCESS);
    assert_false(d.unchanged);
    expect_refused(&o, LIFECYCLE_FREELANCER, LIFECYCLE_CONFIRM_PAYMENT, E_FORBIDDEN);
    expect_refused(&o, LIFECYCLE_NONE, LIFECYCLE_CONFIRM_PAYMENT, E_NOT_FOUND);
    /* confirmed before: a repeat that writes nothing, from anyone who may confirm */
    o = processing(false, false);
    expect_unchanged(&o, LIFECYCLE_CLIENT, LIFECYCLE_CONFIRM_PAYMENT);
    expect_unchanged(&o, LIFECYCLE_SYSTEM, LIFECYCLE_CONFIRM_PAYMENT);
    o.status = LIFECYCLE_COMPLETED;
    expect_unchanged(&o, LIFECYCLE_SYSTEM, LIFECYCLE_CONFIRM_PAYMENT);
    /* cancelled: too late, with the message the API answers */
    o = pending();
    o.status = LIFECYCLE_CANCELLED;
    o.payment = LIFECYCLE_PAY_FAILED;
    expect_refused(&o, LIFECYCLE_CLIENT, LIFECYCLE_CONFIRM_PAYMENT, E_CONFLICT);
    assert_string_equal(lifecycle_decide(&o, LIFECYCLE_SYSTEM, LIFECYCLE_CONFIRM_PAYMENT).message,
                        "Order is cancelled");
    /* a pending order whose payment is not pending any more is not confirmed */
    o = pending();
    o.payment = LIFECYCLE_PAY_FAILED;
    expect_refused(&o, LIFECYCLE_SYSTEM, LIFECYCLE_CONFIRM_PAYMENT, E_CONFLICT);
}

static void test_fail_and_expire(void **state)
{
    struct lifecycle_order o = pending();
    expect_allowed(&o, LIFECYCLE_SYSTEM, LIFECYCLE_FAIL_PAYMENT, LIFECYCLE_CANCELLED,
                   "payment_failed", LIFECYCLE_PAY_FAILED);
    expect_allowed(&o, LIFECYCLE_SYSTEM, LIFECYCLE_EXPIRE, LIFECYCLE_CANCELLED, "cancelled",
                   LIFECYCLE_PAY_FAILED);
    /* only the system: a party cancels with LIFECYCLE_CANCEL instead */
    expect_refused(&o, LIFECYCLE_CLIENT, LIFECYCLE_FAIL_PAYMENT, E_FORBIDDEN);
    expect_refused(&o, LIFECYCLE_ADMIN, LIFECYCLE_EXPIRE, E_FORBIDDEN);
    /* paid, completed or cancelled meanwhile: nothing to end */
    for (size_t s = 1; s < COUNT(all_statuses); s++) {
        o = processing(false, false);
        o.status = all_statuses[s];
        expect_refused(&o, LIFECYCLE_SYSTEM, LIFECYCLE_FAIL_PAYMENT, E_CONFLICT);
        expect_refused(&o, LIFECYCLE_SYSTEM, LIFECYCLE_EXPIRE, E_CONFLICT);
    }
    o.status = LIFECYCLE_PROCESSING;
    assert_string_equal(lifecycle_decide(&o, LIFECYCLE_SYSTEM, LIFECYCLE_EXPIRE).message,
                        "Order is already paid");
}

static void test_auto_complete(void **state)
{
    struct lifecycle_order o = processing(true, false);
    expect_allowed(&o, LIFECYCLE_SYSTEM, LIFECYCLE_AUTO_COMPLETE, LIFECYCLE_COMPLETED, "completed",
                   LIFECYCLE_PAY_SUCCESS);
    expect_refused(&o, LIFECYCLE_CLIENT, LIFECYCLE_AUTO_COMPLETE, E_FORBIDDEN);
    o = processing(false, true); /* a revision cleared the delivery */
    expect_refused(&o, LIFECYCLE_SYSTEM, LIFECYCLE_AUTO_COMPLETE, E_CONFLICT);
    o = pending();
    expect_refused(&o, LIFECYCLE_SYSTEM, LIFECYCLE_AUTO_COMPLETE, E_CONFLICT);
    o = processing(true, false);
    o.status = LIFECYCLE_COMPLETED;
    expect_refused(&o, LIFECYCLE_SYSTEM, LIFECYCLE_AUTO_COMPLETE, E_CONFLICT);
    o.status = LIFECYCLE_CANCELLED;
    expect_refused(&o, LIFECYCLE_SYSTEM, LIFECYCLE_AUTO_COMPLETE, E_CONFLICT);
}

static void test_refunds(void **state)
{
    /* money after a cancel goes back; a payment already on its way back stays as it is */
    struct lifecycle_order o = pending();
    o.status = LIFECYCLE_CANCELLED;
    struct lifecycle_decision d = lifecycle_decide(&o, LIFECYCLE_SYSTEM, LIFECYCLE_REFUND_LATE);
    assert_int_equal(d.kind, E_OK);
    assert_false(d.unchanged);
    assert_null(d.event);
    assert_int_equal(d.to, LIFECYCLE_CANCELLED);
    assert_int_equal(d.payment, LIFECYCLE_PAY_REFUNDING);
    o.payment = LIFECYCLE_PAY_FAILED;
    assert_int_equal(lifecycle_decide(&o, LIFECYCLE_SYSTEM, LIFECYCLE_REFUND_LATE).payment,
                     LIFECYCLE_PAY_REFUNDING);
    o.payment = LIFECYCLE_PAY_REFUNDED;
    expect_unchanged(&o, LIFECYCLE_SYSTEM, LIFECYCLE_REFUND_LATE);
    o.payment = LIFECYCLE_PAY_REFUNDING;
    expect_unchanged(&o, LIFECYCLE_SYSTEM, LIFECYCLE_REFUND_LATE);
    o = pending();
    expect_refused(&o, LIFECYCLE_SYSTEM, LIFECYCLE_REFUND_LATE, E_CONFLICT);
    o.status = LIFECYCLE_CANCELLED;
    expect_refused(&o, LIFECYCLE_ADMIN, LIFECYCLE_REFUND_LATE, E_FORBIDDEN);
    /* refunded: from refunding (a cancelled paid order) or success (refunded at the gateway);
     * the order keeps its status */
    o = processing(false, false);
    o.status = LIFECYCLE_CANCELLED;
    o.payment = LIFECYCLE_PAY_REFUNDING;
    expect_allowed(&o, LIFECYCLE_SYSTEM, LIFECYCLE_REFUNDED, LIFECYCLE_CANCELLED, "refunded",
                   LIFECYCLE_PAY_REFUNDED);
    o = processing(true, false);
    o.status = LIFECYCLE_COMPLETED;
    expect_allowed(&o, LIFECYCLE_SYSTEM, LIFECYCLE_REFUNDED, LIFECYCLE_COMPLETED, "refunded",
                   LIFECYCLE_PAY_REFUNDED);
    const enum lifecycle_payment never[] = {LIFECYCLE_PAY_NONE, LIFECYCLE_PAY_PENDING,
                                            LIFECYCLE_PAY_FAILED, LIFECYCLE_PAY_REFUNDED};
    for (size_t i = 0; i < COUNT(never); i++) {
        o.payment = never[i];
        expect_refused(&o, LIFECYCLE_SYSTEM, LIFECYCLE_REFUNDED, E_CONFLICT);
    }
    o.payment = LIFECYCLE_PAY_SUCCESS;
    expect_refused(&o, LIFECYCLE_CLIENT, LIFECYCLE_REFUNDED, E_FORBIDDEN);
}

/* The system makes none of the API's moves, and an outsider none of the payment's. */
static void test_system_role(void **state)
{
    for (int delivered = 0; delivered < 2; delivered++) {
        struct lifecycle_order o = processing(delivered, true);
        for (size_t m = 0; m < COUNT(all_moves); m++)
            expect_refused(&o, LIFECYCLE_SYSTEM, all_moves[m], E_FORBIDDEN);
        o = pending();
        for (size_t m = 0; m < COUNT(payment_moves); m++)
            expect_refused(&o, LIFECYCLE_NONE, payment_moves[m], E_NOT_FOUND);
    }
    /* an admin who is a party confirms a transfer as an admin */
    assert_int_equal(lifecycle_role_for(false, true, true, LIFECYCLE_CONFIRM_PAYMENT),
                     LIFECYCLE_ADMIN);
}

/* Every combination for the payment's moves: what an allowed move may lead to. */
static void test_payment_matrix(void **state)
{
    const enum lifecycle_role roles[] = {LIFECYCLE_CLIENT, LIFECYCLE_FREELANCER, LIFECYCLE_ADMIN,
                                         LIFECYCLE_SYSTEM};
    for (size_t s = 0; s < COUNT(all_statuses); s++)
        for (size_t p = 0; p < COUNT(all_payments); p++)
            for (int flags = 0; flags < 4; flags++)
                for (size_t r = 0; r < COUNT(roles); r++)
                    for (size_t m = 0; m < COUNT(payment_moves); m++) {
                        struct lifecycle_order o = {
                            all_statuses[s], all_payments[p], flags & 1, (flags & 2) != 0, 0, 2};
                        struct lifecycle_decision d =
                            lifecycle_decide(&o, roles[r], payment_moves[m]);
                        if (d.kind != E_OK) {
                            assert_true(d.kind == E_CONFLICT || d.kind == E_FORBIDDEN);
                            assert_non_null(d.message);
                            continue;
                        }
                        /* only a confirmation is anyone's but the system's */
                        assert_true(roles[r] == LIFECYCLE_SYSTEM ||
                                    payment_moves[m] == LIFECYCLE_CONFIRM_PAYMENT);
                        /* nothing leaves a final status, and nothing pending completes */
                        if (o.status == LIFECYCLE_CANCELLED)
                            assert_int_equal(d.to, LIFECYCLE_CANCELLED);
                        if (o.status == LIFECYCLE_COMPLETED)
                            assert_int_equal(d.to, LIFECYCLE_COMPLETED);
                        if (o.status == LIFECYCLE_PENDING)
                            assert_true(d.to != LIFECYCLE_COMPLETED);
                        if (d.unchanged)
                            assert_null(d.event);
                        /* money is confirmed only for a pending payment */
                        if (d.payment == LIFECYCLE_PAY_SUCCESS && o.payment != d.payment)
                            assert_int_equal(o.payment, LIFECYCLE_PAY_PENDING);
                    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deliver),
        cmocka_unit_test(test_accept),
        cmocka_unit_test(test_revision),
        cmocka_unit_test(test_cancel_by_client),
        cmocka_unit_test(test_cancel_by_freelancer),
        cmocka_unit_test(test_cancel_by_admin),
        cmocka_unit_test(test_final_states),
        cmocka_unit_test(test_whole_matrix),
        cmocka_unit_test(test_role),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_confirm_payment),
        cmocka_unit_test(test_fail_and_expire),
        cmocka_unit_test(test_auto_complete),
        cmocka_unit_test(test_refunds),
        cmocka_unit_test(test_system_role),
        cmocka_unit_test(test_payment_matrix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
