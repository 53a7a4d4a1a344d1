/*
 * metrics.h - the counters and histograms /metrics reports (docs/deploy.md, "Metrics").
 *
 * They live in one block of shared memory the master maps before its first fork, so every
 * worker and the jobs process add to the same numbers with atomic adds (no lock, nothing held
 * across a request), and a child that dies loses nothing it had counted. A process that runs
 * without that master (a one-request CGI run, a web-server-spawned FastCGI process, a unit test)
 * counts into a block of its own instead: the calls below never fail.
 *
 * Requests are counted by route LABEL, never by raw path: the route table's pattern
 * ("/api/orders/{id}"), "trpc:<procedure>" (or "trpc:batch" / "trpc:unknown") under /api/trpc,
 * "unmatched" for anything no route took. The labels come from the compiled route and procedure
 * tables, so the set, and the block's layout, is fixed.
 */
#ifndef KHEDMA_METRICS_H
#define KHEDMA_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "khedma/prom.h"

/* Upper bounds (seconds) of the histogram buckets, shared by every histogram. */
#define METRICS_BUCKETS 13
extern const double metrics_bucket_bounds[METRICS_BUCKETS];

enum metrics_gateway {
    METRICS_GW_YOUCANPAY,
    METRICS_GW_PAYTABS,
    METRICS_GW_WEBHOOK, /* outgoing webhook deliveries (src/jobs/webhook_sender.c) */
    METRICS_GW_OTHER,
    METRICS_GW_COUNT
};
enum metrics_outcome {
    METRICS_OUT_OK,         /* a 2xx answer */
    METRICS_OUT_HTTP_ERROR, /* an answer with another status */
    METRICS_OUT_TIMEOUT,    /* no answer within the timeout */
    METRICS_OUT_ERROR,      /* no answer: refused, reset, DNS, TLS, ... */
    METRICS_OUT_COUNT
};
enum metrics_db_error {
    METRICS_DB_DOWN,     /* the server could not be reached or the connection was lost */
    METRICS_DB_DEADLOCK, /* deadlock or lock-wait timeout */
    METRICS_DB_ERROR,    /* any other failed statement (not duplicates and foreign keys, which
                            are answers the code expects) */
    METRICS_DB_COUNT
};

/* Master, before any fork: map the shared block. 0, or -1 (the process then counts alone). */
int metrics_init_shared(void);

/* The bucket (0..METRICS_BUCKETS; the last is above every bound) an observation falls in: the
 * first whose upper bound is >= seconds, as Prometheus's le ("less or equal") reads. */
size_t metrics_bucket(double seconds);

/* The label id of a request: pattern is the matched route's (NULL when none matched), trpc_path
 * the procedure part of a /api/trpc path ("gig.getGigDetails", "a,b" for a batch). */
int metrics_route_label(const char *pattern, const char *trpc_path);
/* The same for a matched route of app_routes (NULL when none matched): what the worker calls on
 * every request, by the route's position rather than by comparing its pattern. */
struct route;
int metrics_route_label_of(const struct route *r, const char *trpc_path);
/* The label's text, NULL for an id out of range. */
const char *metrics_route_label_name(int id);
int metrics_route_label_count(void);
/* The method label: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, or OTHER. */
const char *metrics_method_label(const char *method);

/* One answered request. */
void metrics_observe_request(int label, const char *method, int status, double seconds);
/* Master: it replaced a child (jobs or worker) that died with this wait status. */
void metrics_note_restart(bool jobs, int wait_status);
void metrics_note_db_error(enum metrics_db_error kind);
void metrics_note_db_reconnect(void);
void metrics_observe_gateway(enum metrics_gateway gw, enum metrics_outcome out, double seconds);
/* The outcome of a call that got an answer (answered) with this status, or did not (timed_out
 * says whether for lack of time). */
enum metrics_outcome metrics_outcome_of(bool answered, bool timed_out, long status);
/* Which gateway a URL belongs to (by the configured gateway bases). */
enum metrics_gateway metrics_gateway_of_url(const char *url);
void metrics_observe_jobs_tick(double seconds);

/* What /metrics reads from the database at scrape time; a negative value is left out (the
 * database did not answer). */
struct metrics_gauges {
    long long webhooks_pending, webhooks_failed;
    long long payments_pending_reconciliation;
};
/* Every series, as the exposition text. */
void metrics_render(struct prom_buf *b, const struct metrics_gauges *g);

#endif
