/*
 * db.h - the worker's MySQL/MariaDB connection: reconnect after loss, prepared statements cached by
 * SQL text and reused across requests, every value passed as a parameter, results as strings
 * (DECIMAL money and DATETIME(3) stay exact), a transaction helper.
 */
#ifndef KHEDMA_DB_H
#define KHEDMA_DB_H

#include <stdbool.h>
#include <stddef.h>
#include "khedma/config.h"

struct db;

enum db_ptype { DBP_NULL, DBP_STR, DBP_INT, DBP_BLOB };

struct db_param {
    enum db_ptype type;
    const char *s; /* DBP_STR (NUL-terminated) / DBP_BLOB */
    size_t len;    /* DBP_BLOB */
    long long i;   /* DBP_INT */
};

/* A function rather than a macro testing (x): -Waddress rejects that test for char arrays. */
static inline struct db_param dbp_str(const char *s)
{
    struct db_param p = {.type = s ? DBP_STR : DBP_NULL, .s = s};
    return p;
}
#define DBP_S(x) dbp_str(x)
#define DBP_I(x) ((struct db_param){.type = DBP_INT, .i = (x)})
#define DBP_B(x, n) ((struct db_param){.type = DBP_BLOB, .s = (x), .len = (n)})
#define DBP_NUL ((struct db_param){.type = DBP_NULL})

/* A fully buffered result: rows x cols cells, NULL for SQL NULL. */
struct db_result {
    size_t rows, cols;
    char **cells;    /* rows * cols, row-major */
    size_t *lengths; /* byte lengths of cells */
    char **names;    /* column names (labels) */
};

/* Failure classes callers care about. */
enum db_status {
    DB_OK = 0,
    DB_ERR = -1,         /* any other error (logged, message kept for logs only) */
    DB_DOWN = -2,        /* could not reach the server (maps to 503) */
    DB_DUPLICATE = -3,   /* unique key violation (ER_DUP_ENTRY 1062) */
    DB_DEADLOCK = -4,    /* deadlock or lock wait timeout: the transaction may be run again
                          * from its BEGIN (dberr.h, dberr_tx_retry) */
    DB_FOREIGN_KEY = -5, /* foreign key violation: row still referenced (1451) or parent
                          * missing (1452); e.g. deleting a gig that has orders */
};

/* True for the statuses a new attempt of the whole transaction may cure: DB_DEADLOCK and
 * DB_DOWN. */
bool db_status_transient(int status);
/* The status a server or client error number is reported as (1213 and 1205 DB_DEADLOCK, 2006
 * and 2013 DB_DOWN, 1062 DB_DUPLICATE, ...); DB_ERR for numbers with no class of their own. */
int db_status_of_errno(unsigned int code);
/* Is a failure with this error number worth running the transaction again? */
bool db_errno_transient(unsigned int code);

/* Connect (or not yet: a down server is allowed; queries reconnect). Returns NULL only when out of
 * memory. Session: utf8mb4, time_zone '+00:00', READ COMMITTED. */
struct db *db_open(const struct db_url *url);
/* The same without connecting: the first query connects (a CGI request that needs no database
 * never opens a connection). */
struct db *db_open_lazy(const struct db_url *url);
void db_close(struct db *db);
/* Ping, reconnecting if needed. DB_OK or DB_DOWN. */
int db_ping(struct db *db);

/* Run a statement. out may be NULL for statements without a result set. affected (optional) gets
 * the affected-row count. Returns a db_status. The statement is prepared once per connection.
 * Affected rows count rows *matched* (CLIENT_FOUND_ROWS), so an UPDATE that finds its row but
 * changes nothing still reports 1; for a SELECT it is the number of rows returned.
 * Inside a transaction, after DB_DOWN or DB_DEADLOCK every further call returns the same status
 * without reaching the server until db_rollback(): the server has already rolled back. Outside a
 * transaction, a statement that failed because the connection was lost is retried once on a new
 * connection. */
int db_exec(struct db *db, const char *sql, const struct db_param *params, size_t nparams,
            struct db_result **out, unsigned long long *affected);
/* Run a SQL script of several statements separated by ';' at line ends (migrations only; no
 * parameters). */
int db_exec_script(struct db *db, const char *script);

int db_begin(struct db *db);
int db_commit(struct db *db);
int db_rollback(struct db *db);
bool db_in_transaction(const struct db *db);
/* While held, the session carries state a reconnect would lose (a GET_LOCK named lock): a lost
 * connection is then reported as DB_DOWN and neither re-established nor retried until released. */
void db_hold_session(struct db *db, bool hold);
/* Text of the last error, for logs only (never for clients). */
const char *db_last_error(const struct db *db);
/* Number of statements executed since open (benchmarks count round trips with it). */
unsigned long db_round_trips(const struct db *db);

const char *db_result_get(const struct db_result *r, size_t row, size_t col);
/* By column name; NULL if absent or SQL NULL. */
const char *db_result_by_name(const struct db_result *r, size_t row, const char *name);
long long db_result_int(const struct db_result *r, size_t row, size_t col, long long dflt);
void db_result_free(struct db_result *r);

/* Convenience: number of statements; convenient wrappers for counting params. */
#define DB_PARAMS(...)                                                                             \
    ((const struct db_param[]){__VA_ARGS__}),                                                      \
        (sizeof((const struct db_param[]){__VA_ARGS__}) / sizeof(struct db_param))

#endif
