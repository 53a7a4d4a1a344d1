/*
 * idempotency.c - idempotency keys (see idempotency.h). The first request inserts the key in
 * state 'running' and so owns it; any concurrent request with the same key hits the primary key
 * and reads what is there instead: a different parameter hash (422), a finished response to
 * replay, or a claim still running (409). A claim left 'running' by a worker that died is taken
 * over after IDEM_STALE_SECONDS; a key older than 24 hours counts as gone even before the jobs
 * process purges it.
 */
#include <stdlib.h>
#include <string.h>

#include "khedma/dberr.h"
#include "khedma/idempotency.h"
#include "khedma/log.h"

struct buf {
    char *data;
    size_t len, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p)
            abort(); /* out of memory: the worker is replaced by the master */
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void canon(struct buf *b, json_object *v);

static void canon_object(struct buf *b, json_object *v)
{
    size_t n = (size_t)json_object_object_length(v), i = 0;
    const char **keys = calloc(n ? n : 1, sizeof(*keys));
    if (!keys)
        abort();
    json_object_object_foreach(v, key, val)
    {
        (void)val;
        keys[i++] = key;
    }
    qsort(keys, n, sizeof(*keys), cmp_keys);
    buf_add(b, "{", 1);
    for (i = 0; i < n; i++) {
        if (i)
            buf_add(b, ",", 1);
        json_object *k = json_object_new_string(keys[i]);
        const char *ks = json_object_to_json_string_ext(k, JSON_C_TO_STRING_PLAIN);
        buf_add(b, ks, strlen(ks));
        json_object_put(k);
        buf_add(b, ":", 1);
        canon(b, json_object_object_get(v, keys[i]));
    }
    buf_add(b, "}", 1);
    free(keys);
}

static void canon(struct buf *b, json_object *v)
{
    if (json_object_is_type(v, json_type_object)) {
        canon_object(b, v);
    } else if (json_object_is_type(v, json_type_array)) {
        buf_add(b, "[", 1);
        for (size_t i = 0; i < json_object_array_length(v); i++) {
            if (i)
                buf_add(b, ",", 1);
            canon(b, json_object_array_get_idx(v, i));
        }
        buf_add(b, "]", 1);
    } else {
        const char *s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE);
        buf_add(b, s, strlen(s));
    }
}

char *idempotency_canonical_json(json_object *v)
{
    struct buf b = {0};
    canon(&b, v);
    return b.data;
}

void idempotency_request_hash(json_object *params, char out[SHA256_HEX_LEN + 1])
{
    char *text = idempotency_canonical_json(params);
    crypto_token_hash(text, out); /* hex SHA-256 */
    free(text);
}

/* Read the existing claim. *retry is set when it was expired or stale and has been released. */
static enum errkind read_claim(struct db *db, const char *user_id, const char *key,
                               const char *hash, enum idem_state *state, int *status, char **body,
                               bool *retry, struct err *e)
{
    struct db_result *r = NULL;
    int rc = db_exec(db,
                     "SELECT request_hash, state, response_status, response_body, "
                     "created_at < UTC_TIMESTAMP(3) - INTERVAL 24 HOUR OR (state = 'running' AND "
                     "updated_at < UTC_TIMESTAMP(3) - INTERVAL ? SECOND) "
                     "FROM idempotency_keys WHERE user_id = ? AND idem_key = ?",
                     DB_PARAMS(DBP_I(IDEM_STALE_SECONDS), DBP_S(user_id), DBP_S(key)), &r, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    *retry = r->rows == 0 || db_result_int(r, 0, 4, 0) == 1;
    if (!*retry) {
        if (strcmp(db_result_get(r, 0, 0), hash) != 0) {
            *state = IDEM_MISMATCH;
        } else if (strcmp(db_result_get(r, 0, 1), "done") == 0) {
            *state = IDEM_REPLAY;
            *status = (int)db_result_int(r, 0, 2, 200);
            *body = strdup(db_result_get(r, 0, 3) ? db_result_get(r, 0, 3) : "");
        } else {
            *state = IDEM_RUNNING;
        }
    }
    db_result_free(r);
    return E_OK;
}

enum errkind idempotency_begin(struct db *db, const char *user_id, const char *key,
                               const char *hash, enum idem_state *state, int *status, char **body,
                               struct err *e)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        int rc = db_exec(db,
                         "INSERT INTO idempotency_keys (user_id, idem_key, request_hash, state) "
                         "VALUES (?, ?, ?, 'running')",
                         DB_PARAMS(DBP_S(user_id), DBP_S(key), DBP_S(hash)), NULL, NULL);
        if (rc == DB_OK) {
            *state = IDEM_NEW;
            return E_OK;
        }
        if (rc != DB_DUPLICATE)
            return dberr_fail(db, rc, e);
        bool retry = false;
        if (read_claim(db, user_id, key, hash, state, status, body, &retry, e) != E_OK)
            return e->kind;
        if (!retry)
            return E_OK;
        /* Expired or abandoned: remove exactly that row (it may have been renewed meanwhile),
         * then compete for the key again. */
        rc = db_exec(db,
                     "DELETE FROM idempotency_keys WHERE user_id = ? AND idem_key = ? AND "
                     "(created_at < UTC_TIMESTAMP(3) - INTERVAL 24 HOUR OR (state = 'running' "
                     "AND updated_at < UTC_TIMESTAMP(3) - INTERVAL ? SECOND))",
                     DB_PARAMS(DBP_S(user_id), DBP_S(key), DBP_I(IDEM_STALE_SECONDS)), NULL, NULL);
        if (rc != DB_OK)
            return dberr_fail(db, rc, e);
    }
    *state = IDEM_RUNNING;
    return E_OK;
}

void idempotency_finish(struct db *db, const char *user_id, const char *key, int status,
                        const char *body, size_t len)
{
    int rc;
    if (status >= 500)
        rc = db_exec(db, "DELETE FROM idempotency_keys WHERE user_id = ? AND idem_key = ?",
                     DB_PARAMS(DBP_S(user_id), DBP_S(key)), NULL, NULL);
    else
        rc = db_exec(db,
                     "UPDATE idempotency_keys SET state = 'done', response_status = ?, "
                     "response_body = ? WHERE user_id = ? AND idem_key = ?",
                     DB_PARAMS(DBP_I(status), DBP_B(body, len), DBP_S(user_id), DBP_S(key)), NULL,
                     NULL);
    if (rc != DB_OK)
        log_error("idempotency key could not be finished: %s", db_last_error(db));
}
