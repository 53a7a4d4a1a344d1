/*
 * rest.h - the REST envelope (docs/api.md, "REST envelope and errors"):
 * {"success", "message", "data", "status_code"} (+ "errors" on validation failures),
 * and reading a JSON request body with the 400/413/415 rules.
 */
#ifndef KHEDMA_REST_H
#define KHEDMA_REST_H

#include <json-c/json.h>
#include "khedma/ctx.h"
#include "khedma/errors.h"

/* 2xx envelope with message "ok"; takes ownership of data (NULL = JSON null). */
void rest_ok(struct ctx *c, int status, json_object *data);
/* Error envelope; errors (optional, owned) becomes the "errors" member. */
void rest_fail(struct ctx *c, int status, const char *message, json_object *errors);
/* Error envelope from a service error (status from its kind; fields moved into "errors"). */
void rest_error(struct ctx *c, struct err *e);
/* Parse the body as a JSON object. Empty body -> empty object when allow_empty. On failure the
 * error response has been written and NULL is returned. */
json_object *rest_body_object(struct ctx *c, bool allow_empty);
/* Require a signed-in user; writes 401 (or 503 / 403 CSRF) and returns NULL when there is none. */
const struct user *rest_require_user(struct ctx *c);

#endif
