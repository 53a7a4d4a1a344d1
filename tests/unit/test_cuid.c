/*
 * test_cuid.c - unit tests for CUIDs: the ^c[a-z0-9]{24}$ shape, uniqueness within one process
 * and across forked processes (with and without cuid_after_fork()), and the validator.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "khedma/cuid.h"

typedef char id_t25[CUID_LEN + 1];

static int compare_ids(const void *a, const void *b)
{
    return memcmp(a, b, CUID_LEN);
}

/* Sorts the ids and fails on the first repeated one. */
static void assert_all_distinct(id_t25 *ids, size_t n)
{
    qsort(ids, n, sizeof ids[0], compare_ids);
    for (size_t i = 1; i < n; i++) {
        if (memcmp(ids[i - 1], ids[i], CUID_LEN) == 0)
            fail_msg("duplicate id %s", ids[i]);
    }
}

static bool matches_shape(const char *s)
{
    /* Checked independently of cuid_valid(): ^c[a-z0-9]{24}$ */
    if (strlen(s) != 25 || s[0] != 'c')
        return false;
    return strspn(s + 1, "abcdefghijklmnopqrstuvwxyz0123456789") == 24;
}

static void test_format(void **state)
{
    for (int i = 0; i < 1000; i++) {
        char id[CUID_LEN + 1];
        memset(id, 'X', sizeof id);
        cuid_new(id);
        assert_true(matches_shape(id));
        assert_true(cuid_valid(id));
    }
}

static void test_unique_in_process(void **state)
{
    enum { N = 100000 };
    id_t25 *ids = malloc(N * sizeof *ids);
    assert_non_null(ids);
    for (size_t i = 0; i < N; i++)
        cuid_new(ids[i]);
    assert_all_distinct(ids, N);
    free(ids);
}

/* Each child writes its ids to the pipe; half of them call cuid_after_fork(), half rely on the
 * automatic pid check. */
enum { CHILDREN = 4, PER_CHILD = 20000 };

static void child_generate(int fd, int child)
{
    if (child % 2 == 0)
        cuid_after_fork();
    for (int i = 0; i < PER_CHILD; i++) {
        char id[CUID_LEN + 1];
        cuid_new(id);
        size_t off = 0;
        while (off < CUID_LEN) {
            ssize_t w = write(fd, id + off, CUID_LEN - off);
            if (w <= 0)
                _exit(1);
            off += (size_t)w;
        }
    }
    _exit(0);
}

/* Number of distinct fingerprint blocks (characters 13-16): each process must have its own, even
 * one that never called cuid_after_fork(). */
static int count_fingerprints(id_t25 *ids, size_t n)
{
    char seen[8][5];
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        int j = 0;
        while (j < count && memcmp(seen[j], ids[i] + 13, 4) != 0)
            j++;
        if (j == count) {
            if (count == 8)
                return -1;
            memcpy(seen[count++], ids[i] + 13, 4);
        }
    }
    return count;
}

static void test_unique_across_forks(void **state)
{
    char warmup[CUID_LEN + 1];
    cuid_new(warmup); /* the parent's state exists before forking, as in the server */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    for (int c = 0; c < CHILDREN; c++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            child_generate(fds[1], c);
        }
    }
    close(fds[1]);
    size_t total = (size_t)CHILDREN * PER_CHILD;
    char *raw = malloc(total * CUID_LEN);
    assert_non_null(raw);
    size_t got = 0;
    ssize_t r;
    while (got < total * CUID_LEN && (r = read(fds[0], raw + got, total * CUID_LEN - got)) > 0)
        got += (size_t)r;
    close(fds[0]);
    int status, ok_children = 0;
    while (wait(&status) > 0)
        ok_children += WIFEXITED(status) && WEXITSTATUS(status) == 0;
    assert_int_equal(ok_children, CHILDREN);
    assert_int_equal(got, total * CUID_LEN);

    id_t25 *ids = malloc(total * sizeof *ids);
    assert_non_null(ids);
    for (size_t i = 0; i < total; i++) {
        memcpy(ids[i], raw + i * CUID_LEN, CUID_LEN);
        ids[i][CUID_LEN] = '\0';
        assert_true(cuid_valid(ids[i]));
    }
    assert_all_distinct(ids, total);
    assert_int_equal(count_fingerprints(ids, total), CHILDREN);
    free(ids);
    free(raw);
}

static void test_valid(void **state)
{
    assert_true(cuid_valid("cjld2cjxh0000qzrmn831i7rn"));
    assert_false(cuid_valid(NULL));
    assert_false(cuid_valid(""));
    assert_false(cuid_valid("c"));
    assert_false(cuid_valid("cjld2cjxh0000qzrmn831i7r"));   /* 24 chars */
    assert_false(cuid_valid("cjld2cjxh0000qzrmn831i7rnn")); /* 26 chars */
    assert_false(cuid_valid("Cjld2cjxh0000qzrmn831i7rn"));
    assert_false(cuid_valid("xjld2cjxh0000qzrmn831i7rn"));
    assert_false(cuid_valid("cjld2cjxh0000QZRMN831i7rn"));
    assert_false(cuid_valid("cjld2cjxh0000qzrmn831i7-n"));
    assert_false(cuid_valid("cjld2cjxh0000qzrmn831i7\xc3\xa9"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_unique_in_process),
        cmocka_unit_test(test_unique_across_forks),
        cmocka_unit_test(test_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
