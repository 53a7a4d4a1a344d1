/*
 * test_metrics.c - unit tests for the metrics module: the Prometheus text encoder (src/metrics/
 * prom.c), the KHEDMA_METRICS_ALLOW parser and matcher (metrics_allow.c), the histogram bucket
 * choice and route labels (metrics.c), counting without a master's shared block, and counts made
 * by a child that is then killed surviving in the shared block.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "khedma/config.h"
#include "khedma/app.h"
#include "khedma/metrics.h"
#include "khedma/metrics_allow.h"
#include "khedma/prom.h"

static void test_family_and_samples(void **state)
{
    (void)state;
    struct prom_buf b = {0};
    prom_family(&b, "x_total", "counter", "Line one\nback\\slash");
    struct prom_label l[] = {{"route", "/a/{id}"}, {"q", "say \"hi\"\\\n"}};
    prom_sample(&b, "x_total", l, 2, 42);
    prom_sample(&b, "y", NULL, 0, 0.25);
    prom_sample(&b, "z", NULL, 0, 1e20);
    prom_sample(&b, "w", NULL, 0, 0.000956);
    assert_false(b.oom);
    assert_string_equal(b.s, "# HELP x_total Line one\\nback\\\\slash\n"
                             "# TYPE x_total counter\n"
                             "x_total{route=\"/a/{id}\",q=\"say \\\"hi\\\"\\\\\\n\"} 42\n"
                             "y 0.25\n"
                             "z 1e+20\n"
                             "w 0.000956\n");
    prom_buf_free(&b);
}

static void test_escape_cuts_to_fit(void **state)
{
    (void)state;
    char out[6];
    prom_escape("ab\"cd", out, sizeof out);
    assert_string_equal(out, "ab\\\"c");
    prom_escape("abcd\\", out, sizeof out);
    assert_string_equal(out, "abcd"); /* an escape that does not fit whole is left out */
}

static void test_histogram_is_cumulative(void **state)
{
    (void)state;
    struct prom_buf b = {0};
    const double bounds[] = {0.005, 0.1, 2.5};
    const uint64_t counts[] = {1, 0, 2, 3};
    struct prom_label l[] = {{"route", "r"}};
    prom_histogram(&b, "h_seconds", l, 1, bounds, 3, counts, 31.5);
    assert_string_equal(b.s, "h_seconds_bucket{route=\"r\",le=\"0.005\"} 1\n"
                             "h_seconds_bucket{route=\"r\",le=\"0.1\"} 1\n"
                             "h_seconds_bucket{route=\"r\",le=\"2.5\"} 3\n"
                             "h_seconds_bucket{route=\"r\",le=\"+Inf\"} 6\n"
                             "h_seconds_sum{route=\"r\"} 31.5\n"
                             "h_seconds_count{route=\"r\"} 6\n");
    prom_buf_free(&b);
    prom_histogram(&b, "t", NULL, 0, bounds, 3, counts, 0);
    assert_non_null(strstr(b.s, "t_bucket{le=\"+Inf\"} 6\nt_sum 0\nt_count 6\n"));
    prom_buf_free(&b);
    /* Whole bounds print as Prometheus's clients print them: le="10", never le="1e+01". */
    const double whole[] = {1, 10, 100};
    prom_histogram(&b, "w", NULL, 0, whole, 3, counts, 0);
    assert_non_null(strstr(b.s, "w_bucket{le=\"1\"} 1\nw_bucket{le=\"10\"} 1\n"
                                "w_bucket{le=\"100\"} 3\n"));
    prom_buf_free(&b);
}

static void test_allow_default(void **state)
{
    (void)state;
    struct metrics_allow a;
    assert_int_equal(metrics_allow_parse(METRICS_ALLOW_DEFAULT, &a), 0);
    assert_int_equal(a.count, 2);
    assert_true(metrics_allow_match(&a, "127.0.0.1"));
    assert_true(metrics_allow_match(&a, "127.255.1.2"));
    assert_true(metrics_allow_match(&a, "::1"));
    assert_true(metrics_allow_match(&a, "::ffff:127.0.0.1")); /* a dual-stack socket's form */
    assert_false(metrics_allow_match(&a, "128.0.0.1"));
    assert_false(metrics_allow_match(&a, "10.0.0.1"));
    assert_false(metrics_allow_match(&a, "::2"));
    assert_false(metrics_allow_match(&a, ""));
    assert_false(metrics_allow_match(&a, NULL));
    assert_false(metrics_allow_match(&a, "127.0.0.1, 10.0.0.1")); /* a forwarded list is no peer */
    assert_false(metrics_allow_match(&a, "localhost"));
}

static void test_allow_cidrs(void **state)
{
    (void)state;
    struct metrics_allow a;
    assert_int_equal(metrics_allow_parse(" 10.1.2.0/23 ,192.0.2.7, fd00::/8,,", &a), 0);
    assert_int_equal(a.count, 3);
    assert_true(metrics_allow_match(&a, "10.1.3.255"));
    assert_true(metrics_allow_match(&a, "10.1.2.0"));
    assert_false(metrics_allow_match(&a, "10.1.4.0"));
    assert_true(metrics_allow_match(&a, "192.0.2.7"));
    assert_false(metrics_allow_match(&a, "192.0.2.8"));
    assert_true(metrics_allow_match(&a, "fdab::1"));
    assert_false(metrics_allow_match(&a, "fe80::1"));
    assert_false(metrics_allow_match(&a, "127.0.0.1"));
    assert_int_equal(metrics_allow_parse("0.0.0.0/0", &a), 0);
    assert_true(metrics_allow_match(&a, "203.0.113.9"));
    assert_false(metrics_allow_match(&a, "2001:db8::1")); /* IPv4 nets never match IPv6 */
}

static void test_allow_refuses_malformed(void **state)
{
    (void)state;
    struct metrics_allow a;
    const char *bad[] = {"10.0.0.0/33", "::/129",      "10.0.0.0/",   "10.0.0.0/x",
                         "10.0.0",      "example.com", "10.0.0.1/-1", "::ffff:10.0.0.0/104"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(metrics_allow_parse(bad[i], &a), -1);
    assert_int_equal(metrics_allow_parse("", &a), 0); /* nobody */
    assert_int_equal(a.count, 0);
    assert_false(metrics_allow_match(&a, "127.0.0.1"));
}

static const char *allow_env;

static const char *env_with_allow(const char *name)
{
    return strcmp(name, "KHEDMA_METRICS_ALLOW") == 0 ? allow_env : NULL;
}

/* The configuration keeps the list (default loopback) and refuses to start on one that does
 * not parse, rather than serving /metrics to an unintended set of callers. */
static void test_config_field(void **state)
{
    (void)state;
    struct config c;
    char err[256];
    allow_env = NULL;
    assert_int_equal(config_load(&c, env_with_allow, err, sizeof err), 0);
    assert_string_equal(c.metrics_allow, METRICS_ALLOW_DEFAULT);
    config_free(&c);
    allow_env = "10.0.0.0/8, ::1";
    assert_int_equal(config_load(&c, env_with_allow, err, sizeof err), 0);
    assert_string_equal(c.metrics_allow, "10.0.0.0/8, ::1");
    config_free(&c);
    allow_env = "10.0.0.0/40";
    assert_int_equal(config_load(&c, env_with_allow, err, sizeof err), -1);
    assert_non_null(strstr(err, "KHEDMA_METRICS_ALLOW"));
    g_config = NULL;
}

static void test_bucket_choice(void **state)
{
    (void)state;
    assert_int_equal(metrics_bucket(0), 0);
    assert_int_equal(metrics_bucket(0.001), 0); /* le: an observation on a bound is inside it */
    assert_int_equal(metrics_bucket(0.0010001), 1);
    assert_int_equal(metrics_bucket(0.3), 8);
    assert_int_equal(metrics_bucket(10), METRICS_BUCKETS - 1);
    assert_int_equal(metrics_bucket(10.5), METRICS_BUCKETS);
    for (size_t i = 1; i < METRICS_BUCKETS; i++)
        assert_true(metrics_bucket_bounds[i - 1] < metrics_bucket_bounds[i]);
}

static const char *label_of(const char *pattern, const char *trpc)
{
    return metrics_route_label_name(metrics_route_label(pattern, trpc));
}

/* What the worker calls, by the matched route's position, names every route as its pattern does. */
static void test_route_label_of_every_route(void **state)
{
    (void)state;
    size_t n = 0;
    const struct route *routes = app_routes(&n);
    for (size_t i = 0; i < n; i++) {
        const char *trpc =
            strcmp(routes[i].pattern, "/api/trpc/{path*}") == 0 ? "category.list" : NULL;
        assert_int_equal(metrics_route_label_of(&routes[i], trpc),
                         metrics_route_label(routes[i].pattern, trpc));
    }
    assert_string_equal(metrics_route_label_name(metrics_route_label_of(NULL, NULL)), "unmatched");
}

static void test_route_labels(void **state)
{
    (void)state;
    assert_string_equal(label_of("/api/orders/{id}", NULL), "/api/orders/{id}");
    assert_string_equal(label_of("/metrics", NULL), "/metrics");
    assert_string_equal(label_of("/{username}/{slug}", NULL), "/{username}/{slug}");
    assert_string_equal(label_of(NULL, NULL), "unmatched");
    assert_string_equal(label_of("/not/a/route", NULL), "unmatched");
    assert_string_equal(label_of("/api/trpc/{path*}", "gig.getGigDetails"),
                        "trpc:gig.getGigDetails");
    assert_string_equal(label_of("/api/trpc/{path*}", "order.checkout"), "trpc:order.checkout");
    assert_string_equal(label_of("/api/trpc/{path*}", "gig.getGigDetails,category.list"),
                        "trpc:batch");
    assert_string_equal(label_of("/api/trpc/{path*}", "no.suchProcedure"), "trpc:unknown");
    assert_string_equal(label_of("/api/trpc/{path*}", ""), "trpc:unknown");
    /* GET and POST of one page share its label: one histogram per route. */
    assert_int_equal(metrics_route_label("/auth/sign-in", NULL),
                     metrics_route_label("/auth/sign-in", NULL));
    int n = metrics_route_label_count();
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            assert_string_not_equal(metrics_route_label_name(i), metrics_route_label_name(j));
    assert_null(metrics_route_label_name(n));
    assert_null(metrics_route_label_name(-1));
    /* The catch-all itself is never a label: its procedures are. */
    for (int i = 0; i < n; i++)
        assert_string_not_equal(metrics_route_label_name(i), "/api/trpc/{path*}");
    assert_string_equal(metrics_method_label("PATCH"), "PATCH");
    assert_string_equal(metrics_method_label("BREW"), "OTHER");
    assert_string_equal(metrics_method_label(NULL), "OTHER");
}

static char *render(void)
{
    struct prom_buf b = {0};
    struct metrics_gauges g = {-1, -1, -1};
    metrics_render(&b, &g);
    assert_false(b.oom);
    return b.s;
}

/* Without a master's block (a CGI run, a test): the process counts alone and nothing crashes. */
static void test_counts_without_master(void **state)
{
    (void)state;
    int label = metrics_route_label("/healthz", NULL);
    metrics_observe_request(label, "GET", 200, 0.002);
    metrics_observe_request(label, "GET", 200, 0.5);
    metrics_observe_request(label, "GET", 299, 0.5);
    metrics_observe_request(999999, "GET", 404, 0.5);
    metrics_note_db_error(METRICS_DB_DEADLOCK);
    metrics_observe_gateway(METRICS_GW_PAYTABS, metrics_outcome_of(false, true, 0), 2.0);
    char *text = render();
    assert_non_null(strstr(
        text, "khedma_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 2\n"));
    assert_non_null(strstr(
        text, "khedma_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"2xx\"} 1\n"));
    assert_non_null(strstr(
        text, "khedma_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1\n"));
    assert_non_null(strstr(text, "khedma_http_request_duration_seconds_bucket{route=\"/healthz\","
                                 "le=\"0.0025\"} 1\n"));
    assert_non_null(
        strstr(text, "khedma_http_request_duration_seconds_count{route=\"/healthz\"} 3\n"));
    assert_non_null(
        strstr(text, "khedma_http_request_duration_seconds_sum{route=\"/healthz\"} 1.002\n"));
    assert_non_null(strstr(text, "khedma_db_errors_total{kind=\"deadlock\"} 1\n"));
    assert_non_null(
        strstr(text, "khedma_gateway_calls_total{gateway=\"paytabs\",outcome=\"timeout\"} 1\n"));
    assert_non_null(strstr(text, "khedma_build_info{version=\""));
    /* Gauges the database did not give are left out rather than reported as 0. */
    assert_null(strstr(text, "khedma_webhook_deliveries"));
    /* Untouched routes are not written at all. */
    assert_null(strstr(text, "route=\"/api/orders\""));
    free(text);
}

/* A child (a worker) counts into the master's block and is killed: its counts stay. */
static void test_shared_counts_survive_a_killed_child(void **state)
{
    (void)state;
    assert_int_equal(metrics_init_shared(), 0);
    int label = metrics_route_label("/api/gigs", NULL);
    metrics_observe_request(label, "GET", 200, 0.01);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (int i = 0; i < 5; i++)
            metrics_observe_request(label, "GET", 200, 0.01);
        metrics_note_db_reconnect();
        kill(getpid(), SIGKILL); /* as the master would see a killed worker */
        _exit(1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    metrics_note_restart(false, status);
    char *text = render();
    assert_non_null(strstr(
        text, "khedma_http_requests_total{route=\"/api/gigs\",method=\"GET\",status=\"200\"} 6\n"));
    assert_non_null(strstr(text, "khedma_db_reconnects_total 1\n"));
    assert_non_null(
        strstr(text, "khedma_worker_restarts_total{kind=\"worker\",reason=\"killed\"} 1\n"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_family_and_samples),
        cmocka_unit_test(test_escape_cuts_to_fit),
        cmocka_unit_test(test_histogram_is_cumulative),
        cmocka_unit_test(test_allow_default),
        cmocka_unit_test(test_allow_cidrs),
        cmocka_unit_test(test_allow_refuses_malformed),
        cmocka_unit_test(test_config_field),
        cmocka_unit_test(test_bucket_choice),
        cmocka_unit_test(test_route_labels),
        cmocka_unit_test(test_route_label_of_every_route),
        /* Before the shared block exists, then with it. */
        cmocka_unit_test(test_counts_without_master),
        cmocka_unit_test(test_shared_counts_survive_a_killed_child),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
