/*
 * test_config.c - unit tests for configuration loading: defaults, every variable, rejected
 * values (each naming its variable), and the database URL forms (docs/api.md, "Environment
 * variables").
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "khedma/config.h"

/* The fake environment: NAME=value strings, NULL-terminated. */
static const char *const *fake_env;

static const char *fake_getenv(const char *name)
{
    size_t n = strlen(name);
    for (const char *const *e = fake_env; e && *e; e++) {
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    }
    return NULL;
}

static int load(const char *const *env, struct config *c, char *err, size_t errlen)
{
    fake_env = env;
    return config_load(c, fake_getenv, err, errlen);
}

/* Loading must fail, leave nothing allocated, and name the variable. */
static void assert_rejected(const char *const *env, const char *variable)
{
    struct config c;
    char err[256];
    g_config = NULL;
    if (load(env, &c, err, sizeof err) != -1)
        fail_msg("accepted %s", env[0]);
    if (!strstr(err, variable))
        fail_msg("message \"%s\" does not name %s", err, variable);
    assert_null(g_config);
    assert_null(c.listen);
    assert_null(c.public_url);
}

static void test_defaults(void **state)
{
    const char *env[] = {NULL};
    struct config c;
    char err[256];
    assert_int_equal(load(env, &c, err, sizeof err), 0);
    assert_ptr_equal(g_config, &c);
    assert_int_equal(c.port, 8080);
    assert_int_equal(c.workers, (int)sysconf(_SC_NPROCESSORS_ONLN));
    assert_int_equal(c.max_requests, 0);
    assert_string_equal(c.listen, "var/run/khedmad.sock");
    assert_null(c.database_url);
    assert_null(c.db.user);
    assert_null(c.db.host);
    assert_null(c.db.database);
    assert_string_equal(c.public_url, "http://127.0.0.1:8080");
    assert_string_equal(c.allowed_origins, "");
    assert_string_equal(c.card_gateway, "youcanpay");
    assert_string_equal(c.youcanpay_api, "https://youcanpay.com/sandbox/api");
    assert_string_equal(c.youcanpay_payment_form, "https://youcanpay.com/sandbox/payment-form");
    assert_null(c.youcanpay_private_key);
    assert_null(c.youcanpay_public_key);
    assert_string_equal(c.paytabs_api, "https://secure.paytabs.com");
    assert_null(c.paytabs_profile_id);
    assert_null(c.paytabs_server_key);
    assert_null(c.webhook_secret);
    assert_false(c.webhook_allow_private);
    assert_string_equal(c.trpc_transformer, "none");
    assert_int_equal(c.gateway_timeout_ms, 10000);
    assert_int_equal(c.public_cache_s, 1);
    assert_false(c.secure_cookies);
#ifdef KHEDMA_DATADIR
    assert_string_equal(c.sql_dir, KHEDMA_DATADIR);
#else
    assert_string_equal(c.sql_dir, "sql");
#endif
    assert_string_equal(c.log_level, "info");
    config_free(&c);
    assert_null(g_config);
    assert_null(c.listen);
}

static void test_every_variable(void **state)
{
    const char *env[] = {
        "KHEDMA_PORT=9090",
        "KHEDMA_WORKERS=3",
        "KHEDMA_MAX_REQUESTS=500",
        "KHEDMA_LISTEN=127.0.0.1:9000",
        "KHEDMA_DATABASE_URL=mysql://khedma:s3cret@db.local:3307/khedma_prod",
        "KHEDMA_PUBLIC_URL=https://khedma.ma/",
        "KHEDMA_ALLOWED_ORIGINS=https://a.ma,https://b.ma",
        "KHEDMA_CARD_GATEWAY=paytabs",
        "KHEDMA_YOUCANPAY_API=http://127.0.0.1:9101/api",
        "KHEDMA_YOUCANPAY_PAYMENT_FORM=http://127.0.0.1:9101/form/",
        "KHEDMA_YOUCANPAY_PRIVATE_KEY=pri_sandbox_x",
        "KHEDMA_YOUCANPAY_PUBLIC_KEY=pub_sandbox_y",
        "KHEDMA_PAYTABS_API=http://127.0.0.1:9102",
        "KHEDMA_PAYTABS_PROFILE_ID=12345",
        "KHEDMA_PAYTABS_SERVER_KEY=SKEY",
        "KHEDMA_WEBHOOK_SECRET=whsec",
        "KHEDMA_WEBHOOK_ALLOW_PRIVATE=1",
        "KHEDMA_TRPC_TRANSFORMER=superjson",
        "KHEDMA_GATEWAY_TIMEOUT_MS=2500",
        "KHEDMA_PUBLIC_CACHE_S=0",
        "KHEDMA_SQL_DIR=/opt/khedma/sql",
        "KHEDMA_LOG_LEVEL=debug",
        NULL,
    };
    struct config c;
    char err[256];
    assert_int_equal(load(env, &c, err, sizeof err), 0);
    assert_int_equal(c.port, 9090);
    assert_int_equal(c.workers, 3);
    assert_int_equal(c.max_requests, 500);
    assert_string_equal(c.listen, "127.0.0.1:9000");
    assert_string_equal(c.database_url, "mysql://khedma:s3cret@db.local:3307/khedma_prod");
    assert_string_equal(c.db.user, "khedma");
    assert_string_equal(c.db.password, "s3cret");
    assert_string_equal(c.db.host, "db.local");
    assert_int_equal(c.db.port, 3307);
    assert_string_equal(c.db.database, "khedma_prod");
    assert_null(c.db.socket);
    assert_string_equal(c.public_url, "https://khedma.ma");
    assert_true(c.secure_cookies);
    assert_string_equal(c.allowed_origins, "https://a.ma,https://b.ma");
    assert_string_equal(c.card_gateway, "paytabs");
    assert_string_equal(c.youcanpay_api, "http://127.0.0.1:9101/api");
    assert_string_equal(c.youcanpay_payment_form, "http://127.0.0.1:9101/form");
    assert_string_equal(c.youcanpay_private_key, "pri_sandbox_x");
    assert_string_equal(c.youcanpay_public_key, "pub_sandbox_y");
    assert_string_equal(c.paytabs_api, "http://127.0.0.1:9102");
    assert_string_equal(c.paytabs_profile_id, "12345");
    assert_string_equal(c.paytabs_server_key, "SKEY");
    assert_string_equal(c.webhook_secret, "whsec");
    assert_true(c.webhook_allow_private);
    assert_string_equal(c.trpc_transformer, "superjson");
    assert_int_equal(c.gateway_timeout_ms, 2500);
    assert_int_equal(c.public_cache_s, 0);
    assert_string_equal(c.sql_dir, "/opt/khedma/sql");
    assert_string_equal(c.log_level, "debug");
    config_free(&c);
}

static void test_derived_values(void **state)
{
    struct config c;
    char err[256];
    const char *port_only[] = {"KHEDMA_PORT=8181", NULL};
    assert_int_equal(load(port_only, &c, err, sizeof err), 0);
    assert_string_equal(c.public_url, "http://127.0.0.1:8181");
    assert_false(c.secure_cookies);
    config_free(&c);

    const char *api_slash[] = {"KHEDMA_YOUCANPAY_API=http://127.0.0.1:9101/api/", NULL};
    assert_int_equal(load(api_slash, &c, err, sizeof err), 0);
    assert_string_equal(c.youcanpay_api, "http://127.0.0.1:9101/api");
    assert_string_equal(c.youcanpay_payment_form, "http://127.0.0.1:9101/payment-form");
    config_free(&c);

    const char *api_other[] = {"KHEDMA_YOUCANPAY_API=http://emu:9101/ycp", NULL};
    assert_int_equal(load(api_other, &c, err, sizeof err), 0);
    assert_string_equal(c.youcanpay_payment_form, "http://emu:9101/ycp/payment-form");
    config_free(&c);

    /* Upper-case scheme still counts as https; empty values count as unset. */
    const char *misc[] = {"KHEDMA_PUBLIC_URL=HTTPS://Khedma.ma",
                          "KHEDMA_PORT=",
                          "KHEDMA_DATABASE_URL=",
                          "KHEDMA_WEBHOOK_SECRET=",
                          "KHEDMA_WEBHOOK_ALLOW_PRIVATE=0",
                          NULL};
    assert_int_equal(load(misc, &c, err, sizeof err), 0);
    assert_true(c.secure_cookies);
    assert_int_equal(c.port, 8080);
    assert_null(c.database_url);
    assert_null(c.webhook_secret);
    assert_false(c.webhook_allow_private);
    config_free(&c);
}

static void test_bad_numbers(void **state)
{
    const char *ports[] = {"abc", "0",     "70000", "-1",   "80x",
                           " 80", "8080 ", "+80",   "0x50", "99999999999999999999"};
    for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++) {
        char var[64];
        snprintf(var, sizeof var, "KHEDMA_PORT=%s", ports[i]);
        const char *env[] = {var, NULL};
        assert_rejected(env, "KHEDMA_PORT");
    }
    const char *workers[] = {"abc", "0", "-2", "100000", "2.5"};
    for (size_t i = 0; i < sizeof workers / sizeof workers[0]; i++) {
        char var[64];
        snprintf(var, sizeof var, "KHEDMA_WORKERS=%s", workers[i]);
        const char *env[] = {var, NULL};
        assert_rejected(env, "KHEDMA_WORKERS");
    }
    const char *maxreq[] = {"KHEDMA_MAX_REQUESTS=-1", NULL};
    assert_rejected(maxreq, "KHEDMA_MAX_REQUESTS");
    const char *timeout0[] = {"KHEDMA_GATEWAY_TIMEOUT_MS=0", NULL};
    assert_rejected(timeout0, "KHEDMA_GATEWAY_TIMEOUT_MS");
    const char *timeout_abc[] = {"KHEDMA_GATEWAY_TIMEOUT_MS=10s", NULL};
    assert_rejected(timeout_abc, "KHEDMA_GATEWAY_TIMEOUT_MS");
    const char *cache_neg[] = {"KHEDMA_PUBLIC_CACHE_S=-1", NULL};
    assert_rejected(cache_neg, "KHEDMA_PUBLIC_CACHE_S");
    const char *cache_big[] = {"KHEDMA_PUBLIC_CACHE_S=3601", NULL};
    assert_rejected(cache_big, "KHEDMA_PUBLIC_CACHE_S");
}

static void test_bad_choices_and_urls(void **state)
{
    const char *gw[] = {"KHEDMA_CARD_GATEWAY=stripe", NULL};
    assert_rejected(gw, "KHEDMA_CARD_GATEWAY");
    const char *gw_case[] = {"KHEDMA_CARD_GATEWAY=YouCanPay", NULL};
    assert_rejected(gw_case, "KHEDMA_CARD_GATEWAY");
    const char *tr[] = {"KHEDMA_TRPC_TRANSFORMER=json", NULL};
    assert_rejected(tr, "KHEDMA_TRPC_TRANSFORMER");
    const char *lvl[] = {"KHEDMA_LOG_LEVEL=verbose", NULL};
    assert_rejected(lvl, "KHEDMA_LOG_LEVEL");
    const char *flag[] = {"KHEDMA_WEBHOOK_ALLOW_PRIVATE=yes please", NULL};
    assert_rejected(flag, "KHEDMA_WEBHOOK_ALLOW_PRIVATE");
    const char *pub_ftp[] = {"KHEDMA_PUBLIC_URL=ftp://khedma.ma", NULL};
    assert_rejected(pub_ftp, "KHEDMA_PUBLIC_URL");
    const char *pub_nohost[] = {"KHEDMA_PUBLIC_URL=http://", NULL};
    assert_rejected(pub_nohost, "KHEDMA_PUBLIC_URL");
    const char *pub_bare[] = {"KHEDMA_PUBLIC_URL=khedma.ma", NULL};
    assert_rejected(pub_bare, "KHEDMA_PUBLIC_URL");
    const char *ycp[] = {"KHEDMA_YOUCANPAY_API=youcanpay.com/api", NULL};
    assert_rejected(ycp, "KHEDMA_YOUCANPAY_API");
    const char *pt[] = {"KHEDMA_PAYTABS_API=https://secure paytabs.com", NULL};
    assert_rejected(pt, "KHEDMA_PAYTABS_API");
}

static void test_bad_database_url_not_echoed(void **state)
{
    const char *env[] = {"KHEDMA_DATABASE_URL=postgres://u:hunter2@h/db", NULL};
    struct config c;
    char err[256];
    assert_int_equal(load(env, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "KHEDMA_DATABASE_URL"));
    assert_null(strstr(err, "hunter2"));
    const char *nodb[] = {"KHEDMA_DATABASE_URL=mysql://u:hunter2@h:3306", NULL};
    assert_rejected(nodb, "KHEDMA_DATABASE_URL");
}

/* --- config_db_url_parse --- */

static void parse_ok(const char *url, struct db_url *u)
{
    char err[160] = "";
    if (config_db_url_parse(url, u, err, sizeof err) != 0)
        fail_msg("rejected %s: %s", url, err);
}

static void test_db_url_tcp(void **state)
{
    struct db_url u;
    parse_ok("mysql://user:pass@host:3306/db", &u);
    assert_string_equal(u.user, "user");
    assert_string_equal(u.password, "pass");
    assert_string_equal(u.host, "host");
    assert_int_equal(u.port, 3306);
    assert_string_equal(u.database, "db");
    assert_null(u.socket);
    config_db_url_free(&u);
    assert_null(u.user);

    parse_ok("mysql://user@10.0.0.5/shop", &u); /* no password, default port */
    assert_string_equal(u.password, "");
    assert_string_equal(u.host, "10.0.0.5");
    assert_int_equal(u.port, 0);
    config_db_url_free(&u);

    parse_ok("MySQL://user:@[::1]:3310/db", &u);
    assert_string_equal(u.password, "");
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 3310);
    config_db_url_free(&u);
}

static void test_db_url_socket(void **state)
{
    struct db_url u;
    parse_ok("mysql://user:pass@localhost/db?socket=/path/to/mysqld.sock", &u);
    assert_string_equal(u.host, "localhost");
    assert_string_equal(u.database, "db");
    assert_string_equal(u.socket, "/path/to/mysqld.sock");
    config_db_url_free(&u);

    parse_ok("mysql://root@/khedma?socket=%2Fwork%2Fvar%2Fmysql.sock", &u);
    assert_string_equal(u.host, "localhost");
    assert_string_equal(u.socket, "/work/var/mysql.sock");
    config_db_url_free(&u);
}

static void test_db_url_percent_encoding(void **state)
{
    struct db_url u;
    parse_ok("mysql://kh%40dma:p%40ss%3Aw%2Fd%25+x@host/db%2Dname", &u);
    assert_string_equal(u.user, "kh@dma");
    assert_string_equal(u.password, "p@ss:w/d%+x");
    assert_string_equal(u.database, "db-name");
    config_db_url_free(&u);
    /* An unencoded '@' in the password: the last '@' ends the credentials. */
    parse_ok("mysql://u:p@ss@host/db", &u);
    assert_string_equal(u.password, "p@ss");
    assert_string_equal(u.host, "host");
    config_db_url_free(&u);
}

static void test_db_url_rejects(void **state)
{
    const char *bad[] = {
        "",
        "postgres://u:p@h/db",
        "mysqlx://u:p@h/db",
        "mysql:/u:p@h/db",
        "mysql://u:p@h:3306",
        "mysql://u:p@h:3306/",
        "mysql://u:p@h/",
        "mysql://h/db",
        "mysql://:p@h/db",
        "mysql://u:p@/db",
        "mysql://u:p@h:0/db",
        "mysql://u:p@h:70000/db",
        "mysql://u:p@h:abc/db",
        "mysql://u:p@h:/db",
        "mysql://u:p@h:-1/db",
        "mysql://u:p@[::1/db",
        "mysql://u:p%zz@h/db",
        "mysql://u:p%4@h/db",
        "mysql://u:p%00@h/db",
        "mysql://u:p@h/db/extra",
        "mysql://u:p@h/db?ssl=1",
        "mysql://u:p@h/db?socket=/a&socket=/b",
        "mysql://u:p@localhost/db?socket=",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct db_url u;
        char err[160] = "";
        if (config_db_url_parse(bad[i], &u, err, sizeof err) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_true(err[0] != '\0');
        assert_null(u.user);
        assert_null(u.password);
        assert_null(u.host);
    }
    struct db_url u;
    assert_int_equal(config_db_url_parse(NULL, &u, NULL, 0), -1);
}

static void test_real_environment(void **state)
{
    setenv("KHEDMA_PORT", "9191", 1);
    struct config c;
    char err[256];
    assert_int_equal(config_load(&c, NULL, err, sizeof err), 0);
    assert_int_equal(c.port, 9191);
    config_free(&c);
    unsetenv("KHEDMA_PORT");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_variable),
        cmocka_unit_test(test_derived_values),
        cmocka_unit_test(test_bad_numbers),
        cmocka_unit_test(test_bad_choices_and_urls),
        cmocka_unit_test(test_bad_database_url_not_echoed),
        cmocka_unit_test(test_db_url_tcp),
        cmocka_unit_test(test_db_url_socket),
        cmocka_unit_test(test_db_url_percent_encoding),
        cmocka_unit_test(test_db_url_rejects),
        cmocka_unit_test(test_real_environment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
