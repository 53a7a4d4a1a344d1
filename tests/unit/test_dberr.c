/*
 * test_dberr.c - unit tests for what counts as a transient database failure and what is done
 * about it: the error numbers that are transient (deadlock, lock-wait timeout, lost connection)
 * and those that are not, their mapping to a service error (503 "try again", never a 409), the
 * jittered pause between attempts, and dberr_tx_retry running a transaction again only for a
 * transient failure and at most DB_TX_ATTEMPTS times.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "khedma/db.h"
#include "khedma/dberr.h"
#include "khedma/errors.h"

/* A database handle that never connects (no such socket): enough for code that only asks
 * whether a transaction is open. */
static struct db *offline_db(void)
{
    struct db_url url = {
        .user = "nobody", .database = "none", .socket = "/nonexistent/khedma.sock"};
    struct db *db = db_open(&url);
    assert_non_null(db);
    return db;
}

static void test_transient_errnos(void **state)
{
    assert_int_equal(db_status_of_errno(1213), DB_DEADLOCK); /* ER_LOCK_DEADLOCK */
    assert_int_equal(db_status_of_errno(1205), DB_DEADLOCK); /* ER_LOCK_WAIT_TIMEOUT */
    assert_int_equal(db_status_of_errno(2006), DB_DOWN);     /* CR_SERVER_GONE_ERROR */
    assert_int_equal(db_status_of_errno(2013), DB_DOWN);     /* CR_SERVER_LOST */
    assert_int_equal(db_status_of_errno(1927), DB_DOWN);     /* ER_CONNECTION_KILLED */
    unsigned int transient[] = {1213, 1205, 2006, 2013, 2055, 2002, 1053};
    for (size_t i = 0; i < sizeof transient / sizeof transient[0]; i++)
        assert_true(db_errno_transient(transient[i]));
}

static void test_permanent_errnos(void **state)
{
    assert_int_equal(db_status_of_errno(1062), DB_DUPLICATE);
    assert_int_equal(db_status_of_errno(1451), DB_FOREIGN_KEY);
    assert_int_equal(db_status_of_errno(1064), DB_ERR); /* syntax */
    assert_int_equal(db_status_of_errno(1615), DB_ERR); /* re-prepare: handled inside db.c */
    assert_int_equal(db_status_of_errno(0), DB_ERR);
    unsigned int permanent[] = {1062, 1586, 1451, 1452, 1064, 1146, 1406, 3819, 0};
    for (size_t i = 0; i < sizeof permanent / sizeof permanent[0]; i++)
        assert_false(db_errno_transient(permanent[i]));
}

static void test_status_transient(void **state)
{
    assert_true(db_status_transient(DB_DEADLOCK));
    assert_true(db_status_transient(DB_DOWN));
    assert_false(db_status_transient(DB_OK));
    assert_false(db_status_transient(DB_ERR));
    assert_false(db_status_transient(DB_DUPLICATE));
    assert_false(db_status_transient(DB_FOREIGN_KEY));
}

static void test_fail_maps_transient_to_503(void **state)
{
    struct db *db = offline_db();
    struct err e = {0};
    assert_int_equal(dberr_fail(db, DB_DEADLOCK, &e), E_UNAVAILABLE);
    assert_string_equal(e.message, "Temporarily unavailable; try again");
    assert_int_equal(errkind_http_status(e.kind), 503);
    assert_string_equal(errkind_trpc_name(e.kind), "SERVICE_UNAVAILABLE");
    err_clear(&e);
    assert_int_equal(dberr_fail(db, DB_DOWN, &e), E_UNAVAILABLE);
    assert_string_equal(e.message, "Database unavailable");
    err_clear(&e);
    assert_int_equal(dberr_fail(db, DB_ERR, &e), E_INTERNAL);
    err_clear(&e);
    db_close(db);
}

static void test_retry_delay(void **state)
{
    for (unsigned int r = 0; r < 1000; r += 7) {
        long d1 = dberr_retry_delay_ms(1, r), d2 = dberr_retry_delay_ms(2, r);
        assert_true(d1 >= 25 && d1 <= 50);
        assert_true(d2 >= 50 && d2 <= 100);
    }
    /* Jitter: different random numbers, different pauses. */
    assert_true(dberr_retry_delay_ms(1, 0) != dberr_retry_delay_ms(1, 13));
    /* Bounded however the attempt is counted. */
    assert_true(dberr_retry_delay_ms(100, 0xffffffffu) <= 2 * (25L << 5));
    assert_true(dberr_retry_delay_ms(0, 0) >= 25);
}

/* A transaction function that fails with the scripted kinds, then succeeds. */
struct script {
    enum errkind kinds[8];
    int n, calls;
};

static enum errkind scripted(struct db *db, void *arg, struct err *e)
{
    struct script *s = arg;
    int i = s->calls++;
    if (i >= s->n)
        return E_OK;
    return err_set(e, s->kinds[i], "scripted failure %d", i);
}

static void test_tx_retry_retries_transient_failures(void **state)
{
    struct db *db = offline_db();
    struct err e = {0};
    struct script once = {{E_UNAVAILABLE}, 1, 0};
    assert_int_equal(dberr_tx_retry(db, scripted, &once, &e), E_OK);
    assert_int_equal(once.calls, 2);
    assert_int_equal(e.kind, E_OK); /* the first attempt's error is gone */
    struct script twice = {{E_UNAVAILABLE, E_UNAVAILABLE}, 2, 0};
    assert_int_equal(dberr_tx_retry(db, scripted, &twice, &e), E_OK);
    assert_int_equal(twice.calls, 3);
    db_close(db);
}

static void test_tx_retry_gives_up_with_503(void **state)
{
    struct db *db = offline_db();
    struct err e = {0};
    struct script always = {{E_UNAVAILABLE, E_UNAVAILABLE, E_UNAVAILABLE, E_UNAVAILABLE}, 4, 0};
    assert_int_equal(dberr_tx_retry(db, scripted, &always, &e), E_UNAVAILABLE);
    assert_int_equal(always.calls, DB_TX_ATTEMPTS);
    assert_int_equal(errkind_http_status(e.kind), 503);
    err_clear(&e);
    db_close(db);
}

static void test_tx_retry_keeps_other_failures(void **state)
{
    struct db *db = offline_db();
    enum errkind once_only[] = {E_CONFLICT, E_NOT_FOUND, E_UNPROCESSABLE, E_INTERNAL,
                                E_BAD_GATEWAY};
    for (size_t i = 0; i < sizeof once_only / sizeof once_only[0]; i++) {
        struct err e = {0};
        struct script s = {{once_only[i]}, 1, 0};
        assert_int_equal(dberr_tx_retry(db, scripted, &s, &e), once_only[i]);
        assert_int_equal(s.calls, 1);
        err_clear(&e);
    }
    db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transient_errnos),
        cmocka_unit_test(test_permanent_errnos),
        cmocka_unit_test(test_status_transient),
        cmocka_unit_test(test_fail_maps_transient_to_503),
        cmocka_unit_test(test_retry_delay),
        cmocka_unit_test(test_tx_retry_retries_transient_failures),
        cmocka_unit_test(test_tx_retry_gives_up_with_503),
        cmocka_unit_test(test_tx_retry_keeps_other_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
