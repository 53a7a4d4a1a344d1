/*
 * test_peers.c - unit tests for KHEDMA_TRUSTED_PEERS: the list's validation and normal form, the
 * rule chosen for each kind of listener, what peers_apply hands libfcgi (FCGI_WEB_SERVER_ADDRS),
 * and the configuration loader's use of the list.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "khedma/config.h"
#include "khedma/peers.h"

static void assert_normal(const char *in, const char *want)
{
    char out[PEERS_LIST_MAX], err[160];
    if (peers_list_normalize(in, out, sizeof out, err, sizeof err) != 0)
        fail_msg("rejected \"%s\": %s", in, err);
    assert_string_equal(out, want);
}

static void assert_bad(const char *in, const char *why)
{
    char out[PEERS_LIST_MAX], err[160] = "";
    if (peers_list_normalize(in, out, sizeof out, err, sizeof err) != -1)
        fail_msg("accepted \"%s\"", in);
    if (!strstr(err, why))
        fail_msg("message \"%s\" for \"%s\" does not say \"%s\"", err, in, why);
}

static void test_list_normal_form(void **state)
{
    (void)state;
    assert_normal("10.214.0.2", "10.214.0.2");
    assert_normal("10.214.0.2,10.214.0.3", "10.214.0.2,10.214.0.3");
    assert_normal(" 10.214.0.2 ,\t127.0.0.1 ", "10.214.0.2,127.0.0.1");
}

static void test_list_rejects(void **state)
{
    (void)state;
    assert_bad("nginx.local", "not an IPv4 address: nginx.local");
    assert_bad("10.214.0.256", "not an IPv4 address");
    assert_bad("10.1", "not an IPv4 address"); /* inet_addr's short forms are not accepted */
    assert_bad("10.214.0.0/16", "not an IPv4 address");
    assert_bad("::1", "IPv6 is not supported");
    assert_bad("10.214.0.2,", "empty address");
    assert_bad("10.214.0.2,,10.214.0.3", "empty address");
    assert_bad(" , ", "empty address");
}

static void test_list_too_long(void **state)
{
    (void)state;
    char in[PEERS_LIST_MAX * 2] = "";
    for (int i = 0; i < 100; i++)
        strcat(in, i ? ",192.168.100.100" : "192.168.100.100");
    assert_bad(in, "too many");
}

static void test_rules(void **state)
{
    (void)state;
    assert_int_equal(peers_rule_for("var/run/khedmad.sock", false), PEERS_UNIX);
    assert_int_equal(peers_rule_for("/run/khedma/khedmad.sock", true), PEERS_UNIX);
    assert_int_equal(peers_rule_for("127.0.0.1:9000", false), PEERS_LOOPBACK);
    assert_int_equal(peers_rule_for("127.0.0.2:9000", false), PEERS_LOOPBACK);
    assert_int_equal(peers_rule_for("localhost:9000", false), PEERS_LOOPBACK);
    assert_int_equal(peers_rule_for("10.214.1.2:9000", false), PEERS_REFUSE);
    assert_int_equal(peers_rule_for(":9000", false), PEERS_REFUSE); /* every interface */
    assert_int_equal(peers_rule_for("*:9000", false), PEERS_REFUSE);
    assert_int_equal(peers_rule_for("app1.internal:9000", false), PEERS_REFUSE);
    assert_int_equal(peers_rule_for("127.1:9000", false), PEERS_REFUSE); /* not dotted quad */
    assert_int_equal(peers_rule_for("10.214.1.2:9000", true), PEERS_LIST);
    assert_int_equal(peers_rule_for(":9000", true), PEERS_LIST);
    assert_int_equal(peers_rule_for("127.0.0.1:9000", true), PEERS_LIST);
    assert_int_equal(peers_rule_for("[::1]:9000", true), PEERS_BAD_LISTEN);
    assert_int_equal(peers_rule_for("::1:9000", false), PEERS_BAD_LISTEN);
    assert_int_equal(peers_rule_for("10.214.1.2:", true), PEERS_BAD_LISTEN);
    assert_int_equal(peers_rule_for("10.214.1.2:x", true), PEERS_BAD_LISTEN);
}

static void test_apply_sets_libfcgi_list(void **state)
{
    (void)state;
    setenv("FCGI_WEB_SERVER_ADDRS", "10.9.9.9", 1); /* inherited: must not survive */
    assert_int_equal(peers_apply("10.214.1.2:9000", "10.214.0.2,10.214.0.3"), 0);
    assert_string_equal(getenv("FCGI_WEB_SERVER_ADDRS"), "10.214.0.2,10.214.0.3");
    assert_int_equal(peers_apply("127.0.0.1:9000", NULL), 0);
    assert_null(getenv("FCGI_WEB_SERVER_ADDRS"));
    setenv("FCGI_WEB_SERVER_ADDRS", "10.9.9.9", 1);
    assert_int_equal(peers_apply("10.214.1.2:9000", NULL), -1);
    assert_null(getenv("FCGI_WEB_SERVER_ADDRS"));
    assert_int_equal(peers_apply("var/run/khedmad.sock", NULL), 0);
    assert_int_equal(peers_apply("[::1]:9000", "127.0.0.1"), -1);
}

static const char *const *fake_env;

static const char *fake_getenv(const char *name)
{
    size_t n = strlen(name);
    for (const char *const *e = fake_env; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

static void test_config_field(void **state)
{
    (void)state;
    struct config c;
    char err[256];
    const char *unset[] = {NULL};
    fake_env = unset;
    assert_int_equal(config_load(&c, fake_getenv, err, sizeof err), 0);
    assert_null(c.trusted_peers);
    config_free(&c);
    const char *set[] = {"KHEDMA_TRUSTED_PEERS=10.214.0.2, 10.214.0.3", NULL};
    fake_env = set;
    assert_int_equal(config_load(&c, fake_getenv, err, sizeof err), 0);
    assert_string_equal(c.trusted_peers, "10.214.0.2,10.214.0.3");
    config_free(&c);
    const char *bad[] = {"KHEDMA_TRUSTED_PEERS=10.214.0.2;10.214.0.3", NULL};
    fake_env = bad;
    assert_int_equal(config_load(&c, fake_getenv, err, sizeof err), -1);
    assert_non_null(strstr(err, "KHEDMA_TRUSTED_PEERS"));
    assert_null(c.trusted_peers);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_normal_form),        cmocka_unit_test(test_list_rejects),
        cmocka_unit_test(test_list_too_long),           cmocka_unit_test(test_rules),
        cmocka_unit_test(test_apply_sets_libfcgi_list), cmocka_unit_test(test_config_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
