/*
 * webhook_sender.c - sends the webhook_deliveries rows that order events write (docs/api.md,
 * "Outgoing webhooks"; webhook_sender.h has the protocol, webhook_guard.h the address checks).
 *
 * One batch: claim (short transaction: the due rows, locked with SKIP LOCKED, get their attempt
 * counted and next_attempt_at moved WEBHOOK_SENDER_LEASE_S ahead), commit, vet and pin every URL,
 * POST them all at once through a libcurl multi handle, then write each outcome with one UPDATE
 * that only applies while the claim is still ours (same attempt count, still pending). No row lock
 * is held while waiting on the network, and a process killed mid-send leaves rows that simply come
 * due again when their lease ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "khedma/config.h"
#include "khedma/crypto.h"
#include "khedma/db.h"
#include "khedma/httpclient.h"
#include "khedma/cuid.h"
#include "khedma/log.h"
#include "khedma/metrics.h"
#include "khedma/jobs_clock.h"
#include "khedma/timeutil.h"
#include "khedma/webhook_guard.h"
#include "khedma/webhook_sender.h"

/* ---- the retry schedule and the signature (pure) ---- */

/* Seconds to wait after each failed attempt; the entry after the last attempt is absent. */
static const long retry_delays[WEBHOOK_SENDER_MAX_ATTEMPTS - 1] = {
    30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600,
};

long webhook_sender_retry_delay(int attempts)
{
    if (attempts < 1 || attempts >= WEBHOOK_SENDER_MAX_ATTEMPTS)
        return -1;
    return retry_delays[attempts - 1];
}

long long webhook_sender_retry_after_ms(int attempts, long tick_ms)
{
    long delay = webhook_sender_retry_delay(attempts);
    if (delay < 0)
        return -1;
    long long ms = delay * 1000LL, early = ms - (tick_ms > 0 ? tick_ms : 0);
    return early > ms / 2 ? early : ms / 2;
}

int webhook_sender_signature_header(const char *secret, long long t, const char *body, size_t len,
                                    char *out, size_t outlen)
{
    if (!out || outlen == 0)
        return -1;
    out[0] = '\0';
    /* The signed message is "<t>.<body>": the time is covered, so a captured request cannot be
     * replayed later with a fresh t. */
    char prefix[32];
    int plen = snprintf(prefix, sizeof prefix, "%lld.", t);
    size_t total = (size_t)plen + len;
    char *msg = malloc(total ? total : 1);
    if (!msg)
        return -1;
    memcpy(msg, prefix, (size_t)plen);
    if (len)
        memcpy(msg + plen, body, len);
    char hex[SHA256_HEX_LEN + 1];
    crypto_hmac_sha256_hex(secret ? secret : "", secret ? strlen(secret) : 0, msg, total, hex);
    free(msg);
    int n = snprintf(out, outlen, "t=%lld,v1=%s", t, hex);
    if (n < 0 || (size_t)n >= outlen) {
        out[0] = '\0';
        return -1;
    }
    return n;
}

/* ---- sending ---- */

/* A send must start early enough to end before its lease does, with room to record it. */
#define SEND_DEADLINE_MS (WEBHOOK_SENDER_LEASE_S * 1000L - WEBHOOK_SENDER_TIMEOUT_MS - 10000L)
#define ERROR_MAX 500

enum outcome { OUT_PENDING, OUT_DELIVERED, OUT_FAILED, OUT_REFUSED, OUT_SKIPPED };

struct delivery {
    char id[CUID_LEN + 1];
    char order_id[CUID_LEN + 1];
    char event_type[65];
    char *url;
    char *body;
    size_t body_len;
    long long attempts; /* counting this one */
    enum outcome outcome;
    long status; /* HTTP status, 0 when none came back */
    char error[ERROR_MAX + 1];
    CURL *easy;
    struct curl_slist *headers, *resolve;
    bool allow_private;
};

static void delivery_free(struct delivery *d)
{
    free(d->url);
    free(d->body);
    curl_slist_free_all(d->headers);
    curl_slist_free_all(d->resolve);
    if (d->easy)
        curl_easy_cleanup(d->easy);
    memset(d, 0, sizeof *d);
}

static bool copy_row(const struct db_result *r, size_t i, struct delivery *d)
{
    memset(d, 0, sizeof *d);
    snprintf(d->id, sizeof d->id, "%s", db_result_get(r, i, 0));
    snprintf(d->event_type, sizeof d->event_type, "%s", db_result_get(r, i, 1));
    d->url = strdup(db_result_get(r, i, 2));
    d->body_len = r->lengths[i * r->cols + 3];
    d->body = malloc(d->body_len + 1);
    if (d->body) {
        memcpy(d->body, db_result_get(r, i, 3), d->body_len);
        d->body[d->body_len] = '\0';
    }
    d->attempts = db_result_int(r, i, 4, 0) + 1;
    snprintf(d->order_id, sizeof d->order_id, "%s", db_result_get(r, i, 5));
    return d->url && d->body;
}

/* The claim: lock due rows nobody else holds, count the attempt, lease them, commit. Returns the
 * number claimed into list, or -1 (rolled back). */
static int claim(struct db *db, const struct jobs_clock *clock, struct delivery *list, int max)
{
    struct db_result *r = NULL;
    int rc = db_begin(db);
    if (rc == DB_OK)
        rc = db_exec(db,
                     "SELECT id, event_type, url, body, attempts, order_id FROM webhook_deliveries "
                     "WHERE state = 'pending' AND next_attempt_at <= " JOBS_NOW " "
                     "ORDER BY next_attempt_at, created_at, id LIMIT ? FOR UPDATE SKIP LOCKED",
                     DB_PARAMS(DBP_I(clock->offset_s), DBP_I(max)), &r, NULL);
    int n = 0;
    for (size_t i = 0; rc == DB_OK && i < r->rows; i++) {
        struct delivery *d = &list[n++]; /* counted first, so a partial copy is freed below */
        if (!copy_row(r, i, d)) {
            rc = DB_ERR;
            break;
        }
        rc = db_exec(db,
                     "UPDATE webhook_deliveries SET attempts = attempts + 1, "
                     "next_attempt_at = " JOBS_NOW " + INTERVAL ? SECOND WHERE id = ?",
                     DB_PARAMS(DBP_I(clock->offset_s), DBP_I(WEBHOOK_SENDER_LEASE_S), DBP_S(d->id)),
                     NULL, NULL);
    }
    db_result_free(r);
    if (rc == DB_OK)
        rc = db_commit(db);
    if (rc != DB_OK) {
        log_error("webhooks: claiming deliveries failed: %s", db_last_error(db));
        db_rollback(db);
        for (int i = 0; i < n; i++)
            delivery_free(&list[i]);
        return -1;
    }
    return n;
}

static void set_outcome(struct delivery *d, enum outcome o, long status, const char *error)
{
    d->outcome = o;
    d->status = status;
    snprintf(d->error, sizeof d->error, "%s", error ? error : "");
}

static size_t discard(char *data, size_t size, size_t nmemb, void *userdata)
{
    (void)data;
    (void)userdata;
    return size * nmemb; /* the receiver's answer is not ours to keep; only its status counts */
}

/* Last line of defence: libcurl asks before each connect, and an address the guard forbids is
 * never connected to, whatever name resolution or pinning did before. */
static curl_socket_t open_vetted(void *userdata, curlsocktype purpose, struct curl_sockaddr *a)
{
    const struct delivery *d = userdata;
    char why[128];
    (void)purpose;
    if (webhook_guard_vet_address(&a->addr, d->allow_private, why, sizeof why) != 0)
        return CURL_SOCKET_BAD;
    return socket(a->family, a->socktype, a->protocol);
}

static bool add_header(struct delivery *d, const char *name, const char *value)
{
    char line[256];
    snprintf(line, sizeof line, "%s: %s", name, value);
    struct curl_slist *l = curl_slist_append(d->headers, line);
    if (l)
        d->headers = l;
    return l != NULL;
}

/* Signs with the time of this attempt and sets the headers. */
static bool build_headers(struct delivery *d, const char *secret)
{
    char sig[WEBHOOK_SENDER_SIGNATURE_MAX];
    if (webhook_sender_signature_header(secret, (long long)time(NULL), d->body, d->body_len, sig,
                                        sizeof sig) < 0)
        return false;
    /* "Expect:" off: a receiver need not speak 100-continue for bodies over 1 KiB. */
    return add_header(d, "Content-Type", "application/json") &&
           add_header(d, "X-Khedma-Event", d->event_type) &&
           add_header(d, "X-Khedma-Delivery", d->id) && add_header(d, "X-Khedma-Signature", sig) &&
           add_header(d, "User-Agent", "khedma-webhooks/1") && add_header(d, "Expect", "");
}

static bool set_options(struct delivery *d)
{
    CURL *h = d->easy;
    return curl_easy_setopt(h, CURLOPT_URL, d->url) == CURLE_OK &&
           curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
           curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
           /* No proxy from the environment: a proxy would connect where the guard cannot see. */
           curl_easy_setopt(h, CURLOPT_PROXY, "") == CURLE_OK &&
           curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
           curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
           curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
           curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, WEBHOOK_SENDER_TIMEOUT_MS) == CURLE_OK &&
           curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, WEBHOOK_SENDER_TIMEOUT_MS) == CURLE_OK &&
           curl_easy_setopt(h, CURLOPT_POST, 1L) == CURLE_OK &&
           curl_easy_setopt(h, CURLOPT_POSTFIELDS, d->body) == CURLE_OK &&
           curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)d->body_len) == CURLE_OK &&
           curl_easy_setopt(h, CURLOPT_HTTPHEADER, d->headers) == CURLE_OK &&
           (!d->resolve || curl_easy_setopt(h, CURLOPT_RESOLVE, d->resolve) == CURLE_OK) &&
           curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_vetted) == CURLE_OK &&
           curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, d) == CURLE_OK &&
           curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard) == CURLE_OK &&
           curl_easy_setopt(h, CURLOPT_PRIVATE, d) == CURLE_OK;
}

/* Vets the URL and builds the request; on refusal or failure the outcome is set instead. */
static void prepare(struct delivery *d, const char *secret, bool allow_private)
{
    struct webhook_guard_target t;
    if (!webhook_guard_parse_target(d->url, &t)) {
        set_outcome(d, OUT_REFUSED, 0, "refused: not an absolute http(s) URL");
        return;
    }
    char pin[1024], why[256];
    int rc = webhook_guard_resolve(&t, allow_private, pin, sizeof pin, why, sizeof why);
    if (rc != 0) {
        set_outcome(d, rc > 0 ? OUT_REFUSED : OUT_FAILED, 0, why);
        return;
    }
    d->allow_private = allow_private;
    if (pin[0] && !(d->resolve = curl_slist_append(NULL, pin))) {
        set_outcome(d, OUT_FAILED, 0, "out of memory");
        return;
    }
    d->easy = curl_easy_init();
    if (!d->easy || !build_headers(d, secret) || !set_options(d))
        set_outcome(d, OUT_FAILED, 0, "cannot set up the request");
}

static void finish(struct delivery *d, CURLcode rc)
{
    long status = 0;
    double seconds = 0;
    curl_easy_getinfo(d->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(d->easy, CURLINFO_TOTAL_TIME, &seconds);
    metrics_observe_gateway(
        METRICS_GW_WEBHOOK,
        metrics_outcome_of(rc == CURLE_OK, rc == CURLE_OPERATION_TIMEDOUT, status), seconds);
    if (rc == CURLE_OK && status >= 200 && status < 300) {
        set_outcome(d, OUT_DELIVERED, status, NULL);
    } else if (rc == CURLE_OK) {
        char why[64];
        snprintf(why, sizeof why, "HTTP %ld", status);
        set_outcome(d, OUT_FAILED, status, why);
    } else {
        set_outcome(d, OUT_FAILED, status, curl_easy_strerror(rc));
    }
}

/* POSTs every prepared delivery in parallel; each ends by its own timeout at the latest. */
static void send_all(struct delivery *list, int n)
{
    CURLM *m = curl_multi_init();
    if (!m) {
        for (int i = 0; i < n; i++)
            if (list[i].outcome == OUT_PENDING)
                set_outcome(&list[i], OUT_FAILED, 0, "out of memory");
        return;
    }
    for (int i = 0; i < n; i++)
        if (list[i].outcome == OUT_PENDING && curl_multi_add_handle(m, list[i].easy) != CURLM_OK)
            set_outcome(&list[i], OUT_FAILED, 0, "cannot start the request");
    int running = 1;
    while (running > 0) {
        if (curl_multi_perform(m, &running) != CURLM_OK)
            break;
        if (running > 0 && curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK)
            break;
    }
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m, &left))) {
        char *priv = NULL;
        if (msg->msg != CURLMSG_DONE ||
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv) != CURLE_OK || !priv)
            continue;
        finish((struct delivery *)priv, msg->data.result);
    }
    for (int i = 0; i < n; i++) {
        if (list[i].easy)
            curl_multi_remove_handle(m, list[i].easy);
        if (list[i].outcome == OUT_PENDING)
            set_outcome(&list[i], OUT_FAILED, 0, "the request did not complete");
    }
    curl_multi_cleanup(m);
}

/* One UPDATE per outcome, applied only while the claim is still ours. */
static int record(struct db *db, const struct jobs_clock *clock, const struct delivery *d)
{
    struct db_param st = d->status > 0 ? DBP_I(d->status) : DBP_NUL;
    struct db_param err = d->error[0] ? DBP_S(d->error) : DBP_NUL;
    long long delay_ms = webhook_sender_retry_after_ms((int)d->attempts, clock->tick_ms);
    if (d->outcome == OUT_DELIVERED)
        return db_exec(db,
                       "UPDATE webhook_deliveries SET state = 'delivered', delivered_at = " JOBS_NOW
                       ", last_status = ?, last_error = NULL "
                       "WHERE id = ? AND state = 'pending' AND attempts = ?",
                       DB_PARAMS(DBP_I(clock->offset_s), st, DBP_S(d->id), DBP_I(d->attempts)),
                       NULL, NULL);
    if (d->outcome == OUT_SKIPPED)
        return db_exec(
            db,
            "UPDATE webhook_deliveries SET attempts = attempts - 1, next_attempt_at = " JOBS_NOW
            " WHERE id = ? AND state = 'pending' AND attempts = ?",
            DB_PARAMS(DBP_I(clock->offset_s), DBP_S(d->id), DBP_I(d->attempts)), NULL, NULL);
    if (d->outcome == OUT_REFUSED || delay_ms < 0)
        return db_exec(db,
                       "UPDATE webhook_deliveries SET state = 'failed', last_status = ?, "
                       "last_error = ? WHERE id = ? AND state = 'pending' AND attempts = ?",
                       DB_PARAMS(st, err, DBP_S(d->id), DBP_I(d->attempts)), NULL, NULL);
    return db_exec(db,
                   "UPDATE webhook_deliveries SET next_attempt_at = " JOBS_NOW
                   " + INTERVAL ? MICROSECOND, last_status = ?, last_error = ? "
                   "WHERE id = ? AND state = 'pending' AND attempts = ?",
                   DB_PARAMS(DBP_I(clock->offset_s), DBP_I(delay_ms * 1000), st, err, DBP_S(d->id),
                             DBP_I(d->attempts)),
                   NULL, NULL);
}

static void log_outcome(const struct delivery *d)
{
    char safe[512];
    httpclient_redact_url(d->url, safe, sizeof safe);
    if (d->outcome == OUT_DELIVERED)
        log_info("webhook %s (%s) delivered to %s: HTTP %ld, attempt %lld", d->id, d->event_type,
                 safe, d->status, d->attempts);
    else if (d->outcome == OUT_REFUSED)
        log_warn("webhook %s (%s) to %s not sent: %s", d->id, d->event_type, safe, d->error);
    else if (d->outcome == OUT_FAILED)
        log_warn("webhook %s (%s) to %s failed (attempt %lld of %d): %s", d->id, d->event_type,
                 safe, d->attempts, WEBHOOK_SENDER_MAX_ATTEMPTS, d->error);
}

/* True when an earlier delivery of this batch goes to the same URL about the same order: the
 * later event then waits for the next batch, so a healthy receiver gets an order's events in the
 * order they happened (paid before cancelled before refunded) rather than racing in parallel. */
static bool follows_in_batch(const struct delivery *list, int i)
{
    for (int j = 0; j < i; j++)
        if (strcmp(list[j].order_id, list[i].order_id) == 0 &&
            strcmp(list[j].url, list[i].url) == 0)
            return true;
    return false;
}

/* Claim, send and record one batch. Returns the number claimed, or -1; *deferred counts the
 * deliveries handed back for the next batch. */
static int run_batch(struct db *db, const struct jobs_clock *clock, const char *secret,
                     int *deferred)
{
    struct delivery list[WEBHOOK_SENDER_BATCH];
    long long claimed_ms = timeutil_wall_ms();
    *deferred = 0;
    int n = claim(db, clock, list, WEBHOOK_SENDER_BATCH);
    if (n <= 0)
        return n;
    bool allow_private = g_config && g_config->webhook_allow_private;
    for (int i = 0; i < n; i++) {
        /* Resolving is sequential; a send that could outlive the lease waits for the next one. */
        if (timeutil_wall_ms() - claimed_ms > SEND_DEADLINE_MS || follows_in_batch(list, i)) {
            set_outcome(&list[i], OUT_SKIPPED, 0, NULL);
            (*deferred)++;
        } else {
            prepare(&list[i], secret, allow_private);
        }
    }
    send_all(list, n);
    int failures = 0;
    for (int i = 0; i < n; i++) {
        log_outcome(&list[i]);
        if (record(db, clock, &list[i]) != DB_OK) {
            log_error("webhooks: recording delivery %s failed: %s", list[i].id, db_last_error(db));
            failures++;
        }
        delivery_free(&list[i]);
    }
    return failures ? -1 : n;
}

int webhook_sender_run(struct db *db, const struct jobs_clock *clock, long budget_ms)
{
    const char *secret = g_config ? g_config->webhook_secret : NULL;
    /* Unsigned webhooks would be worthless to receivers: they stay stored until a secret is
     * configured (the jobs process warns about it once at start). */
    if (!secret || !*secret)
        return 0;
    long long start = timeutil_wall_ms();
    int total = 0, n, deferred;
    do {
        n = run_batch(db, clock, secret, &deferred);
        if (n < 0)
            return -1;
        total += n - deferred;
    } while ((n == WEBHOOK_SENDER_BATCH || deferred > 0) && timeutil_wall_ms() - start < budget_ms);
    return total;
}
