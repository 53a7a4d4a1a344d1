/*
 * errors.c - service errors and the single table that maps each error kind to its HTTP status
 * and to tRPC's JSON-RPC code (docs/api.md, "REST envelope and errors" and "tRPC"). Keeping all
 * three columns in one row means REST and tRPC can never disagree about what a failure is.
 */
#include <stdarg.h>
#include <stdio.h>

#include "khedma/errors.h"

struct kind_row {
    enum errkind kind;
    int http_status;
    int trpc_number;
    const char *trpc_name;
};

/* The numbers and names are tRPC's own (TRPC_ERROR_CODES_BY_KEY); the 5xx kinds other than 500
 * share -32603 there and differ only by name. */
static const struct kind_row kind_table[] = {
    {E_OK, 200, 0, "OK"},
    {E_BAD_REQUEST, 400, -32600, "BAD_REQUEST"},
    {E_PARSE, 400, -32700, "PARSE_ERROR"},
    {E_UNAUTHORIZED, 401, -32001, "UNAUTHORIZED"},
    {E_FORBIDDEN, 403, -32003, "FORBIDDEN"},
    {E_NOT_FOUND, 404, -32004, "NOT_FOUND"},
    {E_METHOD, 405, -32005, "METHOD_NOT_SUPPORTED"},
    {E_CONFLICT, 409, -32009, "CONFLICT"},
    {E_PRECONDITION, 412, -32012, "PRECONDITION_FAILED"},
    {E_TOO_LARGE, 413, -32013, "PAYLOAD_TOO_LARGE"},
    {E_UNSUPPORTED, 415, -32015, "UNSUPPORTED_MEDIA_TYPE"},
    {E_UNPROCESSABLE, 422, -32022, "UNPROCESSABLE_CONTENT"},
    {E_TOO_MANY, 429, -32029, "TOO_MANY_REQUESTS"},
    {E_INTERNAL, 500, -32603, "INTERNAL_SERVER_ERROR"},
    {E_BAD_GATEWAY, 502, -32603, "BAD_GATEWAY"},
    {E_UNAVAILABLE, 503, -32603, "SERVICE_UNAVAILABLE"},
};

#define KIND_COUNT (sizeof kind_table / sizeof kind_table[0])

/* A kind outside the enum (memory corruption, a cast gone wrong) is reported as a 500 rather
 * than indexing past the table. */
static const struct kind_row *row_for(enum errkind kind)
{
    for (size_t i = 0; i < KIND_COUNT; i++) {
        if (kind_table[i].kind == kind)
            return &kind_table[i];
    }
    return row_for(E_INTERNAL);
}

enum errkind err_set(struct err *e, enum errkind kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    e->kind = kind;
    return kind;
}

void err_field(struct err *e, const char *field, const char *message)
{
    if (!e->fields)
        e->fields = json_object_new_object();
    json_object *list = NULL;
    if (!json_object_object_get_ex(e->fields, field, &list) ||
        !json_object_is_type(list, json_type_array)) {
        list = json_object_new_array();
        json_object_object_add(e->fields, field, list);
    }
    json_object_array_add(list, json_object_new_string(message));
    if (e->kind == E_OK)
        e->kind = E_BAD_REQUEST;
    /* The envelope's "message" must never be empty; a caller that set none gets a generic one. */
    if (e->message[0] == '\0')
        snprintf(e->message, sizeof e->message, "%s", "Validation failed");
}

void err_clear(struct err *e)
{
    json_object_put(e->fields);
    e->fields = NULL;
    e->kind = E_OK;
    e->message[0] = '\0';
}

int errkind_http_status(enum errkind kind)
{
    return row_for(kind)->http_status;
}

int errkind_trpc_number(enum errkind kind)
{
    return row_for(kind)->trpc_number;
}

const char *errkind_trpc_name(enum errkind kind)
{
    return row_for(kind)->trpc_name;
}

enum errkind errkind_from_http_status(int status)
{
    if (status < 400)
        return E_OK;
    /* 400 maps to BAD_REQUEST, not PARSE: that row comes first in the table. */
    for (size_t i = 0; i < KIND_COUNT; i++) {
        if (kind_table[i].http_status == status)
            return kind_table[i].kind;
    }
    /* nginx answers oversize URIs and headers with 414, 431 and 494: all "too large". */
    if (status == 414 || status == 431 || status == 494)
        return E_TOO_LARGE;
    if (status == 504)
        return E_BAD_GATEWAY;
    return status < 500 ? E_BAD_REQUEST : E_INTERNAL;
}
