/*
 * jobs_vip.c - the VIP subscription jobs (jobs_vip.h, docs/vip.md "Jobs"):
 *   charges     card subscriptions whose trial ended (capture of the trial's authorisation),
 *               whose period ended (a renewal order charged with the saved token, PayTabs
 *               "recurring"; or, when cancelled at period end, the end without a charge), and
 *               past_due ones whose next retry is due.
 *   lapses      App Store subscriptions past their expiresDate (plus a grace for Apple's renewal
 *               notification) with no renewal: expired. Apple charges them, never these jobs.
 *   reconcile   card subscription orders pending for 5 minutes whose PayTabs callback never
 *               came: PayTabs asked by tran_ref through the callback's own confirmation
 *               (vip_checkout_confirm), with the gig payments' backoff, leased by
 *               subscription_orders.next_check_at (0012_vip_jobs.sql).
 *
 * Claims follow jobs_payments.c: one subscription at a time, selected FOR UPDATE SKIP
 * LOCKED in a short transaction that moves next_attempt_at past the gateway
 * call's worst case, a lease every other jobs process respects; committed; then the gateway is
 * called with no lock held; then the subscription store locks the subscription again, re-checks
 * it, and writes the change, its event and its notification in one transaction. So two jobs
 * processes never charge a renewal twice: the second one either skips the locked row or finds it
 * leased.
 *
 * Secrets: the card token is read from the database for the call only and never logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "khedma/config.h"
#include "khedma/db.h"
#include "khedma/cuid.h"
#include "khedma/dberr.h"
#include "khedma/jobs_clock.h"
#include "khedma/jobs_vip.h"
#include "khedma/log.h"
#include "khedma/paytabs_vip.h"
#include "khedma/subscription_store.h"
#include "khedma/timeutil.h"
#include "khedma/vip_checkout.h"
#include "khedma/vip_lifecycle.h"

#define ITEMS_PER_TICK 1000
#define TICK_BUDGET_MS 10000L
/* An App Store subscription is given this long past its expiresDate for Apple's DID_RENEW. */
#define APPLE_GRACE_S (6L * 3600)
#define VAT_RATE_DEFAULT 20
/* A card subscription order is asked about once its callback is this late. */
#define RECONCILE_AFTER_S 300L

bool jobs_vip_retry_after(int failed_attempts, long *retry_after_s)
{
    if (failed_attempts < 1 || failed_attempts > JOBS_VIP_RETRIES)
        return false;
    *retry_after_s = (long)failed_attempts * JOBS_VIP_RETRY_STEP_S;
    return true;
}

/* KHEDMA_VAT_RATE, a whole percentage (0..100), the checkout's rate; 20 when unset or invalid. */
static long long vat_rate(void)
{
    const char *v = getenv("KHEDMA_VAT_RATE");
    char *end = NULL;
    long long rate = v && *v ? strtoll(v, &end, 10) : VAT_RATE_DEFAULT;
    return (v && *v && (!end || *end)) || rate < 0 || rate > 100 ? VAT_RATE_DEFAULT : rate;
}

/* How long a claim keeps other jobs processes away: more than a gateway call can take. */
static long lease_seconds(void)
{
    return (g_config ? g_config->gateway_timeout_ms : 10000) / 1000 + 60;
}

/* ---- claims ---- */

/* One claimed card subscription, with what its action needs. */
struct sub {
    char id[CUID_LEN + 1];
    char status[16];
    bool cancel_at_period_end;
    int failed_attempts;
    char auth_ref[GATEWAY_REF_MAX + 1]; /* a trial's authorisation; "" when none */
};

/* A subscription order to charge or capture: its number is the PayTabs cart_id. */
struct charge {
    char order_id[40];
    char order_number[24];
    char amount[32];
    char currency[8];
};

/* Card subscriptions with work due: a trial that ended, a period that ended, a retry. Parameters:
 * the clock's offset, three times (DUE_NOW_PARAMS). */
#define DUE_NOW_PARAMS 3
static const char claim_charge_sql[] =
    "SELECT id, status, cancel_at_period_end, failed_attempts, COALESCE(paytabs_auth_ref, '') "
    "FROM subscriptions WHERE provider = 'paytabs' AND ("
    "(status = 'trialing' AND trial_end <= " JOBS_NOW ") OR "
    "(status = 'active' AND current_period_end <= " JOBS_NOW ") OR status = 'past_due') "
    "AND (next_attempt_at IS NULL OR next_attempt_at <= " JOBS_NOW ") "
    "ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED";

/* The lease: next_attempt_at moved past the call. updated_at = updated_at: a claim is not a
 * change the subscription shows. */
static int lease(struct db *db, const struct jobs_clock *clock, const char *table,
                 const char *column, const char *id)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "UPDATE %s SET %s = " JOBS_NOW " + INTERVAL ? SECOND, updated_at = updated_at "
             "WHERE id = ?",
             table, column);
    return db_exec(db, sql, DB_PARAMS(DBP_I(clock->offset_s), DBP_I(lease_seconds()), DBP_S(id)),
                   NULL, NULL);
}

/* Claims the next card subscription with work due. 1 (s filled), 0 (none due) or -1. */
static int claim_charge(struct db *db, const struct jobs_clock *clock, struct sub *s)
{
    struct db_result *r = NULL;
    int rc = db_begin(db);
    if (rc == DB_OK)
        rc = db_exec(
            db, claim_charge_sql,
            DB_PARAMS(DBP_I(clock->offset_s), DBP_I(clock->offset_s), DBP_I(clock->offset_s)), &r,
            NULL);
    bool found = rc == DB_OK && r->rows == 1;
    if (found) {
        snprintf(s->id, sizeof s->id, "%s", db_result_get(r, 0, 0));
        snprintf(s->status, sizeof s->status, "%s", db_result_get(r, 0, 1));
        s->cancel_at_period_end = db_result_int(r, 0, 2, 0) == 1;
        s->failed_attempts = (int)db_result_int(r, 0, 3, 0);
        snprintf(s->auth_ref, sizeof s->auth_ref, "%s", db_result_get(r, 0, 4));
    }
    db_result_free(r);
    if (found)
        rc = lease(db, clock, "subscriptions", "next_attempt_at", s->id);
    if (rc == DB_OK)
        rc = found ? db_commit(db) : db_rollback(db);
    if (rc != DB_OK) {
        log_error("vip charges: claiming a subscription failed: %s", db_last_error(db));
        db_rollback(db);
        return -1;
    }
    return found ? 1 : 0;
}

/* ---- the store's writes ---- */

/* The move the machine allows for what the jobs mean: a subscription that is not past_due when
 * its charges run out (no saved card), or that is past_due when its cancelled period ends,
 * simply expires. */
static enum vip_move fit_move(enum vip_status status, enum vip_move move)
{
    if (move == VIP_RETRIES_EXHAUSTED && status != VIP_PAST_DUE)
        return VIP_EXPIRE;
    if (move == VIP_PERIOD_ENDED && status == VIP_PAST_DUE)
        return VIP_EXPIRE;
    return move;
}

/* One change in one transaction through the subscription store: the subscription locked, the
 * machine asked (moved meanwhile: nothing written), the order (when given) moved to order_to,
 * then the change with its event, notification and badge. 1 changed, 0 nothing to do, -1. */
static int write_change(struct db *db, const char *sub_id, const char *order_id,
                        const char *order_to, const char *tran_ref, struct subscription_change *c)
{
    struct err e = {0};
    struct subscription_locked s;
    bool changed = false;
    int rc = db_begin(db);
    enum errkind k =
        rc == DB_OK ? subscription_store_lock(db, sub_id, &s, &e) : dberr_fail(db, rc, &e);
    if (k == E_OK) {
        c->move = s.found ? fit_move(s.status, c->move) : c->move;
        struct vip_decision d = vip_lifecycle_decide(s.status, s.cancel_at_period_end, c->move);
        if (!s.found || d.kind != E_OK || d.unchanged) {
            db_rollback(db);
            return 0;
        }
    }
    if (k == E_OK && order_id && *order_id) {
        struct subscription_order_locked o;
        k = subscription_store_order_lock(db, order_id, 0, &o, &e);
        if (k == E_OK && o.found)
            k = subscription_store_order_set(db, &o, order_to,
                                             tran_ref && *tran_ref ? tran_ref : NULL, NULL, &e);
    }
    if (k == E_OK)
        k = subscription_store_apply(db, &s, c, &changed, &e);
    if (k == E_OK)
        rc = db_commit(db);
    if (k != E_OK || rc != DB_OK) {
        log_error("subscription %s: the change (move %d) failed: %s", sub_id, (int)c->move,
                  k != E_OK ? e.message : db_last_error(db));
        db_rollback(db);
        err_clear(&e);
        return -1;
    }
    err_clear(&e);
    return changed ? 1 : 0;
}

static int vip_store_captured(struct db *db, const struct jobs_clock *clock, const struct sub *s,
                              const struct charge *c, const struct paytabs_vip_result *res)
{
    char detail[200];
    snprintf(detail, sizeof detail, "PayTabs capture %s", res->tran_ref);
    struct subscription_change ch = {
        .move = VIP_CAPTURED, .detail = detail, .clock_offset_s = clock->offset_s};
    /* The order keeps the authorisation's tran_ref; the capture's is in the event. */
    int rc = write_change(db, s->id, c->order_id, "paid", NULL, &ch);
    if (rc > 0)
        log_info("subscription %s: trial authorisation captured, active", s->id);
    return rc;
}

static int vip_store_renewed(struct db *db, const struct jobs_clock *clock, const struct sub *s,
                             const struct charge *c, const struct paytabs_vip_result *res)
{
    char detail[200];
    snprintf(detail, sizeof detail, "PayTabs recurring sale %s, order %s", res->tran_ref,
             c->order_number);
    struct subscription_change ch = {
        .move = VIP_RENEWED, .detail = detail, .clock_offset_s = clock->offset_s};
    int rc = write_change(db, s->id, c->order_id, "paid", res->tran_ref, &ch);
    if (rc > 0)
        log_info("subscription %s: renewed with order %s", s->id, c->order_number);
    return rc;
}

/* A declined renewal (attempt: the declined charges of this period so far, this one included)
 * or a declined capture (a refused authorisation cannot be captured later: the trial ends). */
static int vip_store_declined(struct db *db, const struct jobs_clock *clock, const struct sub *s,
                              const struct charge *c, const struct paytabs_vip_result *res,
                              int attempt)
{
    char detail[400];
    snprintf(detail, sizeof detail, "PayTabs %s: %s", res->status, res->message);
    long after = 0;
    bool retry = jobs_vip_retry_after(attempt, &after);
    bool capture = strcmp(s->status, "trialing") == 0;
    struct subscription_change ch = {.move = capture ? VIP_EXPIRE
                                             : retry ? VIP_RENEWAL_DECLINED
                                                     : VIP_RETRIES_EXHAUSTED,
                                     .detail = detail,
                                     .retry_in_s = after,
                                     .clock_offset_s = clock->offset_s};
    int rc = write_change(db, s->id, c->order_id, "failed", res->tran_ref, &ch);
    if (rc > 0)
        log_info("subscription %s: %s after %d declined charge(s)", s->id,
                 ch.move == VIP_RENEWAL_DECLINED ? "past_due" : "expired", attempt);
    return rc;
}

static int vip_store_end(struct db *db, const struct jobs_clock *clock, const struct sub *s)
{
    struct subscription_change ch = {.move = VIP_PERIOD_ENDED,
                                     .detail = "Cancelled at period end",
                                     .clock_offset_s = clock->offset_s};
    int rc = write_change(db, s->id, NULL, NULL, NULL, &ch);
    if (rc > 0)
        log_info("subscription %s: ended at period end as cancelled", s->id);
    return rc;
}

/* A pending renewal order, amount from the plan and tax its VAT part at KHEDMA_VAT_RATE
 * (default 20), in its own transaction. 1 (c filled), 0 (no such subscription) or -1. */
static int vip_store_new_renewal(struct db *db, const struct jobs_clock *clock, const struct sub *s,
                                 struct charge *c)
{
    (void)clock;
    long long rate = vat_rate();
    struct db_result *r = NULL;
    int rc = db_exec(db,
                     "SELECT s.user_id, s.vip_package_id, p.price, "
                     "ROUND(p.price * ? / (100 + ?), 2), p.currency "
                     "FROM subscriptions s JOIN vip_packages p ON p.id = s.vip_package_id "
                     "WHERE s.id = ?",
                     DB_PARAMS(DBP_I(rate), DBP_I(rate), DBP_S(s->id)), &r, NULL);
    if (rc != DB_OK || r->rows != 1) {
        db_result_free(r);
        return rc == DB_OK ? 0 : -1;
    }
    struct subscription_order_new o = {.user_id = db_result_get(r, 0, 0),
                                       .package_id = db_result_int(r, 0, 1, 0),
                                       .subscription_id = s->id,
                                       .kind = "renewal",
                                       .payment_method = "credit_card",
                                       .tran_type = "sale",
                                       .amount = db_result_get(r, 0, 2),
                                       .tax = db_result_get(r, 0, 3)};
    snprintf(c->amount, sizeof c->amount, "%s", o.amount);
    snprintf(c->currency, sizeof c->currency, "%s", db_result_get(r, 0, 4));
    struct err e = {0};
    long long number = 0;
    rc = db_begin(db);
    enum errkind k = rc == DB_OK ? subscription_store_order_create(db, &o, c->order_id, &number, &e)
                                 : dberr_fail(db, rc, &e);
    if (k == E_OK)
        rc = db_commit(db);
    db_result_free(r);
    if (k != E_OK || rc != DB_OK) {
        log_error("subscription %s: writing its renewal order failed: %s", s->id,
                  k != E_OK ? e.message : db_last_error(db));
        db_rollback(db);
        err_clear(&e);
        return -1;
    }
    snprintf(c->order_number, sizeof c->order_number, "%lld", number);
    return 1;
}

static int vip_store_lapse(struct db *db, const struct jobs_clock *clock, const char *id)
{
    struct subscription_change ch = {.move = VIP_EXPIRE,
                                     .detail = "App Store: expired without a renewal",
                                     .clock_offset_s = clock->offset_s};
    int rc = write_change(db, id, NULL, NULL, NULL, &ch);
    if (rc > 0)
        log_info("subscription %s: App Store subscription lapsed, expired", id);
    return rc;
}

/* ---- reads for the calls (no lock: the claim's lease keeps other jobs away) ---- */

static bool copy_charge(const struct db_result *r, struct charge *c)
{
    if (r->rows != 1)
        return false;
    snprintf(c->order_id, sizeof c->order_id, "%s", db_result_get(r, 0, 0));
    snprintf(c->order_number, sizeof c->order_number, "%s", db_result_get(r, 0, 1));
    snprintf(c->amount, sizeof c->amount, "%s", db_result_get(r, 0, 2));
    snprintf(c->currency, sizeof c->currency, "%s", db_result_get(r, 0, 3));
    return true;
}

/* The order of a trial's authorisation: its cart is what a capture repeats. 1, 0 or -1. */
static int read_auth_order(struct db *db, const struct sub *s, struct charge *c)
{
    struct db_result *r = NULL;
    int rc = db_exec(db,
                     "SELECT id, order_number, amount, currency FROM subscription_orders "
                     "WHERE subscription_id = ? AND tran_ref = ?",
                     DB_PARAMS(DBP_S(s->id), DBP_S(s->auth_ref)), &r, NULL);
    int found = rc == DB_OK ? copy_charge(r, c) : -1;
    db_result_free(r);
    return found;
}

/* A renewal order still pending from an attempt whose outcome never came back: charged again
 * under the same number (PayTabs' cart_id), never under a new one. 1, 0 or -1. */
static int read_pending_renewal(struct db *db, const struct sub *s, struct charge *c)
{
    struct db_result *r = NULL;
    int rc = db_exec(db,
                     "SELECT id, order_number, amount, currency FROM subscription_orders "
                     "WHERE subscription_id = ? AND kind = 'renewal' AND status = 'pending' "
                     "AND tran_ref IS NULL ORDER BY order_number DESC LIMIT 1",
                     DB_PARAMS(DBP_S(s->id)), &r, NULL);
    int found = rc == DB_OK ? copy_charge(r, c) : -1;
    db_result_free(r);
    return found;
}

/* The saved card: its token and the tran_ref of the first payment that created it. 1, 0, -1. */
static int read_card(struct db *db, const struct sub *s, char token[PAYTABS_VIP_TOKEN_MAX + 1],
                     char original_ref[GATEWAY_REF_MAX + 1])
{
    struct db_result *r = NULL;
    int rc = db_exec(db,
                     "SELECT s.paytabs_token, (SELECT o.tran_ref FROM subscription_orders o "
                     "WHERE o.subscription_id = s.id AND o.kind = 'initial' "
                     "AND o.tran_ref IS NOT NULL ORDER BY o.order_number LIMIT 1) "
                     "FROM subscriptions s WHERE s.id = ?",
                     DB_PARAMS(DBP_S(s->id)), &r, NULL);
    int found = -1;
    if (rc == DB_OK) {
        const char *t = r->rows == 1 ? db_result_get(r, 0, 0) : NULL;
        const char *o = r->rows == 1 ? db_result_get(r, 0, 1) : NULL;
        found = t && *t && o && *o && strlen(t) <= PAYTABS_VIP_TOKEN_MAX &&
                strlen(o) <= GATEWAY_REF_MAX;
        if (found) {
            snprintf(token, PAYTABS_VIP_TOKEN_MAX + 1, "%s", t);
            snprintf(original_ref, GATEWAY_REF_MAX + 1, "%s", o);
        }
    }
    db_result_free(r);
    return found;
}

/* ---- actions ---- */

static bool approved(const struct paytabs_vip_result *res)
{
    return strcasecmp(res->status, "A") == 0;
}

/* A charge or capture PayTabs answered, approved or not, through the store. */
static int settle(struct db *db, const struct jobs_clock *clock, const struct sub *s,
                  const struct charge *c, const struct paytabs_vip_result *res, bool capture)
{
    if (approved(res))
        return capture ? vip_store_captured(db, clock, s, c, res)
                       : vip_store_renewed(db, clock, s, c, res);
    log_info("subscription %s: %s of order %s declined by PayTabs (status %s)", s->id,
             capture ? "capture" : "renewal charge", c->order_number, res->status);
    return vip_store_declined(db, clock, s, c, res, s->failed_attempts + 1);
}

/* The end of a trial: the authorisation is captured. */
static int capture_trial(struct db *db, const struct jobs_clock *clock, const struct sub *s)
{
    struct charge c;
    int found = read_auth_order(db, s, &c);
    if (found <= 0) {
        if (found == 0)
            log_error("subscription %s: no order for its trial authorisation; left for an admin",
                      s->id);
        return found;
    }
    struct paytabs_vip_cart cart = {c.order_number, c.amount, c.currency};
    struct paytabs_vip_result res;
    struct err e = {0};
    enum errkind k = paytabs_vip_capture(s->auth_ref, &cart, &res, &e);
    err_clear(&e);
    if (k != E_OK) {
        log_warn("subscription %s: PayTabs could not capture order %s now; trying again later",
                 s->id, c.order_number);
        return 0;
    }
    return settle(db, clock, s, &c, &res, true);
}

/* A period ended (or a retry is due): a renewal order, charged with the saved token. */
static int charge_renewal(struct db *db, const struct jobs_clock *clock, const struct sub *s)
{
    char token[PAYTABS_VIP_TOKEN_MAX + 1], original_ref[GATEWAY_REF_MAX + 1];
    int found = read_card(db, s, token, original_ref);
    if (found == 0) {
        log_error("subscription %s: no saved card to charge; it ends as declined", s->id);
        struct charge none = {0};
        struct paytabs_vip_result res = {.status = "E", .message = "No saved card"};
        return vip_store_declined(db, clock, s, &none, &res, JOBS_VIP_RETRIES + 1);
    }
    struct charge c;
    if (found > 0)
        found = read_pending_renewal(db, s, &c);
    if (found == 0)
        found = vip_store_new_renewal(db, clock, s, &c);
    if (found <= 0)
        return found < 0 ? -1 : 0;
    struct paytabs_vip_cart cart = {c.order_number, c.amount, c.currency};
    struct paytabs_vip_result res;
    struct err e = {0};
    enum errkind k = paytabs_vip_recurring(token, original_ref, &cart, &res, &e);
    err_clear(&e);
    memset(token, 0, sizeof token);
    if (k != E_OK) {
        /* The order stays pending: the next attempt charges it again under the same number. */
        log_warn("subscription %s: PayTabs could not charge order %s now; trying again later",
                 s->id, c.order_number);
        return 0;
    }
    return settle(db, clock, s, &c, &res, false);
}

static int charge_one(struct db *db, const struct jobs_clock *clock, const struct sub *s)
{
    if (strcmp(s->status, "trialing") == 0)
        return capture_trial(db, clock, s);
    /* Cancelled at period end (or while a retry was due): it ends, never charged again. */
    if (s->cancel_at_period_end)
        return vip_store_end(db, clock, s);
    return charge_renewal(db, clock, s);
}

int jobs_vip_charges(struct db *db, const struct jobs_clock *clock)
{
    long long start = timeutil_wall_ms();
    int done = 0;
    for (int i = 0; i < ITEMS_PER_TICK && timeutil_wall_ms() - start < TICK_BUDGET_MS; i++) {
        struct sub s;
        memset(&s, 0, sizeof s);
        int rc = claim_charge(db, clock, &s);
        if (rc <= 0)
            return rc < 0 ? -1 : done;
        rc = charge_one(db, clock, &s);
        if (rc < 0)
            return -1;
        done += rc;
    }
    return done;
}

/* ---- App Store lapses ---- */

/* Claims one App Store subscription past its expiresDate and the grace. 1 (id), 0 or -1. */
static int claim_lapse(struct db *db, const struct jobs_clock *clock, char id[CUID_LEN + 1])
{
    struct db_result *r = NULL;
    int rc = db_begin(db);
    if (rc == DB_OK)
        rc =
            db_exec(db,
                    "SELECT id FROM subscriptions WHERE provider = 'app_store' "
                    "AND status IN ('trialing', 'active', 'past_due') "
                    "AND current_period_end + INTERVAL ? SECOND <= " JOBS_NOW
                    " AND (next_attempt_at IS NULL OR next_attempt_at <= " JOBS_NOW ") "
                    "ORDER BY current_period_end LIMIT 1 FOR UPDATE SKIP LOCKED",
                    DB_PARAMS(DBP_I(APPLE_GRACE_S), DBP_I(clock->offset_s), DBP_I(clock->offset_s)),
                    &r, NULL);
    bool found = rc == DB_OK && r->rows == 1;
    if (found)
        snprintf(id, CUID_LEN + 1, "%s", db_result_get(r, 0, 0));
    db_result_free(r);
    if (found)
        rc = lease(db, clock, "subscriptions", "next_attempt_at", id);
    if (rc == DB_OK)
        rc = found ? db_commit(db) : db_rollback(db);
    if (rc != DB_OK) {
        log_error("vip lapses: claiming a subscription failed: %s", db_last_error(db));
        db_rollback(db);
        return -1;
    }
    return found ? 1 : 0;
}

int jobs_vip_app_store_lapses(struct db *db, const struct jobs_clock *clock)
{
    long long start = timeutil_wall_ms();
    int done = 0;
    for (int i = 0; i < ITEMS_PER_TICK && timeutil_wall_ms() - start < TICK_BUDGET_MS; i++) {
        char id[CUID_LEN + 1];
        int rc = claim_lapse(db, clock, id);
        if (rc <= 0)
            return rc < 0 ? -1 : done;
        rc = vip_store_lapse(db, clock, id);
        if (rc < 0)
            return -1;
        done += rc;
    }
    return done;
}

/* ---- reconciliation of card subscription orders ---- */

/* Claims one pending card order whose callback is late. 1 (ids filled), 0 or -1. */
static int claim_order(struct db *db, const struct jobs_clock *clock, char order_id[40],
                       char tran_ref[GATEWAY_REF_MAX + 1])
{
    struct db_result *r = NULL;
    int rc = db_begin(db);
    if (rc == DB_OK)
        rc = db_exec(db,
                     "SELECT id, tran_ref, checks FROM subscription_orders "
                     "WHERE status = 'pending' AND payment_method = 'credit_card' "
                     "AND tran_ref IS NOT NULL AND created_at <= " JOBS_NOW
                     " - INTERVAL ? SECOND AND created_at > " JOBS_NOW " - INTERVAL 24 HOUR "
                     "AND (next_check_at IS NULL OR next_check_at <= " JOBS_NOW ") "
                     "ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED",
                     DB_PARAMS(DBP_I(clock->offset_s), DBP_I(RECONCILE_AFTER_S),
                               DBP_I(clock->offset_s), DBP_I(clock->offset_s)),
                     &r, NULL);
    bool found = rc == DB_OK && r->rows == 1;
    int checks = 0;
    if (found) {
        snprintf(order_id, 40, "%s", db_result_get(r, 0, 0));
        snprintf(tran_ref, GATEWAY_REF_MAX + 1, "%s", db_result_get(r, 0, 1));
        checks = (int)db_result_int(r, 0, 2, 0);
    }
    db_result_free(r);
    /* The backoff of the gig payments' reconciliation: 60 s doubling, at most two hours. */
    if (found)
        rc = db_exec(db,
                     "UPDATE subscription_orders SET next_check_at = " JOBS_NOW
                     " + INTERVAL ? SECOND, checks = checks + 1, updated_at = updated_at "
                     "WHERE id = ?",
                     DB_PARAMS(DBP_I(clock->offset_s), DBP_I(jobs_clock_check_delay(checks)),
                               DBP_S(order_id)),
                     NULL, NULL);
    if (rc == DB_OK)
        rc = found ? db_commit(db) : db_rollback(db);
    if (rc != DB_OK) {
        log_error("vip reconciliation: claiming an order failed: %s", db_last_error(db));
        db_rollback(db);
        return -1;
    }
    return found ? 1 : 0;
}

/* PayTabs asked by tran_ref and the answer applied as the callback's is (vip_checkout_confirm). */
static int reconcile_one(struct db *db, const char *order_id, const char *tran_ref)
{
    struct err e = {0};
    bool found = false;
    const char *outcome = NULL;
    enum errkind k = vip_checkout_confirm(db, tran_ref, &found, &outcome, &e);
    if (k != E_OK) {
        log_warn("vip reconciliation of order %s: %s; asked again later", order_id, e.message);
        err_clear(&e);
        return 0;
    }
    err_clear(&e);
    bool applied = found && outcome && strcmp(outcome, "applied") == 0;
    if (applied)
        log_info("vip reconciliation: order %s confirmed from PayTabs", order_id);
    return applied ? 1 : 0;
}

int jobs_vip_reconcile(struct db *db, const struct jobs_clock *clock)
{
    long long start = timeutil_wall_ms();
    int done = 0;
    for (int i = 0; i < ITEMS_PER_TICK && timeutil_wall_ms() - start < TICK_BUDGET_MS; i++) {
        char order_id[40], tran_ref[GATEWAY_REF_MAX + 1];
        int rc = claim_order(db, clock, order_id, tran_ref);
        if (rc <= 0)
            return rc < 0 ? -1 : done;
        rc = reconcile_one(db, order_id, tran_ref);
        if (rc < 0)
            return -1;
        done += rc;
    }
    return done;
}
