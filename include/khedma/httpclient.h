/*
 * httpclient.h - the small libcurl wrapper the gateway clients talk through: one easy handle per
 * process, reused (and reset) across calls so connections to a gateway stay warm, with the rules
 * every outgoing call shares: a total timeout of g_config->gateway_timeout_ms, TLS peer and host
 * verification always on, http/https only, no redirects followed, and the response body capped.
 *
 * A call "succeeds" when a complete HTTP response arrived, whatever its status: the caller reads
 * res->status and decides (a YouCan Pay 404 means "no such transaction", not a broken gateway).
 * Failures are logged with the URL stripped of its query string and user info, never with
 * header values or bodies, because those carry keys (the YouCan Pay lookup has pri_key in its
 * query, PayTabs takes its server key in a header).
 */
#ifndef KHEDMA_HTTPCLIENT_H
#define KHEDMA_HTTPCLIENT_H

#include <stdbool.h>
#include <stddef.h>

/* Largest response body accepted; a longer one fails the call. Gateway answers are a few KiB. */
#define HTTPCLIENT_BODY_MAX (1024 * 1024)

struct httpclient_response {
    long status; /* HTTP status code */
    char *body;  /* NUL-terminated (so it can be parsed as text), owned; "" when empty */
    size_t len;  /* bytes in body, not counting the NUL */
};

/* One multipart/form-data field. */
struct httpclient_field {
    const char *name;
    const char *value;
};

/* headers: NULL or a NULL-terminated list of "Name: value" lines. Each call returns 0 with res
 * filled (release with httpclient_response_free), or -1 with res empty when no complete response
 * came back (connection refused, timeout, TLS failure, body over HTTPCLIENT_BODY_MAX, out of
 * memory). */
int httpclient_get(const char *url, const char *const *headers, struct httpclient_response *res);
int httpclient_post_json(const char *url, const char *const *headers, const char *json,
                         struct httpclient_response *res);
int httpclient_post_form(const char *url, const char *const *headers,
                         const struct httpclient_field *fields, size_t count,
                         struct httpclient_response *res);

void httpclient_response_free(struct httpclient_response *res);

/* Writes url into out (size outlen) without user info, query string or fragment: the form that
 * may appear in logs. Always NUL-terminates; cuts when out is too small. */
void httpclient_redact_url(const char *url, char *out, size_t outlen);

/* Releases this process's easy handle (a worker or jobs process at exit; tests). The next call
 * makes a new one. curl_global_cleanup() stays with whoever called curl_global_init(). */
void httpclient_cleanup(void);

#endif
