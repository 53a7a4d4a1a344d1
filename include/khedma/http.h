/*
 * http.h - one HTTP request and its response, independent of FastCGI so the parsers can be unit
 * tested. worker.c fills a request from FastCGI params and stdin and writes the response back.
 */
#ifndef KHEDMA_HTTP_H
#define KHEDMA_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>
#include "khedma/kv_list.h"

#define MAX_BODY (1024 * 1024) /* docs/api.md, "Limits": bodies over 1 MiB get 413 */
/* The gallery upload form (docs/web.md): one image of up to 5 MiB plus the form around it. The
 * only route that takes more than MAX_BODY; nginx has the same limit in its own location. */
#define UPLOAD_PATH "/dashboard/gallery/upload"
#define UPLOAD_MAX_BODY (6 * 1024 * 1024)
#define REQUEST_ID_MAX 64
/* Longest request target (path and query, as sent) that is served; nginx's header buffers
 * (nginx/khedma.conf.in) are sized to pass it whole. A longer one gets 414 (REST) or
 * PAYLOAD_TOO_LARGE (tRPC). */
#define MAX_TARGET (32 * 1024)

struct request {
    char *method;            /* "GET", ... */
    char *path;              /* percent-decoded path without the query string */
    bool path_encoded_slash; /* the raw path had %2F: decoded, it would hide a path separator */
    size_t target_len;       /* length of the request target (path and query) as sent */
    char *raw_query;         /* as received, may be "" */
    struct kv_list query;    /* percent-decoded, '+' as space, repeated keys kept in order */
    struct kv_list headers;  /* lower-case names with '-' (from HTTP_* params), values as sent */
    struct kv_list cookies;
    char *content_type; /* CONTENT_TYPE or NULL */
    char *remote_addr;
    char *body; /* NUL-terminated copy of the body, NULL when none */
    size_t body_len;
    long long content_length; /* -1 when absent */
    char request_id[REQUEST_ID_MAX + 1];
    long long started_us;
};

/* Whether an answer may be kept by the public cache in front of khedmad (nginx's FastCGI cache,
 * docs/deploy.md). Declared where routes and tRPC procedures are listed (app.c, trpc_procs.c):
 * CACHE_PUBLIC only for reads whose answer to an anonymous caller is the same for every anonymous
 * caller. Whether a given answer is then kept is response_cache_policy's decision. */
enum cache_scope { CACHE_NEVER = 0, CACHE_PUBLIC };

struct response {
    int status;
    struct kv_list headers;
    char *body;
    size_t body_len;
    bool public_read; /* the route or every tRPC call answered is CACHE_PUBLIC (set by app/trpc) */
};

/* The largest body khedmad reads for this request (method and path parsed): UPLOAD_MAX_BODY for
 * a POST to UPLOAD_PATH, MAX_BODY for everything else. */
size_t request_body_limit(const struct request *req);

/* Parse "a=1&b=2&a=3" into l. Returns 0, or -1 on a malformed escape. */
int http_parse_query(const char *qs, struct kv_list *l);
/* Parse a Cookie header "a=1; b=2" into l (values not decoded, surrounding quotes removed). */
void http_parse_cookies(const char *header, struct kv_list *l);
/* "HTTP_X_REQUEST_ID" -> "x-request-id" into out (size outlen); returns false if not HTTP_*. */
bool http_header_name_from_param(const char *param, char *out, size_t outlen);
/* True when id is 1-64 characters of [A-Za-z0-9._-]. */
bool http_request_id_valid(const char *id);

/* Build a request from CGI-style "NAME=value" strings (as FastCGI delivers them). Body is attached
 * separately with request_set_body(). Returns 0, or -1 when the query string or the path is
 * malformed (bad escape, encoded NUL) or REQUEST_METHOD is missing; the request is still usable
 * for an error response (path then holds the raw text) and must be freed either way. r is
 * overwritten, not freed first. Generates or echoes the request id. */
int request_from_params(struct request *r, char **envp);
void request_set_body(struct request *r, const char *body, size_t len);
const char *request_header(const struct request *r, const char *lower_name);
const char *request_query(const struct request *r, const char *key);
const char *request_cookie(const struct request *r, const char *name);
/* True when Content-Type is application/json (parameters such as charset allowed). */
bool request_is_json(const struct request *r);
void request_free(struct request *r);

void response_init(struct response *resp);
/* Append a header (repeats allowed, e.g. Set-Cookie). A header whose name is not a token or whose
 * value holds CR, LF or another control character is dropped by response_serialize. */
void response_header(struct response *resp, const char *name, const char *value);
/* Replace every header of that name (case-insensitive) with this one. */
void response_set_header(struct response *resp, const char *name, const char *value);
/* Replace the body with a copy of (body, len). */
void response_body(struct response *resp, const char *body, size_t len);
/* Body = compact JSON of obj, Content-Type application/json (and Retry-After: 1 on a 503: the
 * database was unavailable for the moment); takes ownership of obj. */
void response_json(struct response *resp, int status, json_object *obj);
void response_free(struct response *resp);
/* Cache headers for one answer, decided in one place for every route. An answer is private when
 * it can depend on who asks or changes state: the request carried a Cookie or Authorization
 * header, its method is not GET or HEAD, or the answer sets a cookie. Private answers get
 * "Cache-Control: no-store" (replacing any other Cache-Control); public ones keep theirs. Every
 * answer gets "Vary: Cookie, Authorization", so a cache that keeps a public answer never hands it
 * to a signed-in request.
 * "X-Accel-Expires: <public_cache_s>" (the only thing that lets nginx's FastCGI cache keep an
 * answer; nginx consumes the header) is added when public_cache_s > 0 and the answer is not
 * private, the method is GET, the status is 200 and resp->public_read is set. */
void response_cache_policy(const struct request *r, struct response *resp, int public_cache_s);
/* Serialise status line ("Status: 200 OK"), headers and body as a CGI response into a new buffer.
 */
char *response_serialize(const struct response *resp, size_t *len);
const char *http_reason(int status);

#endif
