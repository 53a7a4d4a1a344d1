/*
 * order_store.c - the only writer of orders.status and payments.status (see order_store.h).
 *
 * A change is: the order row locked (callers that must look before choosing the move lock it
 * themselves first; locking it again in the same transaction costs nothing), the facts read
 * beside it, lifecycle_decide() asked, and what it decided written: the payment's status, the
 * order's status with the timestamp that goes with it, the freelancer's earning on completion,
 * and the order event (events.c writes its notifications and webhook deliveries). Two changes on
 * one order therefore run one after the other, and the second is judged on the first's result.
 */
#include <stdio.h>
#include <string.h>

#include "khedma/dberr.h"
#include "khedma/events.h"
#include "khedma/cuid.h"
#include "khedma/lifecycle.h"
#include "khedma/order_counts.h"
#include "khedma/order_store.h"

/* "now" for the timestamps a change writes: the database clock, shifted by the jobs' test clock.
 * One parameter, the offset in seconds. */
#define STORE_NOW "(UTC_TIMESTAMP(3) + INTERVAL ? SECOND)"

enum errkind order_store_create(struct db *db, const struct order_store_new *o, struct err *e)
{
    char payment_id[CUID_LEN + 1];
    cuid_new(payment_id);
    int rc = db_exec(db,
                     "INSERT INTO orders (id, user_id, freelancer_id, gig_id, package_id, status, "
                     "total_amount, currency, payment_method, provider, revisions_allowed) "
                     "VALUES (?, ?, ?, ?, ?, 'pending', ?, 'MAD', ?, ?, ?)",
                     DB_PARAMS(DBP_S(o->order_id), DBP_S(o->client_id), DBP_S(o->freelancer_id),
                               DBP_S(o->gig_id), DBP_S(o->package_id), DBP_S(o->amount),
                               DBP_S(o->payment_method), DBP_S(o->provider),
                               DBP_I(o->revisions_allowed)),
                     NULL, NULL);
    if (rc == DB_OK)
        rc = order_counts_created(db, o->client_id, o->freelancer_id);
    if (rc == DB_OK)
        rc = db_exec(db,
                     "INSERT INTO payments (id, order_id, status, amount, currency, "
                     "payment_method, provider, reference) "
                     "VALUES (?, ?, 'pending', ?, 'MAD', ?, ?, ?)",
                     DB_PARAMS(DBP_S(payment_id), DBP_S(o->order_id), DBP_S(o->amount),
                               DBP_S(o->payment_method), DBP_S(o->provider), DBP_S(o->reference)),
                     NULL, NULL);
    return rc == DB_OK ? E_OK : dberr_fail(db, rc, e);
}

/* Reads the locked row into o; false when a column holds something the state machine does not
 * know (a schema out of step with the code), which the caller treats as an internal error. */
static bool read_locked(const struct db_result *r, struct order_locked *o)
{
    snprintf(o->client_id, sizeof(o->client_id), "%s", db_result_get(r, 0, 0));
    snprintf(o->freelancer_id, sizeof(o->freelancer_id), "%s", db_result_get(r, 0, 1));
    snprintf(o->total, sizeof(o->total), "%s", db_result_get(r, 0, 7));
    snprintf(o->provider, sizeof(o->provider), "%s", db_result_get(r, 0, 8));
    o->facts.delivered = db_result_int(r, 0, 3, 0) != 0;
    o->facts.due_passed = db_result_int(r, 0, 4, 0) != 0;
    o->facts.revisions_used = db_result_int(r, 0, 5, 0);
    o->facts.revisions_allowed = db_result_int(r, 0, 6, 0);
    o->has_webhook_urls = db_result_int(r, 0, 9, 0) != 0;
    return lifecycle_status_parse(db_result_get(r, 0, 2), &o->facts.status);
}

/* The payment's status, read without a lock: every writer of it holds the order's lock, which
 * this transaction holds now, and under READ COMMITTED the read sees the last committed value. */
static int read_payment(struct db *db, const char *order_id, struct order_locked *o, bool *known)
{
    struct db_result *r = NULL;
    int rc = db_exec(db, "SELECT status FROM payments WHERE order_id = ?",
                     DB_PARAMS(DBP_S(order_id)), &r, NULL);
    if (rc == DB_OK)
        *known = lifecycle_payment_parse(r->rows == 1 ? db_result_get(r, 0, 0) : NULL,
                                         &o->facts.payment);
    db_result_free(r);
    return rc;
}

/* "Due" is judged by the database clock, the same clock that wrote due_at at confirmation. */
enum errkind order_store_lock(struct db *db, const char *order_id, struct order_locked *o,
                              struct err *e)
{
    memset(o, 0, sizeof(*o));
    struct db_result *r = NULL;
    int rc = db_exec(db,
                     "SELECT user_id, freelancer_id, status, delivered_at IS NOT NULL, "
                     "due_at IS NOT NULL AND due_at <= UTC_TIMESTAMP(3), revisions_used, "
                     "revisions_allowed, total_amount, COALESCE(provider, ''), "
                     "webhook_urls IS NOT NULL FROM orders WHERE id = ? FOR UPDATE",
                     DB_PARAMS(DBP_S(order_id)), &r, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    o->found = r->rows == 1;
    bool known = !o->found || read_locked(r, o);
    db_result_free(r);
    if (o->found && known && (rc = read_payment(db, order_id, o, &known)) != DB_OK)
        return dberr_fail(db, rc, e);
    return known ? E_OK : dberr_fail(db, DB_ERR, e);
}

/* The package's delivery days, read without a lock: the package row is shared by every order of
 * it, and a confirmation that locked it would queue behind (or deadlock with) each concurrent
 * checkout and order.create, which share-lock it. A package edited meanwhile changes only which
 * committed value is read, as it could a moment earlier. */
static int package_delivery(struct db *db, const char *order_id, long long *days)
{
    struct db_result *r = NULL;
    int rc = db_exec(db,
                     "SELECT p.delivery FROM orders o JOIN packages p ON p.id = o.package_id "
                     "WHERE o.id = ?",
                     DB_PARAMS(DBP_S(order_id)), &r, NULL);
    if (rc == DB_OK)
        *days = r->rows == 1 ? db_result_int(r, 0, 0, 0) : 0;
    db_result_free(r);
    return rc;
}

/* The payment's new status, with the gateway's transaction (a confirmation, money after a
 * cancel) or refund reference when the change carries one. */
static int write_payment(struct db *db, const char *order_id, const struct order_change *c,
                         enum lifecycle_payment to)
{
    return db_exec(db,
                   "UPDATE payments SET status = ?, transaction_id = COALESCE(?, transaction_id), "
                   "refund_ref = COALESCE(?, refund_ref) WHERE order_id = ?",
                   DB_PARAMS(DBP_S(lifecycle_payment_name(to)), DBP_S(c->transaction_id),
                             DBP_S(c->refund_ref), DBP_S(order_id)),
                   NULL, NULL);
}

/* The freelancer's earning: the whole order amount, once per order. The unique key on order_id
 * is the once-only rule; an earning already there is the same fact, not an error. */
static int record_earning(struct db *db, const char *order_id, const struct order_locked *o)
{
    char id[CUID_LEN + 1];
    cuid_new(id);
    return db_exec(db,
                   "INSERT INTO earnings (id, order_id, freelancer_id, amount) "
                   "VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE order_id = order_id",
                   DB_PARAMS(DBP_S(id), DBP_S(order_id), DBP_S(o->freelancer_id), DBP_S(o->total)),
                   NULL, NULL);
}

/* Paid: due_at counts the package's delivery days from the confirmation, on the database clock
 * (the jobs' test clock shifts only the jobs' own deadlines). */
static int write_processing(struct db *db, const char *order_id)
{
    long long days = 0;
    int rc = package_delivery(db, order_id, &days);
    if (rc == DB_OK)
        rc = db_exec(db,
                     "UPDATE orders SET status = 'processing', "
                     "due_at = UTC_TIMESTAMP(3) + INTERVAL ? DAY WHERE id = ?",
                     DB_PARAMS(DBP_I(days), DBP_S(order_id)), NULL, NULL);
    return rc;
}

/* The order's new status with the timestamp that goes with it (and the earning on completion). */
static int write_status(struct db *db, const char *order_id, const struct order_locked *o,
                        const struct order_change *c, const struct lifecycle_decision *d)
{
    long long now = c->clock_offset_s;
    switch (d->to) {
    case LIFECYCLE_PROCESSING:
        return write_processing(db, order_id);
    case LIFECYCLE_COMPLETED: {
        int rc = db_exec(
            db, "UPDATE orders SET status = 'completed', completed_at = " STORE_NOW " WHERE id = ?",
            DB_PARAMS(DBP_I(now), DBP_S(order_id)), NULL, NULL);
        return rc == DB_OK ? record_earning(db, order_id, o) : rc;
    }
    case LIFECYCLE_CANCELLED:
        return db_exec(db,
                       "UPDATE orders SET status = 'cancelled', cancelled_at = " STORE_NOW
                       ", cancel_reason = ? WHERE id = ?",
                       DB_PARAMS(DBP_I(now), DBP_S(c->reason), DBP_S(order_id)), NULL, NULL);
    case LIFECYCLE_PENDING:
    default:
        return DB_ERR; /* nothing moves an order back to pending */
    }
}

/* The order's row as the decision says: a new status with its timestamp, or the delivery
 * columns of a move that keeps the order processing. */
static int write_order(struct db *db, const char *order_id, const struct order_locked *o,
                       const struct order_change *c, const struct lifecycle_decision *d)
{
    long long now = c->clock_offset_s;
    if (c->move == LIFECYCLE_DELIVER)
        return db_exec(db, "UPDATE orders SET delivered_at = " STORE_NOW " WHERE id = ?",
                       DB_PARAMS(DBP_I(now), DBP_S(order_id)), NULL, NULL);
    if (c->move == LIFECYCLE_REVISION)
        return db_exec(db,
                       "UPDATE orders SET delivered_at = NULL, revisions_used = revisions_used + 1 "
                       "WHERE id = ?",
                       DB_PARAMS(DBP_S(order_id)), NULL, NULL);
    if (d->to == o->facts.status)
        return DB_OK;
    int rc = write_status(db, order_id, o, c, d);
    return rc == DB_OK
               ? order_counts_moved(db, o->client_id, o->freelancer_id, o->facts.status, d->to)
               : rc;
}

static enum lifecycle_role role_of(const struct order_locked *o, const struct order_change *c)
{
    if (!c->user)
        return LIFECYCLE_SYSTEM;
    return lifecycle_role_for(strcmp(c->user->id, o->client_id) == 0,
                              strcmp(c->user->id, o->freelancer_id) == 0,
                              strcmp(c->user->role, "admin") == 0, c->move);
}

enum errkind order_store_apply(struct db *db, const char *order_id, const struct order_locked *o,
                               const struct order_change *c, bool *changed, struct err *e)
{
    if (changed)
        *changed = false;
    struct lifecycle_decision d = lifecycle_decide(&o->facts, role_of(o, c), c->move);
    if (d.kind != E_OK) {
        db_rollback(db);
        return err_set(e, d.kind, "%s", d.message);
    }
    if (d.unchanged)
        return E_OK;
    int rc = DB_OK;
    /* refunding: the jobs process asks PayTabs for the refund; YouCan Pay's transaction.refunded
     * event (gateway_events.c) marks it refunded. failed: a checkout that was never paid. */
    if (d.payment != o->facts.payment && lifecycle_payment_name(d.payment))
        rc = write_payment(db, order_id, c, d.payment);
    if (rc == DB_DUPLICATE && c->move == LIFECYCLE_CONFIRM_PAYMENT) {
        db_rollback(db);
        return err_set(e, E_CONFLICT, "Transaction already confirmed another order");
    }
    if (rc == DB_OK)
        rc = write_order(db, order_id, o, c, &d);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    if (changed)
        *changed = true;
    if (!d.event)
        return E_OK;
    struct order_event m = {order_id,
                            d.event,
                            lifecycle_status_name(o->facts.status),
                            lifecycle_status_name(d.to),
                            c->user ? c->user->id : NULL,
                            c->reason};
    return events_record(db, &m, e);
}

enum errkind order_store_transition(struct db *db, const char *order_id,
                                    const struct order_change *c, bool *changed, struct err *e)
{
    struct order_locked o;
    if (order_store_lock(db, order_id, &o, e) != E_OK)
        return e->kind;
    if (!o.found) {
        db_rollback(db);
        if (changed)
            *changed = false;
        return err_set(e, E_NOT_FOUND, "Order not found");
    }
    return order_store_apply(db, order_id, &o, c, changed, e);
}
