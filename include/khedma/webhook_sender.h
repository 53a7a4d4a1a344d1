/*
 * webhook_sender.h - outgoing webhooks (docs/api.md, "Outgoing webhooks"), sent by the jobs
 * process from the webhook_deliveries rows that order events write.
 *
 * A batch claims due rows (FOR UPDATE SKIP LOCKED) and, in the same short transaction, counts the
 * attempt and moves next_attempt_at WEBHOOK_SENDER_LEASE_S ahead: that lease makes every other jobs
 * process skip the rows while they are being sent, and makes a crash mid-send retry later instead
 * of losing the delivery. After the commit each body is POSTed (all of a batch in parallel, each
 * with a total timeout of WEBHOOK_SENDER_TIMEOUT_MS, no redirects, http/https only, to an address
 * vetted and pinned before the request), then the outcome is written: 2xx -> delivered; anything
 * else -> retried on the schedule of webhook_sender_retry_delay(), failed after
 * WEBHOOK_SENDER_MAX_ATTEMPTS. Within a batch, an order's later events to the same URL wait for the
 * next batch, so a healthy receiver sees an order's events in the order they happened; a failed
 * delivery being retried does not hold the later ones back (receivers order by the body's
 * createdAt).
 *
 * Request headers: Content-Type: application/json, X-Khedma-Event: <type>, X-Khedma-Delivery:
 * <delivery id>, X-Khedma-Signature: t=<unix time of the attempt>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>" keyed with KHEDMA_WEBHOOK_SECRET>.
 */
#ifndef KHEDMA_WEBHOOK_SENDER_H
#define KHEDMA_WEBHOOK_SENDER_H

#include <stddef.h>

#include "khedma/db.h"
#include "khedma/jobs_clock.h"

#define WEBHOOK_SENDER_MAX_ATTEMPTS                                                                \
    9                             /* the last retry comes about 22.7 h after the first attempt */
#define WEBHOOK_SENDER_LEASE_S 60 /* a claimed delivery is left alone this long */
#define WEBHOOK_SENDER_TIMEOUT_MS 10000L /* total time of one POST */
#define WEBHOOK_SENDER_BATCH 16          /* deliveries claimed (and sent in parallel) at once */
/* "t=" + up to 20 digits + ",v1=" + 64 hex digits + NUL */
#define WEBHOOK_SENDER_SIGNATURE_MAX 96

/* Seconds to wait after attempt number `attempts` (1 = the first) failed: 30 s, 2 min, 10 min,
 * 30 min, 1 h, 3 h, 6 h, 12 h. -1 when that attempt was the last one (WEBHOOK_SENDER_MAX_ATTEMPTS)
 * or the number makes no sense: the delivery is then failed. */
long webhook_sender_retry_delay(int attempts);
/* When, in milliseconds after attempt number `attempts` failed, the delivery is due again, for a
 * jobs loop that wakes every tick_ms: the delay of webhook_sender_retry_delay() minus one tick,
 * since the retry can wait up to a tick after it is due, so it goes out at most the delay after the
 * failure (docs/api.md promises the first retry at most 30 s after the first attempt). Never less
 * than half the delay, so a long tick cannot turn the back-off into immediate retries. -1 when
 * there is no retry. */
long long webhook_sender_retry_after_ms(int attempts, long tick_ms);

/* Writes the X-Khedma-Signature value for an attempt at unix time t. Returns the length written,
 * or -1 when out is too small (out is then ""). */
int webhook_sender_signature_header(const char *secret, long long t, const char *body, size_t len,
                                    char *out, size_t outlen);

/* Claim, send and record due deliveries, batch after batch, while full batches keep coming and
 * for at most about budget_ms. Returns the number of deliveries attempted, or -1 after a database
 * error. */
int webhook_sender_run(struct db *db, const struct jobs_clock *clock, long budget_ms);

#endif
