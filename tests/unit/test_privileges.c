/*
 * test_privileges.c - unit tests for the choice of the user khedmad becomes when started as root
 * (privileges_target), privileges_become's refusals, and - as root, in a forked child so the test
 * runner keeps its ids - a real drop to nobody. tests/integration/test_privileges.py checks the
 * running test stack's processes.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "khedma/privileges.h"

static bool khedma_exists(const char *name)
{
    return strcmp(name, "khedma") == 0 || strcmp(name, "nobody") == 0;
}

static bool only_nobody(const char *name)
{
    return strcmp(name, "nobody") == 0;
}

static void test_not_root_changes_nothing(void **state)
{
    (void)state;
    assert_null(privileges_target(1000, NULL, khedma_exists));
    assert_null(privileges_target(1000, "khedma", khedma_exists));
    assert_null(privileges_target(33, "root", khedma_exists));
}

static void test_root_default_user(void **state)
{
    (void)state;
    assert_string_equal(privileges_target(0, NULL, khedma_exists), "khedma");
    assert_string_equal(privileges_target(0, "", khedma_exists), "khedma");
    /* Without the khedma user (khedmad installed by hand), nobody rather than root. */
    assert_string_equal(privileges_target(0, NULL, only_nobody), "nobody");
}

static void test_root_configured_user(void **state)
{
    (void)state;
    assert_string_equal(privileges_target(0, "www-data", khedma_exists), "www-data");
    /* Only the explicit word keeps root. */
    assert_null(privileges_target(0, "root", khedma_exists));
}

static void test_become_refuses_unknown_and_uid0_users(void **state)
{
    (void)state;
    char why[160] = "";
    assert_int_equal(privileges_become("no-such-user-khedma-test", why, sizeof why), -1);
    assert_non_null(strstr(why, "no such user"));
    why[0] = '\0';
    assert_int_equal(privileges_become("root", why, sizeof why), -1);
    assert_non_null(strstr(why, "uid 0"));
}

/* What the child found (its exit code; 0 = all good). */
enum { DROP_OK = 0, DROP_FAILED = 10, BAD_IDS, ROOT_BACK, DUMPABLE, BAD_GROUPS };

static int drop_to_nobody(void)
{
    const struct passwd *pw = getpwnam("nobody");
    if (!pw)
        return DROP_FAILED;
    uid_t uid = pw->pw_uid; /* getpwnam's buffer is reused by the drop's own lookup */
    gid_t gid = pw->pw_gid;
    /* Groups root could hand down (0, and one of the operator's) must not survive the drop. */
    const gid_t inherited[] = {0, 4242};
    if (setgroups(2, inherited) != 0)
        return DROP_FAILED;
    char why[160];
    if (privileges_become("nobody", why, sizeof why) != 0)
        return DROP_FAILED;
    if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid)
        return BAD_IDS;
    if (setuid(0) == 0 || seteuid(0) == 0)
        return ROOT_BACK;
    if (prctl(PR_GET_DUMPABLE) != 0)
        return DUMPABLE; /* a core file would hold the database password */
    gid_t groups[64];
    int n = getgroups(64, groups);
    for (int i = 0; i < n; i++)
        if (groups[i] == 0 || groups[i] == 4242)
            return BAD_GROUPS;
    return DROP_OK;
}

static void test_become_as_root_really_drops(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip(); /* make check as a developer: the integration test covers the stack */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(drop_to_nobody());
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), DROP_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_root_changes_nothing),
        cmocka_unit_test(test_root_default_user),
        cmocka_unit_test(test_root_configured_user),
        cmocka_unit_test(test_become_refuses_unknown_and_uid0_users),
        cmocka_unit_test(test_become_as_root_really_drops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
