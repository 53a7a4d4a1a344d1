/*
 * test_config_file.c - unit tests for the configuration file (config_file.c): the line format and
 * its quoting rules, refused lines with their numbers, the environment winning over the file, and
 * the refusal of a secret in a file that group or others can read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "khedma/config.h"
#include "khedma/config_file.h"

static char errbuf[512];

static int parse(const char *text)
{
    errbuf[0] = '\0';
    return config_file_parse("khedma.conf", text, errbuf, sizeof errbuf);
}

static void test_lines_comments_blanks(void **state)
{
    (void)state;
    assert_int_equal(parse("# a comment\n\n  KHEDMA_PORT = 8081  \r\n\t# indented comment\n"
                           "KHEDMA_LOG_LEVEL=debug"),
                     0);
    assert_string_equal(config_file_get("KHEDMA_PORT"), "8081");
    assert_string_equal(config_file_get("KHEDMA_LOG_LEVEL"), "debug");
    assert_null(config_file_get("KHEDMA_WORKERS"));
    config_file_clear();
}

static void test_quoting(void **state)
{
    (void)state;
    assert_int_equal(parse("KHEDMA_A=\" spaced # kept \"\nKHEDMA_B='x=\"y\"'\nKHEDMA_C=a#b\n"
                           "KHEDMA_D=\nKHEDMA_E=\"\"\n"),
                     0);
    assert_string_equal(config_file_get("KHEDMA_A"), " spaced # kept ");
    assert_string_equal(config_file_get("KHEDMA_B"), "x=\"y\"");
    assert_string_equal(config_file_get("KHEDMA_C"), "a#b");
    assert_string_equal(config_file_get("KHEDMA_D"), "");
    assert_string_equal(config_file_get("KHEDMA_E"), "");
    config_file_clear();
}

/* Each bad file is refused as a whole, naming the line and never echoing the value. */
static void assert_refused(const char *text, const char *where)
{
    assert_int_equal(parse(text), -1);
    assert_non_null(strstr(errbuf, "khedma.conf"));
    assert_non_null(strstr(errbuf, where));
    assert_null(strstr(errbuf, "s3cret"));
    assert_null(config_file_get("KHEDMA_PORT"));
}

static void test_bad_lines(void **state)
{
    (void)state;
    assert_refused("KHEDMA_PORT=1\nPATH=/s3cret\n", "line 2:");
    assert_refused("KHEDMA_PORT=1\n\n\nkhedma_port=s3cret\n", "line 4:");
    assert_refused("KHEDMA_PORT=1\njust words s3cret\n", "line 2:");
    assert_refused("KHEDMA_PORT=1\nKHEDMA_WEBHOOK_SECRET=\"s3cret\n", "line 2: unterminated");
    assert_refused("KHEDMA_PORT=1\nKHEDMA_PORT=2\n", "line 2: the name is set twice");
    assert_refused("KHEDMA_PORT=1\nexport KHEDMA_X=s3cret\n", "line 2:");
    assert_refused("KHEDMA_=1\n", "line 1:");
}

static void test_env_wins(void **state)
{
    (void)state;
    assert_int_equal(parse("KHEDMA_LOG_LEVEL=warn\nKHEDMA_VAT_RATE=10\nKHEDMA_PORT=9000\n"), 0);
    setenv("KHEDMA_LOG_LEVEL", "error", 1);
    setenv("KHEDMA_PORT", "", 1); /* empty counts as unset, as in config_load */
    unsetenv("KHEDMA_VAT_RATE");
    assert_string_equal(config_file_lookup("KHEDMA_LOG_LEVEL"), "error");
    assert_string_equal(config_file_lookup("KHEDMA_VAT_RATE"), "10");
    assert_string_equal(config_file_lookup("KHEDMA_PORT"), "9000");
    struct config c;
    char err[256];
    assert_int_equal(config_load(&c, config_file_lookup, err, sizeof err), 0);
    assert_string_equal(c.log_level, "error");
    assert_int_equal(c.vat_rate, 10);
    assert_int_equal(c.port, 9000);
    config_free(&c);
    config_file_export();
    assert_string_equal(getenv("KHEDMA_VAT_RATE"), "10");
    assert_string_equal(getenv("KHEDMA_LOG_LEVEL"), "error");
    unsetenv("KHEDMA_LOG_LEVEL");
    unsetenv("KHEDMA_PORT");
    unsetenv("KHEDMA_VAT_RATE");
    config_file_clear();
}

static void test_secret_detection(void **state)
{
    (void)state;
    assert_int_equal(parse("KHEDMA_DATABASE_URL=mysql://khedma@localhost/khedma?socket=/s\n"), 0);
    assert_false(config_file_has_secret());
    assert_int_equal(parse("KHEDMA_DATABASE_URL=mysql://khedma:pw@127.0.0.1/khedma\n"), 0);
    assert_true(config_file_has_secret());
    assert_int_equal(parse("KHEDMA_YOUCANPAY_PRIVATE_KEY=k\n"), 0);
    assert_true(config_file_has_secret());
    assert_int_equal(parse("KHEDMA_PAYTABS_SERVER_KEY=k\n"), 0);
    assert_true(config_file_has_secret());
    assert_int_equal(parse("KHEDMA_WEBHOOK_SECRET=k\n"), 0);
    assert_true(config_file_has_secret());
    assert_int_equal(parse("KHEDMA_YOUCANPAY_PUBLIC_KEY=k\nKHEDMA_WEBHOOK_SECRET=\n"), 0);
    assert_false(config_file_has_secret());
    config_file_clear();
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

static void test_permissions(void **state)
{
    (void)state;
    char dir[] = "/tmp/khedma-conf-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/khedma.conf", dir);
    const char *secret = "KHEDMA_PORT=8082\nKHEDMA_WEBHOOK_SECRET=s3cret\n";

    write_file(path, secret, 0640);
    assert_int_equal(config_file_load(path, false, errbuf, sizeof errbuf), -1);
    assert_non_null(strstr(errbuf, path));
    assert_non_null(strstr(errbuf, "chmod 600"));
    assert_null(strstr(errbuf, "s3cret"));
    assert_null(config_file_get("KHEDMA_PORT"));

    write_file(path, secret, 0604);
    assert_int_equal(config_file_load(path, false, errbuf, sizeof errbuf), -1);

    write_file(path, secret, 0600);
    assert_int_equal(config_file_load(path, false, errbuf, sizeof errbuf), 0);
    assert_string_equal(config_file_get("KHEDMA_WEBHOOK_SECRET"), "s3cret");

    /* No secret: a world-readable file is fine. */
    write_file(path, "KHEDMA_PORT=8082\n", 0644);
    assert_int_equal(config_file_load(path, false, errbuf, sizeof errbuf), 0);
    assert_string_equal(config_file_get("KHEDMA_PORT"), "8082");

    unlink(path);
    assert_int_equal(config_file_load(path, false, errbuf, sizeof errbuf), 0);
    assert_null(config_file_get("KHEDMA_PORT"));
    assert_int_equal(config_file_load(path, true, errbuf, sizeof errbuf), -1);
    assert_non_null(strstr(errbuf, path));
    rmdir(dir);
}

static void test_path(void **state)
{
    (void)state;
    char buf[4096];
    bool required = true;
    unsetenv("KHEDMA_CONFIG");
    assert_non_null(config_file_path(buf, sizeof buf, &required));
    assert_false(required);
    size_t n = strlen(buf);
    assert_true(n > 12 && strcmp(buf + n - 12, "/khedma.conf") == 0);
    setenv("KHEDMA_CONFIG", "/etc/k.conf", 1);
    assert_string_equal(config_file_path(buf, sizeof buf, &required), "/etc/k.conf");
    assert_true(required);
    unsetenv("KHEDMA_CONFIG");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_comments_blanks),
        cmocka_unit_test(test_quoting),
        cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_env_wins),
        cmocka_unit_test(test_secret_detection),
        cmocka_unit_test(test_permissions),
        cmocka_unit_test(test_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
