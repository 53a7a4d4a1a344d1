/*
 * http.c - one HTTP request and its response, kept apart from FastCGI so every parser here can be
 * unit tested with plain strings. The request is built from CGI-style "NAME=value" params (what
 * nginx hands libfcgi); the response is serialised as a CGI response ("Status:" line, headers,
 * blank line, body) that nginx turns back into HTTP.
 *
 * Everything is validated at this edge: malformed escapes and encoded NULs in the path or query
 * make the request malformed, untrusted request ids are replaced, and response headers that could
 * split the response (CR/LF or other control characters) are dropped rather than written.
 *
 * Memory: every string a request or response points to is owned by it and released by
 * request_free()/response_free(). Allocation failure aborts: a worker that cannot allocate a few
 * bytes cannot answer anyway, and the master respawns it.
 */
#include "khedma/http.h"
#include "khedma/percent.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

/* Length of a generated request id; 36^24 values make collisions across hosts negligible. */
#define GENERATED_ID_LEN 24
/* Longest HTTP_* param name we turn into a header; longer names are ignored, not truncated. */
#define HEADER_NAME_MAX 256

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        abort();
    return p;
}

static void *xrealloc(void *old, size_t n)
{
    void *p = realloc(old, n ? n : 1);
    if (!p)
        abort();
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

/* ---- decoding and parsing ---- */

/* Decode one "key=value" pair of a query string and append it; false on a malformed escape. */
static bool add_query_pair(const char *pair, size_t len, struct kv_list *l)
{
    const char *eq = memchr(pair, '=', len);
    size_t klen = eq ? (size_t)(eq - pair) : len;
    size_t dk, dv;
    char *key = percent_decode(pair, klen, true, &dk);
    if (!key)
        return false;
    /* "a" alone is a key with an empty value, as browsers and most frameworks read it. */
    char *value = eq ? percent_decode(eq + 1, len - klen - 1, true, &dv) : xstrdup("");
    if (!value) {
        free(key);
        return false;
    }
    kv_list_add_n(l, key, dk, value, eq ? dv : 0);
    free(key);
    free(value);
    return true;
}

int http_parse_query(const char *qs, struct kv_list *l)
{
    size_t start = l->len;
    const char *p = qs ? qs : "";
    while (*p) {
        size_t len = strcspn(p, "&");
        if (len > 0 && !add_query_pair(p, len, l)) {
            /* All or nothing, so a caller never acts on half a query. */
            kv_list_truncate(l, start);
            return -1;
        }
        p += len;
        if (*p == '&')
            p++;
    }
    return 0;
}

/* ASCII-only on purpose: isalnum() would follow the process locale. */
static bool is_ascii_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool is_cookie_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Trim spaces and tabs from both ends of [*s, *s + *len). */
static void trim_span(const char **s, size_t *len)
{
    while (*len > 0 && is_cookie_space(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && is_cookie_space((*s)[*len - 1]))
        (*len)--;
}

void http_parse_cookies(const char *header, struct kv_list *l)
{
    const char *p = header ? header : "";
    while (*p) {
        size_t len = strcspn(p, ";");
        const char *eq = memchr(p, '=', len);
        if (eq) {
            const char *name = p, *value = eq + 1;
            size_t nlen = (size_t)(eq - p), vlen = len - nlen - 1;
            trim_span(&name, &nlen);
            trim_span(&value, &vlen);
            /* RFC 6265 allows a cookie value wrapped in double quotes; the quotes are not part
             * of the value. */
            if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
                value++;
                vlen -= 2;
            }
            if (nlen > 0)
                kv_list_add_n(l, name, nlen, value, vlen);
        }
        p += len;
        if (*p == ';')
            p++;
    }
}

bool http_header_name_from_param(const char *param, char *out, size_t outlen)
{
    static const char prefix[] = "HTTP_";
    size_t plen = sizeof prefix - 1;
    if (!param || strncmp(param, prefix, plen) != 0 || param[plen] == '\0')
        return false;
    const char *name = param + plen;
    size_t n = strlen(name);
    if (n + 1 > outlen)
        return false;
    for (size_t i = 0; i < n; i++)
        out[i] = name[i] == '_' ? '-' : (char)ascii_lower(name[i]);
    out[n] = '\0';
    return true;
}

bool http_request_id_valid(const char *id)
{
    if (!id)
        return false;
    size_t n = strlen(id);
    if (n < 1 || n > REQUEST_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)id[i];
        if (!is_ascii_alnum(c) && c != '.' && c != '_' && c != '-')
            return false;
    }
    return true;
}

/* ---- requests ---- */

/* The CGI params a request is built from; each points into the caller's envp. */
struct cgi_params {
    const char *method, *request_uri, *document_uri, *script_name, *path_info;
    const char *query_string, *content_type, *content_length, *remote_addr;
};

static long long monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* If entry is "NAME=value" with NAME among the known params, remember value (first one wins). */
static void remember_param(struct cgi_params *cp, const char *entry, size_t nlen, const char *value)
{
    static const struct {
        const char *name;
        size_t offset;
    } known[] = {
        {"REQUEST_METHOD", offsetof(struct cgi_params, method)},
        {"REQUEST_URI", offsetof(struct cgi_params, request_uri)},
        {"DOCUMENT_URI", offsetof(struct cgi_params, document_uri)},
        {"SCRIPT_NAME", offsetof(struct cgi_params, script_name)},
        {"PATH_INFO", offsetof(struct cgi_params, path_info)},
        {"QUERY_STRING", offsetof(struct cgi_params, query_string)},
        {"CONTENT_TYPE", offsetof(struct cgi_params, content_type)},
        {"CONTENT_LENGTH", offsetof(struct cgi_params, content_length)},
        {"REMOTE_ADDR", offsetof(struct cgi_params, remote_addr)},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strlen(known[i].name) == nlen && memcmp(known[i].name, entry, nlen) == 0) {
            const char **slot = (const char **)((char *)cp + known[i].offset);
            if (!*slot)
                *slot = value;
            return;
        }
    }
}

/* Walk envp once: known params into cp, HTTP_* params into the header list. */
static void collect_params(struct request *r, char **envp, struct cgi_params *cp)
{
    char name[HEADER_NAME_MAX];
    for (char **e = envp; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq)
            continue;
        size_t nlen = (size_t)(eq - *e);
        if (nlen > 5 && strncmp(*e, "HTTP_", 5) == 0 && nlen < sizeof name) {
            char param[HEADER_NAME_MAX];
            memcpy(param, *e, nlen);
            param[nlen] = '\0';
            if (http_header_name_from_param(param, name, sizeof name))
                kv_list_add(&r->headers, name, eq + 1);
        } else {
            remember_param(cp, *e, nlen, eq + 1);
        }
    }
}

/* Skip "scheme://authority" of an absolute-form request target, leaving the path. */
static const char *skip_authority(const char *uri)
{
    if (uri[0] == '/')
        return uri;
    const char *sep = strstr(uri, "://");
    if (!sep)
        return uri;
    const char *path = sep + 3 + strcspn(sep + 3, "/?");
    return path;
}

/* "%2F" or "%2f" in the raw path: a separator the decoded path cannot tell from a real one. */
static bool has_encoded_slash(const char *p, size_t len)
{
    for (size_t i = 0; i + 2 < len; i++)
        if (p[i] == '%' && p[i + 1] == '2' && (p[i + 2] == 'f' || p[i + 2] == 'F'))
            return true;
    return false;
}

/* Path from REQUEST_URI (raw, so decoded here). On a malformed path the raw text is kept so the
 * error response and the access log still have something to show; returns -1. */
static int path_from_request_uri(struct request *r, const char *uri, const char **query)
{
    const char *p = skip_authority(uri);
    size_t plen = strcspn(p, "?");
    *query = p[plen] == '?' ? p + plen + 1 : NULL;
    r->target_len = strlen(p);
    if (plen == 0) {
        r->path = xstrdup("/");
        return 0;
    }
    r->path_encoded_slash = has_encoded_slash(p, plen);
    r->path = percent_decode(p, plen, false, NULL);
    if (!r->path) {
        r->path = xstrndup(p, plen);
        return -1;
    }
    return 0;
}

/* Fill path and query. DOCUMENT_URI and SCRIPT_NAME+PATH_INFO are already decoded by nginx, so
 * they are taken as they are; only REQUEST_URI is raw. */
static int set_target(struct request *r, const struct cgi_params *cp)
{
    int rc = 0;
    const char *uri_query = NULL;
    if (cp->request_uri && cp->request_uri[0]) {
        rc = path_from_request_uri(r, cp->request_uri, &uri_query);
    } else if (cp->document_uri && cp->document_uri[0]) {
        r->path = xstrdup(cp->document_uri);
    } else {
        const char *sn = cp->script_name ? cp->script_name : "";
        const char *pi = cp->path_info ? cp->path_info : "";
        size_t sl = strlen(sn), pl = strlen(pi);
        r->path = xmalloc(sl + pl + 2);
        memcpy(r->path, sn, sl);
        memcpy(r->path + sl, pi, pl + 1);
        if (r->path[0] == '\0')
            strcpy(r->path, "/");
    }
    /* QUERY_STRING wins over the REQUEST_URI tail: an nginx rewrite may have changed it. */
    r->raw_query = xstrdup(cp->query_string ? cp->query_string : uri_query ? uri_query : "");
    if (!cp->request_uri || !cp->request_uri[0])
        r->target_len = strlen(r->path) + (r->raw_query[0] ? 1 + strlen(r->raw_query) : 0);
    if (http_parse_query(r->raw_query, &r->query) < 0)
        rc = -1;
    return rc;
}

/* CONTENT_LENGTH as a non-negative integer, -1 when absent or not a plain decimal number. */
static long long parse_content_length(const char *s)
{
    if (!s || !*s)
        return -1;
    long long n = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        if (n > (LLONG_MAX - 9) / 10)
            return -1;
        n = n * 10 + (*p - '0');
    }
    return n;
}

/* Echo a well-formed X-Request-Id so a caller can follow its request through our logs; anything
 * else is replaced, since it would end up in logs and response headers. */
static void set_request_id(struct request *r)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    const char *incoming = kv_list_get(&r->headers, "x-request-id");
    if (http_request_id_valid(incoming)) {
        strcpy(r->request_id, incoming);
        return;
    }
    /* The process calls sodium_init() at start; calling it again is cheap and harmless, and
     * keeps this module correct in tests and tools that forget to. It only fails when there is
     * no usable random source, and then nothing secure (ids, tokens) can be made: stop. */
    if (sodium_init() < 0)
        abort();
    for (size_t i = 0; i < GENERATED_ID_LEN; i++)
        r->request_id[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
    r->request_id[GENERATED_ID_LEN] = '\0';
}

/* nginx sends CONTENT_TYPE/CONTENT_LENGTH outside HTTP_*; mirror them into the header list so
 * request_header("content-type") works whichever way they arrived. */
static void mirror_content_headers(struct request *r, const struct cgi_params *cp)
{
    if (cp->content_type && cp->content_type[0] && !kv_list_get(&r->headers, "content-type"))
        kv_list_add(&r->headers, "content-type", cp->content_type);
    if (cp->content_length && cp->content_length[0] && !kv_list_get(&r->headers, "content-length"))
        kv_list_add(&r->headers, "content-length", cp->content_length);
}

int request_from_params(struct request *r, char **envp)
{
    struct cgi_params cp = {0};
    int rc = 0;
    memset(r, 0, sizeof *r);
    r->started_us = monotonic_us();
    collect_params(r, envp, &cp);

    if (!cp.method || !cp.method[0])
        rc = -1;
    r->method = xstrdup(cp.method ? cp.method : "");
    if (set_target(r, &cp) < 0)
        rc = -1;
    mirror_content_headers(r, &cp);
    const char *ct = kv_list_get(&r->headers, "content-type");
    r->content_type = ct && ct[0] ? xstrdup(ct) : NULL;
    r->content_length = parse_content_length(cp.content_length);
    r->remote_addr = xstrdup(cp.remote_addr ? cp.remote_addr : "");
    /* A browser sends one Cookie header, but a proxy may pass several; read them all. */
    for (size_t i = 0; i < r->headers.len; i++)
        if (strcmp(r->headers.items[i].key, "cookie") == 0)
            http_parse_cookies(r->headers.items[i].value, &r->cookies);
    set_request_id(r);
    return rc;
}

void request_set_body(struct request *r, const char *body, size_t len)
{
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
    if (body && len > 0) {
        r->body = xstrndup(body, len);
        r->body_len = len;
    }
}

const char *request_header(const struct request *r, const char *lower_name)
{
    return kv_list_get_ci(&r->headers, lower_name);
}

const char *request_query(const struct request *r, const char *key)
{
    return kv_list_get(&r->query, key);
}

const char *request_cookie(const struct request *r, const char *name)
{
    return kv_list_get(&r->cookies, name);
}

bool request_is_json(const struct request *r)
{
    static const char json[] = "application/json";
    const char *ct = r->content_type ? r->content_type : request_header(r, "content-type");
    if (!ct)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    if (strncasecmp(ct, json, sizeof json - 1) != 0)
        return false;
    /* Only parameters may follow the media type: "application/jsonp" is something else. */
    const char *rest = ct + sizeof json - 1;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    return *rest == '\0' || *rest == ';';
}

void request_free(struct request *r)
{
    free(r->method);
    free(r->path);
    free(r->raw_query);
    kv_list_free(&r->query);
    kv_list_free(&r->headers);
    kv_list_free(&r->cookies);
    free(r->content_type);
    free(r->remote_addr);
    free(r->body);
    memset(r, 0, sizeof *r);
    r->content_length = -1;
}

/* ---- responses ---- */

void response_init(struct response *resp)
{
    memset(resp, 0, sizeof *resp);
    resp->status = 200;
}

void response_header(struct response *resp, const char *name, const char *value)
{
    kv_list_add(&resp->headers, name, value);
}

void response_set_header(struct response *resp, const char *name, const char *value)
{
    kv_list_remove_ci(&resp->headers, name);
    kv_list_add(&resp->headers, name, value);
}

void response_body(struct response *resp, const char *body, size_t len)
{
    free(resp->body);
    resp->body = NULL;
    resp->body_len = 0;
    if (body && len > 0) {
        resp->body = xstrndup(body, len);
        resp->body_len = len;
    }
}

#define RETRY_AFTER_S "1"

void response_json(struct response *resp, int status, json_object *obj)
{
    /* A NULL object serialises as "null", which is what json-c does for it anyway. */
    const char *text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE);
    resp->status = status;
    response_body(resp, text, strlen(text));
    response_set_header(resp, "Content-Type", "application/json");
    /* Every 503 the server writes means "the database could not do it just now": say when to
     * come back (RFC 9110 section 10.2.3). */
    if (status == 503)
        response_set_header(resp, "Retry-After", RETRY_AFTER_S);
    json_object_put(obj);
}

void response_free(struct response *resp)
{
    kv_list_free(&resp->headers);
    free(resp->body);
    memset(resp, 0, sizeof *resp);
}

const char *http_reason(int status)
{
    static const struct {
        int status;
        const char *reason;
    } reasons[] = {
        {200, "OK"},
        {201, "Created"},
        {202, "Accepted"},
        {204, "No Content"},
        {207, "Multi-Status"},
        {301, "Moved Permanently"},
        {302, "Found"},
        {303, "See Other"},
        {304, "Not Modified"},
        {307, "Temporary Redirect"},
        {308, "Permanent Redirect"},
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {406, "Not Acceptable"},
        {408, "Request Timeout"},
        {409, "Conflict"},
        {410, "Gone"},
        {411, "Length Required"},
        {412, "Precondition Failed"},
        {413, "Payload Too Large"},
        {414, "URI Too Long"},
        {415, "Unsupported Media Type"},
        {422, "Unprocessable Content"},
        {429, "Too Many Requests"},
        {431, "Request Header Fields Too Large"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {502, "Bad Gateway"},
        {503, "Service Unavailable"},
        {504, "Gateway Timeout"},
    };
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (reasons[i].status == status)
            return reasons[i].reason;
    return "Unknown";
}

static bool method_is_safe(const char *m)
{
    return m && (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0);
}

void response_cache_policy(const struct request *r, struct response *resp, int public_cache_s)
{
    bool is_private = request_header(r, "cookie") || request_header(r, "authorization") ||
                      !method_is_safe(r->method) || kv_list_get_ci(&resp->headers, "set-cookie");
    if (is_private)
        response_set_header(resp, "Cache-Control", "no-store");
    response_set_header(resp, "Vary", "Cookie, Authorization");
    /* HEAD is left out: nginx passes it on as HEAD (fastcgi_cache_convert_head off), and an
     * answer without a body must never be stored under a key a GET could read. Errors are left
     * out so a passing failure (503 while the database restarts) is never repeated from cache. */
    bool cacheable = !is_private && resp->public_read && r->method &&
                     strcmp(r->method, "GET") == 0 && resp->status == 200 && public_cache_s > 0;
    if (cacheable) {
        char secs[16];
        snprintf(secs, sizeof secs, "%d", public_cache_s);
        response_set_header(resp, "X-Accel-Expires", secs);
    }
}

/* A growable output buffer for response_serialize. */
struct outbuf {
    char *data;
    size_t len, cap;
};

static void out_add(struct outbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->data = xrealloc(b->data, cap);
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void out_str(struct outbuf *b, const char *s)
{
    out_add(b, s, strlen(s));
}

/* RFC 9110 token characters: what a header name may consist of. */
static bool is_token_char(unsigned char c)
{
    return is_ascii_alnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* True when the header can be written without changing the response's framing. A CR or LF in
 * a value would let whoever chose it add headers or a body (response splitting), so the whole
 * header is dropped; other control characters (except tab) are refused as well. */
static bool header_safe(const char *name, const char *value)
{
    if (!name[0])
        return false;
    for (const char *p = name; *p; p++)
        if (!is_token_char((unsigned char)*p))
            return false;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return false;
    return true;
}

/* Headers we frame ourselves; a copy from a handler would contradict ours. */
static bool header_reserved(const char *name)
{
    return strcasecmp(name, "Status") == 0 || strcasecmp(name, "Content-Length") == 0;
}

char *response_serialize(const struct response *resp, size_t *len)
{
    struct outbuf b = {0};
    char line[64];
    int status = resp->status >= 100 && resp->status <= 999 ? resp->status : 500;
    snprintf(line, sizeof line, "Status: %d %s\r\n", status, http_reason(status));
    out_str(&b, line);
    for (size_t i = 0; i < resp->headers.len; i++) {
        const struct kv *h = &resp->headers.items[i];
        if (header_reserved(h->key) || !header_safe(h->key, h->value))
            continue;
        out_str(&b, h->key);
        out_str(&b, ": ");
        out_str(&b, h->value);
        out_str(&b, "\r\n");
    }
    /* 204 and 304 never carry a body, so they get no Content-Length either (RFC 9110). */
    bool bodiless = status == 204 || status == 304 || (status >= 100 && status < 200);
    if (!bodiless) {
        snprintf(line, sizeof line, "Content-Length: %zu\r\n", resp->body_len);
        out_str(&b, line);
    }
    out_str(&b, "\r\n");
    if (!bodiless && resp->body_len > 0)
        out_add(&b, resp->body, resp->body_len);
    if (len)
        *len = b.len;
    return b.data;
}

size_t request_body_limit(const struct request *req)
{
    if (req->method && req->path && strcmp(req->method, "POST") == 0 &&
        strcmp(req->path, UPLOAD_PATH) == 0)
        return UPLOAD_MAX_BODY;
    return MAX_BODY;
}
