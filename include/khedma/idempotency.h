/*
 * idempotency.h - idempotency keys for POST /api/orders (docs/api.md, "Orders API"): per user,
 * kept 24 hours, the same key with JSON-equal parameters replays the first response byte for
 * byte, different parameters are refused, and a request still running makes the second wait
 * (409). The guarantee lives in the primary key (user_id, idem_key), so it holds across workers
 * and hosts.
 */
#ifndef KHEDMA_IDEMPOTENCY_H
#define KHEDMA_IDEMPOTENCY_H

#include <json-c/json.h>
#include "khedma/crypto.h"
#include "khedma/db.h"
#include "khedma/errors.h"

/* A claim older than this is taken to belong to a request whose worker died mid-way. */
#define IDEM_STALE_SECONDS 60

enum idem_state {
    IDEM_NEW,      /* this request owns the key: run it, then idempotency_finish() */
    IDEM_REPLAY,   /* a finished response exists: *status / *body hold it */
    IDEM_MISMATCH, /* the key was used with other parameters */
    IDEM_RUNNING,  /* the first request with this key has not finished */
};

/* Canonical JSON of v: object keys sorted (byte order), no spaces, numbers as json-c prints them.
 * Two JSON-equal values give the same text. The caller frees the result. */
char *idempotency_canonical_json(json_object *v);
/* Hex SHA-256 of the canonical JSON of the request parameters. */
void idempotency_request_hash(json_object *params, char out[SHA256_HEX_LEN + 1]);

/* Claim the key. On IDEM_REPLAY, *status and *body (malloc'd, caller frees) are the stored
 * response. */
enum errkind idempotency_begin(struct db *db, const char *user_id, const char *key,
                               const char *hash, enum idem_state *state, int *status, char **body,
                               struct err *e);
/* Store the response for replay (statuses below 500), or release the key after a server-side
 * failure so that a retry can run. */
void idempotency_finish(struct db *db, const char *user_id, const char *key, int status,
                        const char *body, size_t len);

#endif
