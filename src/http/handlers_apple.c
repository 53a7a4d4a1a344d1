/*
 * handlers_apple.c - REST handlers of the App Store routes: read the body, answer 503 while no
 * root is configured, call apple_purchase.c, encode the envelope.
 */
#include <string.h>

#include "khedma/accounts.h"
#include "khedma/apple_purchase.h"
#include "khedma/handlers_apple.h"
#include "khedma/jsonx.h"
#include "khedma/rest.h"

/* Far above a real JWS (three certificates and the payload, ~6 KB). */
#define JWS_FIELD_MAX 65536

static const apple_jws_root *root_or_503(struct ctx *c)
{
    const apple_jws_root *root = apple_purchase_root();
    if (!root)
        rest_fail(c, 503, "App Store verification is not configured", NULL);
    return root;
}

/* A required non-empty string field of at most max bytes, else a field error. */
static const char *required(json_object *body, const char *key, size_t max, struct err *e)
{
    const char *v = jsonx_str(body, key);
    if (!v || !*v)
        err_field(e, key, "is required");
    else if (strlen(v) > max)
        err_field(e, key, "is too long");
    else
        return v;
    return NULL;
}

static void answer(struct ctx *c, enum errkind k, json_object *data, struct err *e)
{
    if (k == E_OK)
        rest_ok(c, 200, data);
    else
        rest_error(c, e);
}

void handlers_apple_transactions(struct ctx *c)
{
    const apple_jws_root *root = root_or_503(c);
    if (!root)
        return;
    json_object *body = rest_body_object(c, false);
    if (!body)
        return;
    const struct user *u = rest_require_user(c);
    if (u) {
        struct err e = {0};
        const char *order_id = required(body, "order_id", 36, &e);
        const char *jws = required(body, "signedTransaction", JWS_FIELD_MAX, &e);
        json_object *data = NULL;
        enum errkind k = e.kind != E_OK ? e.kind
                                        : apple_purchase_transaction(c->db, root, u->id, order_id,
                                                                     jws, &data, &e);
        answer(c, k, data, &e);
        err_clear(&e);
    }
    json_object_put(body);
}

void handlers_apple_notifications(struct ctx *c)
{
    const apple_jws_root *root = root_or_503(c);
    if (!root)
        return;
    json_object *body = rest_body_object(c, false);
    if (!body)
        return;
    struct err e = {0};
    const char *jws = required(body, "signedPayload", JWS_FIELD_MAX, &e);
    json_object *data = NULL;
    enum errkind k =
        e.kind != E_OK ? e.kind : apple_purchase_notification(c->db, root, jws, &data, &e);
    answer(c, k, data, &e);
    err_clear(&e);
    json_object_put(body);
}
