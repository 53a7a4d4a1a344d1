/*
 * test_httpclient.c - the HTTP layer and both gateway clients against a tiny HTTP server forked
 * on 127.0.0.1 (plain sockets, one child per connection), without the emulators: what goes on
 * the wire (methods, headers, multipart fields, the key where it belongs), and every way a
 * gateway can fail - a 500, malformed JSON, a redirect, a body over the cap, a server that never
 * answers (bounded by KHEDMA_GATEWAY_TIMEOUT_MS), a refused connection - plus logs that never
 * carry a key. The path's first segment tells the server how to behave.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <curl/curl.h>

#include "khedma/config.h"
#include "khedma/crypto.h"
#include "khedma/gateway.h"
#include "khedma/httpclient.h"
#include "khedma/log.h"

#define YCP_KEY "pri_test+k&y"
#define YCP_KEY_ESCAPED "pri_test%2Bk%26y"
#define PT_KEY "SJNZ96JLG-JDMKHGRWT9"
#define TIMEOUT_MS 300

static struct config cfg;
static char *saved_ycp_api, *saved_ycp_form, *saved_pt_api;
static char ycp_api[128], ycp_form[128], pt_api[128];
static int port;
static pid_t server;

/* ---- the server (runs in forked children) ---- */

struct request {
    char head[8192]; /* request line and headers, NUL-terminated */
    char *body;      /* NUL-terminated */
    size_t body_len;
};

static void send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, data, len);
        if (w <= 0)
            return;
        data += w;
        len -= (size_t)w;
    }
}

static void respond(int fd, int status, const char *body)
{
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, strlen(body));
    send_all(fd, head, (size_t)n);
    send_all(fd, body, strlen(body));
}

/* Reads the head up to the blank line, then Content-Length bytes of body. */
static bool read_request(int fd, struct request *rq)
{
    size_t len = 0;
    char *end = NULL;
    static char buf[65536];
    while (!end) {
        ssize_t r = read(fd, buf + len, sizeof buf - 1 - len);
        if (r <= 0)
            return false;
        len += (size_t)r;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    size_t head_len = (size_t)(end - buf) + 4;
    snprintf(rq->head, sizeof rq->head, "%.*s", (int)head_len, buf);
    const char *cl = strcasestr(rq->head, "\r\nContent-Length:");
    size_t want = cl ? strtoul(cl + 17, NULL, 10) : 0;
    while (len - head_len < want && len < sizeof buf - 1) {
        ssize_t r = read(fd, buf + len, sizeof buf - 1 - len);
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    buf[len] = '\0';
    rq->body = buf + head_len;
    rq->body_len = len - head_len;
    return true;
}

static void send_big(int fd, size_t size, bool announce)
{
    char head[256];
    int n = announce ? snprintf(head, sizeof head,
                                "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
                                "Connection: close\r\n\r\n",
                                size)
                     : snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
    send_all(fd, head, (size_t)n);
    static char chunk[65536];
    memset(chunk, 'x', sizeof chunk);
    for (size_t sent = 0; sent < size;) {
        size_t c = size - sent < sizeof chunk ? size - sent : sizeof chunk;
        send_all(fd, chunk, c);
        sent += c;
    }
}

static bool has_field(const struct request *rq, const char *name, const char *value)
{
    char needle[256];
    snprintf(needle, sizeof needle, "name=\"%s\"\r\n\r\n%s\r\n", name, value);
    return strstr(rq->body, needle) != NULL;
}

/* YouCan Pay as documented: the form checked field by field, the key in the lookup query. */
static void serve_youcanpay(int fd, const struct request *rq, const char *rest)
{
    if (strncmp(rest, "/tokenize ", 10) == 0) {
        bool ok =
            strncmp(rq->head, "POST ", 5) == 0 && has_field(rq, "pri_key", YCP_KEY) &&
            has_field(rq, "amount", "50000") && has_field(rq, "currency", "MAD") &&
            has_field(rq, "order_id", "cord1") && has_field(rq, "metadata[order_id]", "cord1") &&
            has_field(rq, "success_url", "http://127.0.0.1:8080/orders/cord1/payment-success") &&
            strcasestr(rq->head, "Content-Type: multipart/form-data; boundary=");
        respond(fd, ok ? 200 : 422, ok ? "{\"token\":{\"id\":\"tok-123\"}}" : "{\"error\":1}");
        return;
    }
    if (!strstr(rest, "?pri_key=" YCP_KEY_ESCAPED " HTTP/1.1")) {
        respond(fd, 401, "{\"message\":\"bad key\"}");
    } else if (strncmp(rest, "/transactions/tx-1?", 19) == 0) {
        respond(fd, 200,
                "{\"id\":\"tx-1\",\"order_id\":\"cord1\",\"status\":1,"
                "\"amount\":\"50000\",\"currency\":\"MAD\",\"created_at\":\"x\"}");
    } else if (strncmp(rest, "/transactions/other?", 20) == 0) {
        respond(fd, 200,
                "{\"id\":\"tx-1\",\"order_id\":\"cord1\",\"status\":1,"
                "\"amount\":50000,\"currency\":\"MAD\"}");
    } else {
        respond(fd, 404, "{\"message\":\"not found\"}");
    }
}

/* PayTabs as documented: the server key in the authorization header, JSON bodies. */
static void serve_paytabs(int fd, const struct request *rq, const char *rest, bool decline)
{
    if (!strcasestr(rq->head, "\r\nauthorization: " PT_KEY "\r\n") ||
        !strcasestr(rq->head, "\r\nContent-Type: application/json\r\n")) {
        respond(fd, 401, "{\"code\":1,\"message\":\"Authentication failed\"}");
    } else if (strncmp(rest, "/payment/query ", 15) == 0 && strstr(rq->body, "\"TST1\"")) {
        respond(fd, 200,
                "{\"tran_ref\":\"TST1\",\"tran_type\":\"Sale\",\"cart_id\":\"cord1\","
                "\"cart_currency\":\"MAD\",\"cart_amount\":\"500.00\","
                "\"payment_result\":{\"response_status\":\"A\"}}");
    } else if (strncmp(rest, "/payment/request ", 17) != 0 ||
               !strstr(rq->body, "\"profile_id\":777,") ||
               !strstr(rq->body, "\"cart_amount\":500.00,")) {
        respond(fd, 400, "{\"code\":2,\"message\":\"Invalid request\"}");
    } else if (strstr(rq->body, "\"tran_type\":\"refund\"")) {
        respond(fd, 200,
                decline ? "{\"tran_ref\":\"TSTR2\",\"payment_result\":"
                          "{\"response_status\":\"D\"}}"
                        : "{\"tran_ref\":\"TSTR1\",\"payment_result\":"
                          "{\"response_status\":\"A\"}}");
    } else {
        respond(fd, 200,
                "{\"tran_ref\":\"TST1\",\"redirect_url\":"
                "\"https://secure.paytabs.com/payment/page/TST1/start\"}");
    }
}

static void serve(int fd)
{
    static struct request rq;
    if (!read_request(fd, &rq))
        return;
    const char *path = strchr(rq.head, ' ');
    if (!path)
        return;
    path++;
    const char *rest = strchr(path + 1, '/');
    rest = rest ? rest : "";
    if (strncmp(path, "/echo/", 6) == 0) {
        char body[65536 + 8192];
        snprintf(body, sizeof body, "%s%s", rq.head, rq.body);
        respond(fd, 200, body);
    } else if (strncmp(path, "/status500/", 11) == 0) {
        respond(fd, 500, "<html><body>Internal Server Error</body></html>");
    } else if (strncmp(path, "/badjson/", 9) == 0) {
        respond(fd, 200, "{\"token\":{\"id\":\"tok-123\"");
    } else if (strncmp(path, "/hang/", 6) == 0) {
        sleep(10); /* killed at teardown */
    } else if (strncmp(path, "/exact/", 7) == 0) {
        send_big(fd, HTTPCLIENT_BODY_MAX, true);
    } else if (strncmp(path, "/big/", 5) == 0) {
        send_big(fd, HTTPCLIENT_BODY_MAX + 1, false);
    } else if (strncmp(path, "/bigcl/", 7) == 0) {
        send_big(fd, 2 * HTTPCLIENT_BODY_MAX, true);
    } else if (strncmp(path, "/redirect/", 10) == 0) {
        const char *moved = "HTTP/1.1 302 Found\r\nLocation: /ycp/tokenize\r\n"
                            "Content-Length: 0\r\nConnection: close\r\n\r\n";
        send_all(fd, moved, strlen(moved));
    } else if (strncmp(path, "/ycp/", 5) == 0) {
        serve_youcanpay(fd, &rq, rest);
    } else if (strncmp(path, "/pt/", 4) == 0 || strncmp(path, "/ptdecline/", 11) == 0) {
        serve_paytabs(fd, &rq, rest, path[3] == 'd');
    } else {
        respond(fd, 404, "{}");
    }
}

static void server_loop(int listen_fd)
{
    signal(SIGCHLD, SIG_IGN); /* connection children are reaped by the kernel */
    for (;;) {
        int fd = accept(listen_fd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            _exit(1);
        }
        if (fork() == 0) {
            close(listen_fd);
            serve(fd);
            shutdown(fd, SHUT_WR);
            close(fd);
            _exit(0);
        }
        close(fd);
    }
}

/* ---- fixture ---- */

static const char *fake_getenv(const char *name)
{
    static const char *const env[] = {
        "KHEDMA_GATEWAY_TIMEOUT_MS=300",
        "KHEDMA_YOUCANPAY_PRIVATE_KEY=" YCP_KEY,
        "KHEDMA_PAYTABS_SERVER_KEY=" PT_KEY,
        "KHEDMA_PAYTABS_PROFILE_ID=777",
        NULL,
    };
    size_t n = strlen(name);
    for (const char *const *e = env; *e; e++) {
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    }
    return NULL;
}

/* Points both gateways at the local server, in the given behaviour. */
static void point_at(const char *mode)
{
    snprintf(ycp_api, sizeof ycp_api, "http://127.0.0.1:%d/%s", port, mode);
    snprintf(ycp_form, sizeof ycp_form, "http://127.0.0.1:%d/form", port);
    snprintf(pt_api, sizeof pt_api, "http://127.0.0.1:%d/%s", port, mode);
    cfg.youcanpay_api = ycp_api;
    cfg.youcanpay_payment_form = ycp_form;
    cfg.paytabs_api = pt_api;
}

static int setup(void **state)
{
    char err[256];
    if (crypto_init() != 0 || config_load(&cfg, fake_getenv, err, sizeof err) != 0)
        return -1;
    saved_ycp_api = cfg.youcanpay_api;
    saved_ycp_form = cfg.youcanpay_payment_form;
    saved_pt_api = cfg.paytabs_api;
    log_set_level(LOG_ERROR);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof addr;
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &alen) != 0)
        return -1;
    port = ntohs(addr.sin_port);
    fflush(NULL);
    server = fork();
    if (server == 0) {
        setpgid(0, 0);
        server_loop(fd);
    }
    setpgid(server, server); /* also here, so teardown's kill cannot race the child's own call */
    close(fd);
    return server > 0 ? 0 : -1;
}

static int teardown(void **state)
{
    kill(-server, SIGKILL); /* the server and any connection child still hanging */
    waitpid(server, NULL, 0);
    cfg.youcanpay_api = saved_ycp_api;
    cfg.youcanpay_payment_form = saved_ycp_form;
    cfg.paytabs_api = saved_pt_api;
    config_free(&cfg);
    httpclient_cleanup();
    curl_global_cleanup();
    return 0;
}

static long elapsed_ms(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

static char url_buf[256];
static const char *url(const char *path)
{
    snprintf(url_buf, sizeof url_buf, "http://127.0.0.1:%d%s", port, path);
    return url_buf;
}

static const struct gateway_checkout_request request = {
    .order_id = "cord1",
    .amount = "500.00",
    .currency = "MAD",
    .description = "Logo",
    .customer = {.name = "Amina", .email = "a@example.com", .phone = "+2126", .ip = "1.2.3.4"},
};

/* ---- the HTTP layer ---- */

static void test_get(void **state)
{
    const char *headers[] = {"X-Test: yes", NULL};
    struct httpclient_response r;
    assert_int_equal(httpclient_get(url("/echo/get?a=1"), headers, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "GET /echo/get?a=1 HTTP/1.1\r\n"));
    assert_non_null(strcasestr(r.body, "\r\nX-Test: yes\r\n"));
    assert_non_null(strcasestr(r.body, "\r\nAccept: application/json\r\n"));
    assert_non_null(strcasestr(r.body, "\r\nUser-Agent: khedma/1\r\n"));
    assert_int_equal(r.len, strlen(r.body));
    httpclient_response_free(&r);
    assert_null(r.body);
}

static void test_post_json(void **state)
{
    struct httpclient_response r;
    /* Over 1 KiB, where libcurl would otherwise send "Expect: 100-continue" and wait. */
    char json[2048];
    snprintf(json, sizeof json, "{\"pad\":\"%01900d\"}", 0);
    assert_int_equal(httpclient_post_json(url("/echo/json"), NULL, json, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "POST /echo/json HTTP/1.1\r\n"));
    assert_non_null(strcasestr(r.body, "\r\nContent-Type: application/json\r\n"));
    assert_null(strcasestr(r.body, "Expect:"));
    assert_non_null(strstr(r.body, json));
    httpclient_response_free(&r);
}

static void test_post_form(void **state)
{
    const struct httpclient_field fields[] = {{"amount", "50000"}, {"metadata[order_id]", "c1"}};
    struct httpclient_response r;
    assert_int_equal(httpclient_post_form(url("/echo/form"), NULL, fields, 2, &r), 0);
    assert_non_null(strcasestr(r.body, "Content-Type: multipart/form-data; boundary="));
    assert_non_null(strstr(r.body, "name=\"amount\"\r\n\r\n50000\r\n"));
    assert_non_null(strstr(r.body, "name=\"metadata[order_id]\"\r\n\r\nc1\r\n"));
    httpclient_response_free(&r);
}

static void test_status_is_reported(void **state)
{
    struct httpclient_response r;
    assert_int_equal(httpclient_get(url("/status500/x"), NULL, &r), 0);
    assert_int_equal(r.status, 500);
    httpclient_response_free(&r);
    /* Redirects are answers, never followed. */
    assert_int_equal(httpclient_get(url("/redirect/x"), NULL, &r), 0);
    assert_int_equal(r.status, 302);
    assert_int_equal(r.len, 0);
    assert_string_equal(r.body, "");
    httpclient_response_free(&r);
}

static void test_body_cap(void **state)
{
    struct httpclient_response r;
    assert_int_equal(httpclient_get(url("/exact/x"), NULL, &r), 0);
    assert_int_equal(r.len, HTTPCLIENT_BODY_MAX);
    httpclient_response_free(&r);
    assert_int_equal(httpclient_get(url("/big/x"), NULL, &r), -1); /* streamed, no length */
    assert_null(r.body);
    assert_int_equal(httpclient_get(url("/bigcl/x"), NULL, &r), -1); /* announced too long */
    assert_null(r.body);
}

static void test_timeout(void **state)
{
    struct timespec start;
    struct httpclient_response r;
    clock_gettime(CLOCK_MONOTONIC, &start);
    assert_int_equal(httpclient_get(url("/hang/x"), NULL, &r), -1);
    long ms = elapsed_ms(&start);
    if (ms < TIMEOUT_MS - 20 || ms > TIMEOUT_MS + 700)
        fail_msg("gave up after %ld ms, timeout is %d ms", ms, TIMEOUT_MS);
    /* The same through a gateway call. */
    point_at("hang");
    struct gateway_transaction t;
    struct err e = {0};
    clock_gettime(CLOCK_MONOTONIC, &start);
    assert_int_equal(gateway_lookup(GATEWAY_YOUCANPAY, "tx-1", &t, &e), E_BAD_GATEWAY);
    ms = elapsed_ms(&start);
    if (ms > TIMEOUT_MS + 700)
        fail_msg("gateway call gave up after %ld ms", ms);
}

static void test_refused_protocols(void **state)
{
    struct httpclient_response r;
    assert_int_equal(httpclient_get("file:///etc/hostname", NULL, &r), -1);
    assert_int_equal(httpclient_get("ftp://127.0.0.1:1/", NULL, &r), -1);
    assert_int_equal(httpclient_get("not a url", NULL, &r), -1);
    /* TLS verification stays on: a plain-http port spoken to as https fails. */
    assert_int_equal(httpclient_get(url("/echo/x"), NULL, &r), 0);
    httpclient_response_free(&r);
    char https[128];
    snprintf(https, sizeof https, "https://127.0.0.1:%d/echo/x", port);
    assert_int_equal(httpclient_get(https, NULL, &r), -1);
}

static void test_redact_url(void **state)
{
    char out[128];
    httpclient_redact_url("https://user:pw@h.example:8443/api/transactions/t1?pri_key=s#f", out,
                          sizeof out);
    assert_string_equal(out, "https://h.example:8443/api/transactions/t1");
    httpclient_redact_url("http://h/a@b?x=@", out, sizeof out);
    assert_string_equal(out, "http://h/a@b");
    httpclient_redact_url("http://h/p?q", out, 8);
    assert_string_equal(out, "http://");
    httpclient_redact_url(NULL, out, sizeof out);
    assert_string_equal(out, "");
}

/* ---- gateway failures over the wire ---- */

static void assert_all_fail(const char *mode)
{
    point_at(mode);
    struct err e = {0};
    struct gateway_checkout_result res;
    struct gateway_transaction t;
    char ref[129];
    assert_int_equal(gateway_checkout(GATEWAY_YOUCANPAY, &request, &res, &e), E_BAD_GATEWAY);
    assert_string_equal(res.token_id, "");
    assert_int_equal(gateway_checkout(GATEWAY_PAYTABS, &request, &res, &e), E_BAD_GATEWAY);
    assert_null(res.paytabs_request);
    assert_int_equal(gateway_lookup(GATEWAY_YOUCANPAY, "tx-1", &t, &e), E_BAD_GATEWAY);
    assert_int_equal(gateway_lookup(GATEWAY_PAYTABS, "TST1", &t, &e), E_BAD_GATEWAY);
    assert_int_equal(gateway_refund(GATEWAY_PAYTABS, "TST1", "cord1", "500.00", "MAD", ref, &e),
                     E_BAD_GATEWAY);
    assert_string_equal(e.message, "Payment gateway unavailable");
}

static void test_gateway_500(void **state)
{
    assert_all_fail("status500");
}

static void test_gateway_malformed_json(void **state)
{
    assert_all_fail("badjson");
}

static void test_gateway_redirect(void **state)
{
    assert_all_fail("redirect");
}

static void test_gateway_oversized(void **state)
{
    assert_all_fail("big");
}

/* ---- gateway successes over the wire ---- */

static void test_youcanpay_flow(void **state)
{
    point_at("ycp");
    struct err e = {0};
    struct gateway_checkout_result res;
    assert_int_equal(gateway_checkout(GATEWAY_YOUCANPAY, &request, &res, &e), E_OK);
    assert_string_equal(res.token_id, "tok-123");
    char expected[256];
    snprintf(expected, sizeof expected, "http://127.0.0.1:%d/form/tok-123", port);
    assert_string_equal(res.payment_url, expected);
    assert_null(res.paytabs_request);
    gateway_checkout_result_free(&res);

    struct gateway_transaction t;
    assert_int_equal(gateway_lookup(GATEWAY_YOUCANPAY, "tx-1", &t, &e), E_OK);
    assert_string_equal(t.id, "tx-1");
    assert_string_equal(t.order_id, "cord1");
    assert_int_equal(t.status, GATEWAY_TXN_PAID);
    assert_string_equal(t.amount, "500.00");
    assert_string_equal(t.currency, "MAD");
    assert_int_equal(gateway_lookup(GATEWAY_YOUCANPAY, "missing", &t, &e), E_NOT_FOUND);
    /* An answer about another transaction than the one asked for is not trusted. */
    assert_int_equal(gateway_lookup(GATEWAY_YOUCANPAY, "other", &t, &e), E_BAD_GATEWAY);
    assert_string_equal(t.order_id, "");
    /* The amount sent is checked by the server: 12.50 MAD is not the 50000 it expects. */
    struct gateway_checkout_request other = request;
    other.amount = "12.50";
    assert_int_equal(gateway_checkout(GATEWAY_YOUCANPAY, &other, &res, &e), E_BAD_GATEWAY);
}

static void test_paytabs_flow(void **state)
{
    point_at("pt");
    struct err e = {0};
    struct gateway_checkout_result res;
    assert_int_equal(gateway_checkout(GATEWAY_PAYTABS, &request, &res, &e), E_OK);
    assert_string_equal(res.tran_ref, "TST1");
    assert_string_equal(res.redirect_url, "https://secure.paytabs.com/payment/page/TST1/start");
    assert_non_null(res.paytabs_request);
    assert_string_equal(
        json_object_to_json_string(json_object_object_get(res.paytabs_request, "cart_amount")),
        "500.00");
    gateway_checkout_result_free(&res);
    assert_null(res.paytabs_request);

    struct gateway_transaction t;
    assert_int_equal(gateway_lookup(GATEWAY_PAYTABS, "TST1", &t, &e), E_OK);
    assert_int_equal(t.status, GATEWAY_TXN_PAID);
    assert_string_equal(t.order_id, "cord1");
    assert_string_equal(t.amount, "500.00");

    char ref[129];
    assert_int_equal(gateway_refund(GATEWAY_PAYTABS, "TST1", "cord1", "500", "MAD", ref, &e), E_OK);
    assert_string_equal(ref, "TSTR1");
    point_at("ptdecline");
    assert_int_equal(gateway_refund(GATEWAY_PAYTABS, "TST1", "cord1", "500.00", "MAD", ref, &e),
                     E_PRECONDITION);
    assert_string_equal(ref, "");
}

/* ---- logs ---- */

/* Runs calls that fail in every logged way with stderr captured, and checks the log. */
static void test_logs_carry_no_key(void **state)
{
    FILE *capture = tmpfile();
    assert_non_null(capture);
    int saved = dup(STDERR_FILENO);
    dup2(fileno(capture), STDERR_FILENO);
    log_set_level(LOG_DEBUG);

    int closed = socket(AF_INET, SOCK_STREAM, 0); /* a port nothing listens on */
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof addr;
    bind(closed, (struct sockaddr *)&addr, sizeof addr);
    getsockname(closed, (struct sockaddr *)&addr, &alen);
    close(closed);
    char refused[128];
    snprintf(refused, sizeof refused, "http://127.0.0.1:%d/api", ntohs(addr.sin_port));
    cfg.youcanpay_api = refused;
    cfg.paytabs_api = refused;
    struct gateway_transaction t;
    struct err e = {0};
    assert_int_equal(gateway_lookup(GATEWAY_YOUCANPAY, "tx-1", &t, &e), E_BAD_GATEWAY);
    assert_int_equal(gateway_lookup(GATEWAY_PAYTABS, "TST1", &t, &e), E_BAD_GATEWAY);
    point_at("status500");
    assert_int_equal(gateway_lookup(GATEWAY_YOUCANPAY, "tx-1", &t, &e), E_BAD_GATEWAY);
    point_at("big");
    assert_int_equal(gateway_lookup(GATEWAY_YOUCANPAY, "tx-1", &t, &e), E_BAD_GATEWAY);

    log_set_level(LOG_ERROR);
    dup2(saved, STDERR_FILENO);
    close(saved);
    static char logged[16384];
    rewind(capture);
    logged[fread(logged, 1, sizeof logged - 1, capture)] = '\0';
    fclose(capture);
    assert_non_null(strstr(logged, "/api/transactions/tx-1")); /* the path, for diagnosis */
    assert_non_null(strstr(logged, "/api/payment/query"));
    assert_null(strstr(logged, "pri_key"));
    assert_null(strstr(logged, "pri_test"));
    assert_null(strstr(logged, YCP_KEY_ESCAPED));
    assert_null(strstr(logged, PT_KEY));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_post_json),
        cmocka_unit_test(test_post_form),
        cmocka_unit_test(test_status_is_reported),
        cmocka_unit_test(test_body_cap),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_refused_protocols),
        cmocka_unit_test(test_redact_url),
        cmocka_unit_test(test_gateway_500),
        cmocka_unit_test(test_gateway_malformed_json),
        cmocka_unit_test(test_gateway_redirect),
        cmocka_unit_test(test_gateway_oversized),
        cmocka_unit_test(test_youcanpay_flow),
        cmocka_unit_test(test_paytabs_flow),
        cmocka_unit_test(test_logs_carry_no_key),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
