/*
 * order_json.c - the Order object (docs/api.md, "Orders API"), built from one row of
 * ORDER_JSON_SELECT: the order joined with its package, gig, gig owner and payment, so a single
 * query serves both one order and a page of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/dberr.h"
#include "khedma/jsonx.h"
#include "khedma/order_json.h"
#include "khedma/timeutil.h"

const char ORDER_JSON_SELECT[] =
    "SELECT o.id, o.user_id, o.gig_id, o.package_id, o.status, o.total_amount, o.currency, "
    "o.payment_method, o.idempotency_key, o.payment_reference, o.meta, o.created_at, "
    "o.updated_at, o.due_at, o.delivered_at, o.completed_at, o.cancelled_at, o.cancel_reason, "
    "o.revisions_allowed, o.revisions_used, "
    "p.id, p.type, p.name, p.price, p.delivery, p.revisions, "
    "g.id, g.title, g.slug, u.id, u.username, "
    "pay.id, pay.status, pay.amount, pay.payment_method, pay.provider, "
    "COALESCE(pay.transaction_id, pay.tran_ref), pay.created_at, pay.updated_at "
    "FROM orders o JOIN packages p ON p.id = o.package_id JOIN gigs g ON g.id = o.gig_id "
    "JOIN users u ON u.id = g.owner_id LEFT JOIN payments pay ON pay.order_id = o.id ";

enum {
    C_ID,
    C_USER,
    C_GIG,
    C_PACKAGE,
    C_STATUS,
    C_TOTAL,
    C_CURRENCY,
    C_METHOD,
    C_IDEM,
    C_PAYREF,
    C_META,
    C_CREATED,
    C_UPDATED,
    C_DUE,
    C_DELIVERED,
    C_COMPLETED,
    C_CANCELLED,
    C_REASON,
    C_REV_ALLOWED,
    C_REV_USED,
    C_P_ID,
    C_P_TYPE,
    C_P_NAME,
    C_P_PRICE,
    C_P_DELIVERY,
    C_P_REVISIONS,
    C_G_ID,
    C_G_TITLE,
    C_G_SLUG,
    C_OWNER_ID,
    C_OWNER_USERNAME,
    C_PAY_ID,
    C_PAY_STATUS,
    C_PAY_AMOUNT,
    C_PAY_METHOD,
    C_PAY_PROVIDER,
    C_PAY_TXN,
    C_PAY_CREATED,
    C_PAY_UPDATED,
};

static void add_time(json_object *o, const char *key, const char *db_time)
{
    char iso[ISO_TIME_LEN + 1];
    if (db_time && timeutil_iso_from_db(db_time, iso) == 0)
        jsonx_add_str(o, key, iso);
    else
        jsonx_add_null(o, key);
}

static void add_int(json_object *o, const char *key, const char *text)
{
    if (text)
        jsonx_add_int(o, key, strtoll(text, NULL, 10));
    else
        jsonx_add_null(o, key);
}

/* meta is stored as JSON text written by us; a value that does not parse is shown as null. */
static void add_json(json_object *o, const char *key, const char *text)
{
    json_object *v = text ? jsonx_parse(text, strlen(text)) : NULL;
    json_object_object_add(o, key, v);
}

static json_object *package_part(const struct db_result *r, size_t row)
{
    json_object *p = json_object_new_object();
    jsonx_add_str(p, "id", db_result_get(r, row, C_P_ID));
    jsonx_add_str(p, "type", db_result_get(r, row, C_P_TYPE));
    jsonx_add_str(p, "name", db_result_get(r, row, C_P_NAME));
    jsonx_add_decimal(p, "price", db_result_get(r, row, C_P_PRICE));
    add_int(p, "delivery", db_result_get(r, row, C_P_DELIVERY));
    add_int(p, "revisions", db_result_get(r, row, C_P_REVISIONS));
    return p;
}

static json_object *gig_part(const struct db_result *r, size_t row)
{
    json_object *g = json_object_new_object(), *owner = json_object_new_object();
    jsonx_add_str(g, "id", db_result_get(r, row, C_G_ID));
    jsonx_add_str(g, "title", db_result_get(r, row, C_G_TITLE));
    jsonx_add_str(g, "slug", db_result_get(r, row, C_G_SLUG));
    jsonx_add_str(owner, "id", db_result_get(r, row, C_OWNER_ID));
    jsonx_add_str(owner, "username", db_result_get(r, row, C_OWNER_USERNAME));
    json_object_object_add(g, "owner", owner);
    return g;
}

static json_object *payment_part(const struct db_result *r, size_t row)
{
    if (!db_result_get(r, row, C_PAY_ID))
        return NULL;
    json_object *p = json_object_new_object();
    jsonx_add_str(p, "id", db_result_get(r, row, C_PAY_ID));
    jsonx_add_str(p, "status", db_result_get(r, row, C_PAY_STATUS));
    jsonx_add_decimal(p, "amount", db_result_get(r, row, C_PAY_AMOUNT));
    jsonx_add_str(p, "paymentMethod", db_result_get(r, row, C_PAY_METHOD));
    jsonx_add_str(p, "provider", db_result_get(r, row, C_PAY_PROVIDER));
    jsonx_add_str(p, "transactionId", db_result_get(r, row, C_PAY_TXN));
    add_time(p, "createdAt", db_result_get(r, row, C_PAY_CREATED));
    add_time(p, "updatedAt", db_result_get(r, row, C_PAY_UPDATED));
    return p;
}

json_object *order_json_from_row(const struct db_result *r, size_t row)
{
    json_object *o = json_object_new_object();
    jsonx_add_str(o, "id", db_result_get(r, row, C_ID));
    jsonx_add_str(o, "userId", db_result_get(r, row, C_USER));
    jsonx_add_str(o, "gigId", db_result_get(r, row, C_GIG));
    jsonx_add_str(o, "packageId", db_result_get(r, row, C_PACKAGE));
    jsonx_add_str(o, "status", db_result_get(r, row, C_STATUS));
    jsonx_add_decimal(o, "totalAmount", db_result_get(r, row, C_TOTAL));
    jsonx_add_str(o, "currency", db_result_get(r, row, C_CURRENCY));
    jsonx_add_str(o, "paymentMethod", db_result_get(r, row, C_METHOD));
    jsonx_add_str(o, "idempotencyKey", db_result_get(r, row, C_IDEM));
    jsonx_add_str(o, "paymentReference", db_result_get(r, row, C_PAYREF));
    add_json(o, "meta", db_result_get(r, row, C_META));
    add_time(o, "createdAt", db_result_get(r, row, C_CREATED));
    add_time(o, "updatedAt", db_result_get(r, row, C_UPDATED));
    add_time(o, "dueAt", db_result_get(r, row, C_DUE));
    add_time(o, "deliveredAt", db_result_get(r, row, C_DELIVERED));
    add_time(o, "completedAt", db_result_get(r, row, C_COMPLETED));
    add_time(o, "cancelledAt", db_result_get(r, row, C_CANCELLED));
    jsonx_add_str(o, "cancelReason", db_result_get(r, row, C_REASON));
    json_object *rev = json_object_new_object();
    add_int(rev, "allowed", db_result_get(r, row, C_REV_ALLOWED));
    add_int(rev, "used", db_result_get(r, row, C_REV_USED));
    json_object_object_add(o, "revisions", rev);
    json_object_object_add(o, "package", package_part(r, row));
    json_object_object_add(o, "gig", gig_part(r, row));
    json_object_object_add(o, "payment", payment_part(r, row));
    return o;
}

enum errkind order_json_load(struct db *db, const char *order_id, json_object **out, struct err *e)
{
    char sql[sizeof(ORDER_JSON_SELECT) + 32];
    snprintf(sql, sizeof(sql), "%sWHERE o.id = ?", ORDER_JSON_SELECT);
    struct db_result *r = NULL;
    int rc = db_exec(db, sql, DB_PARAMS(DBP_S(order_id)), &r, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    enum errkind k = E_OK;
    if (r->rows == 1)
        *out = order_json_from_row(r, 0);
    else
        k = err_set(e, E_NOT_FOUND, "Order not found");
    db_result_free(r);
    return k;
}
