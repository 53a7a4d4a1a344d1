/*
 * test_process.c - unit tests for src/process/process.c: a forked child is named, dies with its
 * parent and starts with the master's blocked signals cleared; SIGTERM and SIGINT in a child only
 * set the stop flag, and SIGHUP and SIGPIPE are ignored. Every check runs in a forked process of
 * its own, so the test runner's own signal handling is never changed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "khedma/process.h"

/* Exit codes a checking child reports its first failed check with (0: all passed). */
enum { OK = 0, BAD_NAME = 10, BAD_PDEATHSIG, STILL_BLOCKED, NO_STOP, STOPPED_EARLY, BAD_FLAG };

static int exit_code_of(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFSIGNALED(status))
        return 100 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

/* Sleep up to ms, waking early once the stop flag is set. */
static bool wait_for_stop(int ms)
{
    for (int waited = 0; waited < ms && !process_stop_requested(); waited += 10)
        poll(NULL, 0, 10);
    return process_stop_requested();
}

/* In a fresh child: the checks of a child process_fork_child() made. */
static int check_forked_child(void)
{
    char name[17] = "";
    prctl(PR_GET_NAME, name);
    if (strcmp(name, "khedmad-test") != 0)
        return BAD_NAME;
    int sig = 0;
    prctl(PR_GET_PDEATHSIG, &sig);
    if (sig != SIGTERM)
        return BAD_PDEATHSIG;
    sigset_t now;
    sigprocmask(SIG_SETMASK, NULL, &now);
    if (sigismember(&now, SIGTERM) || sigismember(&now, SIGCHLD))
        return STILL_BLOCKED;
    return OK;
}

static void test_fork_child_is_named_and_unblocked(void **state)
{
    pid_t outer = fork();
    assert_true(outer >= 0);
    if (outer == 0) {
        /* Play the master: its signals are blocked before it forks. */
        sigset_t set;
        process_master_signals(&set);
        pid_t pid = process_fork_child("khedmad-test", "test");
        if (pid == 0)
            _exit(check_forked_child());
        _exit(pid < 0 ? 99 : exit_code_of(pid));
    }
    assert_int_equal(exit_code_of(outer), OK);
}

/* The master blocks SIGTERM; a SIGTERM sent to the child before it cleared that mask must still
 * reach it as a stop, not be lost. */
static void test_stop_sent_at_once_is_not_lost(void **state)
{
    pid_t outer = fork();
    assert_true(outer >= 0);
    if (outer == 0) {
        sigset_t set;
        process_master_signals(&set);
        pid_t pid = process_fork_child("khedmad-test", "test");
        if (pid == 0)
            _exit(wait_for_stop(5000) ? OK : NO_STOP);
        kill(pid, SIGTERM);
        _exit(exit_code_of(pid));
    }
    assert_int_equal(exit_code_of(outer), OK);
}

/* A child whose parent dies gets SIGTERM, which only sets its stop flag. */
static void test_child_stops_when_parent_dies(void **state)
{
    int ready[2], verdict_pipe[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(verdict_pipe), 0);
    pid_t outer = fork();
    assert_true(outer >= 0);
    if (outer == 0) {
        pid_t pid = process_fork_child("khedmad-test", "test");
        if (pid == 0) {
            char r = 'r', verdict;
            if (write(ready[1], &r, 1) != 1)
                _exit(1);
            verdict = wait_for_stop(5000) ? 'y' : 'n';
            if (write(verdict_pipe[1], &verdict, 1) != 1)
                _exit(1);
            _exit(0);
        }
        /* Once the child is set up, the parent dies, leaving its child behind. */
        char r = 0;
        _exit(pid > 0 && read(ready[0], &r, 1) == 1 ? 0 : 99);
    }
    close(ready[1]);
    close(verdict_pipe[1]);
    assert_int_equal(exit_code_of(outer), 0);
    char verdict = '?';
    assert_int_equal(read(verdict_pipe[0], &verdict, 1), 1);
    close(ready[0]);
    close(verdict_pipe[0]);
    assert_int_equal(verdict, 'y');
}

static void test_child_signals(void **state)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (process_stop_requested())
            _exit(BAD_FLAG);
        process_child_signals();
        /* Ignored: neither ends the process nor asks it to stop. */
        kill(getpid(), SIGHUP);
        kill(getpid(), SIGPIPE);
        if (process_stop_requested())
            _exit(STOPPED_EARLY);
        kill(getpid(), SIGINT);
        _exit(process_stop_requested() ? OK : NO_STOP);
    }
    assert_int_equal(exit_code_of(pid), OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fork_child_is_named_and_unblocked),
        cmocka_unit_test(test_stop_sent_at_once_is_not_lost),
        cmocka_unit_test(test_child_stops_when_parent_dies),
        cmocka_unit_test(test_child_signals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
