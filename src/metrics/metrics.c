/*
 * metrics.c - the counters and histograms behind /metrics, in one block of shared memory the
 * master maps before forking (see metrics.h), and their rendering as exposition text.
 *
 * Every update is one relaxed atomic add: a worker killed between two adds leaves every counter
 * it touched consistent by itself, and nothing is locked. A histogram's count is the sum of its
 * buckets, so the two can never disagree; only its _sum may trail by the observation in flight.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "khedma/app.h"
#include "khedma/config.h"
#include "khedma/metrics.h"
#include "khedma/router.h"
#include "khedma/trpc_procs.h"

#ifndef KHEDMA_VERSION
#define KHEDMA_VERSION "unknown"
#endif

#define MAX_LABELS 192
#define LABEL_TEXT_MAX 96
#define TRPC_PATTERN "/api/trpc/{path*}"

const double metrics_bucket_bounds[METRICS_BUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                       0.25,  0.5,    1,     2.5,  5,     10};

static const char *const methods[] = {"GET",   "HEAD",   "POST",    "PUT",
                                      "PATCH", "DELETE", "OPTIONS", "OTHER"};
#define NMETHODS (sizeof methods / sizeof methods[0])

/* The statuses khedmad answers; any other is counted under its class ("2xx" ... "5xx"). */
static const int statuses[] = {200, 201, 202, 204, 301, 302, 303, 304, 307, 308,
                               400, 401, 403, 404, 405, 406, 409, 410, 411, 413,
                               414, 415, 422, 429, 500, 501, 502, 503, 504};
#define NCODES (sizeof statuses / sizeof statuses[0])
#define NSTATUS (NCODES + 5)

static const char *const restart_reasons[] = {"killed", "exited", "recycled"};
#define NREASONS 3
static const char *const gateway_names[] = {"youcanpay", "paytabs", "webhook", "other"};
static const char *const outcome_names[] = {"ok", "http_error", "timeout", "error"};
static const char *const db_error_names[] = {"down", "deadlock", "error"};

struct hist {
    uint64_t buckets[METRICS_BUCKETS + 1];
    uint64_t sum_us;
};

struct block {
    uint64_t requests[MAX_LABELS][NMETHODS][NSTATUS];
    struct hist latency[MAX_LABELS];
    uint64_t restarts[2][NREASONS];
    uint64_t db_errors[METRICS_DB_COUNT];
    uint64_t db_reconnects;
    uint64_t gateway_calls[METRICS_GW_COUNT][METRICS_OUT_COUNT];
    struct hist gateway_latency[METRICS_GW_COUNT];
    struct hist jobs_tick;
    int64_t start_time_s;
};

static void labels_build(void);
static struct block *shared;
static struct block local; /* without a master's mapping: this process's own numbers */

static struct block *blk(void)
{
    if (shared)
        return shared;
    if (local.start_time_s == 0)
        local.start_time_s = (int64_t)time(NULL);
    return &local;
}

int metrics_init_shared(void)
{
    void *p =
        mmap(NULL, sizeof(struct block), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    shared = p;     /* zero-filled by mmap */
    labels_build(); /* once, before the children inherit it */
    shared->start_time_s = (int64_t)time(NULL);
    return 0;
}

static void add(uint64_t *counter, uint64_t v)
{
    __atomic_fetch_add(counter, v, __ATOMIC_RELAXED);
}

static uint64_t get(const uint64_t *counter)
{
    return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

size_t metrics_bucket(double seconds)
{
    size_t i = 0;
    while (i < METRICS_BUCKETS && !(seconds <= metrics_bucket_bounds[i]))
        i++;
    return i;
}

static void observe(struct hist *h, double seconds)
{
    if (seconds < 0)
        seconds = 0;
    add(&h->buckets[metrics_bucket(seconds)], 1);
    add(&h->sum_us, (uint64_t)(seconds * 1e6 + 0.5));
}

/* ---- route labels ---- */

static char labels[MAX_LABELS][LABEL_TEXT_MAX];
static int nlabels;
static int label_trpc_batch, label_trpc_unknown, label_unmatched;
/* Each route's label by its position in app_routes (-1: the tRPC route, labelled by procedure),
 * so a request's label costs an index, not a search; tRPC procedure labels start at first_trpc. */
static int route_label[MAX_LABELS];
static size_t nroute_labels;
static int first_trpc;

static int find_label_from(int start, const char *text);

static int add_label(const char *text)
{
    for (int i = 0; i < nlabels; i++)
        if (strcmp(labels[i], text) == 0)
            return i;
    if (nlabels >= MAX_LABELS)
        return -1;
    snprintf(labels[nlabels], LABEL_TEXT_MAX, "%s", text);
    return nlabels++;
}

/* Built from the compiled tables alone, so every process builds the same list in the same
 * order: the master's block means the same thing in every child. */
static void labels_build(void)
{
    if (nlabels > 0)
        return;
    size_t n = 0;
    const struct route *routes = app_routes(&n);
    nroute_labels = n < MAX_LABELS ? n : MAX_LABELS;
    for (size_t i = 0; i < nroute_labels; i++)
        route_label[i] =
            strcmp(routes[i].pattern, TRPC_PATTERN) != 0 ? add_label(routes[i].pattern) : -1;
    first_trpc = nlabels;
    char text[LABEL_TEXT_MAX];
    for (size_t i = 0; trpc_procs_name(i); i++) {
        snprintf(text, sizeof text, "trpc:%s", trpc_procs_name(i));
        add_label(text);
    }
    label_trpc_batch = add_label("trpc:batch");
    label_trpc_unknown = add_label("trpc:unknown");
    label_unmatched = add_label("unmatched");
}

static int find_label_from(int start, const char *text)
{
    for (int i = start; i < nlabels; i++)
        if (strcmp(labels[i], text) == 0)
            return i;
    return -1;
}

int metrics_route_label(const char *pattern, const char *trpc_path)
{
    labels_build();
    if (!pattern)
        return label_unmatched;
    if (strcmp(pattern, TRPC_PATTERN) != 0) {
        int id = find_label_from(0, pattern);
        return id >= 0 ? id : label_unmatched;
    }
    if (!trpc_path || strchr(trpc_path, ','))
        return trpc_path && *trpc_path ? label_trpc_batch : label_trpc_unknown;
    char text[LABEL_TEXT_MAX];
    if (strlen(trpc_path) + 5 >= sizeof text)
        return label_trpc_unknown;
    snprintf(text, sizeof text, "trpc:%s", trpc_path);
    int id = find_label_from(first_trpc, text);
    return id >= 0 ? id : label_trpc_unknown;
}

int metrics_route_label_of(const struct route *r, const char *trpc_path)
{
    labels_build();
    size_t n = 0;
    const struct route *routes = app_routes(&n);
    if (r && r >= routes && r < routes + nroute_labels && route_label[r - routes] >= 0)
        return route_label[r - routes];
    return metrics_route_label(r ? r->pattern : NULL, trpc_path);
}

const char *metrics_route_label_name(int id)
{
    labels_build();
    return id >= 0 && id < nlabels ? labels[id] : NULL;
}

int metrics_route_label_count(void)
{
    labels_build();
    return nlabels;
}

static size_t method_index(const char *method)
{
    for (size_t i = 0; method && i + 1 < NMETHODS; i++)
        if (strcmp(methods[i], method) == 0)
            return i;
    return NMETHODS - 1;
}

const char *metrics_method_label(const char *method)
{
    return methods[method_index(method)];
}

static size_t status_index(int status)
{
    for (size_t i = 0; i < NCODES; i++)
        if (statuses[i] == status)
            return i;
    if (status < 100 || status > 599)
        status = 500;
    return NCODES + (size_t)(status / 100 - 1);
}

static void status_label(size_t i, char *out, size_t outlen)
{
    if (i < NCODES)
        snprintf(out, outlen, "%d", statuses[i]);
    else
        snprintf(out, outlen, "%dxx", (int)(i - NCODES + 1));
}

/* ---- updates ---- */

void metrics_observe_request(int label, const char *method, int status, double seconds)
{
    labels_build();
    if (label < 0 || label >= nlabels)
        label = label_unmatched;
    struct block *b = blk();
    add(&b->requests[label][method_index(method)][status_index(status)], 1);
    observe(&b->latency[label], seconds);
}

void metrics_note_restart(bool jobs, int wait_status)
{
    int reason = WIFSIGNALED(wait_status) ? 0 : WEXITSTATUS(wait_status) != 0 ? 1 : 2;
    add(&blk()->restarts[jobs ? 1 : 0][reason], 1);
}

void metrics_note_db_error(enum metrics_db_error kind)
{
    if (kind >= 0 && kind < METRICS_DB_COUNT)
        add(&blk()->db_errors[kind], 1);
}

void metrics_note_db_reconnect(void)
{
    add(&blk()->db_reconnects, 1);
}

void metrics_observe_gateway(enum metrics_gateway gw, enum metrics_outcome out, double seconds)
{
    if (gw < 0 || gw >= METRICS_GW_COUNT || out < 0 || out >= METRICS_OUT_COUNT)
        return;
    struct block *b = blk();
    add(&b->gateway_calls[gw][out], 1);
    observe(&b->gateway_latency[gw], seconds);
}

enum metrics_outcome metrics_outcome_of(bool answered, bool timed_out, long status)
{
    if (!answered)
        return timed_out ? METRICS_OUT_TIMEOUT : METRICS_OUT_ERROR;
    return status >= 200 && status < 300 ? METRICS_OUT_OK : METRICS_OUT_HTTP_ERROR;
}

static bool has_prefix(const char *url, const char *base)
{
    size_t n = base ? strlen(base) : 0;
    return n > 0 && strncmp(url, base, n) == 0 &&
           (url[n] == '\0' || url[n] == '/' || url[n] == '?');
}

enum metrics_gateway metrics_gateway_of_url(const char *url)
{
    if (!url || !g_config)
        return METRICS_GW_OTHER;
    if (has_prefix(url, g_config->youcanpay_api))
        return METRICS_GW_YOUCANPAY;
    if (has_prefix(url, g_config->paytabs_api))
        return METRICS_GW_PAYTABS;
    return METRICS_GW_OTHER;
}

void metrics_observe_jobs_tick(double seconds)
{
    observe(&blk()->jobs_tick, seconds);
}

/* ---- rendering ---- */

static void render_hist(struct prom_buf *out, const char *name, const struct prom_label *l,
                        size_t nl, const struct hist *h)
{
    uint64_t counts[METRICS_BUCKETS + 1];
    for (size_t i = 0; i <= METRICS_BUCKETS; i++)
        counts[i] = get(&h->buckets[i]);
    prom_histogram(out, name, l, nl, metrics_bucket_bounds, METRICS_BUCKETS, counts,
                   (double)get(&h->sum_us) / 1e6);
}

static uint64_t hist_count(const struct hist *h)
{
    uint64_t n = 0;
    for (size_t i = 0; i <= METRICS_BUCKETS; i++)
        n += get(&h->buckets[i]);
    return n;
}

/* Only the combinations that happened are written: thousands of zero series would make every
 * scrape (and Prometheus's storage) pay for routes nobody called. */
static void render_requests(struct prom_buf *out, const struct block *b)
{
    prom_family(out, "khedma_http_requests_total", "counter",
                "Requests answered, by route label, method and status.");
    char status[8];
    for (int r = 0; r < nlabels; r++)
        for (size_t m = 0; m < NMETHODS; m++)
            for (size_t s = 0; s < NSTATUS; s++) {
                uint64_t v = get(&b->requests[r][m][s]);
                if (v == 0)
                    continue;
                status_label(s, status, sizeof status);
                struct prom_label l[] = {
                    {"route", labels[r]}, {"method", methods[m]}, {"status", status}};
                prom_sample(out, "khedma_http_requests_total", l, 3, (double)v);
            }
    prom_family(out, "khedma_http_request_duration_seconds", "histogram",
                "Time from the request's start to its answer, by route label.");
    for (int r = 0; r < nlabels; r++) {
        if (hist_count(&b->latency[r]) == 0)
            continue;
        struct prom_label l[] = {{"route", labels[r]}};
        render_hist(out, "khedma_http_request_duration_seconds", l, 1, &b->latency[r]);
    }
}

static void render_process(struct prom_buf *out, const struct block *b)
{
    prom_family(out, "khedma_worker_restarts_total", "counter",
                "Children the master replaced, by kind (worker, jobs) and reason.");
    for (int k = 0; k < 2; k++)
        for (int r = 0; r < NREASONS; r++) {
            struct prom_label l[] = {{"kind", k ? "jobs" : "worker"},
                                     {"reason", restart_reasons[r]}};
            prom_sample(out, "khedma_worker_restarts_total", l, 2, (double)get(&b->restarts[k][r]));
        }
    prom_family(out, "khedma_db_errors_total", "counter", "Failed database calls, by kind.");
    for (int k = 0; k < METRICS_DB_COUNT; k++) {
        struct prom_label l[] = {{"kind", db_error_names[k]}};
        prom_sample(out, "khedma_db_errors_total", l, 1, (double)get(&b->db_errors[k]));
    }
    prom_family(out, "khedma_db_reconnects_total", "counter",
                "Database connections made again after one was lost or refused.");
    prom_sample(out, "khedma_db_reconnects_total", NULL, 0, (double)get(&b->db_reconnects));
}

static void render_gateways(struct prom_buf *out, const struct block *b)
{
    prom_family(out, "khedma_gateway_calls_total", "counter",
                "Outgoing calls to payment gateways and webhook receivers, by outcome.");
    for (int g = 0; g < METRICS_GW_COUNT; g++)
        for (int o = 0; o < METRICS_OUT_COUNT; o++) {
            struct prom_label l[] = {{"gateway", gateway_names[g]}, {"outcome", outcome_names[o]}};
            prom_sample(out, "khedma_gateway_calls_total", l, 2,
                        (double)get(&b->gateway_calls[g][o]));
        }
    prom_family(out, "khedma_gateway_call_duration_seconds", "histogram",
                "Duration of outgoing gateway and webhook calls.");
    for (int g = 0; g < METRICS_GW_COUNT; g++) {
        struct prom_label l[] = {{"gateway", gateway_names[g]}};
        render_hist(out, "khedma_gateway_call_duration_seconds", l, 1, &b->gateway_latency[g]);
    }
    prom_family(out, "khedma_jobs_tick_duration_seconds", "histogram",
                "Duration of one pass of the jobs process over all background work.");
    render_hist(out, "khedma_jobs_tick_duration_seconds", NULL, 0, &b->jobs_tick);
}

static void render_gauges(struct prom_buf *out, const struct metrics_gauges *g)
{
    if (g && g->webhooks_pending >= 0 && g->webhooks_failed >= 0) {
        prom_family(out, "khedma_webhook_deliveries", "gauge",
                    "Outgoing webhook deliveries waiting to be sent or given up, by state.");
        struct prom_label p[] = {{"state", "pending"}}, f[] = {{"state", "failed"}};
        prom_sample(out, "khedma_webhook_deliveries", p, 1, (double)g->webhooks_pending);
        prom_sample(out, "khedma_webhook_deliveries", f, 1, (double)g->webhooks_failed);
    }
    if (g && g->payments_pending_reconciliation >= 0) {
        prom_family(out, "khedma_payments_pending_reconciliation", "gauge",
                    "Gateway payments pending for 1 minute to 24 hours: the reconciliation "
                    "job's work.");
        prom_sample(out, "khedma_payments_pending_reconciliation", NULL, 0,
                    (double)g->payments_pending_reconciliation);
    }
}

void metrics_render(struct prom_buf *out, const struct metrics_gauges *g)
{
    labels_build();
    const struct block *b = blk();
    render_requests(out, b);
    render_process(out, b);
    render_gateways(out, b);
    render_gauges(out, g);
    prom_family(out, "khedma_build_info", "gauge", "The running build; always 1.");
    struct prom_label v[] = {{"version", KHEDMA_VERSION}};
    prom_sample(out, "khedma_build_info", v, 1, 1);
    prom_family(out, "khedma_process_start_time_seconds", "gauge",
                "When the server (its master) started, in seconds since the epoch.");
    prom_sample(out, "khedma_process_start_time_seconds", NULL, 0, (double)b->start_time_s);
}
