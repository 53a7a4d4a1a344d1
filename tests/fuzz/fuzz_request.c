/*
 * fuzz_request.c - FastCGI params to the request struct (http.c request_from_params): the input
 * is the params, one "NAME=value" per line, then an empty line and the body. Every accessor the
 * handlers use is called on the result, and a response echoing a header value is serialised, so
 * header-injection filtering (response_serialize) sees hostile values too.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/http.h"
#include "fuzz.h"

#define MAX_PARAMS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fz_dup(data, size);
    char *envp[MAX_PARAMS + 1];
    size_t n = 0;
    char *body = NULL;
    size_t body_len = 0;
    char *line = text;
    while (line && n < MAX_PARAMS) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (line[0] == '\0' && nl) { /* the empty line: the body follows */
            body = nl + 1;
            body_len = size - (size_t)(body - text);
            break;
        }
        envp[n++] = line;
        line = nl ? nl + 1 : NULL;
    }
    envp[n] = NULL;

    struct request r;
    int rc = request_from_params(&r, envp);
    FZ_CHECK(r.path && r.method && r.raw_query && r.remote_addr);
    FZ_CHECK(http_request_id_valid(r.request_id));
    if (rc == 0)
        FZ_CHECK(r.method[0] != '\0');
    request_set_body(&r, body, body_len);
    (void)request_header(&r, "content-type");
    (void)request_query(&r, "input");
    (void)request_cookie(&r, "khedma_session");
    (void)request_is_json(&r);

    struct response resp;
    response_init(&resp);
    const char *echo = request_header(&r, "x-echo");
    response_header(&resp, "X-Request-Id", r.request_id);
    if (echo)
        response_header(&resp, echo, echo);
    response_set_header(&resp, "Location", r.path);
    response_body(&resp, r.body, r.body_len);
    size_t out_len = 0;
    char *out = response_serialize(&resp, &out_len);
    /* Header lines must never be split by a value: the only CR LF pairs end header lines. */
    if (out) {
        const char *end = strstr(out, "\r\n\r\n");
        FZ_CHECK(end != NULL);
        for (const char *p = out; p < end; p++)
            FZ_CHECK(*p != '\0' && (*p != '\n' || p[-1] == '\r') && (*p != '\r' || p[1] == '\n'));
    }
    free(out);
    response_free(&resp);
    request_free(&r);
    free(text);
    return 0;
}
