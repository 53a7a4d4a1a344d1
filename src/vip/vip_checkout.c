/*
 * vip_checkout.c - the VIP checkout (credit card through PayTabs, or an in-app purchase's
 * pending order) and the confirmation of its PayTabs payments (include/khedma/vip_checkout.h).
 * Like the gig checkout, the pending rows are committed before the gateway is called, so no row
 * lock waits on the network; a gateway that fails leaves a failed order and an ended pending
 * subscription, never a live one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/config.h"
#include "khedma/dberr.h"
#include "khedma/gateway_util.h"
#include "khedma/httpclient.h"
#include "khedma/jsonx.h"
#include "khedma/log.h"
#include "khedma/money.h"
#include "khedma/paytabs.h"
#include "khedma/subscription_store.h"
#include "khedma/vip_checkout.h"

/* PayTabs' token format 2 (a hex string); any format works for recurring sales. */
#define PAYTABS_TOKENISE_FORMAT 2

struct plan {
    long long id;
    char name[128];
    char price[32];
    char tax[32];
    char currency[8];
    long long trial_days;
};

struct checkout_tx {
    const struct user *u;
    const struct vip_checkout_input *in;
    bool card;
    struct plan p;
    bool trial;
    char sub_id[CUID_LEN + 1];
    char order_id[SUBSCRIPTION_ORDER_ID_LEN + 1];
    long long number;
};

/* vip_package_id as a positive integer: a JSON integer or a string of digits. */
static long long package_id_of(json_object *v)
{
    if (json_object_is_type(v, json_type_int))
        return json_object_get_int64(v);
    if (!json_object_is_type(v, json_type_string))
        return 0;
    const char *s = json_object_get_string(v);
    size_t n = strlen(s);
    if (n == 0 || n > 9 || strspn(s, "0123456789") != n)
        return 0;
    return strtoll(s, NULL, 10);
}

/* The active plan, by id (card) or App Store product id (in-app), with its VAT part. */
static enum errkind load_plan(struct db *db, struct checkout_tx *x, struct err *e)
{
    long rate = g_config ? g_config->vat_rate : 20;
    struct db_result *r = NULL;
    int rc =
        x->card
            ? db_exec(
                  db,
                  "SELECT id, name, price, ROUND(price * ? / (100 + ?), 2), currency, "
                  "trial_days FROM vip_packages WHERE id = ? AND active",
                  DB_PARAMS(DBP_I(rate), DBP_I(rate), DBP_I(package_id_of(x->in->vip_package_id))),
                  &r, NULL)
            : db_exec(db,
                      "SELECT id, name, price, ROUND(price * ? / (100 + ?), 2), currency, "
                      "trial_days FROM vip_packages WHERE app_store_product_id = ? AND active",
                      DB_PARAMS(DBP_I(rate), DBP_I(rate), DBP_S(x->in->iap_product_id)), &r, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    bool found = r->rows == 1;
    if (found) {
        x->p.id = db_result_int(r, 0, 0, 0);
        snprintf(x->p.name, sizeof(x->p.name), "%s", db_result_get(r, 0, 1));
        snprintf(x->p.price, sizeof(x->p.price), "%s", db_result_get(r, 0, 2));
        snprintf(x->p.tax, sizeof(x->p.tax), "%s", db_result_get(r, 0, 3));
        snprintf(x->p.currency, sizeof(x->p.currency), "%s", db_result_get(r, 0, 4));
        x->p.trial_days = db_result_int(r, 0, 5, 0);
    }
    db_result_free(r);
    if (!found) {
        db_rollback(db);
        return err_set(e, E_NOT_FOUND, "VIP package not found");
    }
    return E_OK;
}

/* The user's subscriptions: a live one refuses the checkout; one that was ever live (it has a
 * period) or ever trialled uses up the free trial. Pending ones never paid count for neither. */
static enum errkind check_history(struct db *db, struct checkout_tx *x, struct err *e)
{
    struct db_result *r = NULL;
    int rc = db_exec(db,
                     "SELECT COALESCE(SUM(live_user_id IS NOT NULL), 0), "
                     "COALESCE(SUM(current_period_start IS NOT NULL OR trial_end IS NOT NULL), 0) "
                     "FROM subscriptions WHERE user_id = ?",
                     DB_PARAMS(DBP_S(x->u->id)), &r, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    long long live = db_result_int(r, 0, 0, 0), ever = db_result_int(r, 0, 1, 0);
    db_result_free(r);
    if (live > 0) {
        db_rollback(db);
        return err_set(e, E_UNPROCESSABLE, "User already has an active subscription");
    }
    x->trial = x->card && x->p.trial_days > 0 && ever == 0;
    return E_OK;
}

static enum errkind checkout_tx(struct db *db, void *arg, struct err *e)
{
    struct checkout_tx *x = arg;
    int rc = db_begin(db);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    if (load_plan(db, x, e) != E_OK)
        return e->kind;
    if (!x->u->phone || !x->u->phone[0]) {
        db_rollback(db);
        return err_set(e, E_UNPROCESSABLE, "User must have a phone number");
    }
    if (check_history(db, x, e) != E_OK)
        return e->kind;
    if (subscription_store_create(db, x->u->id, x->p.id, x->card ? "paytabs" : "app_store",
                                  x->sub_id, e) != E_OK)
        return e->kind;
    struct subscription_order_new o = {x->u->id,
                                       x->p.id,
                                       x->sub_id,
                                       "initial",
                                       x->card ? "credit_card" : "in_app_purchase",
                                       x->card ? (x->trial ? "auth" : "sale") : NULL,
                                       x->p.price,
                                       x->p.tax};
    if (subscription_store_order_create(db, &o, x->order_id, &x->number, e) != E_OK)
        return e->kind;
    rc = db_commit(db);
    return rc == DB_OK ? E_OK : dberr_fail(db, rc, e);
}

/* The checkout's first failure the issue orders before any database work. */
static enum errkind check_input(const struct vip_checkout_input *in, bool *card, struct err *e)
{
    const char *m = in->payment_method;
    *card = m && strcmp(m, "credit_card") == 0;
    if (!*card && !(m && strcmp(m, "in_app_purchase") == 0))
        return err_set(e, E_UNPROCESSABLE, "Invalid payment method");
    if (*card && !in->vip_package_id)
        return err_set(e, E_UNPROCESSABLE, "vip_package_id is required");
    if (!*card && (!in->iap_product_id || !in->iap_product_id[0]))
        return err_set(e, E_UNPROCESSABLE, "iap_product_id is required");
    return E_OK;
}

/* The order could not be offered: failed, and its pending subscription ended with it. */
static enum errkind abandon_tx(struct db *db, void *arg, struct err *e)
{
    const struct checkout_tx *x = arg;
    int rc = db_begin(db);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    struct subscription_locked s;
    struct subscription_order_locked o;
    bool changed = false;
    if (subscription_store_lock(db, x->sub_id, &s, e) != E_OK ||
        subscription_store_order_lock(db, x->order_id, 0, &o, e) != E_OK)
        return e->kind;
    if (!s.found || !o.found) {
        db_rollback(db);
        return E_OK;
    }
    struct subscription_change c = {.move = VIP_PAYMENT_FAILED, .detail = "Payment gateway failed"};
    if (subscription_store_order_set(db, &o, "failed", NULL, &changed, e) != E_OK ||
        subscription_store_apply(db, &s, &c, NULL, e) != E_OK)
        return e->kind;
    rc = db_commit(db);
    return rc == DB_OK ? E_OK : dberr_fail(db, rc, e);
}

static void abandon(struct db *db, struct checkout_tx *x)
{
    struct err e = {0};
    if (dberr_tx_retry(db, abandon_tx, x, &e) != E_OK)
        log_warn("subscription order %lld: the failed checkout could not be closed", x->number);
    err_clear(&e);
}

/* The payment page request: the gig checkout's fields (callback, return, customer_details from
 * the profile plus the client's address), the tran_type, and tokenise so renewals can be
 * charged with the saved card. */
static json_object *page_request(const struct checkout_tx *x, const char *number)
{
    char description[96];
    snprintf(description, sizeof(description), "Payment for Subscription order number %s", number);
    const struct user *u = x->u;
    struct gateway_checkout_request req = {
        number,
        x->p.price,
        x->p.currency,
        description,
        {u->name, u->email, u->phone, x->in->client_ip ? x->in->client_ip : "127.0.0.1"}};
    json_object *o =
        paytabs_build_payment_request(&req, g_config->paytabs_profile_id, g_config->public_url);
    if (!o)
        return NULL;
    jsonx_add_str(o, "tran_type", x->trial ? "auth" : "sale");
    /* The browser comes back to the VIP page of the web storefront (web_vip.c), not to the gig
     * orders' return page: PayTabs posts there, which answers 303 to the page itself. */
    char ret[2048];
    int n =
        snprintf(ret, sizeof ret, "%s/dashboard/vip/return?order=%s", g_config->public_url, number);
    if (n < 0 || (size_t)n >= sizeof ret) {
        json_object_put(o);
        return NULL;
    }
    jsonx_add_str(o, "return", ret);
    json_object_object_add(o, "tokenise", json_object_new_int(PAYTABS_TOKENISE_FORMAT));
    return o;
}

static enum errkind keep_ref_tx(struct db *db, void *arg, struct err *e)
{
    const char *const *a = arg;
    int rc = db_exec(db, "UPDATE subscription_orders SET tran_ref = ? WHERE id = ?",
                     DB_PARAMS(DBP_S(a[0]), DBP_S(a[1])), NULL, NULL);
    return rc == DB_OK ? E_OK : dberr_fail(db, rc, e);
}

/* The seed's fields from the request sent, then ours. */
static json_object *card_data(const struct checkout_tx *x, json_object *req, const char *number,
                              const char *tran_ref, const char *redirect_url)
{
    json_object *d = json_object_new_object();
    json_object_object_foreach(req, key, val)
    {
        if (strncmp(key, "tran_", 5) == 0 || strncmp(key, "cart_", 5) == 0 ||
            strcmp(key, "customer_details") == 0 || strcmp(key, "tokenise") == 0)
            json_object_object_add(d, key, json_object_get(val));
    }
    jsonx_add_str(d, "order_id", x->order_id);
    jsonx_add_str(d, "order_number", number);
    jsonx_add_decimal(d, "tax", x->p.tax);
    jsonx_add_str(d, "tran_ref", tran_ref);
    jsonx_add_str(d, "redirect_url", redirect_url);
    return d;
}

static enum errkind card_page(struct db *db, struct checkout_tx *x, json_object **data,
                              struct err *e)
{
    char number[24], tran_ref[GATEWAY_REF_MAX + 1], redirect_url[2048];
    snprintf(number, sizeof(number), "%lld", x->number);
    json_object *req = page_request(x, number);
    struct httpclient_response r = {0};
    bool ok = req && paytabs_post("payment page", "/payment/request", req, &r) == 0 &&
              r.status == 200 && paytabs_parse_payment_page(r.body, r.len, tran_ref, redirect_url);
    if (req && r.body)
        httpclient_response_free(&r);
    if (!ok) {
        json_object_put(req);
        log_warn("subscription order %s: PayTabs payment page failed", number);
        abandon(db, x);
        return err_set(e, E_BAD_GATEWAY, GATEWAY_MSG_UNAVAILABLE);
    }
    const char *a[2] = {tran_ref, x->order_id};
    if (dberr_tx_retry(db, keep_ref_tx, (void *)a, e) != E_OK) {
        json_object_put(req);
        return e->kind;
    }
    *data = card_data(x, req, number, tran_ref, redirect_url);
    json_object_put(req);
    return E_OK;
}

enum errkind vip_checkout(struct db *db, const struct user *u, const struct vip_checkout_input *in,
                          json_object **data, struct err *e)
{
    struct checkout_tx x;
    memset(&x, 0, sizeof(x));
    x.u = u;
    x.in = in;
    if (check_input(in, &x.card, e) != E_OK)
        return e->kind;
    if (dberr_tx_retry(db, checkout_tx, &x, e) != E_OK)
        return e->kind;
    log_info("subscription order %lld: %s for plan %lld%s", x.number,
             x.card ? "credit_card" : "in_app_purchase", x.p.id, x.trial ? " (trial)" : "");
    if (x.card)
        return card_page(db, &x, data, e);
    *data = json_object_new_object();
    jsonx_add_str(*data, "order_id", x.order_id);
    return E_OK;
}

/* ---- confirmation ---- */

/* What PayTabs says about a transaction (payment/query). */
struct pt_answer {
    char status[4];
    char tran_type[16]; /* lower case: sale | auth */
    char cart_id[GATEWAY_REF_MAX + 1];
    char amount[32];
    char currency[8];
    char token[256];
};

static bool read_answer(const char *body, size_t len, struct pt_answer *a)
{
    json_object *o = jsonx_parse(body, len);
    json_object *pr = o ? json_object_object_get(o, "payment_result") : NULL;
    json_object *amount = o ? json_object_object_get(o, "cart_amount") : NULL;
    const char *status = pr ? jsonx_str(pr, "response_status") : NULL;
    bool ok = status && jsonx_str(o, "tran_type") && jsonx_str(o, "cart_id") && amount &&
              money_normalize(json_object_get_string(amount), a->amount);
    if (ok) {
        gateway_util_copy_cut(a->status, sizeof(a->status), status);
        gateway_util_copy_cut(a->tran_type, sizeof(a->tran_type), jsonx_str(o, "tran_type"));
        for (char *p = a->tran_type; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        gateway_util_copy_cut(a->cart_id, sizeof(a->cart_id), jsonx_str(o, "cart_id"));
        gateway_util_copy_cut(a->currency, sizeof(a->currency), jsonx_str(o, "cart_currency"));
        gateway_util_copy_cut(a->token, sizeof(a->token), jsonx_str(o, "token"));
    }
    json_object_put(o);
    return ok;
}

static enum errkind query(const char *tran_ref, struct pt_answer *a, struct err *e)
{
    memset(a, 0, sizeof(*a));
    json_object *req = paytabs_build_query_request(g_config->paytabs_profile_id, tran_ref);
    struct httpclient_response r = {0};
    bool ok = paytabs_post("query", "/payment/query", req, &r) == 0 && r.status == 200 &&
              read_answer(r.body, r.len, a);
    if (r.body)
        httpclient_response_free(&r);
    json_object_put(req);
    return ok ? E_OK : err_set(e, E_BAD_GATEWAY, GATEWAY_MSG_UNAVAILABLE);
}

struct confirm_tx {
    const char *tran_ref;
    const struct pt_answer *a;
    bool found;
    const char *outcome;
};

/* The subscription order with this tran_ref and its subscription, both locked (subscription
 * first, as the store's lock order says). */
static enum errkind lock_pair(struct db *db, struct confirm_tx *x, struct subscription_locked *s,
                              struct subscription_order_locked *o, struct err *e)
{
    struct db_result *r = NULL;
    int rc = db_exec(db,
                     "SELECT id, COALESCE(subscription_id, '') FROM subscription_orders "
                     "WHERE tran_ref = ?",
                     DB_PARAMS(DBP_S(x->tran_ref)), &r, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    char order_id[SUBSCRIPTION_ORDER_ID_LEN + 1] = "", sub_id[CUID_LEN + 1] = "";
    if (r->rows == 1) {
        snprintf(order_id, sizeof(order_id), "%s", db_result_get(r, 0, 0));
        snprintf(sub_id, sizeof(sub_id), "%s", db_result_get(r, 0, 1));
    }
    db_result_free(r);
    memset(s, 0, sizeof(*s));
    memset(o, 0, sizeof(*o));
    if (!order_id[0] || !sub_id[0])
        return E_OK;
    if (subscription_store_lock(db, sub_id, s, e) != E_OK ||
        subscription_store_order_lock(db, order_id, 0, o, e) != E_OK)
        return e->kind;
    x->found = s->found && o->found;
    return E_OK;
}

/* What the answer means for the locked pair. */
static enum errkind settle(struct db *db, struct confirm_tx *x, const struct subscription_locked *s,
                           const struct subscription_order_locked *o, struct err *e)
{
    const struct pt_answer *a = x->a;
    char number[24], want[32];
    snprintf(number, sizeof(number), "%lld", o->number);
    if (strcmp(a->cart_id, number) != 0 || !money_normalize(o->amount, want) ||
        strcmp(want, a->amount) != 0 || strcmp(a->tran_type, o->tran_type) != 0) {
        x->outcome = "amount_mismatch";
        return E_OK;
    }
    if (strcmp(a->status, "P") == 0 || strcmp(a->status, "H") == 0) {
        x->outcome = "pending";
        return E_OK;
    }
    bool approved = strcmp(a->status, "A") == 0, trial = strcmp(o->tran_type, "auth") == 0;
    const char *to = !approved ? "failed" : trial ? "authorised" : "paid";
    bool changed = false;
    if (subscription_store_order_set(db, o, to, NULL, &changed, e) != E_OK)
        return e->kind;
    if (!changed) {
        x->outcome = "duplicate";
        return E_OK;
    }
    struct subscription_change c = {.move = !approved ? VIP_PAYMENT_FAILED
                                            : trial   ? VIP_TRIAL_AUTHORISED
                                                      : VIP_PAID,
                                    .detail = x->tran_ref,
                                    .paytabs_token = approved && a->token[0] ? a->token : NULL,
                                    .paytabs_auth_ref = approved && trial ? x->tran_ref : NULL};
    x->outcome = "applied";
    return subscription_store_apply(db, s, &c, NULL, e);
}

static enum errkind confirm_tx(struct db *db, void *arg, struct err *e)
{
    struct confirm_tx *x = arg;
    x->found = false;
    x->outcome = "ignored";
    int rc = db_begin(db);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    struct subscription_locked s;
    struct subscription_order_locked o;
    if (lock_pair(db, x, &s, &o, e) != E_OK)
        return e->kind;
    if (x->found && settle(db, x, &s, &o, e) != E_OK)
        return e->kind;
    rc = db_commit(db);
    return rc == DB_OK ? E_OK : dberr_fail(db, rc, e);
}

/* Is tran_ref a subscription order's? Read before asking PayTabs, so a gig payment's callback
 * costs no extra gateway call. */
static enum errkind known_ref(struct db *db, const char *tran_ref, bool *found, struct err *e)
{
    struct db_result *r = NULL;
    int rc = db_exec(db, "SELECT 1 FROM subscription_orders WHERE tran_ref = ?",
                     DB_PARAMS(DBP_S(tran_ref)), &r, NULL);
    if (rc == DB_OK)
        *found = r->rows == 1;
    db_result_free(r);
    return rc == DB_OK ? E_OK : dberr_fail(db, rc, e);
}

enum errkind vip_checkout_confirm(struct db *db, const char *tran_ref, bool *found,
                                  const char **outcome, struct err *e)
{
    *found = false;
    *outcome = "ignored";
    if (!tran_ref || !tran_ref[0] || known_ref(db, tran_ref, found, e) != E_OK || !*found)
        return e->kind;
    struct pt_answer a;
    if (query(tran_ref, &a, e) != E_OK)
        return e->kind;
    struct confirm_tx x = {tran_ref, &a, false, "ignored"};
    if (dberr_tx_retry(db, confirm_tx, &x, e) != E_OK)
        return e->kind;
    *found = x.found;
    *outcome = x.outcome;
    log_info("paytabs subscription transaction: %s", x.outcome);
    return E_OK;
}

enum errkind vip_checkout_confirm_number(struct db *db, const char *user_id, const char *number,
                                         struct err *e)
{
    struct db_result *r = NULL;
    int rc = db_exec(db,
                     "SELECT tran_ref FROM subscription_orders WHERE order_number = ? AND "
                     "user_id = ? AND payment_method = 'credit_card' AND status = 'pending' AND "
                     "tran_ref IS NOT NULL",
                     DB_PARAMS(DBP_S(number), DBP_S(user_id)), &r, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    char ref[72] = "";
    if (r->rows == 1)
        snprintf(ref, sizeof ref, "%s", db_result_get(r, 0, 0));
    db_result_free(r);
    if (!ref[0])
        return E_OK; /* not theirs, not a card order, or settled already: nothing to ask */
    bool found = false;
    const char *outcome = NULL;
    return vip_checkout_confirm(db, ref, &found, &outcome, e);
}
