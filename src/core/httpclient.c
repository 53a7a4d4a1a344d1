/*
 * httpclient.c - outgoing HTTP for the gateway clients over one libcurl easy handle per process.
 *
 * Why one handle, reset between calls: libcurl keeps its connection cache, DNS cache and TLS
 * session cache in the handle, so reusing it saves a TCP and TLS handshake per gateway call,
 * while curl_easy_reset() makes sure no option of one call (a form, a header carrying a key)
 * leaks into the next. Each call sets everything it relies on again.
 *
 * The handle is tied to the process that made it: after fork() a child must not touch its
 * parent's connections (a TLS close from the child would end the parent's session), so a child
 * forgets an inherited handle and makes its own.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <curl/curl.h>

#include "khedma/config.h"
#include "khedma/httpclient.h"
#include "khedma/log.h"
#include "khedma/metrics.h"

#define DEFAULT_TIMEOUT_MS 10000L
#define USER_AGENT "khedma/1"

static CURL *handle;
static pid_t handle_pid;

/* The response body as it arrives, refused past HTTPCLIENT_BODY_MAX. */
struct sink {
    char *buf;
    size_t len;
    size_t cap;
    bool over;
    bool oom;
};

static size_t sink_write(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct sink *s = userdata;
    size_t n = size * nmemb;
    if (n > HTTPCLIENT_BODY_MAX - s->len) {
        s->over = true;
        return 0; /* anything short of n makes libcurl stop with CURLE_WRITE_ERROR */
    }
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n + 1)
            cap *= 2;
        if (cap > HTTPCLIENT_BODY_MAX + 1)
            cap = HTTPCLIENT_BODY_MAX + 1;
        char *grown = realloc(s->buf, cap);
        if (!grown) {
            s->oom = true;
            return 0;
        }
        s->buf = grown;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    s->buf[s->len] = '\0';
    return n;
}

static CURL *fresh_handle(void)
{
    pid_t pid = getpid();
    if (handle && handle_pid != pid)
        handle = NULL; /* the parent's (see the top of the file); its memory is the parent's copy */
    if (handle) {
        curl_easy_reset(handle);
        return handle;
    }
    handle = curl_easy_init();
    handle_pid = pid;
    if (!handle)
        log_error("libcurl: cannot create a handle");
    return handle;
}

static void append(char *out, size_t outlen, size_t *pos, const char *s, size_t n)
{
    if (*pos + 1 >= outlen)
        return;
    if (n > outlen - 1 - *pos)
        n = outlen - 1 - *pos;
    memcpy(out + *pos, s, n);
    *pos += n;
    out[*pos] = '\0';
}

void httpclient_redact_url(const char *url, char *out, size_t outlen)
{
    if (outlen == 0)
        return;
    out[0] = '\0';
    if (!url)
        return;
    size_t pos = 0;
    const char *p = url;
    const char *scheme_end = strstr(url, "://");
    if (scheme_end && scheme_end < url + strcspn(url, "/?#")) {
        append(out, outlen, &pos, url, (size_t)(scheme_end + 3 - url));
        p = scheme_end + 3;
        /* user:password@ sits before the first '/', '?' or '#' of the authority. */
        size_t authority = strcspn(p, "/?#");
        const char *at = memrchr(p, '@', authority);
        if (at)
            p = at + 1;
    }
    append(out, outlen, &pos, p, strcspn(p, "?#"));
}

/* Logs why a call failed: the redacted URL, libcurl's reason, and its detail cut at any '?' in
 * case a future libcurl quotes a URL there. */
static void log_failure(const char *url, CURLcode rc, const char *detail, const struct sink *s)
{
    char safe[512];
    httpclient_redact_url(url, safe, sizeof safe);
    if (s->over) {
        log_warn("http call to %s failed: response body over %d bytes", safe, HTTPCLIENT_BODY_MAX);
        return;
    }
    if (s->oom) {
        log_error("http call to %s failed: out of memory", safe);
        return;
    }
    int detail_len = (int)strcspn(detail, "?");
    log_warn("http call to %s failed: %s%s%.*s", safe, curl_easy_strerror(rc),
             detail_len > 0 ? ": " : "", detail_len, detail);
}

/* The options every call shares. Returns false when libcurl refuses one of them: a call that
 * cannot be made safely is not made at all. */
static bool set_common(CURL *h, const char *url, struct curl_slist *headers, struct sink *s,
                       char *errbuf)
{
    long timeout = g_config && g_config->gateway_timeout_ms > 0 ? g_config->gateway_timeout_ms
                                                                : DEFAULT_TIMEOUT_MS;
    return curl_easy_setopt(h, CURLOPT_URL, url) == CURLE_OK &&
           curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
           curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
           curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
           curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
           /* Signals would interrupt a FastCGI worker; the worker ignores SIGPIPE itself. */
           curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
           curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout) == CURLE_OK &&
           curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout) == CURLE_OK &&
           /* Refuses early a body announced (Content-Length) over the cap. */
           curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)HTTPCLIENT_BODY_MAX) ==
               CURLE_OK &&
           curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write) == CURLE_OK &&
           curl_easy_setopt(h, CURLOPT_WRITEDATA, s) == CURLE_OK &&
           curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) == CURLE_OK &&
           curl_easy_setopt(h, CURLOPT_USERAGENT, USER_AGENT) == CURLE_OK &&
           curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers) == CURLE_OK;
}

/* The caller's headers plus ours. "Expect:" stops libcurl from announcing bodies over 1 KiB with
 * "Expect: 100-continue" and then waiting up to a second for a server that never sends 100. */
static struct curl_slist *build_headers(const char *const *headers, const char *content_type)
{
    struct curl_slist *list = curl_slist_append(NULL, "Accept: application/json");
    if (list && content_type)
        list = curl_slist_append(list, content_type);
    if (list)
        list = curl_slist_append(list, "Expect:");
    for (const char *const *h = headers; list && h && *h; h++) {
        struct curl_slist *next = curl_slist_append(list, *h);
        if (!next) {
            curl_slist_free_all(list);
            return NULL;
        }
        list = next;
    }
    return list;
}

/* Counted per gateway (by the configured bases) and outcome; the time is libcurl's own. */
static void note_call(CURL *h, const char *url, CURLcode rc)
{
    long status = 0;
    double seconds = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(h, CURLINFO_TOTAL_TIME, &seconds);
    enum metrics_outcome out =
        metrics_outcome_of(rc == CURLE_OK, rc == CURLE_OPERATION_TIMEDOUT, status);
    metrics_observe_gateway(metrics_gateway_of_url(url), out, seconds);
}

/* Runs the prepared request on h and fills res. */
static int perform(CURL *h, const char *url, struct curl_slist *headers,
                   struct httpclient_response *res)
{
    struct sink s = {0};
    char errbuf[CURL_ERROR_SIZE] = "";
    if (!set_common(h, url, headers, &s, errbuf)) {
        log_error("http call: libcurl refused the call options");
        return -1;
    }
    CURLcode rc = curl_easy_perform(h);
    note_call(h, url, rc);
    if (rc == CURLE_OK && !s.buf) {
        s.buf = calloc(1, 1); /* an empty body is still a NUL-terminated string */
        s.oom = !s.buf;
    }
    if (rc != CURLE_OK || s.oom) {
        log_failure(url, rc, errbuf, &s);
        free(s.buf);
        return -1;
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    res->status = status;
    res->body = s.buf;
    res->len = s.len;
    return 0;
}

/* The verb-specific part: a JSON body, a multipart form (*mime, freed by the caller) or a GET. */
static bool set_body(CURL *h, const char *json, const struct httpclient_field *fields, size_t count,
                     curl_mime **mime)
{
    /* On a reused connection that the gateway had closed, libcurl silently sends the request
     * again: a POST (token, payment page, refund) could then be made twice, and a failure would
     * look like success. One fresh connection per call means each call is sent exactly once and
     * fails as it happened; gateway calls are few per order, so the handshake is cheap. */
    if (curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L) != CURLE_OK)
        return false;
    if (json)
        return curl_easy_setopt(h, CURLOPT_POSTFIELDS, json) == CURLE_OK &&
               curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(json)) ==
                   CURLE_OK;
    if (!fields)
        return curl_easy_setopt(h, CURLOPT_HTTPGET, 1L) == CURLE_OK;
    *mime = curl_mime_init(h);
    if (!*mime)
        return false;
    for (size_t i = 0; i < count; i++) {
        curl_mimepart *part = curl_mime_addpart(*mime);
        if (!part || curl_mime_name(part, fields[i].name) != CURLE_OK ||
            curl_mime_data(part, fields[i].value, CURL_ZERO_TERMINATED) != CURLE_OK)
            return false;
    }
    return curl_easy_setopt(h, CURLOPT_MIMEPOST, *mime) == CURLE_OK;
}

/* Shared by the three verbs: headers built, the body set up, the call made. */
static int call(const char *url, const char *const *headers, const char *content_type,
                const char *json, const struct httpclient_field *fields, size_t count,
                struct httpclient_response *res)
{
    memset(res, 0, sizeof *res);
    CURL *h = fresh_handle();
    if (!h)
        return -1;
    struct curl_slist *list = build_headers(headers, content_type);
    curl_mime *mime = NULL;
    int rc = -1;
    if (!list)
        log_error("http call: out of memory");
    else if (!set_body(h, json, fields, count, &mime))
        log_error("http call: cannot prepare the request body");
    else
        rc = perform(h, url, list, res);
    /* Forget the form and the headers (one carries a key) before freeing them, so the handle
     * never holds a dangling pointer between calls. */
    curl_easy_reset(h);
    curl_mime_free(mime);
    curl_slist_free_all(list);
    return rc;
}

int httpclient_get(const char *url, const char *const *headers, struct httpclient_response *res)
{
    return call(url, headers, NULL, NULL, NULL, 0, res);
}

int httpclient_post_json(const char *url, const char *const *headers, const char *json,
                         struct httpclient_response *res)
{
    return call(url, headers, "Content-Type: application/json", json ? json : "", NULL, 0, res);
}

int httpclient_post_form(const char *url, const char *const *headers,
                         const struct httpclient_field *fields, size_t count,
                         struct httpclient_response *res)
{
    /* libcurl writes the multipart Content-Type itself, with its boundary. A form with no fields
     * still needs a non-NULL list to be sent as a POST. */
    static const struct httpclient_field none[1] = {{"", ""}};
    return call(url, headers, NULL, NULL, fields ? fields : none, fields ? count : 0, res);
}

void httpclient_response_free(struct httpclient_response *res)
{
    if (!res)
        return;
    free(res->body);
    memset(res, 0, sizeof *res);
}

void httpclient_cleanup(void)
{
    if (handle && handle_pid == getpid())
        curl_easy_cleanup(handle);
    handle = NULL;
}
