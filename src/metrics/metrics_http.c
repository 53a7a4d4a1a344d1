/*
 * metrics_http.c - GET /metrics (see metrics_http.h). The check is on REMOTE_ADDR, the peer
 * address nginx saw (nginx's $remote_addr; the shipped configuration has no real_ip rewriting),
 * never on X-Forwarded-For or another header a client writes itself. A refused caller gets the
 * storefront's ordinary 404 page, so the endpoint is not advertised to the public.
 *
 * The gauges are read at scrape time with two indexed COUNT queries; everything else comes from
 * the shared counters without touching the database.
 */
#include <string.h>

#include "khedma/config.h"
#include "khedma/db.h"
#include "khedma/metrics.h"
#include "khedma/metrics_allow.h"
#include "khedma/metrics_http.h"
#include "khedma/prom.h"
#include "khedma/web.h"

/* ix_webhook_deliveries_due (state, next_attempt_at) answers both counts from the index. */
static const char webhooks_sql[] =
    "SELECT COALESCE(SUM(state = 'pending'), 0), COALESCE(SUM(state = 'failed'), 0) "
    "FROM webhook_deliveries WHERE state IN ('pending', 'failed')";

/* The reconciliation job's own selection (src/jobs/jobs_payments.c), by ix_payments_status
 * (status, created_at): gateway payments pending for a minute to 24 hours. */
static const char reconcile_sql[] =
    "SELECT COUNT(*) FROM payments p JOIN orders o ON o.id = p.order_id "
    "WHERE p.status = 'pending' AND p.created_at > UTC_TIMESTAMP(3) - INTERVAL ? HOUR "
    "AND p.created_at <= UTC_TIMESTAMP(3) - INTERVAL ? SECOND AND o.status = 'pending' "
    "AND ((p.provider = 'paytabs' AND p.tran_ref IS NOT NULL) OR "
    "(p.provider = 'youcanpay' AND p.client_transaction_id IS NOT NULL))";

static void read_gauges(struct db *db, struct metrics_gauges *g)
{
    g->webhooks_pending = g->webhooks_failed = g->payments_pending_reconciliation = -1;
    struct db_result *r = NULL;
    if (db_exec(db, webhooks_sql, NULL, 0, &r, NULL) == DB_OK && r && r->rows == 1) {
        g->webhooks_pending = db_result_int(r, 0, 0, -1);
        g->webhooks_failed = db_result_int(r, 0, 1, -1);
    }
    db_result_free(r);
    r = NULL;
    struct db_param p[] = {DBP_I(24), DBP_I(60)};
    if (db_exec(db, reconcile_sql, p, 2, &r, NULL) == DB_OK && r && r->rows == 1)
        g->payments_pending_reconciliation = db_result_int(r, 0, 0, -1);
    db_result_free(r);
}

static bool caller_allowed(const struct ctx *c)
{
    struct metrics_allow list;
    const char *spec =
        g_config && g_config->metrics_allow ? g_config->metrics_allow : METRICS_ALLOW_DEFAULT;
    if (metrics_allow_parse(spec, &list) != 0)
        return false;
    return metrics_allow_match(&list, c->req->remote_addr);
}

void metrics_http_handle(struct ctx *c)
{
    if (!caller_allowed(c)) {
        web_not_found(c);
        return;
    }
    struct metrics_gauges g;
    read_gauges(c->db, &g);
    struct prom_buf b = {0};
    metrics_render(&b, &g);
    if (b.oom) {
        prom_buf_free(&b);
        web_error_page(c, 500, "Something went wrong on our side. Please try again.");
        return;
    }
    c->resp->status = 200;
    response_set_header(c->resp, "Content-Type", PROM_CONTENT_TYPE);
    response_set_header(c->resp, "Cache-Control", "no-store");
    response_body(c->resp, b.s, b.len);
    prom_buf_free(&b);
}
