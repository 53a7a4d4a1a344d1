/*
 * checkout.c - POST /api/orders/checkout and order.checkout (docs/api.md, "Checkout and
 * payment"): validate in the documented order, write a pending order and a pending payment whose
 * amount is the package's price from the database (never the client's), commit, then call the
 * gateway. The gateway call happens outside any transaction so no row lock waits on the network; if
 * it fails, the order is cancelled and its payment marked failed (nothing can be charged twice: the
 * next checkout is a new order with a new gateway reference).
 */
#include <stdio.h>
#include <string.h>

#include "khedma/checkout.h"
#include "khedma/crypto.h"
#include "khedma/dberr.h"
#include "khedma/gateway.h"
#include "khedma/cuid.h"
#include "khedma/jsonx.h"
#include "khedma/lifecycle.h"
#include "khedma/log.h"
#include "khedma/order_store.h"

#define BANK_REFERENCE_LEN 12

struct offer {
    char package_id[CUID_LEN + 1];
    char gig_id[CUID_LEN + 1];
    char owner_id[CUID_LEN + 1];
    char price[32];
    char type[16];
    char title[256];
    long long revisions;
};

static const char *normalize_method(const char *m)
{
    if (!m)
        return NULL;
    if (strcmp(m, "card") == 0 || strcmp(m, "credit_card") == 0)
        return "card";
    if (strcmp(m, "bank_transfer") == 0)
        return "bank_transfer";
    return NULL;
}

/* The package with its gig, checked in the documented order: 404, then gig availability, then
 * the buyer's own gig. Runs inside the checkout transaction with the gig row share-locked so a
 * concurrent delete cannot remove it under the new order. */
static enum errkind load_offer(struct db *db, const struct user *client,
                               const struct checkout_input *in, struct offer *o, struct err *e)
{
    struct db_result *r = NULL;
    int rc = db_exec(db,
                     "SELECT p.id, g.id, g.owner_id, p.price, p.type, COALESCE(g.title, ''), "
                     "p.revisions, g.status, g.is_paused FROM packages p "
                     "JOIN gigs g ON g.id = p.gig_id WHERE p.id = ? LOCK IN SHARE MODE",
                     DB_PARAMS(DBP_S(in->package_id)), &r, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    bool found = r->rows == 1 && (!in->gig_id || strcmp(in->gig_id, db_result_get(r, 0, 1)) == 0);
    bool available =
        found && strcmp(db_result_get(r, 0, 7), "published") == 0 && db_result_int(r, 0, 8, 1) == 0;
    bool own = found && strcmp(db_result_get(r, 0, 2), client->id) == 0;
    if (found) {
        snprintf(o->package_id, sizeof(o->package_id), "%s", db_result_get(r, 0, 0));
        snprintf(o->gig_id, sizeof(o->gig_id), "%s", db_result_get(r, 0, 1));
        snprintf(o->owner_id, sizeof(o->owner_id), "%s", db_result_get(r, 0, 2));
        snprintf(o->price, sizeof(o->price), "%s", db_result_get(r, 0, 3));
        snprintf(o->type, sizeof(o->type), "%s", db_result_get(r, 0, 4));
        snprintf(o->title, sizeof(o->title), "%s", db_result_get(r, 0, 5));
        o->revisions = db_result_int(r, 0, 6, 0);
    }
    db_result_free(r);
    enum errkind k = E_OK;
    if (!found)
        k = err_set(e, E_NOT_FOUND, "Package not found");
    else if (!available)
        k = err_set(e, E_UNPROCESSABLE, "Gig is not available");
    else if (own)
        k = err_set(e, E_UNPROCESSABLE, "You cannot order your own gig");
    else if (!client->phone || !client->phone[0])
        k = err_set(e, E_UNPROCESSABLE, "User must have a phone number");
    if (k != E_OK)
        db_rollback(db);
    return k;
}

/* A bank-transfer reference the client writes on the transfer: short, unambiguous letters. */
static void bank_reference(char out[BANK_REFERENCE_LEN + 4])
{
    char code[BANK_REFERENCE_LEN + 1];
    crypto_random_alnum(code, BANK_REFERENCE_LEN);
    for (char *p = code; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    snprintf(out, BANK_REFERENCE_LEN + 4, "KH-%s", code);
}

static enum errkind write_pending(struct db *db, const struct user *client, const struct offer *o,
                                  const char *method, const char *provider, const char *order_id,
                                  const char *reference, struct err *e)
{
    struct order_store_new n = {order_id, client->id, o->owner_id, o->gig_id,    o->package_id,
                                o->price, method,     provider,    o->revisions, reference};
    if (order_store_create(db, &n, e) != E_OK)
        return e->kind;
    int rc = db_commit(db);
    return rc == DB_OK ? E_OK : dberr_fail(db, rc, e);
}

/* The checkout's transaction: the offer checked under its share lock, the pending order and
 * payment written, committed. Run by dberr_tx_retry, so it may run again from its BEGIN. */
struct pending_tx {
    const struct user *client;
    const struct checkout_input *in;
    struct offer *o;
    const char *method, *provider, *order_id, *reference;
};

static enum errkind pending_tx(struct db *db, void *arg, struct err *e)
{
    const struct pending_tx *x = arg;
    int rc = db_begin(db);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    if (load_offer(db, x->client, x->in, x->o, e) != E_OK)
        return e->kind;
    return write_pending(db, x->client, x->o, x->method, x->provider, x->order_id, x->reference, e);
}

static json_object *base_data(const char *order_id, const struct offer *o, const char *method,
                              const char *provider)
{
    json_object *d = json_object_new_object();
    jsonx_add_str(d, "order_id", order_id);
    jsonx_add_decimal(d, "amount", o->price);
    jsonx_add_str(d, "currency", "MAD");
    jsonx_add_str(d, "payment_method", method);
    jsonx_add_str(d, "provider", provider);
    return d;
}

/* The gateway refused or could not be reached: the order cannot be paid, so it is cancelled and
 * its payment failed, in one transaction, with the event that says why. */
static enum errkind abandon_tx(struct db *db, void *arg, struct err *e)
{
    const char *order_id = *(const char *const *)arg;
    int rc = db_begin(db);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    struct order_change c = {LIFECYCLE_FAIL_PAYMENT, NULL, "Payment gateway failed", NULL, NULL, 0};
    if (order_store_transition(db, order_id, &c, NULL, e) != E_OK)
        return e->kind;
    rc = db_commit(db);
    return rc == DB_OK ? E_OK : dberr_fail(db, rc, e);
}

static void abandon_checkout(struct db *db, const char *order_id)
{
    struct err e = {0};
    if (dberr_tx_retry(db, abandon_tx, &order_id, &e) != E_OK)
        log_warn("order %s: the failed checkout could not be cancelled; the jobs will", order_id);
    err_clear(&e);
}

/* Where the gateway's reference for the checkout is kept: the client may pay only once it is
 * kept, since the payment page is answered only then (the jobs rely on that: a YouCan Pay
 * checkout without a token was never offered to the customer). */
struct gateway_ref {
    const char *sql;
    const char *ref;
    const char *order_id;
};

static enum errkind keep_ref_tx(struct db *db, void *arg, struct err *e)
{
    const struct gateway_ref *g = arg;
    int rc = db_exec(db, g->sql, DB_PARAMS(DBP_S(g->ref), DBP_S(g->order_id)), NULL, NULL);
    return rc == DB_OK ? E_OK : dberr_fail(db, rc, e);
}

static enum errkind call_gateway(struct db *db, const struct user *client,
                                 const struct checkout_input *in, const struct offer *o,
                                 const char *order_id, json_object *data, struct err *e)
{
    enum gateway_provider p = gateway_card_provider();
    char description[320];
    snprintf(description, sizeof(description), "Khedma order %s: %s (%s)", order_id, o->title,
             o->type);
    struct gateway_checkout_request req = {
        order_id,
        o->price,
        "MAD",
        description,
        {client->name, client->email, client->phone, in->client_ip ? in->client_ip : "127.0.0.1"}};
    struct gateway_checkout_result res;
    memset(&res, 0, sizeof(res));
    if (gateway_checkout(p, &req, &res, e) != E_OK) {
        abandon_checkout(db, order_id);
        return e->kind;
    }
    struct gateway_ref g = {p == GATEWAY_YOUCANPAY
                                ? "UPDATE payments SET token_id = ? WHERE order_id = ?"
                                : "UPDATE payments SET tran_ref = ? WHERE order_id = ?",
                            p == GATEWAY_YOUCANPAY ? res.token_id : res.tran_ref, order_id};
    if (dberr_tx_retry(db, keep_ref_tx, &g, e) != E_OK) {
        gateway_checkout_result_free(&res);
        return e->kind;
    }
    if (p == GATEWAY_YOUCANPAY) {
        jsonx_add_str(data, "token_id", res.token_id);
        jsonx_add_str(data, "payment_url", res.payment_url);
    } else {
        jsonx_add_str(data, "tran_ref", res.tran_ref);
        jsonx_add_str(data, "redirect_url", res.redirect_url);
        json_object_object_foreach(res.paytabs_request, key, val)
        {
            if (strncmp(key, "cart_", 5) == 0 || strcmp(key, "customer_details") == 0)
                json_object_object_add(data, key, json_object_get(val));
        }
    }
    gateway_checkout_result_free(&res);
    return E_OK;
}

enum errkind checkout_order(struct db *db, const struct user *client,
                            const struct checkout_input *in, json_object **data, struct err *e)
{
    const char *method = normalize_method(in->payment_method);
    if (!method)
        return err_set(e, E_UNPROCESSABLE, "Invalid payment method");
    if (!in->package_id || !in->package_id[0])
        return err_set(e, E_NOT_FOUND, "Package not found");
    bool card = strcmp(method, "card") == 0;
    const char *provider = card ? gateway_provider_name(gateway_card_provider()) : "bank_transfer";
    char order_id[CUID_LEN + 1], reference[BANK_REFERENCE_LEN + 4];
    cuid_new(order_id);
    if (!card)
        bank_reference(reference);
    struct offer o;
    struct pending_tx x = {client, in, &o, method, provider, order_id, card ? NULL : reference};
    if (dberr_tx_retry(db, pending_tx, &x, e) != E_OK)
        return e->kind;
    json_object *d = base_data(order_id, &o, method, provider);
    if (!card) {
        jsonx_add_str(d, "reference", reference);
    } else if (call_gateway(db, client, in, &o, order_id, d, e) != E_OK) {
        json_object_put(d);
        return e->kind;
    }
    log_info("checkout %s: %s via %s", order_id, o.price, provider);
    *data = d;
    return E_OK;
}
