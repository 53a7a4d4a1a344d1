/*
 * trpc.c - the tRPC HTTP wire protocol: parse a request into calls (single or batched), run each
 * against the procedure table, and encode results and errors the way @trpc/server does, so the
 * stock @trpc/client (v10 and v11, httpLink and httpBatchLink, with or without superjson) works
 * unchanged. The shapes follow @trpc/server's resolveResponse/getErrorShape and superjson's
 * serialize(); trpc.h lists them. Error kinds map to codes and statuses in errors.c only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/jsonx.h"
#include "khedma/trpc.h"
#include "khedma/utf8.h"

/* Paths longer than this are left out of error messages, which are capped at 255 bytes and
 * must not end in half a UTF-8 sequence; data.path still carries them whole. */
#define MESSAGE_PATH_MAX 100

struct call {
    char *path;
    const struct trpc_proc *proc;
    json_object *input; /* borrowed from batch.root */
    int status;
    json_object *reply; /* {"result": ...} or {"error": ...}, before the superjson wrap */
};

struct batch {
    bool is_batch, superjson;
    size_t n;
    struct call calls[TRPC_MAX_BATCH];
    json_object *root; /* the parsed input document; owns every call's input */
};

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p)
        abort(); /* as in http.c: a worker out of memory is respawned by the master */
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *p = xrealloc(NULL, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static bool method_is(const struct ctx *c, const char *m)
{
    return c->req->method && strcmp(c->req->method, m) == 0;
}

/* HEAD asks for what GET would answer, so it may run queries too. */
static bool method_is_get(const struct ctx *c)
{
    return method_is(c, "GET") || method_is(c, "HEAD");
}

/* @trpc/client sends batch=1; v10's server took any non-empty value, v11's only "1". */
static bool wants_batch(const struct ctx *c)
{
    const char *b = request_query(c->req, "batch");
    return b && (strcmp(b, "1") == 0 || strcmp(b, "true") == 0);
}

/* One call per comma-separated path in a batch, else one call for the whole tail. */
static enum errkind split_paths(struct batch *b, const char *tail, struct err *e)
{
    if (!b->is_batch) {
        b->calls[b->n++].path = xstrndup(tail, strlen(tail));
        return E_OK;
    }
    size_t count = 1;
    for (const char *p = tail; *p; p++)
        count += *p == ',';
    if (count > TRPC_MAX_BATCH)
        return err_set(e, E_BAD_REQUEST, "Batch call exceeds maximum size");
    for (const char *p = tail;; p++) {
        size_t len = strcspn(p, ",");
        b->calls[b->n++].path = xstrndup(p, len);
        p += len;
        if (*p == '\0')
            break;
    }
    return E_OK;
}

/* superjson sends {"json": value, "meta": ...}; the procedure gets the value. */
static json_object *unwrap(json_object *input, bool superjson)
{
    json_object *v = NULL;
    if (!superjson)
        return input;
    if (input && json_object_is_type(input, json_type_object))
        json_object_object_get_ex(input, "json", &v);
    return v;
}

/* The raw input text: the "input" query parameter for GET, the body for POST; NULL when there
 * is none (other methods carry none: their calls all fail the method check). */
static const char *raw_input(const struct ctx *c, size_t *len)
{
    const char *raw = NULL;
    *len = 0;
    if (method_is_get(c)) {
        raw = request_query(c->req, "input");
        *len = raw ? strlen(raw) : 0;
    } else if (method_is(c, "POST")) {
        raw = c->req->body;
        *len = raw ? c->req->body_len : 0;
    }
    return *len > 0 ? raw : NULL;
}

static enum errkind parse_inputs(struct ctx *c, struct batch *b, struct err *e)
{
    if (method_is(c, "POST") && !request_is_json(c->req))
        return err_set(e, E_UNSUPPORTED, "Unsupported content-type: use application/json");
    size_t len;
    const char *raw = raw_input(c, &len);
    if (raw && !utf8_valid(raw, len))
        return err_set(e, E_PARSE, "Input is not valid UTF-8");
    if (raw && !jsonx_parse_value(raw, len, &b->root))
        return err_set(e, E_PARSE, "Input is not valid JSON");
    if (!b->is_batch) {
        b->calls[0].input = unwrap(b->root, b->superjson);
        return E_OK;
    }
    if (b->root && !json_object_is_type(b->root, json_type_object))
        return err_set(e, E_BAD_REQUEST, "\"input\" needs to be an object when doing a batch call");
    for (size_t i = 0; i < b->n; i++) {
        char key[24];
        json_object *v = NULL;
        snprintf(key, sizeof key, "%zu", i);
        if (b->root)
            json_object_object_get_ex(b->root, key, &v);
        b->calls[i].input = unwrap(v, b->superjson);
    }
    return E_OK;
}

static const struct trpc_proc *find_proc(const struct trpc_proc *procs, size_t nprocs,
                                         const char *path)
{
    for (size_t i = 0; i < nprocs; i++) {
        if (strcmp(procs[i].path, path) == 0)
            return &procs[i];
    }
    return NULL;
}

/* {"message", "code", "data": {"code", "httpStatus", "path"?, "zodError"?}}: getErrorShape's
 * default shape plus the zodError member of tRPC's documented zod error formatter. */
static json_object *error_shape(enum errkind kind, struct err *e, const char *path)
{
    json_object *data = json_object_new_object();
    jsonx_add_str(data, "code", errkind_trpc_name(kind));
    jsonx_add_int(data, "httpStatus", errkind_http_status(kind));
    if (path)
        jsonx_add_str(data, "path", path);
    if (e->fields) {
        json_object *zod = json_object_new_object();
        json_object_object_add(zod, "formErrors", json_object_new_array());
        json_object_object_add(zod, "fieldErrors", json_object_get(e->fields));
        json_object_object_add(data, "zodError", zod);
    }
    json_object *shape = json_object_new_object();
    jsonx_add_str(shape, "message", e->message[0] ? e->message : errkind_trpc_name(kind));
    jsonx_add_int(shape, "code", errkind_trpc_number(kind));
    json_object_object_add(shape, "data", data);
    return shape;
}

/* ---- superjson output: Date markers ---- */

struct pathbuf {
    char *s;
    size_t len, cap;
};

static void path_putc(struct pathbuf *p, char ch)
{
    if (p->len + 2 > p->cap) {
        p->cap = p->cap ? p->cap * 2 : 128;
        p->s = xrealloc(p->s, p->cap);
    }
    p->s[p->len++] = ch;
    p->s[p->len] = '\0';
}

/* Append one segment the way superjson's stringifyPath does: '.' joins segments, and '\' and '.'
 * inside a key are escaped with '\' (the escaping its meta "v": 1 announces). */
static void path_push(struct pathbuf *p, const char *segment)
{
    if (p->len > 0)
        path_putc(p, '.');
    for (const char *q = segment; *q; q++) {
        if (*q == '.' || *q == '\\')
            path_putc(p, '\\');
        path_putc(p, *q);
    }
}

static void path_pop(struct pathbuf *p, size_t len)
{
    p->len = len;
    if (p->s)
        p->s[len] = '\0';
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return true;
}

/* YYYY-MM-DDTHH:MM:SS, optional .fraction, then Z or +HH:MM / -HH:MM. */
static bool looks_iso(const char *s)
{
    if (strlen(s) < 20 || !all_digits(s, 4) || s[4] != '-' || !all_digits(s + 5, 2) ||
        s[7] != '-' || !all_digits(s + 8, 2) || s[10] != 'T' || !all_digits(s + 11, 2) ||
        s[13] != ':' || !all_digits(s + 14, 2) || s[16] != ':' || !all_digits(s + 17, 2))
        return false;
    const char *p = s + 19;
    if (*p == '.') {
        size_t n = strspn(++p, "0123456789");
        if (n == 0 || n > 9)
            return false;
        p += n;
    }
    if (p[0] == 'Z')
        return p[1] == '\0';
    return (p[0] == '+' || p[0] == '-') && all_digits(p + 1, 2) && p[3] == ':' &&
           all_digits(p + 4, 2) && p[6] == '\0';
}

/* The API's timestamp fields (docs/api.md, "tRPC"), and by the same camelCase convention any
 * "...At" key (paidAt, expiresAt): a Prisma/superjson server would send all of them as Dates. */
static bool is_date_key(const char *key)
{
    static const char *const names[] = {"createdAt",   "updatedAt",   "dueAt",  "deliveredAt",
                                        "completedAt", "cancelledAt", "readAt", "at"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(key, names[i]) == 0)
            return true;
    }
    size_t n = strlen(key);
    return n > 2 && strcmp(key + n - 2, "At") == 0 && key[n - 3] >= 'a' && key[n - 3] <= 'z';
}

static void mark_dates(json_object *v, struct pathbuf *p, json_object *values);

static void mark_member(const char *key, json_object *val, struct pathbuf *p, json_object *values)
{
    size_t mark = p->len;
    path_push(p, key);
    if (json_object_is_type(val, json_type_string)) {
        if (is_date_key(key) && looks_iso(json_object_get_string(val))) {
            json_object *type = json_object_new_array();
            json_object_array_add(type, json_object_new_string("Date"));
            json_object_object_add(values, p->s, type);
        }
    } else if (strcmp(key, "description") != 0) {
        /* A description object is the seller's EditorJS document: its keys are user content,
         * and a block that happens to hold {"createdAt": "<ISO>"} must stay a string. */
        mark_dates(val, p, values);
    }
    path_pop(p, mark);
}

static void mark_dates(json_object *v, struct pathbuf *p, json_object *values)
{
    if (json_object_is_type(v, json_type_object)) {
        json_object_object_foreach(v, key, val)
        {
            mark_member(key, val, p, values);
        }
    } else if (json_object_is_type(v, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(v); i++) {
            char index[24];
            size_t mark = p->len;
            snprintf(index, sizeof index, "%zu", i);
            path_push(p, index);
            mark_dates(json_object_array_get_idx(v, i), p, values);
            path_pop(p, mark);
        }
    }
}

/* superjson.serialize(output): {"json": output, "meta"?: {"values": {...}, "v": 1}}. */
static json_object *superjson_wrap(json_object *output)
{
    /* A pre-serialised answer (the gig read model) is walked like any other: parse it back. */
    output = jsonx_raw_expand(output);
    json_object *values = json_object_new_object();
    struct pathbuf p = {0};
    mark_dates(output, &p, values);
    free(p.s);
    json_object *out = json_object_new_object();
    json_object_object_add(out, "json", output);
    if (json_object_object_length(values) == 0) {
        json_object_put(values);
        return out;
    }
    json_object *meta = json_object_new_object();
    json_object_object_add(meta, "values", values);
    jsonx_add_int(meta, "v", 1);
    json_object_object_add(out, "meta", meta);
    return out;
}

/* ---- calls ---- */

static void fail_call(struct batch *b, struct call *call, enum errkind kind, struct err *e)
{
    json_object *shape = error_shape(kind, e, call->path);
    call->status = errkind_http_status(kind);
    call->reply = json_object_new_object();
    json_object_object_add(call->reply, "error", b->superjson ? superjson_wrap(shape) : shape);
}

static bool method_allowed(const struct ctx *c, enum trpc_kind kind)
{
    return kind == TRPC_QUERY ? method_is_get(c) : method_is(c, "POST");
}

static void run_call(struct ctx *c, struct batch *b, struct call *call,
                     const struct trpc_proc *procs, size_t nprocs)
{
    struct err e = {0};
    bool short_path = strlen(call->path) <= MESSAGE_PATH_MAX;
    call->proc = find_proc(procs, nprocs, call->path);
    if (!call->proc) {
        err_set(&e, E_NOT_FOUND, "No procedure found on path \"%s\"",
                short_path ? call->path : "(too long)");
    } else if (!method_allowed(c, call->proc->kind)) {
        err_set(&e, E_METHOD, "Unsupported %s-request to %s procedure at path \"%s\"",
                c->req->method ? c->req->method : "unknown",
                call->proc->kind == TRPC_QUERY ? "query" : "mutation", call->path);
    } else {
        json_object *output = NULL;
        enum errkind kind = call->proc->fn(c, call->input, &output, &e);
        if (kind == E_OK) {
            json_object *result = json_object_new_object();
            json_object_object_add(result, "data", b->superjson ? superjson_wrap(output) : output);
            call->status = 200;
            call->reply = json_object_new_object();
            json_object_object_add(call->reply, "result", result);
            err_clear(&e);
            return;
        }
        json_object_put(output);
        e.kind = kind;
    }
    fail_call(b, call, e.kind, &e);
    err_clear(&e);
}

/* ---- responses ---- */

/* "GET", "POST" or "GET, POST": what the calls refused with 405 would have accepted. */
static void set_allow(struct ctx *c, const struct batch *b)
{
    bool get = false, post = false;
    for (size_t i = 0; i < b->n; i++) {
        if (b->calls[i].status == 405 && b->calls[i].proc) {
            get = get || b->calls[i].proc->kind == TRPC_QUERY;
            post = post || b->calls[i].proc->kind == TRPC_MUTATION;
        }
    }
    if (get || post)
        response_set_header(c->resp, "Allow", get && post ? "GET, POST" : get ? "GET" : "POST");
}

/* True when every call ran a CACHE_PUBLIC procedure: one private call makes the batch private. */
static bool all_public(const struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        if (!b->calls[i].proc || b->calls[i].proc->cache != CACHE_PUBLIC)
            return false;
    }
    return true;
}

static void respond(struct ctx *c, struct batch *b)
{
    int status = b->calls[0].status;
    for (size_t i = 1; i < b->n; i++) {
        if (b->calls[i].status != status)
            status = 207; /* Multi-Status: the calls did not all end the same way */
    }
    json_object *body;
    if (b->is_batch) {
        body = json_object_new_array_ext((int)b->n);
        for (size_t i = 0; i < b->n; i++) {
            json_object_array_add(body, b->calls[i].reply);
            b->calls[i].reply = NULL;
        }
    } else {
        body = b->calls[0].reply;
        b->calls[0].reply = NULL;
    }
    if (status == 405)
        set_allow(c, b);
    response_json(c->resp, status, body);
    c->resp->public_read = status == 200 && all_public(b);
}

/* A failure of the request as a whole: one error object, no path (tRPC's own choice; both
 * clients hand it to every call of a batch). */
static void respond_request_error(struct ctx *c, bool superjson, struct err *e)
{
    json_object *shape = error_shape(e->kind, e, NULL);
    json_object *body = json_object_new_object();
    json_object_object_add(body, "error", superjson ? superjson_wrap(shape) : shape);
    response_json(c->resp, errkind_http_status(e->kind), body);
}

void trpc_refuse(struct ctx *c, bool superjson, enum errkind kind, const char *message)
{
    struct err e = {0};
    err_set(&e, kind, "%s", message);
    respond_request_error(c, superjson, &e);
    err_clear(&e);
}

static void batch_free(struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->calls[i].path);
        json_object_put(b->calls[i].reply);
    }
    json_object_put(b->root);
}

void trpc_handle(struct ctx *c, const struct trpc_proc *procs, size_t nprocs, const char *path_tail,
                 bool superjson)
{
    struct batch *b = calloc(1, sizeof *b);
    struct err e = {0};
    if (!b)
        abort();
    b->is_batch = wants_batch(c);
    b->superjson = superjson;
    if (!path_tail)
        path_tail = "";
    /* The paths are echoed in replies, and JSON output must stay valid UTF-8. */
    if (!utf8_valid(path_tail, strlen(path_tail)))
        err_set(&e, E_PARSE, "Procedure path is not valid UTF-8");
    else if (split_paths(b, path_tail, &e) == E_OK)
        parse_inputs(c, b, &e);
    if (e.kind != E_OK) {
        respond_request_error(c, superjson, &e);
    } else {
        for (size_t i = 0; i < b->n; i++)
            run_call(c, b, &b->calls[i], procs, nprocs);
        respond(c, b);
    }
    err_clear(&e);
    batch_free(b);
    free(b);
}
