/*
 * order_create.c - order.create, "create an order after successful payment" (docs/api.md,
 * "tRPC"). The client names a gateway transaction; the server asks the gateway about it and
 * either confirms the client's pending checkout with that id or records a new, already paid
 * order. The unique key on (provider, transaction_id) makes one transaction confirm at most one
 * order, across workers and hosts.
 *
 * Checks, in the documented order: transaction already used for another order (CONFLICT; the
 * same input again returns the same order), then amount / currency / package-gig / orderId
 * mismatches (UNPROCESSABLE_CONTENT), then an unpaid transaction (PRECONDITION_FAILED). An
 * unreachable gateway is BAD_GATEWAY and changes no order (the transaction id named for the
 * client's own YouCan Pay checkout is kept for the jobs to ask about, see payments.c).
 */
#include <stdio.h>
#include <string.h>

#include "khedma/dberr.h"
#include "khedma/gateway.h"
#include "khedma/cuid.h"
#include "khedma/lifecycle.h"
#include "khedma/money.h"
#include "khedma/order_create.h"
#include "khedma/order_json.h"
#include "khedma/order_store.h"
#include "khedma/payments.h"

struct package_row {
    char gig_id[CUID_LEN + 1];
    char owner_id[CUID_LEN + 1];
    char price[32];
    long long revisions;
};

/* The order this transaction already confirmed: E_OK with *found set, and *repeat when the call
 * names that same order (our order id, or the gateway order id an order.create-made order keeps
 * in payments.reference) for the same client, gig, package and amount. */
static enum errkind find_used(struct db *db, const struct user *client,
                              const struct order_create *in, const char *provider,
                              char order_id[CUID_LEN + 1], bool *found, bool *repeat, struct err *e)
{
    struct db_result *r = NULL;
    int rc = db_exec(db,
                     "SELECT o.id, o.user_id = ? AND o.gig_id = ? AND o.package_id = ? "
                     "AND (o.id = ? OR p.reference = ?), o.total_amount "
                     "FROM payments p JOIN orders o ON o.id = p.order_id "
                     "WHERE p.provider = ? AND p.transaction_id = ?",
                     DB_PARAMS(DBP_S(client->id), DBP_S(in->gig_id), DBP_S(in->package_id),
                               DBP_S(in->order_id), DBP_S(in->order_id), DBP_S(provider),
                               DBP_S(in->transaction_id)),
                     &r, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    *found = r->rows == 1;
    *repeat =
        *found && db_result_int(r, 0, 1, 0) == 1 && money_equal(in->amount, db_result_get(r, 0, 2));
    if (*found)
        snprintf(order_id, CUID_LEN + 1, "%s", db_result_get(r, 0, 0));
    db_result_free(r);
    return E_OK;
}

static enum errkind load_package(struct db *db, const struct order_create *in,
                                 struct package_row *p, struct err *e)
{
    struct db_result *r = NULL;
    int rc = db_exec(db,
                     "SELECT p.gig_id, g.owner_id, p.price, p.revisions FROM packages p "
                     "JOIN gigs g ON g.id = p.gig_id WHERE p.id = ? AND g.status <> 'deleted'",
                     DB_PARAMS(DBP_S(in->package_id)), &r, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    bool ok = r->rows == 1 && strcmp(db_result_get(r, 0, 0), in->gig_id) == 0;
    if (ok) {
        snprintf(p->gig_id, sizeof(p->gig_id), "%s", db_result_get(r, 0, 0));
        snprintf(p->owner_id, sizeof(p->owner_id), "%s", db_result_get(r, 0, 1));
        snprintf(p->price, sizeof(p->price), "%s", db_result_get(r, 0, 2));
        p->revisions = db_result_int(r, 0, 3, 0);
    }
    db_result_free(r);
    return ok ? E_OK : err_set(e, E_UNPROCESSABLE, "Package does not belong to the gig");
}

static enum errkind check_transaction(const struct user *client, const struct order_create *in,
                                      const struct package_row *p,
                                      const struct gateway_transaction *t, struct err *e)
{
    if (!money_equal(in->amount, p->price))
        return err_set(e, E_UNPROCESSABLE, "Amount does not match the package price");
    if (strcmp(t->currency, "MAD") != 0)
        return err_set(e, E_UNPROCESSABLE, "Transaction currency is not MAD");
    if (!money_equal(t->amount, p->price))
        return err_set(e, E_UNPROCESSABLE, "Transaction amount does not match the package price");
    if (strcmp(t->order_id, in->order_id) != 0)
        return err_set(e, E_UNPROCESSABLE, "Transaction belongs to another order");
    if (strcmp(p->owner_id, client->id) == 0)
        return err_set(e, E_UNPROCESSABLE, "You cannot order your own gig");
    if (t->status != GATEWAY_TXN_PAID)
        return err_set(e, E_PRECONDITION, "Payment not completed");
    return E_OK;
}

/* Is orderId this client's pending checkout for this package? An orderId naming someone else's
 * order, or one of ours in another state or for another package, is a mismatch: a paid
 * transaction must never move to a new order for a different client. */
static enum errkind is_own_checkout(struct db *db, const struct user *client,
                                    const struct order_create *in, bool *yes, struct err *e)
{
    struct db_result *r = NULL;
    int rc =
        db_exec(db,
                "SELECT user_id = ? AND package_id = ? AND status = 'pending' FROM orders "
                "WHERE id = ?",
                DB_PARAMS(DBP_S(client->id), DBP_S(in->package_id), DBP_S(in->order_id)), &r, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    bool exists = r->rows == 1;
    *yes = exists && db_result_int(r, 0, 0, 0) == 1;
    db_result_free(r);
    if (exists && !*yes)
        return err_set(e, E_UNPROCESSABLE, "orderId names an order this payment cannot confirm");
    return E_OK;
}

static enum errkind insert_paid(struct db *db, const struct user *client,
                                const struct package_row *p, const char *provider,
                                const struct order_create *in, const char *order_id, struct err *e)
{
    struct order_store_new n = {order_id, client->id, p->owner_id, p->gig_id,    in->package_id,
                                p->price, "card",     provider,    p->revisions, in->order_id};
    return order_store_create(db, &n, e);
}

/* One transaction: confirm the pending checkout, or write a new order and confirm it. A
 * concurrent identical call loses on the unique transaction key and gets CONFLICT. Run by
 * dberr_tx_retry: a transient failure runs it again from its BEGIN, with a new order id. */
struct confirm_tx {
    const struct user *client;
    const struct order_create *in;
    const struct package_row *p;
    const char *provider;
    bool own;
    char *order_id; /* CUID_LEN + 1 */
};

static enum errkind confirm_tx(struct db *db, void *arg, struct err *e)
{
    const struct confirm_tx *x = arg;
    int rc = db_begin(db);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    if (x->own)
        snprintf(x->order_id, CUID_LEN + 1, "%s", x->in->order_id);
    else
        cuid_new(x->order_id);
    if (!x->own && insert_paid(db, x->client, x->p, x->provider, x->in, x->order_id, e) != E_OK)
        return e->kind;
    struct order_change c = {LIFECYCLE_CONFIRM_PAYMENT, x->client, NULL,
                             x->in->transaction_id,     NULL,      0};
    if (order_store_transition(db, x->order_id, &c, NULL, e) != E_OK)
        return e->kind;
    rc = db_commit(db);
    return rc == DB_OK ? E_OK : dberr_fail(db, rc, e);
}

enum errkind order_create_paid(struct db *db, const struct user *client,
                               const struct order_create *in, json_object **order, struct err *e)
{
    enum gateway_provider gp = gateway_card_provider();
    const char *provider = gateway_provider_name(gp);
    char order_id[CUID_LEN + 1];
    bool used = false, repeat = false;
    if (find_used(db, client, in, provider, order_id, &used, &repeat, e) != E_OK)
        return e->kind;
    if (used && !repeat)
        return err_set(e, E_CONFLICT, "Transaction already confirmed another order");
    if (used)
        return order_json_load(db, order_id, order, e);
    struct package_row p;
    bool own = false;
    if (load_package(db, in, &p, e) != E_OK || is_own_checkout(db, client, in, &own, e) != E_OK)
        return e->kind;
    /* Kept on the client's own checkout before the gateway is asked (see payments.c). */
    if (own && gp == GATEWAY_YOUCANPAY)
        payments_note_client_transaction(db, in->order_id, in->transaction_id);
    struct gateway_transaction t;
    memset(&t, 0, sizeof(t));
    enum errkind k = gateway_lookup(gp, in->transaction_id, &t, e);
    if (k == E_NOT_FOUND) {
        err_clear(e);
        return err_set(e, E_UNPROCESSABLE, "Transaction not found");
    }
    if (k != E_OK || check_transaction(client, in, &p, &t, e) != E_OK)
        return e->kind;
    struct confirm_tx x = {client, in, &p, provider, own, order_id};
    if (dberr_tx_retry(db, confirm_tx, &x, e) != E_OK)
        return e->kind;
    return order_json_load(db, order_id, order, e);
}
