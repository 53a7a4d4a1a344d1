/*
 * webhook_sender.h - outgoing webhooks (contract section 6, "Webhooks out"), sent by the jobs
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

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "khedma/db.h"
#include "khedma/jobs.h"

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
 * failure (the contract's "first retry within 30 s"). Never less than half the delay, so a long
 * tick cannot turn the back-off into immediate retries. -1 when there is no retry. */
long long webhook_sender_retry_after_ms(int attempts, long tick_ms);

/* Writes the X-Khedma-Signature value for an attempt at unix time t. Returns the length written,
 * or -1 when out is too small (out is then ""). */
int webhook_sender_signature_header(const char *secret, long long t, const char *body, size_t len,
                                    char *out, size_t outlen);

/* What an address is, as far as the SSRF guard is concerned. IPv4-mapped (::ffff:a.b.c.d) and
 * NAT64 (64:ff9b::a.b.c.d) IPv6 addresses are classified by the IPv4 address they carry. */
enum webhook_guard_addr_class {
    WEBHOOK_GUARD_ADDR_PUBLIC,
    WEBHOOK_GUARD_ADDR_LOOPBACK,    /* 127/8, ::1 */
    WEBHOOK_GUARD_ADDR_PRIVATE,     /* 10/8, 172.16/12, 192.168/16, 100.64/10 (CGNAT), fc00::/7 */
    WEBHOOK_GUARD_ADDR_LINK_LOCAL,  /* 169.254/16, fe80::/10 */
    WEBHOOK_GUARD_ADDR_UNSPECIFIED, /* 0/8, :: */
    WEBHOOK_GUARD_ADDR_MULTICAST,   /* 224/4, ff00::/8 */
    WEBHOOK_GUARD_ADDR_RESERVED,    /* 240/4 (with the broadcast address), 192.0.0/24, 192.88.99/24,
                             198.18/15, ::/96, 100::/64, 64:ff9b:1::/48, other families */
    WEBHOOK_GUARD_ADDR_DOCUMENTATION, /* 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32 */
};
enum webhook_guard_addr_class webhook_guard_classify(const struct sockaddr *sa);
/* "public", "loopback", "private", "link-local", "unspecified", "multicast", "reserved". */
const char *webhook_guard_addr_class_name(enum webhook_guard_addr_class c);
/* Whether a request may go to an address of this class. */
bool webhook_guard_addr_allowed(enum webhook_guard_addr_class c, bool allow_private);

/* Whether sa is one of this host's own interface addresses (getifaddrs; an IPv6 form carrying an
 * IPv4 address counts as that IPv4 address): 1 yes, 0 no, -1 when they cannot be listed. */
int webhook_guard_is_own_address(const struct sockaddr *sa);
/* The guard's verdict on one address: 0 allowed, 1 refused for good (a class the guard forbids,
 * or this host's own address), -1 cannot tell now (retry); why says why. allow_private (the
 * KHEDMA_WEBHOOK_ALLOW_PRIVATE switch) allows everything. */
int webhook_guard_vet_address(const struct sockaddr *sa, bool allow_private, char *why,
                              size_t whylen);

/* Where a webhook URL points. host is without the brackets of an IPv6 literal. */
struct webhook_guard_target {
    bool https;
    char host[256];
    unsigned port; /* the scheme's default when the URL names none */
};
/* False for anything but an absolute http(s) URL with a host (and a port in 1..65535). */
bool webhook_guard_parse_target(const char *url, struct webhook_guard_target *t);

/* The check when a client hands a webhook URL in (no DNS lookup): false, with why, for a URL that
 * is not absolute http(s), whose host is `localhost` or a name under .localhost, or an IP literal
 * webhook_guard_vet_address() refuses. Everything passes with allow_private. Names that resolve to
 * refused addresses are caught at delivery. */
bool webhook_guard_url_acceptable(const char *url, bool allow_private, char *why, size_t whylen);

/* Resolve the target's host and vet every address it resolves to. Returns 0 with pin set to the
 * CURLOPT_RESOLVE entry "host:port:address" that fixes the address the request will connect to
 * ("" for an IP literal, which needs no resolving); otherwise writes the reason into why and
 * returns 1 when the URL is refused for good (an address the guard forbids) or -1 when resolving
 * failed (worth retrying). */
int webhook_guard_resolve(const struct webhook_guard_target *t, bool allow_private, char *pin,
                          size_t pinlen, char *why, size_t whylen);

/* Claim, send and record due deliveries, batch after batch, while full batches keep coming and
 * for at most about budget_ms. Returns the number of deliveries attempted, or -1 after a database
 * error. */
int webhook_sender_run(struct db *db, const struct jobs_clock *clock, long budget_ms);

#endif
