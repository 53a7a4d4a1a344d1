/*
 * handlers_vip.c - REST handlers for VIP subscriptions (include/khedma/handlers_vip.h). Thin:
 * check the session, call vip_read.c, encode the envelope.
 */
#include "khedma/handlers_vip.h"
#include "khedma/rest.h"
#include "khedma/vip_read.h"

typedef enum errkind (*user_read_fn)(struct db *, const char *, json_object **, struct err *);

static void answer(struct ctx *c, enum errkind k, json_object *data, struct err *e)
{
    if (k == E_OK)
        rest_ok(c, 200, data); /* NULL answers data: null */
    else
        rest_error(c, e);
    err_clear(e);
}

void handlers_vip_packages(struct ctx *c)
{
    json_object *data = NULL;
    struct err e = {0};
    enum errkind k = vip_read_packages(c->db, &data, &e);
    answer(c, k, data, &e);
}

static void for_user(struct ctx *c, user_read_fn fn)
{
    const struct user *u = rest_require_user(c);
    if (!u)
        return;
    json_object *data = NULL;
    struct err e = {0};
    enum errkind k = fn(c->db, u->id, &data, &e);
    answer(c, k, data, &e);
}

void handlers_vip_my_subscription(struct ctx *c)
{
    for_user(c, vip_read_my_subscription);
}

void handlers_vip_cancel(struct ctx *c)
{
    for_user(c, vip_read_cancel);
}
