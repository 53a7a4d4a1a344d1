/*
 * test_log.c - unit tests for the JSON logger: every line parses as JSON with the documented
 * fields, hostile messages are escaped, long ones are cut below PIPE_BUF, and lines written by
 * several forked processes into one pipe arrive whole.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "khedma/log.h"

static int saved_stderr = -1;
static FILE *capture_file;

/* Points stderr at a temporary file; cmocka reports failures on stderr, so assertions only run
 * after end_capture() has put it back. */
static void begin_capture(void)
{
    capture_file = tmpfile();
    assert_non_null(capture_file);
    fflush(stderr);
    saved_stderr = dup(STDERR_FILENO);
    dup2(fileno(capture_file), STDERR_FILENO);
}

/* Restores stderr and returns what was written (caller frees). */
static char *end_capture(size_t *len)
{
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    off_t size = lseek(fileno(capture_file), 0, SEEK_END);
    assert_true(size >= 0);
    char *text = calloc(1, (size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(pread(fileno(capture_file), text, (size_t)size, 0), size);
    fclose(capture_file);
    *len = (size_t)size;
    return text;
}

/* Parses a text that must be exactly one newline-terminated JSON line. */
static json_object *parse_one_line(const char *text, size_t len)
{
    assert_true(len > 0);
    assert_int_equal(text[len - 1], '\n');
    assert_ptr_equal(memchr(text, '\n', len), text + len - 1);
    json_object *o = json_tokener_parse(text);
    assert_non_null(o);
    return o;
}

static const char *field(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v))
        return NULL;
    return json_object_get_string(v);
}

static int setup(void **state)
{
    log_init("worker");
    log_set_level(LOG_INFO);
    log_set_request_id(NULL);
    return 0;
}

static void test_line_fields(void **state)
{
    size_t len;
    begin_capture();
    log_set_request_id("req-1.A_b");
    log_info("hello %d", 5);
    log_set_request_id(NULL);
    char *text = end_capture(&len);
    json_object *o = parse_one_line(text, len);
    const char *t = field(o, "t");
    assert_non_null(t);
    assert_int_equal(strlen(t), 24);
    assert_int_equal(t[10], 'T');
    assert_int_equal(t[23], 'Z');
    assert_string_equal(field(o, "level"), "info");
    assert_string_equal(field(o, "proc"), "worker");
    assert_string_equal(field(o, "rid"), "req-1.A_b");
    assert_string_equal(field(o, "msg"), "hello 5");
    json_object *pid;
    assert_true(json_object_object_get_ex(o, "pid", &pid));
    assert_int_equal(json_object_get_int(pid), getpid());
    json_object_put(o);
    free(text);
}

static void test_no_request_id_outside_request(void **state)
{
    size_t len;
    begin_capture();
    log_error("boom");
    char *text = end_capture(&len);
    json_object *o = parse_one_line(text, len);
    assert_null(field(o, "rid"));
    assert_string_equal(field(o, "level"), "error");
    json_object_put(o);
    free(text);
}

static void test_escaping(void **state)
{
    size_t len;
    begin_capture();
    log_warn("q\"b\\s/n\nr\rt\tc\x01"
             "d\x7f ar=\xd8\xae bad=\xff\xc0\x80 end");
    char *text = end_capture(&len);
    json_object *o = parse_one_line(text, len);
    assert_string_equal(field(o, "msg"),
                        "q\"b\\s/n\nr\rt\tc\x01"
                        "d\x7f ar=\xd8\xae bad=\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd end");
    json_object_put(o);
    free(text);
}

static void test_levels(void **state)
{
    size_t len;
    begin_capture();
    log_set_level(LOG_WARN);
    log_debug("hidden");
    log_info("hidden");
    log_warn("shown");
    log_set_level(LOG_DEBUG);
    log_debug("debug shown");
    char *text = end_capture(&len);
    assert_null(strstr(text, "hidden"));
    assert_non_null(strstr(text, "\"msg\":\"shown\""));
    assert_non_null(strstr(text, "\"level\":\"debug\""));
    free(text);

    enum log_level lv;
    assert_true(log_level_from_name("warn", &lv));
    assert_int_equal(lv, LOG_WARN);
    assert_true(log_level_from_name("debug", &lv));
    assert_int_equal(lv, LOG_DEBUG);
    assert_false(log_level_from_name("verbose", &lv));
    assert_false(log_level_from_name("", &lv));
    assert_false(log_level_from_name(NULL, &lv));
}

static void check_long_message(char fill)
{
    size_t len;
    char *big = malloc(10000);
    assert_non_null(big);
    memset(big, fill, 9999);
    big[9999] = '\0';
    begin_capture();
    log_info("%s", big);
    char *text = end_capture(&len);
    assert_true(len <= LOG_LINE_MAX);
    assert_true(len > LOG_LINE_MAX - 64);
    json_object *o = parse_one_line(text, len);
    const char *msg = field(o, "msg");
    size_t mlen = strlen(msg);
    assert_true(mlen > 600); /* even at six bytes per character the cut keeps most of it */
    assert_string_equal(msg + mlen - 3, "...");
    assert_int_equal(msg[0], fill);
    json_object_put(o);
    free(text);
    free(big);
}

static void test_long_messages_are_cut(void **state)
{
    check_long_message('x');
    check_long_message('"');    /* every byte doubles when escaped */
    check_long_message('\x01'); /* every byte becomes six */
}

static void test_access_line(void **state)
{
    size_t len;
    begin_capture();
    log_access("rid9", "GET", "/api/orders?filter.email=a@b.c&token=secret", 200, 1234, NULL);
    char *text = end_capture(&len);
    json_object *o = parse_one_line(text, len);
    assert_string_equal(field(o, "kind"), "access");
    assert_string_equal(field(o, "id"), "rid9");
    assert_string_equal(field(o, "method"), "GET");
    assert_string_equal(field(o, "path"), "/api/orders");
    assert_null(strstr(text, "secret"));
    assert_null(strstr(text, "\\/")); /* '/' is not escaped */
    json_object *v;
    assert_true(json_object_object_get_ex(o, "status", &v));
    assert_int_equal(json_object_get_int(v), 200);
    assert_true(json_object_object_get_ex(o, "us", &v));
    assert_int_equal(json_object_get_int64(v), 1234);
    assert_true(json_object_object_get_ex(o, "user", &v));
    assert_null(v);
    json_object_put(o);
    free(text);
}

static void test_errno_preserved(void **state)
{
    size_t len;
    begin_capture();
    errno = ENOENT;
    log_error("open failed: %m");
    int after = errno;
    char *text = end_capture(&len);
    assert_int_equal(after, ENOENT);
    assert_non_null(strstr(text, "No such file or directory"));
    free(text);
}

/* Four children write long lines into one pipe at the same time; each line must arrive whole. */
enum { CHILDREN = 4, LINES_PER_CHILD = 150 };

static void child_writes(int fd, int child)
{
    char body[3000];
    memset(body, 'a' + child, sizeof body - 1);
    body[sizeof body - 1] = '\0';
    dup2(fd, STDERR_FILENO);
    close(fd);
    for (int i = 0; i < LINES_PER_CHILD; i++)
        log_info("%d %d %s", child, i, body);
    _exit(0);
}

static void test_forked_lines_do_not_interleave(void **state)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    for (int c = 0; c < CHILDREN; c++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            child_writes(fds[1], c);
        }
    }
    close(fds[1]);
    size_t cap = 4 << 20, len = 0;
    char *all = malloc(cap + 1);
    assert_non_null(all);
    ssize_t r;
    while ((r = read(fds[0], all + len, cap - len)) > 0)
        len += (size_t)r;
    close(fds[0]);
    all[len] = '\0';
    while (wait(NULL) > 0)
        ;
    int count[CHILDREN] = {0};
    for (char *line = all, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
        *nl = '\0';
        json_object *o = json_tokener_parse(line);
        assert_non_null(o);
        const char *msg = field(o, "msg");
        int child = msg[0] - '0';
        assert_in_range(child, 0, CHILDREN - 1);
        assert_non_null(strchr(msg, 'a' + child));
        count[child]++;
        json_object_put(o);
    }
    for (int c = 0; c < CHILDREN; c++)
        assert_int_equal(count[c], LINES_PER_CHILD);
    free(all);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_line_fields, setup),
        cmocka_unit_test_setup(test_no_request_id_outside_request, setup),
        cmocka_unit_test_setup(test_escaping, setup),
        cmocka_unit_test_setup(test_levels, setup),
        cmocka_unit_test_setup(test_long_messages_are_cut, setup),
        cmocka_unit_test_setup(test_access_line, setup),
        cmocka_unit_test_setup(test_errno_preserved, setup),
        cmocka_unit_test_setup(test_forked_lines_do_not_interleave, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
