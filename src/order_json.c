/*
 * order_json.c - the contract's Order object (section 6), built from one row of ORDER_SELECT:
 * the order joined with its package, gig, gig owner and payment, so a single query serves both
 * one order and a page of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/dberr.h"
#include "khedma/jsonx.h"
#include "khedma/orders.h"
#include "khedma/timeutil.h"

const char ORDER_SELECT[] =
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
    if (db_time && iso_from_db(db_time, iso) == 0)
        jx_add_str(o, key, iso);
    else
        jx_add_null(o, key);
}

static void add_int(json_object *o, const char *key, const char *text)
{
    if (text)
        jx_add_int(o, key, strtoll(text, NULL, 10));
    else
        jx_add_null(o, key);
}

/* meta is stored as JSON text written by us; a value that does not parse is shown as null. */
static void add_json(json_object *o, const char *key, const char *text)
{
    json_object *v = text ? jx_parse(text, strlen(text)) : NULL;
    json_object_object_add(o, key, v);
}

static json_object *package_part(const struct db_result *r, size_t row)
{
    json_object *p = json_object_new_object();
    jx_add_str(p, "id", dbr_get(r, row, C_P_ID));
    jx_add_str(p, "type", dbr_get(r, row, C_P_TYPE));
    jx_add_str(p, "name", dbr_get(r, row, C_P_NAME));
    jx_add_decimal(p, "price", dbr_get(r, row, C_P_PRICE));
    add_int(p, "delivery", dbr_get(r, row, C_P_DELIVERY));
    add_int(p, "revisions", dbr_get(r, row, C_P_REVISIONS));
    return p;
}

static json_object *gig_part(const struct db_result *r, size_t row)
{
    json_object *g = json_object_new_object(), *owner = json_object_new_object();
    jx_add_str(g, "id", dbr_get(r, row, C_G_ID));
    jx_add_str(g, "title", dbr_get(r, row, C_G_TITLE));
    jx_add_str(g, "slug", dbr_get(r, row, C_G_SLUG));
    jx_add_str(owner, "id", dbr_get(r, row, C_OWNER_ID));
    jx_add_str(owner, "username", dbr_get(r, row, C_OWNER_USERNAME));
    json_object_object_add(g, "owner", owner);
    return g;
}

static json_object *payment_part(const struct db_result *r, size_t row)
{
    if (!dbr_get(r, row, C_PAY_ID))
        return NULL;
    json_object *p = json_object_new_object();
    jx_add_str(p, "id", dbr_get(r, row, C_PAY_ID));
    jx_add_str(p, "status", dbr_get(r, row, C_PAY_STATUS));
    jx_add_decimal(p, "amount", dbr_get(r, row, C_PAY_AMOUNT));
    jx_add_str(p, "paymentMethod", dbr_get(r, row, C_PAY_METHOD));
    jx_add_str(p, "provider", dbr_get(r, row, C_PAY_PROVIDER));
    jx_add_str(p, "transactionId", dbr_get(r, row, C_PAY_TXN));
    add_time(p, "createdAt", dbr_get(r, row, C_PAY_CREATED));
    add_time(p, "updatedAt", dbr_get(r, row, C_PAY_UPDATED));
    return p;
}

json_object *order_from_row(const struct db_result *r, size_t row)
{
    json_object *o = json_object_new_object();
    jx_add_str(o, "id", dbr_get(r, row, C_ID));
    jx_add_str(o, "userId", dbr_get(r, row, C_USER));
    jx_add_str(o, "gigId", dbr_get(r, row, C_GIG));
    jx_add_str(o, "packageId", dbr_get(r, row, C_PACKAGE));
    jx_add_str(o, "status", dbr_get(r, row, C_STATUS));
    jx_add_decimal(o, "totalAmount", dbr_get(r, row, C_TOTAL));
    jx_add_str(o, "currency", dbr_get(r, row, C_CURRENCY));
    jx_add_str(o, "paymentMethod", dbr_get(r, row, C_METHOD));
    jx_add_str(o, "idempotencyKey", dbr_get(r, row, C_IDEM));
    jx_add_str(o, "paymentReference", dbr_get(r, row, C_PAYREF));
    add_json(o, "meta", dbr_get(r, row, C_META));
    add_time(o, "createdAt", dbr_get(r, row, C_CREATED));
    add_time(o, "updatedAt", dbr_get(r, row, C_UPDATED));
    add_time(o, "dueAt", dbr_get(r, row, C_DUE));
    add_time(o, "deliveredAt", dbr_get(r, row, C_DELIVERED));
    add_time(o, "completedAt", dbr_get(r, row, C_COMPLETED));
    add_time(o, "cancelledAt", dbr_get(r, row, C_CANCELLED));
    jx_add_str(o, "cancelReason", dbr_get(r, row, C_REASON));
    json_object *rev = json_object_new_object();
    add_int(rev, "allowed", dbr_get(r, row, C_REV_ALLOWED));
    add_int(rev, "used", dbr_get(r, row, C_REV_USED));
    json_object_object_add(o, "revisions", rev);
    json_object_object_add(o, "package", package_part(r, row));
    json_object_object_add(o, "gig", gig_part(r, row));
    json_object_object_add(o, "payment", payment_part(r, row));
    return o;
}

enum errkind order_load(struct db *db, const char *order_id, json_object **out, struct err *e)
{
    char sql[sizeof(ORDER_SELECT) + 32];
    snprintf(sql, sizeof(sql), "%sWHERE o.id = ?", ORDER_SELECT);
    struct db_result *r = NULL;
    int rc = db_exec(db, sql, DB_PARAMS(DBP_S(order_id)), &r, NULL);
    if (rc != DB_OK)
        return db_fail(db, rc, e);
    enum errkind k = E_OK;
    if (r->rows == 1)
        *out = order_from_row(r, 0);
    else
        k = err_set(e, E_NOT_FOUND, "Order not found");
    db_result_free(r);
    return k;
}
