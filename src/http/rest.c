/*
 * rest.c - the REST envelope (docs/api.md, "REST envelope and errors") and the shared "read a JSON
 * body" and "who is signed in" steps every REST handler starts with, so each rule
 * (400/401/403/413/415/503) is written once.
 */
#include <string.h>

#include "khedma/jsonx.h"
#include "khedma/rest.h"
#include "khedma/utf8.h"

static void envelope(struct ctx *c, int status, bool success, const char *message,
                     json_object *data, json_object *errors)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "success", json_object_new_boolean(success));
    json_object_object_add(o, "message", json_object_new_string(message));
    json_object_object_add(o, "data", data);
    json_object_object_add(o, "status_code", json_object_new_int(status));
    if (errors)
        json_object_object_add(o, "errors", errors);
    response_json(c->resp, status, o);
}

void rest_ok(struct ctx *c, int status, json_object *data)
{
    envelope(c, status, true, "ok", data, NULL);
}

void rest_fail(struct ctx *c, int status, const char *message, json_object *errors)
{
    envelope(c, status, false, message, NULL, errors);
}

void rest_error(struct ctx *c, struct err *e)
{
    json_object *fields = e->fields;
    e->fields = NULL; /* ownership moves into the envelope */
    const char *msg = e->message[0] ? e->message : http_reason(errkind_http_status(e->kind));
    rest_fail(c, errkind_http_status(e->kind), msg, fields);
}

json_object *rest_body_object(struct ctx *c, bool allow_empty)
{
    const struct request *r = c->req;
    if (r->body_len == 0) {
        if (allow_empty)
            return json_object_new_object();
        rest_fail(c, 400, "Request body is required", NULL);
        return NULL;
    }
    if (!request_is_json(r)) {
        rest_fail(c, 415, "Content-Type must be application/json", NULL);
        return NULL;
    }
    if (!utf8_valid(r->body, r->body_len)) {
        rest_fail(c, 400, "Request body is not valid UTF-8", NULL);
        return NULL;
    }
    json_object *o = jsonx_parse(r->body, r->body_len);
    if (!o) {
        rest_fail(c, 400, "Malformed JSON", NULL);
        return NULL;
    }
    if (!json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        rest_fail(c, 400, "Request body must be a JSON object", NULL);
        return NULL;
    }
    return o;
}

const struct user *rest_require_user(struct ctx *c)
{
    struct err e = {0};
    const struct user *u = ctx_require_user(c, "Authentication required", &e);
    if (!u)
        rest_error(c, &e);
    err_clear(&e);
    return u;
}
