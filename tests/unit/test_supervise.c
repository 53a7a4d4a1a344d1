/*
 * test_supervise.c - unit tests for the master's replacement decisions (src/process/supervise.c):
 * which deaths are a start-up crash loop, the back-off schedule, and that a back-off only holds
 * back the crashed children's replacements - never those of workers killed or crashed while serving
 * - and the shared slots through which a child reports readiness and its request in flight.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "khedma/supervise.h"

/* Wait statuses as waitpid() reports them (glibc's W_EXITCODE builds one). */
static int status_of(int how)
{
    return how > 0 ? W_EXITCODE(0, how) : W_EXITCODE(-how, 0);
}

static void test_death_classify(void **state)
{
    int clean = status_of(0), failed = status_of(-1), killed = status_of(SIGKILL),
        segv = status_of(SIGSEGV);
    assert_true(WIFSIGNALED(segv) && WTERMSIG(segv) == SIGSEGV);
    /* A clean exit (recycled after max requests, or asked to stop) is never a crash loop. */
    assert_int_equal(supervise_death_classify(false, clean), DEATH_RETIRED);
    assert_int_equal(supervise_death_classify(true, clean), DEATH_RETIRED);
    /* Any death after the child became ready is replaced at once: kill -9 from outside, or a
     * request that crashed it. */
    assert_int_equal(supervise_death_classify(true, killed), DEATH_AFTER_READY);
    assert_int_equal(supervise_death_classify(true, segv), DEATH_AFTER_READY);
    assert_int_equal(supervise_death_classify(true, failed), DEATH_AFTER_READY);
    /* Dying before it could serve is the crash loop the back-off exists for. */
    assert_int_equal(supervise_death_classify(false, segv), DEATH_START_FAILURE);
    assert_int_equal(supervise_death_classify(false, failed), DEATH_START_FAILURE);
    assert_int_equal(supervise_death_classify(false, killed), DEATH_START_FAILURE);
}

static void test_backoff_schedule(void **state)
{
    assert_int_equal(supervise_backoff_ms(0), 0);
    assert_int_equal(supervise_backoff_ms(-1), 0);
    assert_int_equal(supervise_backoff_ms(1), 100);
    assert_int_equal(supervise_backoff_ms(2), 200);
    assert_int_equal(supervise_backoff_ms(3), 400);
    assert_int_equal(supervise_backoff_ms(7), 6400);
    assert_int_equal(supervise_backoff_ms(8), 10000);
    assert_int_equal(supervise_backoff_ms(1000), 10000);
}

/* The regression: a burst of kill -9 of serving workers used to hold every replacement for up to
 * 10 s. Deaths after ready never wait, however many come in a row. */
static void test_killed_workers_are_replaced_at_once(void **state)
{
    struct spawn_gate g = {0};
    long long now = 1000000;
    for (int round = 0; round < 20; round++) {
        supervise_gate_note_death(&g, DEATH_AFTER_READY, 4, now);
        supervise_gate_note_death(&g, DEATH_AFTER_READY, 4, now);
        assert_int_equal(supervise_gate_to_start(&g, 4, 2, now), 2);
        assert_int_equal(supervise_gate_wait_ms(&g, now), -1);
        now += 5;
    }
    /* Two workers alive, two to start; nothing when all are there. */
    assert_int_equal(supervise_gate_to_start(&g, 4, 4, now), 0);
}

static void test_start_failures_back_off(void **state)
{
    struct spawn_gate g = {0};
    long long now = 1000000;
    supervise_gate_note_death(&g, DEATH_START_FAILURE, 2, now);
    /* One worker is alive: its crashed sibling's replacement waits 100 ms. */
    assert_int_equal(supervise_gate_to_start(&g, 2, 1, now), 0);
    assert_int_equal(supervise_gate_wait_ms(&g, now), 100);
    assert_int_equal(supervise_gate_to_start(&g, 2, 1, now + 99), 0);
    assert_int_equal(supervise_gate_to_start(&g, 2, 1, now + 100), 1);
    assert_int_equal(supervise_gate_wait_ms(&g, now + 100), -1);
    /* Failing again and again: the wait doubles, up to 10 s, and nothing spins meanwhile. */
    long long expect[] = {200, 400, 800, 1600, 3200, 6400, 10000, 10000, 10000};
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        now += 20000;
        supervise_gate_note_death(&g, DEATH_START_FAILURE, 1, now);
        assert_int_equal(supervise_gate_to_start(&g, 1, 0, now), 0);
        assert_int_equal(supervise_gate_wait_ms(&g, now), expect[i]);
    }
    /* A child that gets as far as serving ends the series. */
    supervise_gate_note_death(&g, DEATH_AFTER_READY, 1, now);
    now += 20000;
    assert_int_equal(supervise_gate_to_start(&g, 1, 0, now), 1);
    supervise_gate_note_death(&g, DEATH_START_FAILURE, 1, now);
    assert_int_equal(supervise_gate_wait_ms(&g, now), 100);
}

/* A back-off holds back only the crashed children's replacements: workers killed while serving
 * during it are replaced at once, so the pool keeps every worker it can. */
static void test_backoff_never_holds_killed_workers(void **state)
{
    struct spawn_gate g = {0};
    long long now = 1000000;
    supervise_gate_note_death(&g, DEATH_START_FAILURE, 3, now);
    supervise_gate_note_death(&g, DEATH_START_FAILURE, 3, now);
    /* The third worker, killed by an outside kill -9 during the back-off, comes back at once. */
    supervise_gate_note_death(&g, DEATH_AFTER_READY, 3, now);
    assert_int_equal(supervise_gate_to_start(&g, 3, 0, now), 1);
    assert_int_equal(supervise_gate_to_start(&g, 3, 1, now), 0);
    /* The held ones start when the back-off ends. */
    assert_int_equal(supervise_gate_wait_ms(&g, now), 200);
    assert_int_equal(supervise_gate_to_start(&g, 3, 1, now + 200), 2);
    /* Held replacements never exceed the pool: all of it starts again after the back-off. */
    struct spawn_gate h = {0};
    for (int i = 0; i < 10; i++)
        supervise_gate_note_death(&h, DEATH_START_FAILURE, 3, now);
    assert_int_equal(h.held, 3);
    assert_int_equal(supervise_gate_to_start(&h, 3, 0, now + 10000), 3);
    /* With a pool of one, a killed worker is replaced at once too. */
    struct spawn_gate one = {0};
    supervise_gate_note_death(&one, DEATH_AFTER_READY, 1, now);
    assert_int_equal(supervise_gate_to_start(&one, 1, 0, now), 1);
}

static void test_slots(void **state)
{
    char rid[SLOT_REQUEST_ID_MAX + 1];
    /* Without slots every call is harmless. */
    supervise_slot_attach(0);
    supervise_slot_mark_ready();
    supervise_slot_request_begin("x");
    assert_false(supervise_slot_was_ready(0));
    supervise_slot_request_in_flight(0, rid);
    assert_string_equal(rid, "");

    assert_int_equal(supervise_slots_init(4), 0);
    supervise_slot_reset(2);
    pid_t pid = fork();
    if (pid == 0) {
        /* The child: ready, then killed in the middle of a request. */
        supervise_slot_attach(2);
        supervise_slot_mark_ready();
        supervise_slot_request_begin("");
        supervise_slot_request_begin("req-123");
        raise(SIGKILL);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(supervise_slot_was_ready(2));
    assert_false(supervise_slot_was_ready(1));
    supervise_slot_request_in_flight(2, rid);
    assert_string_equal(rid, "req-123");
    assert_int_equal(supervise_death_classify(supervise_slot_was_ready(2), status),
                     DEATH_AFTER_READY);

    /* A finished request is not in flight; an accepted, unparsed one shows as "-". */
    supervise_slot_reset(2);
    pid = fork();
    if (pid == 0) {
        supervise_slot_attach(2);
        supervise_slot_request_begin("req-1");
        supervise_slot_request_end();
        _exit(0);
    }
    waitpid(pid, &status, 0);
    supervise_slot_request_in_flight(2, rid);
    assert_string_equal(rid, "");
    assert_false(supervise_slot_was_ready(2));
    pid = fork();
    if (pid == 0) {
        supervise_slot_attach(2);
        supervise_slot_request_begin("");
        _exit(1);
    }
    waitpid(pid, &status, 0);
    supervise_slot_request_in_flight(2, rid);
    assert_string_equal(rid, "-");
    /* Ids are kept to their maximum length. */
    char long_id[200];
    memset(long_id, 'a', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    supervise_slot_attach(3);
    supervise_slot_request_begin(long_id);
    supervise_slot_request_in_flight(3, rid);
    assert_int_equal(strlen(rid), SLOT_REQUEST_ID_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_death_classify),
        cmocka_unit_test(test_backoff_schedule),
        cmocka_unit_test(test_killed_workers_are_replaced_at_once),
        cmocka_unit_test(test_start_failures_back_off),
        cmocka_unit_test(test_backoff_never_holds_killed_workers),
        cmocka_unit_test(test_slots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
