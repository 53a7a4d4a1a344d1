/*
 * jobs_payments.c - the jobs that ask a card gateway something (docs/api.md, "Order lifecycle"):
 *   expiry     checkouts pending over 24 h: one last query when there is anything to ask about,
 *              then confirmed if paid, cancelled with their payment failed when they provably
 *              were not (event `cancelled`, a cancel by the system as a client's cancel of a
 *              checkout is, or `payment_failed` when PayTabs says the payment failed), and kept
 *              pending, flagged for an operator, when the payment may have succeeded but the
 *              gateway cannot tell (jobs_payments_expiry_decide has the rule).
 *   reconcile  payments pending for a minute to 24 h that have something to ask about (a PayTabs
 *              tran_ref, a YouCan Pay transaction id the client named): confirmed when the
 *              gateway says paid, for the callback or confirmation that never came. Anything
 *              else is left to the callback or expiry.
 *   refunds    PayTabs payments in 'refunding' (a paid order was cancelled): the refund request,
 *              then 'refunded' with its event.
 * What the gateways allow decides the rest: YouCan Pay looks transactions up by id only, and a
 * checkout's token may be paid (after a failed card, even) without our ever learning the id, so a
 * YouCan Pay checkout whose page was issued is never cancelled on our own: only the gateway's
 * transaction.failed event or an operator does it. YouCan Pay refunds are confirmed by its
 * transaction.refunded event; bank transfers have no gateway at all, so a pending transfer simply
 * expires and a refunding one waits for an admin who pays it back by hand.
 *
 * Never a row lock during a gateway call: each item is claimed alone in a short transaction
 * (FOR UPDATE SKIP LOCKED) that moves payments.next_check_at past the call's worst case (a lease
 * every other jobs process respects, and the backoff schedule), committed, then the gateway is
 * called, then the order store locks the order again and the state machine re-checks it before
 * anything is written.
 */
#include <stdio.h>
#include <string.h>

#include "khedma/config.h"
#include "khedma/dberr.h"
#include "khedma/gateway.h"
#include "khedma/cuid.h"
#include "khedma/jobs_clock.h"
#include "khedma/jobs_payments.h"
#include "khedma/lifecycle.h"
#include "khedma/log.h"
#include "khedma/money.h"
#include "khedma/order_store.h"
#include "khedma/timeutil.h"

/* A tick handles what is due within its time budget (a backlog drains over several ticks while
 * the other jobs keep their turn); the count cap only bounds a tick whose calls all fail fast. */
#define ITEMS_PER_TICK 1000
#define TICK_BUDGET_MS 10000L
#define EXPIRY_RETRY_S 300L /* the gateway could not be asked: ask again in 5 minutes */
/* A checkout flagged for an operator is looked at again this often: its client may have named a
 * transaction meanwhile, or a pending one may have been paid. */
#define REVIEW_RECHECK_S (6L * 3600)
#define EXPIRED_REASON "Checkout expired: not paid within 24 hours"

enum job { JOB_EXPIRE, JOB_RECONCILE, JOB_REFUND };

/* One claimed payment. */
struct pay {
    char order_id[CUID_LEN + 1];
    char provider[16];
    char ref[129]; /* PayTabs tran_ref; "" when there is none */
    char amount[32];
    char currency[8];
    int checks;
    long long horizon_s; /* seconds left before the 24 h mark; -1 when it does not matter */
    bool page_issued; /* the gateway issued a payment page (YouCan Pay token, PayTabs tran_ref) */
    bool flagged;     /* already flagged for an operator */
};

/* A payment is due when it has no schedule, its schedule has run out, or the schedule was made
 * for another status (a new phase, see 0003_payment_check_phase.sql). Takes one JOBS_NOW. */
#define DUE                                                                                        \
    "(p.next_check_at IS NULL OR p.next_check_at <= " JOBS_NOW                                     \
    " OR NOT (p.check_status <=> p.status))"
/* The gateway checks made in the current phase. */
#define PHASE_CHECKS "IF(p.check_status <=> p.status, p.checks, 0)"

/* Each SELECT returns: order id, provider, reference to ask about, amount, currency, checks,
 * horizon, page issued, flagged; its only parameters are the clock's offset, once per JOBS_NOW
 * (claim_now_params). A pending payment has no transaction_id yet (a confirmation writes it), so
 * the reference to ask YouCan Pay about is the one its client named. */
static const char *const claim_sql[] = {
    [JOB_EXPIRE] =
        "SELECT o.id, p.provider, COALESCE(p.tran_ref, p.transaction_id, "
        "p.client_transaction_id, ''), o.total_amount, o.currency, " PHASE_CHECKS ", NULL, "
        "(p.provider = 'youcanpay' AND p.token_id IS NOT NULL) OR "
        "(p.provider = 'paytabs' AND p.tran_ref IS NOT NULL), o.review_reason IS NOT NULL "
        "FROM orders o JOIN payments p ON p.order_id = o.id "
        "WHERE o.status = 'pending' AND o.created_at <= " JOBS_NOW " - INTERVAL 24 HOUR AND " DUE
        " ORDER BY o.created_at LIMIT 1 FOR UPDATE SKIP LOCKED",
    [JOB_RECONCILE] =
        "SELECT o.id, p.provider, COALESCE(p.tran_ref, p.client_transaction_id), o.total_amount, "
        "o.currency, " PHASE_CHECKS ", TIMESTAMPDIFF(SECOND, " JOBS_NOW
        ", p.created_at + INTERVAL 24 HOUR), 1, 0 "
        "FROM payments p JOIN orders o ON o.id = p.order_id "
        "WHERE p.status = 'pending' AND ((p.provider = 'paytabs' AND p.tran_ref IS NOT NULL) OR "
        "(p.provider = 'youcanpay' AND p.client_transaction_id IS NOT NULL)) "
        "AND p.created_at > " JOBS_NOW " - INTERVAL 24 HOUR AND p.created_at <= " JOBS_NOW
        " - INTERVAL 60 SECOND AND " DUE " AND o.status = 'pending' "
        "ORDER BY p.created_at LIMIT 1 FOR UPDATE SKIP LOCKED",
    [JOB_REFUND] = "SELECT o.id, p.provider, COALESCE(p.tran_ref, p.transaction_id, ''), p.amount, "
                   "p.currency, " PHASE_CHECKS ", NULL, 1, 0 "
                   "FROM payments p JOIN orders o ON o.id = p.order_id "
                   "WHERE p.status = 'refunding' AND p.provider = 'paytabs' AND " DUE
                   " ORDER BY p.created_at LIMIT 1 FOR UPDATE SKIP LOCKED",
};
static const int claim_now_params[] = {[JOB_EXPIRE] = 2, [JOB_RECONCILE] = 4, [JOB_REFUND] = 1};
static const char *const job_names[] = {"checkout expiry", "reconciliation", "refunds"};

/* How long the claim keeps others away: the job's schedule, but never less than a gateway call
 * can take, and a reconciliation never past the 24 h mark where expiry takes over. */
static long lease_seconds(enum job job, const struct pay *p)
{
    long call_s = (g_config ? g_config->gateway_timeout_ms : 10000) / 1000 + 30;
    long s = job == JOB_EXPIRE ? EXPIRY_RETRY_S : jobs_clock_check_delay(p->checks);
    if (job == JOB_RECONCILE && p->horizon_s >= 0 && p->horizon_s < s)
        s = (long)p->horizon_s;
    return s > call_s ? s : call_s;
}

static void copy_pay(const struct db_result *r, struct pay *p)
{
    snprintf(p->order_id, sizeof p->order_id, "%s", db_result_get(r, 0, 0));
    snprintf(p->provider, sizeof p->provider, "%s", db_result_get(r, 0, 1));
    snprintf(p->ref, sizeof p->ref, "%s", db_result_get(r, 0, 2) ? db_result_get(r, 0, 2) : "");
    snprintf(p->amount, sizeof p->amount, "%s", db_result_get(r, 0, 3));
    snprintf(p->currency, sizeof p->currency, "%s", db_result_get(r, 0, 4));
    p->checks = (int)db_result_int(r, 0, 5, 0);
    p->horizon_s = db_result_int(r, 0, 6, -1);
    p->page_issued = db_result_int(r, 0, 7, 0) == 1;
    p->flagged = db_result_int(r, 0, 8, 0) == 1;
}

/* Claims the next due payment of this job. Returns 1 (p filled), 0 (none due) or -1. */
static int claim_one(struct db *db, const struct jobs_clock *clock, enum job job, struct pay *p)
{
    struct db_param params[5];
    size_t n = 0;
    for (int i = 0; i < claim_now_params[job]; i++)
        params[n++] = DBP_I(clock->offset_s);
    struct db_result *r = NULL;
    int rc = db_begin(db);
    if (rc == DB_OK)
        rc = db_exec(db, claim_sql[job], params, n, &r, NULL);
    bool found = rc == DB_OK && r->rows == 1;
    if (found)
        copy_pay(r, p);
    db_result_free(r);
    /* Assignments apply left to right: checks restarts before check_status moves to the new
     * phase. updated_at = updated_at: a check is not a change the payment's updatedAt shows. */
    if (found)
        rc = db_exec(
            db,
            "UPDATE payments SET next_check_at = " JOBS_NOW " + INTERVAL ? SECOND, "
            "checks = IF(check_status <=> status, checks + 1, 1), "
            "check_status = status, updated_at = updated_at WHERE order_id = ?",
            DB_PARAMS(DBP_I(clock->offset_s), DBP_I(lease_seconds(job, p)), DBP_S(p->order_id)),
            NULL, NULL);
    if (rc == DB_OK)
        rc = found ? db_commit(db) : db_rollback(db);
    if (rc != DB_OK) {
        log_error("%s: claiming a payment failed: %s", job_names[job], db_last_error(db));
        db_rollback(db);
        return -1;
    }
    return found ? 1 : 0;
}

/* One change of a claimed payment's order, in its own transaction through the order store. The
 * order is locked and the state machine asked first: when someone else moved the order meanwhile
 * (a callback, a client, an admin) the move is no longer legal, or no longer changes anything,
 * and nothing is written. Returns 1 (changed), 0 (nothing to do) or -1 (logged, rolled back). */
static int transition(struct db *db, const struct pay *p, const struct order_change *c,
                      const char *what)
{
    struct err e = {0};
    struct order_locked o;
    int rc = db_begin(db);
    enum errkind k =
        rc == DB_OK ? order_store_lock(db, p->order_id, &o, &e) : dberr_fail(db, rc, &e);
    if (k == E_OK) {
        struct lifecycle_decision d = lifecycle_decide(&o.facts, LIFECYCLE_SYSTEM, c->move);
        if (!o.found || d.kind != E_OK || d.unchanged) {
            db_rollback(db);
            return 0;
        }
        k = order_store_apply(db, p->order_id, &o, c, NULL, &e);
    }
    if (k == E_OK)
        rc = db_commit(db);
    if (k != E_OK || rc != DB_OK) {
        log_error("%s of order %s failed: %s", what, p->order_id,
                  k != E_OK ? e.message : db_last_error(db));
        db_rollback(db);
        err_clear(&e);
        return -1;
    }
    err_clear(&e);
    return 1;
}

/* The gateway says paid: confirm, unless someone else moved the order meanwhile. */
static int confirm_paid(struct db *db, const struct pay *p, const struct gateway_transaction *t)
{
    struct order_change c = {LIFECYCLE_CONFIRM_PAYMENT, NULL, NULL, t->id, NULL, 0};
    int rc = transition(db, p, &c, "confirming the payment");
    if (rc > 0)
        log_info("order %s confirmed: %s reports %s paid", p->order_id, p->provider, t->id);
    return rc;
}

/* Not paid after 24 h: the order is cancelled and its payment failed, in one transaction.
 * failed: the gateway said the payment failed (event payment_failed), else it expired
 * (event cancelled). */
static int cancel_expired(struct db *db, const struct jobs_clock *clock, const struct pay *p,
                          bool failed)
{
    const char *reason = failed ? "Payment failed" : EXPIRED_REASON;
    struct order_change c = {failed ? LIFECYCLE_FAIL_PAYMENT : LIFECYCLE_EXPIRE,
                             NULL,
                             reason,
                             NULL,
                             NULL,
                             clock->offset_s};
    int rc = transition(db, p, &c, "cancelling the expired checkout");
    if (rc > 0)
        log_info("order %s cancelled: %s", p->order_id, reason);
    return rc;
}

/* The refund went through: payment refunded and the event, if still refunding. */
static int mark_refunded(struct db *db, const struct jobs_clock *clock, const struct pay *p,
                         const char *refund_ref)
{
    struct order_change c = {
        LIFECYCLE_REFUNDED, NULL, NULL, NULL, refund_ref[0] ? refund_ref : NULL, clock->offset_s};
    int rc = transition(db, p, &c, "recording the refund");
    if (rc > 0)
        log_info("order %s refunded through PayTabs", p->order_id);
    return rc;
}

/* Expired, but its payment may have succeeded and the gateway cannot tell: the order stays
 * pending and is flagged for an operator (orders.review_reason, kept from the first time on),
 * and is looked at again after REVIEW_RECHECK_S. Returns 1 the first time, 0 after. */
static int flag_for_review(struct db *db, const struct jobs_clock *clock, const struct pay *p,
                           const char *reason)
{
    struct err e = {0};
    struct order_locked o;
    int rc = db_begin(db);
    enum errkind k =
        rc == DB_OK ? order_store_lock(db, p->order_id, &o, &e) : dberr_fail(db, rc, &e);
    err_clear(&e);
    if (k == E_OK && (!o.found || !lifecycle_awaits_payment(&o.facts))) {
        db_rollback(db);
        return 0;
    }
    if (k != E_OK)
        rc = DB_ERR; /* rolled back already */
    /* updated_at = updated_at: the flag is for operators, not a change the order shows. */
    if (rc == DB_OK)
        rc = db_exec(db,
                     "UPDATE orders SET review_reason = ?, review_flagged_at = "
                     "COALESCE(review_flagged_at, " JOBS_NOW "), updated_at = updated_at "
                     "WHERE id = ?",
                     DB_PARAMS(DBP_S(reason), DBP_I(clock->offset_s), DBP_S(p->order_id)), NULL,
                     NULL);
    if (rc == DB_OK)
        rc = db_exec(db,
                     "UPDATE payments SET next_check_at = " JOBS_NOW " + INTERVAL ? SECOND, "
                     "updated_at = updated_at WHERE order_id = ?",
                     DB_PARAMS(DBP_I(clock->offset_s), DBP_I(REVIEW_RECHECK_S), DBP_S(p->order_id)),
                     NULL, NULL);
    if (rc == DB_OK)
        rc = db_commit(db);
    if (rc != DB_OK) {
        log_error("flagging the expired checkout of order %s failed: %s", p->order_id,
                  db_last_error(db));
        db_rollback(db);
        return -1;
    }
    if (p->flagged)
        return 0;
    /* The order id only: no transaction id or token in the log. */
    log_warn("order %s kept pending for an operator: %s", p->order_id, reason);
    return 1;
}

/* Paid, and for this order in its amount and currency: the only answer that confirms. */
static bool paid_for(const struct pay *p, const struct gateway_transaction *t)
{
    char want[32], got[32];
    if (t->status != GATEWAY_TXN_PAID)
        return false;
    if (strcmp(t->order_id, p->order_id) == 0 && money_normalize(p->amount, want) &&
        money_normalize(t->amount, got) && strcmp(want, got) == 0 &&
        strcmp(t->currency, p->currency) == 0)
        return true;
    log_error("%s reports a payment paid but not for order %s as recorded (order, amount or "
              "currency differ); left for an admin",
              p->provider, p->order_id);
    return false;
}

static bool provider_of(const struct pay *p, enum gateway_provider *g)
{
    if (strcmp(p->provider, "youcanpay") == 0)
        *g = GATEWAY_YOUCANPAY;
    else if (strcmp(p->provider, "paytabs") == 0)
        *g = GATEWAY_PAYTABS;
    else
        return false;
    return true;
}

/* Ask the payment's gateway about its reference, when there is one. */
static enum expiry_lookup ask_gateway(const struct pay *p, struct gateway_transaction *t)
{
    enum gateway_provider g;
    if (!p->ref[0] || !provider_of(p, &g))
        return LOOKUP_NONE;
    struct err e = {0};
    enum errkind k = gateway_lookup(g, p->ref, t, &e);
    err_clear(&e);
    if (k == E_NOT_FOUND)
        return LOOKUP_NOT_FOUND;
    if (k != E_OK)
        return LOOKUP_UNREACHABLE;
    if (t->status == GATEWAY_TXN_PAID)
        return paid_for(p, t) ? LOOKUP_PAID : LOOKUP_PAID_ELSEWHERE;
    return t->status == GATEWAY_TXN_FAILED ? LOOKUP_FAILED : LOOKUP_PENDING;
}

enum expiry_action jobs_payments_expiry_decide(const struct expiry_facts *f)
{
    if (f->lookup == LOOKUP_PAID)
        return EXPIRE_CONFIRM;
    if (f->lookup == LOOKUP_UNREACHABLE)
        return EXPIRE_ASK_LATER;
    bool youcanpay = strcmp(f->provider, "youcanpay") == 0;
    bool paytabs = strcmp(f->provider, "paytabs") == 0;
    /* No gateway at all (an admin confirms transfers), or no payment page was ever handed out
     * (the gateway call failed or its answer was never kept, and the page is only answered to
     * the client once kept): nothing can have been paid. */
    if (strcmp(f->provider, "bank_transfer") == 0 || ((youcanpay || paytabs) && !f->page_issued))
        return EXPIRE_CANCEL;
    /* PayTabs answers for the page itself (by its tran_ref): its word is final. */
    if (paytabs && f->lookup == LOOKUP_FAILED)
        return EXPIRE_CANCEL_FAILED;
    if (paytabs && (f->lookup == LOOKUP_PENDING || f->lookup == LOOKUP_NOT_FOUND))
        return EXPIRE_CANCEL;
    /* YouCan Pay answers for one transaction only, and its page may have been paid by another
     * (after a declined card, say) that we never heard of; a payment the gateway reports for
     * another order or amount, whichever gateway, needs a person too. */
    return EXPIRE_REVIEW;
}

static const char *review_reason(const struct expiry_facts *f)
{
    switch (f->lookup) {
    case LOOKUP_NONE:
        return "Payment page issued but no transaction known; the payment may have succeeded";
    case LOOKUP_PAID_ELSEWHERE:
        return "The gateway reports a payment that does not match the order";
    default:
        return "The transaction named for the order is not paid; another one may be";
    }
}

static int expire_one(struct db *db, const struct jobs_clock *clock, const struct pay *p)
{
    struct gateway_transaction t;
    memset(&t, 0, sizeof(t));
    struct expiry_facts f = {p->provider, p->page_issued, ask_gateway(p, &t)};
    switch (jobs_payments_expiry_decide(&f)) {
    case EXPIRE_CONFIRM:
        return confirm_paid(db, p, &t);
    case EXPIRE_ASK_LATER:
        log_warn("checkout expiry: %s could not be asked about order %s; trying again later",
                 p->provider, p->order_id);
        return 0;
    case EXPIRE_CANCEL:
        return cancel_expired(db, clock, p, false);
    case EXPIRE_CANCEL_FAILED:
        return cancel_expired(db, clock, p, true);
    case EXPIRE_REVIEW:
    default:
        return flag_for_review(db, clock, p, review_reason(&f));
    }
}

static int reconcile_one(struct db *db, const struct pay *p)
{
    struct gateway_transaction t;
    memset(&t, 0, sizeof(t));
    return ask_gateway(p, &t) == LOOKUP_PAID ? confirm_paid(db, p, &t) : 0;
}

static int refund_one(struct db *db, const struct jobs_clock *clock, const struct pay *p)
{
    if (!p->ref[0]) {
        log_error("refund of order %s: no PayTabs reference recorded; left for an admin",
                  p->order_id);
        return 0;
    }
    char refund_ref[129] = "";
    struct err e = {0};
    enum errkind k = gateway_refund(GATEWAY_PAYTABS, p->ref, p->order_id, p->amount, p->currency,
                                    refund_ref, &e);
    if (k == E_OK) {
        err_clear(&e);
        return mark_refunded(db, clock, p, refund_ref);
    }
    if (k == E_PRECONDITION)
        log_error("refund of order %s declined by PayTabs (%s); retried later, may need an admin",
                  p->order_id, e.message);
    else
        log_warn("refund of order %s: PayTabs could not be reached; retried later", p->order_id);
    err_clear(&e);
    return 0;
}

/* Claims and handles items one at a time, within the tick's limits. */
static int run_job(struct db *db, const struct jobs_clock *clock, enum job job)
{
    long long start = timeutil_wall_ms();
    int done = 0;
    for (int i = 0; i < ITEMS_PER_TICK && timeutil_wall_ms() - start < TICK_BUDGET_MS; i++) {
        struct pay p;
        memset(&p, 0, sizeof(p));
        int rc = claim_one(db, clock, job, &p);
        if (rc <= 0)
            return rc < 0 ? -1 : done;
        rc = job == JOB_EXPIRE      ? expire_one(db, clock, &p)
             : job == JOB_RECONCILE ? reconcile_one(db, &p)
                                    : refund_one(db, clock, &p);
        if (rc < 0)
            return -1;
        done += rc;
    }
    return done;
}

int jobs_payments_expire_checkouts(struct db *db, const struct jobs_clock *clock)
{
    return run_job(db, clock, JOB_EXPIRE);
}

int jobs_payments_reconcile(struct db *db, const struct jobs_clock *clock)
{
    return run_job(db, clock, JOB_RECONCILE);
}

int jobs_payments_refunds(struct db *db, const struct jobs_clock *clock)
{
    return run_job(db, clock, JOB_REFUND);
}
