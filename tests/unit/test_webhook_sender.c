/*
 * test_webhook_sender.c - unit tests for the pure parts of outgoing webhooks: the signature header
 * (against HMAC values computed independently with Python's hmac module), the retry schedule
 * docs/api.md, "Outgoing webhooks" promises, the SSRF address classification, URL targets, and the
 * guard's verdict on literal addresses (resolving an IP literal needs no DNS, so these run
 * offline).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <cmocka.h>
#include <curl/curl.h>

#include "khedma/crypto.h"
#include "khedma/webhook_guard.h"
#include "khedma/webhook_sender.h"

static int setup(void **state)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return crypto_init();
}

static int teardown(void **state)
{
    curl_global_cleanup();
    return 0;
}

static const char BODY[] = "{\"id\":\"e1\",\"type\":\"order.paid\"}";

static void test_signature_header(void **state)
{
    char out[WEBHOOK_SENDER_SIGNATURE_MAX];
    int n = webhook_sender_signature_header("whsec_test", 1700000000LL, BODY, strlen(BODY), out,
                                            sizeof out);
    assert_string_equal(out, "t=1700000000,v1="
                             "a447c9369b5dc9bf2abd6207b9a8680b879b30ce33d8e976fb6cddeed2995871");
    assert_int_equal(n, (int)strlen(out));
    /* The time is part of what is signed: another t gives another MAC. */
    webhook_sender_signature_header("whsec_test", 1700000001LL, BODY, strlen(BODY), out,
                                    sizeof out);
    assert_string_equal(out, "t=1700000001,v1="
                             "8a71147c429ce5600a75106ad0496180c27f280bc674c6859b906c743529448c");
    /* An empty body signs "<t>." */
    webhook_sender_signature_header("whsec_test", 0, "", 0, out, sizeof out);
    assert_string_equal(out,
                        "t=0,v1=a2fa7a43c6a1cf2e784eaf3327d65c65b3d2b790320ebed9aa5661bc42a8cccd");
}

static void test_signature_header_small_buffer(void **state)
{
    char out[20] = "junk";
    assert_int_equal(webhook_sender_signature_header("k", 1, BODY, strlen(BODY), out, sizeof out),
                     -1);
    assert_string_equal(out, "");
    assert_int_equal(webhook_sender_signature_header("k", 1, BODY, strlen(BODY), out, 0), -1);
}

static void test_retry_schedule(void **state)
{
    /* docs/api.md, "Outgoing webhooks": first retry <= 30 s after the first attempt, at least 8
     * attempts over 24 h. */
    assert_true(webhook_sender_retry_delay(1) > 0 && webhook_sender_retry_delay(1) <= 30);
    long elapsed = 0, previous = 0;
    int attempts = 1;
    for (int a = 1; webhook_sender_retry_delay(a) > 0; a++) {
        assert_true(webhook_sender_retry_delay(a) > previous); /* exponential: always growing */
        previous = webhook_sender_retry_delay(a);
        elapsed += previous;
        attempts++;
    }
    assert_int_equal(attempts, WEBHOOK_SENDER_MAX_ATTEMPTS);
    assert_true(attempts >= 8);
    assert_true(elapsed <= 24 * 3600); /* every retry lands within the day... */
    assert_true(elapsed >= 20 * 3600); /* ...and they are spread over it */
    assert_int_equal(webhook_sender_retry_delay(2), 120);
    assert_int_equal(webhook_sender_retry_delay(8), 12 * 3600);
    /* After the last attempt, and for nonsense, there is no retry. */
    assert_int_equal(webhook_sender_retry_delay(WEBHOOK_SENDER_MAX_ATTEMPTS), -1);
    assert_int_equal(webhook_sender_retry_delay(0), -1);
    assert_int_equal(webhook_sender_retry_delay(-3), -1);
    assert_int_equal(webhook_sender_retry_delay(1000), -1);
}

/* Regression: the first retry came 30-35 s after a failed attempt (the 30 s delay, then up to one
 * jobs tick before the loop noticed it was due). The schedule now leaves room for the tick. */
static void test_retry_schedule_includes_the_tick(void **state)
{
    long ticks[] = {10, 1000, 5000, 15000};
    for (size_t i = 0; i < sizeof ticks / sizeof ticks[0]; i++) {
        long tick = ticks[i];
        /* Due, plus at most one tick of waiting: never later than 30 s after the failure. */
        long long first = webhook_sender_retry_after_ms(1, tick);
        assert_true(first > 0);
        assert_true(first + tick <= 30000);
        /* ...and no sooner than needed. */
        assert_int_equal(first, 30000 - tick);
        for (int a = 1; a < WEBHOOK_SENDER_MAX_ATTEMPTS; a++)
            assert_true(webhook_sender_retry_after_ms(a, tick) + tick <=
                        webhook_sender_retry_delay(a) * 1000LL);
    }
    /* The default tick (5 s): due 25 s after the failure. */
    assert_int_equal(webhook_sender_retry_after_ms(1, 5000), 25000);
    assert_int_equal(webhook_sender_retry_after_ms(2, 5000), 115000);
    /* Without a loop (tick 0) the delay is the delay. */
    assert_int_equal(webhook_sender_retry_after_ms(1, 0), 30000);
    /* A tick as long as the delay still leaves half of it: a back-off, not a hammering. */
    assert_int_equal(webhook_sender_retry_after_ms(1, 30000), 15000);
    assert_int_equal(webhook_sender_retry_after_ms(1, 600000), 15000);
    assert_int_equal(webhook_sender_retry_after_ms(8, 600000), 12 * 3600 * 1000LL - 600000);
    /* No retry after the last attempt. */
    assert_int_equal(webhook_sender_retry_after_ms(WEBHOOK_SENDER_MAX_ATTEMPTS, 5000), -1);
    assert_int_equal(webhook_sender_retry_after_ms(0, 5000), -1);
}

static enum webhook_guard_addr_class v4(const char *text)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    assert_int_equal(inet_pton(AF_INET, text, &sa.sin_addr), 1);
    return webhook_guard_classify((struct sockaddr *)&sa);
}

static enum webhook_guard_addr_class v6(const char *text)
{
    struct sockaddr_in6 sa;
    memset(&sa, 0, sizeof sa);
    sa.sin6_family = AF_INET6;
    assert_int_equal(inet_pton(AF_INET6, text, &sa.sin6_addr), 1);
    return webhook_guard_classify((struct sockaddr *)&sa);
}

static void test_classify_ipv4(void **state)
{
    assert_int_equal(v4("127.0.0.1"), WEBHOOK_GUARD_ADDR_LOOPBACK);
    assert_int_equal(v4("127.255.0.9"), WEBHOOK_GUARD_ADDR_LOOPBACK);
    assert_int_equal(v4("10.0.0.1"), WEBHOOK_GUARD_ADDR_PRIVATE);
    assert_int_equal(v4("172.16.0.1"), WEBHOOK_GUARD_ADDR_PRIVATE);
    assert_int_equal(v4("172.31.255.255"), WEBHOOK_GUARD_ADDR_PRIVATE);
    assert_int_equal(v4("172.32.0.1"), WEBHOOK_GUARD_ADDR_PUBLIC);
    assert_int_equal(v4("172.15.255.255"), WEBHOOK_GUARD_ADDR_PUBLIC);
    assert_int_equal(v4("192.168.1.1"), WEBHOOK_GUARD_ADDR_PRIVATE);
    assert_int_equal(v4("192.169.1.1"), WEBHOOK_GUARD_ADDR_PUBLIC);
    assert_int_equal(v4("100.64.0.1"), WEBHOOK_GUARD_ADDR_PRIVATE);
    assert_int_equal(v4("100.127.255.255"), WEBHOOK_GUARD_ADDR_PRIVATE);
    assert_int_equal(v4("100.128.0.1"), WEBHOOK_GUARD_ADDR_PUBLIC);
    assert_int_equal(v4("169.254.169.254"), WEBHOOK_GUARD_ADDR_LINK_LOCAL); /* cloud metadata */
    assert_int_equal(v4("0.0.0.0"), WEBHOOK_GUARD_ADDR_UNSPECIFIED);
    assert_int_equal(v4("0.1.2.3"), WEBHOOK_GUARD_ADDR_UNSPECIFIED);
    assert_int_equal(v4("224.0.0.1"), WEBHOOK_GUARD_ADDR_MULTICAST);
    assert_int_equal(v4("239.255.255.250"), WEBHOOK_GUARD_ADDR_MULTICAST);
    assert_int_equal(v4("255.255.255.255"), WEBHOOK_GUARD_ADDR_RESERVED);
    assert_int_equal(v4("8.8.8.8"), WEBHOOK_GUARD_ADDR_PUBLIC);
    assert_int_equal(v4("93.184.216.34"), WEBHOOK_GUARD_ADDR_PUBLIC);
}

static void test_classify_ipv6(void **state)
{
    assert_int_equal(v6("::1"), WEBHOOK_GUARD_ADDR_LOOPBACK);
    assert_int_equal(v6("::"), WEBHOOK_GUARD_ADDR_UNSPECIFIED);
    assert_int_equal(v6("fc00::1"), WEBHOOK_GUARD_ADDR_PRIVATE);
    assert_int_equal(v6("fdff:ffff::1"), WEBHOOK_GUARD_ADDR_PRIVATE);
    assert_int_equal(v6("fe80::1"), WEBHOOK_GUARD_ADDR_LINK_LOCAL);
    assert_int_equal(v6("febf::1"), WEBHOOK_GUARD_ADDR_LINK_LOCAL);
    assert_int_equal(v6("ff02::1"), WEBHOOK_GUARD_ADDR_MULTICAST);
    assert_int_equal(v6("2001:4860:4860::8888"), WEBHOOK_GUARD_ADDR_PUBLIC);
    /* IPv6 forms that reach an IPv4 address are judged by it. */
    assert_int_equal(v6("::ffff:127.0.0.1"), WEBHOOK_GUARD_ADDR_LOOPBACK);
    assert_int_equal(v6("::ffff:10.1.2.3"), WEBHOOK_GUARD_ADDR_PRIVATE);
    assert_int_equal(v6("::ffff:169.254.169.254"), WEBHOOK_GUARD_ADDR_LINK_LOCAL);
    assert_int_equal(v6("::ffff:8.8.8.8"), WEBHOOK_GUARD_ADDR_PUBLIC);
    assert_int_equal(v6("64:ff9b::7f00:1"), WEBHOOK_GUARD_ADDR_LOOPBACK);
    assert_int_equal(v6("2002:c0a8:0101::1"), WEBHOOK_GUARD_ADDR_PRIVATE);
    assert_int_equal(v6("2002:0808:0808::1"), WEBHOOK_GUARD_ADDR_PUBLIC);
    assert_int_equal(v6("::127.0.0.1"), WEBHOOK_GUARD_ADDR_RESERVED);
}

/* Every IPv4 special-purpose block the guard refuses: its first and last address are refused,
 * the addresses just outside it are public (unless they belong to a neighbouring block). */
static void test_classify_ipv4_block_boundaries(void **state)
{
    static const struct {
        const char *before, *first, *last, *after;
    } blocks[] = {
        {NULL, "0.0.0.0", "0.255.255.255", "1.0.0.0"},
        {"9.255.255.255", "10.0.0.0", "10.255.255.255", "11.0.0.0"},
        {"100.63.255.255", "100.64.0.0", "100.127.255.255", "100.128.0.0"},
        {"126.255.255.255", "127.0.0.0", "127.255.255.255", "128.0.0.0"},
        {"169.253.255.255", "169.254.0.0", "169.254.255.255", "169.255.0.0"},
        {"172.15.255.255", "172.16.0.0", "172.31.255.255", "172.32.0.0"},
        {"191.255.255.255", "192.0.0.0", "192.0.0.255", "192.0.1.0"},
        {"192.0.1.255", "192.0.2.0", "192.0.2.255", "192.0.3.0"},
        {"192.88.98.255", "192.88.99.0", "192.88.99.255", "192.88.100.0"},
        {"192.167.255.255", "192.168.0.0", "192.168.255.255", "192.169.0.0"},
        {"198.17.255.255", "198.18.0.0", "198.19.255.255", "198.20.0.0"},
        {"198.51.99.255", "198.51.100.0", "198.51.100.255", "198.51.101.0"},
        {"203.0.112.255", "203.0.113.0", "203.0.113.255", "203.0.114.0"},
        {"223.255.255.255", "224.0.0.0", "239.255.255.255", NULL},
        {NULL, "240.0.0.0", "255.255.255.255", NULL},
    };
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
        assert_int_not_equal(v4(blocks[i].first), WEBHOOK_GUARD_ADDR_PUBLIC);
        assert_int_not_equal(v4(blocks[i].last), WEBHOOK_GUARD_ADDR_PUBLIC);
        if (blocks[i].before)
            assert_int_equal(v4(blocks[i].before), WEBHOOK_GUARD_ADDR_PUBLIC);
        if (blocks[i].after)
            assert_int_equal(v4(blocks[i].after), WEBHOOK_GUARD_ADDR_PUBLIC);
    }
    /* The documentation ranges say so (the address the report was delivered to). */
    assert_int_equal(v4("192.0.2.2"), WEBHOOK_GUARD_ADDR_DOCUMENTATION);
    assert_int_equal(v4("198.51.100.7"), WEBHOOK_GUARD_ADDR_DOCUMENTATION);
    assert_int_equal(v4("203.0.113.9"), WEBHOOK_GUARD_ADDR_DOCUMENTATION);
    assert_int_equal(v4("198.18.0.1"), WEBHOOK_GUARD_ADDR_RESERVED);
    assert_int_equal(v4("192.88.99.1"), WEBHOOK_GUARD_ADDR_RESERVED);
    assert_int_equal(v4("192.0.0.8"), WEBHOOK_GUARD_ADDR_RESERVED);
}

static void test_classify_ipv6_block_boundaries(void **state)
{
    static const struct {
        const char *before, *first, *last, *after;
    } blocks[] = {
        {"0:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "100::", "100::ffff:ffff:ffff:ffff",
         "100:0:0:1::"},
        {"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff",
         "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db9::"},
        {"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
         "fc00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe00::"},
        /* fe80::/10 is followed by the deprecated site-local fec0::/10, refused too */
        {"fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
         "fe80::", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL},
        {NULL, "ff00::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL},
        {NULL, "64:ff9b:1::", "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", "64:ff9b:2::"},
    };
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
        assert_int_not_equal(v6(blocks[i].first), WEBHOOK_GUARD_ADDR_PUBLIC);
        assert_int_not_equal(v6(blocks[i].last), WEBHOOK_GUARD_ADDR_PUBLIC);
        if (blocks[i].before)
            assert_int_equal(v6(blocks[i].before), WEBHOOK_GUARD_ADDR_PUBLIC);
        if (blocks[i].after)
            assert_int_equal(v6(blocks[i].after), WEBHOOK_GUARD_ADDR_PUBLIC);
    }
    assert_int_equal(v6("::"), WEBHOOK_GUARD_ADDR_UNSPECIFIED);
    assert_int_equal(v6("::1"), WEBHOOK_GUARD_ADDR_LOOPBACK);
    assert_int_equal(v6("::2"), WEBHOOK_GUARD_ADDR_RESERVED);
    assert_int_equal(v6("2001:db8::1"), WEBHOOK_GUARD_ADDR_DOCUMENTATION);
    assert_int_equal(v6("100::1"), WEBHOOK_GUARD_ADDR_RESERVED);
}

/* IPv4-mapped, NAT64 and 6to4 addresses are judged by the IPv4 address inside, the new IPv4
 * blocks included, at both ends of each. */
static void test_classify_ipv6_embedded_ipv4(void **state)
{
    static const char *const prefixes[] = {"::ffff:", "64:ff9b::"};
    static const char *const refused[] = {
        "192.0.2.0",      "192.0.2.255", "198.51.100.1",  "203.0.113.255", "198.18.0.0",
        "198.19.255.255", "192.0.0.1",   "192.88.99.255", "127.0.0.1",     "10.0.0.1",
        "100.64.0.0",     "0.0.0.0",     "240.0.0.1",     "224.0.0.1"};
    static const char *const allowed[] = {"192.0.3.0", "198.20.0.0", "203.0.114.0", "8.8.8.8"};
    char text[64];
    for (size_t p = 0; p < 2; p++) {
        for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
            snprintf(text, sizeof text, "%s%s", prefixes[p], refused[i]);
            assert_int_equal(v6(text), v4(refused[i]));
        }
        for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
            snprintf(text, sizeof text, "%s%s", prefixes[p], allowed[i]);
            assert_int_equal(v6(text), WEBHOOK_GUARD_ADDR_PUBLIC);
        }
    }
    /* 6to4 2002:AABB:CCDD::/48 carries AA.BB.CC.DD. */
    assert_int_equal(v6("2002:c000:0200::1"), WEBHOOK_GUARD_ADDR_DOCUMENTATION); /* 192.0.2.0 */
    assert_int_equal(v6("2002:cb00:71ff::"), WEBHOOK_GUARD_ADDR_DOCUMENTATION);  /* 203.0.113.255 */
    assert_int_equal(v6("2002:c612:0000::1"), WEBHOOK_GUARD_ADDR_RESERVED);      /* 198.18.0.0 */
    assert_int_equal(v6("2002:7f00:0001::"), WEBHOOK_GUARD_ADDR_LOOPBACK);       /* 127.0.0.1 */
    assert_int_equal(v6("2002:c000:0300::1"), WEBHOOK_GUARD_ADDR_PUBLIC);        /* 192.0.3.0 */
}

/* This host's own interface addresses are refused, whatever their class, in every form. */
static void test_own_addresses_are_refused(void **state)
{
    struct ifaddrs *list = NULL;
    assert_int_equal(getifaddrs(&list), 0);
    int seen = 0;
    char why[256];
    for (struct ifaddrs *i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr ||
            (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
            continue;
        seen++;
        assert_int_equal(webhook_guard_is_own_address(i->ifa_addr), 1);
        assert_int_equal(webhook_guard_vet_address(i->ifa_addr, false, why, sizeof why), 1);
        assert_int_equal(webhook_guard_vet_address(i->ifa_addr, true, why, sizeof why), 0);
        if (i->ifa_addr->sa_family == AF_INET) {
            /* ...also through an IPv4-mapped IPv6 address. */
            struct sockaddr_in6 m;
            memset(&m, 0, sizeof m);
            m.sin6_family = AF_INET6;
            m.sin6_addr.s6_addr[10] = m.sin6_addr.s6_addr[11] = 0xff;
            memcpy(&m.sin6_addr.s6_addr[12], &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
            assert_int_equal(webhook_guard_is_own_address((struct sockaddr *)&m), 1);
        }
    }
    freeifaddrs(list);
    assert_true(seen > 0);
    /* A public address that is not ours passes. */
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    inet_pton(AF_INET, "8.8.8.8", &sa.sin_addr);
    assert_int_equal(webhook_guard_is_own_address((struct sockaddr *)&sa), 0);
    assert_int_equal(webhook_guard_vet_address((struct sockaddr *)&sa, false, why, sizeof why), 0);
}

/* The check when a URL is handed in: no DNS, only localhost names and IP literals. */
static void test_url_acceptable_at_creation(void **state)
{
    char why[128];
    const char *refused[] = {
        "http://localhost/hook",
        "http://LOCALHOST:8080/hook",
        "http://localhost./hook",
        "https://api.localhost/hook",
        "http://127.0.0.1:9000/",
        "http://127.1/",
        "http://2130706433/",
        "http://0x7f.0.0.1/",
        "http://[::1]/",
        "http://[::ffff:192.0.2.2]/",
        "http://192.0.2.2/hook",
        "http://198.51.100.255/",
        "http://203.0.113.0/",
        "http://198.18.0.1/",
        "http://192.88.99.1/",
        "http://192.0.0.9/",
        "http://10.1.2.3/",
        "http://169.254.169.254/latest/meta-data",
        "http://[fe80::1]/",
        "http://[2001:db8::1]/",
        "http://[64:ff9b::c000:0201]/",
        "http://[2002:cb00:7101::]/",
        "http://[100::1]/",
        "http://0.0.0.0/",
        "ftp://example.com/",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        assert_false(webhook_guard_url_acceptable(refused[i], false, why, sizeof why));
        assert_true(why[0] != '\0');
    }
    const char *accepted[] = {
        "https://hooks.example.com/khedma", "http://8.8.8.8/hook",
        "http://[2001:4860:4860::8888]/",   "http://notlocalhost/x",
        "http://localhost.example.com/x",   "http://192.0.3.1/",
    };
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++)
        assert_true(webhook_guard_url_acceptable(accepted[i], false, why, sizeof why));
    /* KHEDMA_WEBHOOK_ALLOW_PRIVATE=1: test stacks deliver to loopback receivers. */
    assert_true(webhook_guard_url_acceptable("http://127.0.0.1:9000/", true, why, sizeof why));
    assert_true(webhook_guard_url_acceptable("http://localhost:9000/", true, why, sizeof why));
    assert_false(webhook_guard_url_acceptable("ftp://127.0.0.1/", true, why, sizeof why));
}

static void test_classify_other_and_names(void **state)
{
    struct sockaddr sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_family = AF_UNIX;
    assert_int_equal(webhook_guard_classify(&sa), WEBHOOK_GUARD_ADDR_RESERVED);
    assert_int_equal(webhook_guard_classify(NULL), WEBHOOK_GUARD_ADDR_RESERVED);
    assert_string_equal(webhook_guard_addr_class_name(WEBHOOK_GUARD_ADDR_LOOPBACK), "loopback");
    assert_string_equal(webhook_guard_addr_class_name(WEBHOOK_GUARD_ADDR_LINK_LOCAL), "link-local");
    assert_string_equal(webhook_guard_addr_class_name(WEBHOOK_GUARD_ADDR_PUBLIC), "public");
    assert_string_equal(webhook_guard_addr_class_name(WEBHOOK_GUARD_ADDR_DOCUMENTATION),
                        "documentation");
    assert_true(webhook_guard_addr_allowed(WEBHOOK_GUARD_ADDR_PUBLIC, false));
    for (int c = WEBHOOK_GUARD_ADDR_LOOPBACK; c <= WEBHOOK_GUARD_ADDR_DOCUMENTATION; c++) {
        assert_false(webhook_guard_addr_allowed((enum webhook_guard_addr_class)c, false));
        assert_true(webhook_guard_addr_allowed((enum webhook_guard_addr_class)c, true));
    }
}

static void test_parse_target(void **state)
{
    struct webhook_guard_target t;
    assert_true(webhook_guard_parse_target("https://Hooks.Example.com/khedma?x=1", &t));
    assert_true(t.https);
    assert_string_equal(t.host, "hooks.example.com");
    assert_int_equal(t.port, 443);
    assert_true(webhook_guard_parse_target("http://127.0.0.1:8099/hook", &t));
    assert_false(t.https);
    assert_string_equal(t.host, "127.0.0.1");
    assert_int_equal(t.port, 8099);
    assert_true(webhook_guard_parse_target("http://[::1]:9000/", &t));
    assert_string_equal(t.host, "::1");
    assert_int_equal(t.port, 9000);
    assert_true(webhook_guard_parse_target("http://user:pw@example.com/", &t));
    assert_string_equal(t.host, "example.com");
    assert_int_equal(t.port, 80);
}

static void test_parse_target_refuses(void **state)
{
    struct webhook_guard_target t;
    const char *bad[] = {
        "ftp://example.com/x",
        "file:///etc/passwd",
        "gopher://example.com/",
        "example.com/hook",
        "http://",
        "https://:443/",
        "javascript:alert(1)",
        "",
        "http://example.com:0/",
        "http://example.com:99999/",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(webhook_guard_parse_target(bad[i], &t));
        assert_string_equal(t.host, "");
    }
    assert_false(webhook_guard_parse_target(NULL, &t));
}

static void test_resolve_literals(void **state)
{
    struct webhook_guard_target t;
    char pin[256], why[256];
    assert_true(webhook_guard_parse_target("http://127.0.0.1:8099/hook", &t));
    assert_int_equal(webhook_guard_resolve(&t, false, pin, sizeof pin, why, sizeof why), 1);
    assert_non_null(strstr(why, "loopback"));
    assert_int_equal(webhook_guard_resolve(&t, true, pin, sizeof pin, why, sizeof why), 0);
    assert_string_equal(pin, ""); /* a literal needs no pinning */
    assert_true(webhook_guard_parse_target("http://169.254.169.254/latest/meta-data", &t));
    assert_int_equal(webhook_guard_resolve(&t, false, pin, sizeof pin, why, sizeof why), 1);
    assert_non_null(strstr(why, "link-local"));
    assert_true(webhook_guard_parse_target("http://[::ffff:10.0.0.5]/", &t));
    assert_int_equal(webhook_guard_resolve(&t, false, pin, sizeof pin, why, sizeof why), 1);
    assert_non_null(strstr(why, "private"));
    assert_true(webhook_guard_parse_target("https://8.8.8.8/hook", &t));
    assert_int_equal(webhook_guard_resolve(&t, false, pin, sizeof pin, why, sizeof why), 0);
    assert_string_equal(why, "");
}

static void test_resolve_localhost_pins(void **state)
{
    /* "localhost" comes from /etc/hosts, not DNS: refused, or pinned to what was vetted. */
    struct webhook_guard_target t;
    char pin[256], why[256];
    assert_true(webhook_guard_parse_target("http://LocalHost:8099/hook", &t));
    int rc = webhook_guard_resolve(&t, false, pin, sizeof pin, why, sizeof why);
    if (rc == -1)
        skip(); /* no resolver configuration at all in this sandbox */
    assert_int_equal(rc, 1);
    assert_non_null(strstr(why, "loopback"));
    assert_int_equal(webhook_guard_resolve(&t, true, pin, sizeof pin, why, sizeof why), 0);
    assert_int_equal(strncmp(pin, "localhost:8099:", 15), 0);
    assert_true(strstr(pin, "127.0.0.1") || strstr(pin, "[::1]"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature_header),
        cmocka_unit_test(test_signature_header_small_buffer),
        cmocka_unit_test(test_retry_schedule),
        cmocka_unit_test(test_retry_schedule_includes_the_tick),
        cmocka_unit_test(test_classify_ipv4),
        cmocka_unit_test(test_classify_ipv6),
        cmocka_unit_test(test_classify_ipv4_block_boundaries),
        cmocka_unit_test(test_classify_ipv6_block_boundaries),
        cmocka_unit_test(test_classify_ipv6_embedded_ipv4),
        cmocka_unit_test(test_own_addresses_are_refused),
        cmocka_unit_test(test_url_acceptable_at_creation),
        cmocka_unit_test(test_classify_other_and_names),
        cmocka_unit_test(test_parse_target),
        cmocka_unit_test(test_parse_target_refuses),
        cmocka_unit_test(test_resolve_literals),
        cmocka_unit_test(test_resolve_localhost_pins),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
