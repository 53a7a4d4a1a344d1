/*
 * fuzz_trpc.c - the tRPC transport (trpc.c trpc_handle): procedure paths, batches and input
 * decoding, plain and superjson. The first input byte picks the method (GET, POST, HEAD, PUT),
 * the transformer and the Content-Type; the first line is the request target after
 * "/api/trpc/" (raw, so path decoding and query parsing run too: "gig.a,gig.b?batch=1&input=..");
 * the rest is the body. The procedure table has the real names; the procedures run the pure
 * input parsers (gig_input.c, order_query.c) or echo their input, so outputs carry hostile
 * strings, "...At" keys for superjson's Date marking and zodError field lists. Checks that
 * every answer is one JSON document with a status a client can read.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/ctx.h"
#include "khedma/gig_input.h"
#include "khedma/jsonx.h"
#include "khedma/order_query.h"
#include "khedma/trpc.h"
#include "fuzz.h"

#define PREFIX "/api/trpc/"

static enum errkind echo(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    *out = json_object_new_object();
    json_object_object_add(*out, "input", json_object_get(in));
    json_object_object_add(*out, "createdAt", json_object_new_string("2026-11-22T07:17:00.000Z"));
    return E_OK;
}

static enum errkind refuse(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    *out = json_object_get(in); /* set before failing: the transport must release it */
    err_field(e, "id", "Required");
    return E_BAD_REQUEST;
}

static enum errkind details(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    struct details_input d;
    enum errkind k = gig_input_details(in, &d, e);
    if (k == E_OK)
        *out = json_object_new_string(d.slug);
    return k;
}

static enum errkind overview(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    struct overview_input o;
    enum errkind k = gig_input_overview(in, &o, e);
    if (k == E_OK)
        *out = json_object_new_string(o.title);
    return k;
}

static enum errkind packages(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    struct packages_input p;
    return gig_input_packages(in, &p, e);
}

static enum errkind description_faq(struct ctx *c, json_object *in, json_object **out,
                                    struct err *e)
{
    struct description_faq_input d;
    enum errkind k = gig_input_description_faq(in, &d, e);
    if (k == E_OK) {
        *out = json_object_get(d.description);
        gig_input_description_faq_free(&d);
    }
    return k;
}

static enum errkind order_list(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    struct order_query q;
    enum errkind k = order_query_from_json(in, &q, e);
    if (k == E_OK)
        order_query_free(&q);
    return k;
}

static const struct trpc_proc procs[] = {
    {"gig.getGigDetails", TRPC_QUERY, details, CACHE_NEVER},
    {"gig.getGigById", TRPC_QUERY, echo, CACHE_NEVER},
    {"gig.updateOverview", TRPC_MUTATION, overview, CACHE_NEVER},
    {"gig.createPackages", TRPC_MUTATION, packages, CACHE_NEVER},
    {"gig.updateDescriptionFaq", TRPC_MUTATION, description_faq, CACHE_NEVER},
    {"gig.delete", TRPC_MUTATION, refuse, CACHE_NEVER},
    {"order.list", TRPC_QUERY, order_list, CACHE_NEVER},
    {"order.create", TRPC_MUTATION, echo, CACHE_NEVER},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = {"GET", "POST", "HEAD", "PUT"};
    if (size < 1)
        return 0;
    uint8_t flags = data[0];
    const uint8_t *body;
    size_t body_len;
    char *target = fz_head(data + 1, size - 1, &body, &body_len);

    char *uri = malloc(sizeof "REQUEST_URI=" PREFIX + strlen(target));
    if (!uri)
        abort();
    sprintf(uri, "REQUEST_URI=" PREFIX "%s", target);
    char method[32];
    snprintf(method, sizeof method, "REQUEST_METHOD=%s", methods[flags & 3]);
    char ctype[] = "CONTENT_TYPE=application/json";
    char ctype_text[] = "CONTENT_TYPE=text/plain";
    /* A request id of our own: a generated one costs a getrandom() call per character. */
    char id[] = "HTTP_X_REQUEST_ID=fuzz-trpc";
    char *envp[] = {method, uri, flags & 8 ? ctype_text : ctype, id, NULL};

    struct request req;
    struct response resp;
    response_init(&resp);
    if (request_from_params(&req, envp) == 0 && strncmp(req.path, PREFIX, strlen(PREFIX)) == 0) {
        request_set_body(&req, (const char *)body, body_len);
        struct ctx c = {.req = &req, .resp = &resp};
        trpc_handle(&c, procs, sizeof procs / sizeof procs[0], req.path + strlen(PREFIX),
                    (flags & 4) != 0);
        FZ_CHECK(resp.status >= 200 && resp.status <= 599);
        json_object *answer = jsonx_parse(resp.body, resp.body_len);
        FZ_CHECK(answer != NULL);
        json_object_put(answer);
    }
    response_free(&resp);
    request_free(&req);
    free(uri);
    free(target);
    return 0;
}
