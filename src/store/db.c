/*
 * db.c - the worker's one MySQL/MariaDB connection over libmysqlclient (MariaDB Connector/C).
 *
 * Why it is shaped like this:
 *  - Every statement is a server-side prepared statement cached by its SQL text in a small LRU
 *    hash table, so after its first use a statement costs one round trip, and values never
 *    travel inside SQL text.
 *  - Every result column is fetched as a string (MYSQL_TYPE_STRING); when the server reports
 *    truncation the buffer grows and the column is fetched again. DECIMAL money and DATETIME(3)
 *    therefore come back exactly as stored, never through a double.
 *  - A lost connection (server restart, idle timeout, network) is re-established on the next call.
 *    The statement that noticed the loss is retried once, but only outside a transaction: inside
 *    one, the server has already rolled the work back and only the caller can start over.
 *  - Timeouts keep a dead server from hanging a worker: connect 3 s, read and write 10 s, and
 *    InnoDB lock waits give up after 5 s, before the read timeout would cut the connection.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mysql.h>

#include "khedma/db.h"
#include "khedma/log.h"
#include "khedma/metrics.h"

#define CONNECT_TIMEOUT_S 3
#define IO_TIMEOUT_S 10
/* After a failed connect, calls fail fast for a while instead of each waiting up to the connect
 * timeout on a dead host; the pause doubles while the server stays down, up to a short maximum so
 * that a restarted server is found again within a couple of seconds. */
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 2000
#define STMT_BUCKETS 256 /* power of two */
/* Bounded so that many workers stay far below the server's max_prepared_stmt_count (16382). */
#define STMT_CACHE_MAX 256
#define COL_BUF_INITIAL 128
#define SQL_LOG_MAX 160

/* Server and client error numbers this module reacts to. */
enum {
    ER_DUP_KEY_ = 1022,
    ER_DUP_ENTRY_ = 1062,
    ER_DUP_ENTRY_WITH_KEY_NAME_ = 1586,
    ER_SERVER_SHUTDOWN_ = 1053,
    ER_LOCK_WAIT_TIMEOUT_ = 1205,
    ER_LOCK_DEADLOCK_ = 1213,
    ER_UNKNOWN_STMT_HANDLER_ = 1243,
    ER_ROW_IS_REFERENCED_ = 1217,
    ER_NO_REFERENCED_ROW_ = 1216,
    ER_ROW_IS_REFERENCED_2_ = 1451,
    ER_NO_REFERENCED_ROW_2_ = 1452,
    ER_MAX_PREPARED_STMT_COUNT_REACHED_ = 1461,
    ER_NEED_REPREPARE_ = 1615,
    ER_CONNECTION_KILLED_ = 1927,          /* MariaDB: KILL CONNECTION, server shutdown */
    ER_CLIENT_INTERACTION_TIMEOUT_ = 4031, /* MySQL 8: closed after wait_timeout */
    CR_CONNECTION_ERROR_ = 2002,
    CR_CONN_HOST_ERROR_ = 2003,
    CR_SERVER_GONE_ERROR_ = 2006,
    CR_SERVER_LOST_ = 2013,
    CR_SERVER_LOST_EXTENDED_ = 2055,
};

/* Internal status: the cached statement no longer exists on the server; prepare it again. */
#define DB_STALE (-100)

/* my_bool in MariaDB Connector/C, bool in MySQL 8: whatever MYSQL_BIND points at. */
typedef __typeof__(*((MYSQL_BIND *)NULL)->is_null) bind_flag;

struct stmt_entry {
    char *sql;
    uint64_t hash;
    MYSQL_STMT *stmt;
    struct stmt_entry *chain;         /* next in the same bucket */
    struct stmt_entry *newer, *older; /* LRU list */
};

struct db {
    MYSQL *conn; /* NULL while disconnected */
    struct db_url url;
    bool in_tx;
    int tx_failed; /* DB_OK, or the status that already ended the open transaction */
    bool held;
    long long connect_after_ms; /* no connect attempt before this (monotonic ms) */
    long long backoff_ms;       /* current pause after a failed attempt; 0 after a success */
    struct stmt_entry *buckets[STMT_BUCKETS];
    struct stmt_entry *newest, *oldest;
    size_t cached;
    unsigned long round_trips;
    bool ever_connected; /* a later connection is a reconnect (counted in the metrics) */
    char err[512];
};

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_err(struct db *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(struct db *db, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(db->err, sizeof(db->err), fmt, ap);
    va_end(ap);
}

/* ---- statement cache -------------------------------------------------------------------- */

static uint64_t sql_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static void lru_unlink(struct db *db, struct stmt_entry *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        db->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        db->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void lru_push(struct db *db, struct stmt_entry *e)
{
    e->older = db->newest;
    e->newer = NULL;
    if (db->newest)
        db->newest->newer = e;
    db->newest = e;
    if (!db->oldest)
        db->oldest = e;
}

static struct stmt_entry *cache_find(struct db *db, const char *sql, uint64_t h)
{
    for (struct stmt_entry *e = db->buckets[h & (STMT_BUCKETS - 1)]; e; e = e->chain)
        if (e->hash == h && strcmp(e->sql, sql) == 0)
            return e;
    return NULL;
}

static void cache_remove(struct db *db, struct stmt_entry *e)
{
    struct stmt_entry **pp = &db->buckets[e->hash & (STMT_BUCKETS - 1)];
    while (*pp != e)
        pp = &(*pp)->chain;
    *pp = e->chain;
    lru_unlink(db, e);
    mysql_stmt_close(e->stmt);
    free(e->sql);
    free(e);
    db->cached--;
}

/* After mysql_close() the handles are detached from the connection, so closing them here frees
 * memory without touching the network. */
static void cache_clear(struct db *db)
{
    while (db->newest)
        cache_remove(db, db->newest);
}

static int cache_insert(struct db *db, const char *sql, uint64_t h, MYSQL_STMT *st)
{
    struct stmt_entry *e = calloc(1, sizeof(*e));
    if (!e || !(e->sql = strdup(sql))) {
        free(e);
        return -1;
    }
    if (db->cached >= STMT_CACHE_MAX)
        cache_remove(db, db->oldest);
    e->hash = h;
    e->stmt = st;
    e->chain = db->buckets[h & (STMT_BUCKETS - 1)];
    db->buckets[h & (STMT_BUCKETS - 1)] = e;
    lru_push(db, e);
    db->cached++;
    return 0;
}

/* ---- connection ------------------------------------------------------------------------- */

static bool is_connection_loss(unsigned int code)
{
    switch (code) {
    case CR_CONNECTION_ERROR_:
    case CR_CONN_HOST_ERROR_:
    case CR_SERVER_GONE_ERROR_:
    case CR_SERVER_LOST_:
    case CR_SERVER_LOST_EXTENDED_:
    case ER_SERVER_SHUTDOWN_:
    case ER_CONNECTION_KILLED_:
    case ER_CLIENT_INTERACTION_TIMEOUT_:
        return true;
    default:
        return false;
    }
}

static int classify(unsigned int code)
{
    switch (code) {
    case ER_DUP_KEY_:
    case ER_DUP_ENTRY_:
    case ER_DUP_ENTRY_WITH_KEY_NAME_:
        return DB_DUPLICATE;
    case ER_LOCK_DEADLOCK_:
    case ER_LOCK_WAIT_TIMEOUT_:
        return DB_DEADLOCK;
    case ER_ROW_IS_REFERENCED_:
    case ER_NO_REFERENCED_ROW_:
    case ER_ROW_IS_REFERENCED_2_:
    case ER_NO_REFERENCED_ROW_2_:
        return DB_FOREIGN_KEY;
    case ER_UNKNOWN_STMT_HANDLER_:
    case ER_NEED_REPREPARE_:
        return DB_STALE;
    default:
        return is_connection_loss(code) ? DB_DOWN : DB_ERR;
    }
}

bool db_status_transient(int status)
{
    return status == DB_DEADLOCK || status == DB_DOWN;
}

int db_status_of_errno(unsigned int code)
{
    int rc = classify(code);
    return rc == DB_STALE ? DB_ERR : rc;
}

bool db_errno_transient(unsigned int code)
{
    return db_status_transient(db_status_of_errno(code));
}

/* Forget the connection and every statement prepared on it. A transaction open on it is over
 * (the server rolls it back), which later calls must learn about. */
static void drop_connection(struct db *db)
{
    if (db->conn) {
        mysql_close(db->conn);
        db->conn = NULL;
    }
    cache_clear(db);
    if (db->in_tx && db->tx_failed == DB_OK)
        db->tx_failed = DB_DOWN;
}

/* Record a server or client error, log it at a level fitting its class, and return the class.
 * sql may be NULL. A connection loss drops the connection. */
static int fail(struct db *db, unsigned int code, const char *state, const char *msg,
                const char *sql)
{
    int rc = classify(code);
    set_err(db, "%u (%s): %s", code, state ? state : "?????", msg ? msg : "");
    const char *q = sql ? sql : "";
    if (rc == DB_DOWN) {
        log_warn("db: connection lost: %s", db->err);
        metrics_note_db_error(METRICS_DB_DOWN);
        drop_connection(db);
    } else if (rc == DB_DEADLOCK) {
        log_warn("db: %s [%.*s]", db->err, SQL_LOG_MAX, q);
        metrics_note_db_error(METRICS_DB_DEADLOCK);
        if (db->in_tx)
            db->tx_failed = DB_DEADLOCK;
    } else if (rc == DB_ERR) {
        log_error("db: %s [%.*s]", db->err, SQL_LOG_MAX, q);
        metrics_note_db_error(METRICS_DB_ERROR);
    } else {
        log_debug("db: %s [%.*s]", db->err, SQL_LOG_MAX, q);
    }
    return rc;
}

static int conn_fail(struct db *db, const char *sql)
{
    return fail(db, mysql_errno(db->conn), mysql_sqlstate(db->conn), mysql_error(db->conn), sql);
}

static void set_options(MYSQL *m, const struct db_url *u)
{
    unsigned int connect_timeout = CONNECT_TIMEOUT_S, io_timeout = IO_TIMEOUT_S, off = 0;
    bind_flag report = 1;
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
    mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
    mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
    mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_options(m, MYSQL_REPORT_DATA_TRUNCATION, &report);
    /* Nothing here ever loads client files; refuse LOAD DATA LOCAL outright. */
    mysql_options(m, MYSQL_OPT_LOCAL_INFILE, &off);
    /* "localhost" means the default unix socket to libmysqlclient; an explicit port means TCP. */
    unsigned int proto = 0;
    if (u->socket)
        proto = MYSQL_PROTOCOL_SOCKET;
    else if (u->port)
        proto = MYSQL_PROTOCOL_TCP;
    if (proto)
        mysql_options(m, MYSQL_OPT_PROTOCOL, &proto);
}

/* Strict mode turns silent truncation or zero dates into errors. ONLY_FULL_GROUP_BY is left out:
 * MariaDB applies it without functional-dependency detection and would reject valid joins. */
static const char *const session_sql[] = {
    "SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci, time_zone = '+00:00', autocommit = 1, "
    "sql_mode = 'STRICT_ALL_TABLES,STRICT_TRANS_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,"
    "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION', innodb_lock_wait_timeout = 5",
    "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
};

static int session_setup(struct db *db)
{
    for (size_t i = 0; i < sizeof(session_sql) / sizeof(session_sql[0]); i++) {
        db->round_trips++;
        if (mysql_real_query(db->conn, session_sql[i], strlen(session_sql[i])) != 0) {
            int rc = conn_fail(db, session_sql[i]);
            drop_connection(db);
            return rc == DB_DOWN ? DB_DOWN : DB_ERR;
        }
    }
    return DB_OK;
}

static void connect_failed(struct db *db)
{
    db->backoff_ms = db->backoff_ms ? db->backoff_ms * 2 : BACKOFF_MIN_MS;
    if (db->backoff_ms > BACKOFF_MAX_MS)
        db->backoff_ms = BACKOFF_MAX_MS;
    /* Counted from the end of the attempt, which may itself have taken the connect timeout. */
    db->connect_after_ms = mono_ms() + db->backoff_ms;
}

static int db_connect(struct db *db)
{
    if (mono_ms() < db->connect_after_ms) {
        set_err(db, "database unreachable (next attempt shortly)");
        return DB_DOWN;
    }
    drop_connection(db);
    MYSQL *m = mysql_init(NULL);
    if (!m) {
        set_err(db, "out of memory");
        return DB_ERR;
    }
    set_options(m, &db->url);
    const struct db_url *u = &db->url;
    const char *host = u->socket ? "localhost" : u->host;
    if (!mysql_real_connect(m, host, u->user, u->password, u->database, u->port, u->socket,
                            CLIENT_FOUND_ROWS)) {
        set_err(db, "connect: %u: %s", mysql_errno(m), mysql_error(m));
        log_error("db: %s", db->err);
        metrics_note_db_error(METRICS_DB_DOWN);
        mysql_close(m);
        connect_failed(db);
        return DB_DOWN;
    }
    db->conn = m;
    db->round_trips++;
    if (db->ever_connected)
        metrics_note_db_reconnect();
    db->ever_connected = true;
    int rc = session_setup(db);
    if (rc != DB_OK)
        connect_failed(db);
    else
        db->backoff_ms = 0;
    return rc;
}

/* Inside a transaction or a held session a new connection would silently drop the state the
 * caller relies on, so only a fresh call outside both may reconnect. */
static bool may_reconnect(const struct db *db)
{
    return !db->in_tx && !db->held;
}

static int ensure_connected(struct db *db)
{
    if (db->conn)
        return DB_OK;
    if (!may_reconnect(db)) {
        set_err(db, "connection lost while %s", db->in_tx ? "in a transaction" : "held");
        return DB_DOWN;
    }
    return db_connect(db);
}

static char *dup_or_null(const char *s, bool *oom)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *oom = true;
    return d;
}

struct db *db_open_lazy(const struct db_url *url)
{
    struct db *db = calloc(1, sizeof(*db));
    if (!db)
        return NULL;
    bool oom = false;
    db->url.user = dup_or_null(url->user, &oom);
    db->url.password = dup_or_null(url->password, &oom);
    db->url.host = dup_or_null(url->host, &oom);
    db->url.database = dup_or_null(url->database, &oom);
    db->url.socket = dup_or_null(url->socket, &oom);
    db->url.port = url->port;
    db->tx_failed = DB_OK;
    if (oom) {
        db_close(db);
        return NULL;
    }
    return db;
}

struct db *db_open(const struct db_url *url)
{
    struct db *db = db_open_lazy(url);
    if (!db)
        return NULL;
    /* A server that is down now is not an error: the first query connects. */
    if (db_connect(db) == DB_OK)
        log_debug("db: connected");
    return db;
}

void db_close(struct db *db)
{
    if (!db)
        return;
    db->in_tx = false;
    drop_connection(db);
    free(db->url.user);
    if (db->url.password) {
        /* Best effort so the password does not linger in freed heap memory. */
        volatile char *p = db->url.password;
        while (*p)
            *p++ = 0;
    }
    free(db->url.password);
    free(db->url.host);
    free(db->url.database);
    free(db->url.socket);
    free(db);
}

int db_ping(struct db *db)
{
    if (db->conn) {
        db->round_trips++;
        if (mysql_ping(db->conn) == 0)
            return DB_OK;
        if (conn_fail(db, "(ping)") != DB_DOWN)
            return DB_DOWN;
    }
    if (!may_reconnect(db))
        return DB_DOWN;
    return db_connect(db) == DB_OK ? DB_OK : DB_DOWN;
}

/* ---- prepared statements ---------------------------------------------------------------- */

static int stmt_fail(struct db *db, MYSQL_STMT *st, const char *sql)
{
    return fail(db, mysql_stmt_errno(st), mysql_stmt_sqlstate(st), mysql_stmt_error(st), sql);
}

/* Prepare on the server; when its statement limit is reached, close ours and try once more. */
static int stmt_prepare(struct db *db, const char *sql, MYSQL_STMT **out)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        MYSQL_STMT *st = mysql_stmt_init(db->conn);
        if (!st) {
            set_err(db, "out of memory");
            return DB_ERR;
        }
        db->round_trips++;
        if (mysql_stmt_prepare(st, sql, strlen(sql)) == 0) {
            *out = st;
            return DB_OK;
        }
        unsigned int code = mysql_stmt_errno(st);
        int rc = stmt_fail(db, st, sql);
        mysql_stmt_close(st);
        if (code != ER_MAX_PREPARED_STMT_COUNT_REACHED_ || !db->conn)
            return rc == DB_STALE ? DB_ERR : rc;
        cache_clear(db);
    }
    return DB_ERR;
}

static int stmt_get(struct db *db, const char *sql, MYSQL_STMT **out)
{
    uint64_t h = sql_hash(sql);
    struct stmt_entry *e = cache_find(db, sql, h);
    if (e) {
        lru_unlink(db, e);
        lru_push(db, e);
        *out = e->stmt;
        return DB_OK;
    }
    int rc = stmt_prepare(db, sql, out);
    if (rc != DB_OK)
        return rc;
    if (cache_insert(db, sql, h, *out) != 0) {
        mysql_stmt_close(*out);
        set_err(db, "out of memory");
        return DB_ERR;
    }
    return DB_OK;
}

static void stmt_forget(struct db *db, const char *sql)
{
    struct stmt_entry *e = cache_find(db, sql, sql_hash(sql));
    if (e)
        cache_remove(db, e);
}

/* Bytes the parameters' values need in a bind buffer (see bind_params). */
static size_t params_size(const struct db_param *p, size_t n)
{
    size_t size = n * sizeof(long long);
    for (size_t i = 0; i < n; i++) {
        if (p[i].type == DBP_STR)
            size += strlen(p[i].s);
        else if (p[i].type == DBP_BLOB)
            size += p[i].len;
    }
    return size;
}

/* Point b at a copy of p's value in *room (advanced past it): MYSQL_BIND's buffer is not const,
 * so the caller's values are copied into memory of the statement's own rather than cast. */
static void bind_one(MYSQL_BIND *b, const struct db_param *p, long long *num, char **room)
{
    size_t len = p->type == DBP_STR ? strlen(p->s) : p->len;
    switch (p->type) {
    case DBP_STR:
    case DBP_BLOB:
        b->buffer_type = p->type == DBP_STR ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
        if (len > 0)
            memcpy(*room, p->s, len);
        b->buffer = *room;
        b->buffer_length = len;
        *room += len;
        break;
    case DBP_INT:
        *num = p->i;
        b->buffer_type = MYSQL_TYPE_LONGLONG;
        b->buffer = num;
        break;
    default:
        b->buffer_type = MYSQL_TYPE_NULL;
        break;
    }
}

/* Bind p to st. *values receives the copies of the values the statement reads when it is
 * executed (libmysqlclient keeps its own copy of the bind array, not of the values): the caller
 * frees it after mysql_stmt_execute. */
static int bind_params(struct db *db, MYSQL_STMT *st, const char *sql, const struct db_param *p,
                       size_t n, void **values)
{
    *values = NULL;
    if (mysql_stmt_param_count(st) != n) {
        set_err(db, "statement has %lu parameters, %zu given", mysql_stmt_param_count(st), n);
        log_error("db: %s [%.*s]", db->err, SQL_LOG_MAX, sql);
        return DB_ERR;
    }
    if (n == 0)
        return DB_OK;
    MYSQL_BIND *b = calloc(n, sizeof(*b));
    long long *nums = malloc(params_size(p, n) + 1);
    if (!b || !nums) {
        free(b);
        free(nums);
        set_err(db, "out of memory");
        return DB_ERR;
    }
    char *room = (char *)(nums + n);
    for (size_t i = 0; i < n; i++)
        bind_one(&b[i], &p[i], &nums[i], &room);
    int rc = mysql_stmt_bind_param(st, b) ? stmt_fail(db, st, sql) : DB_OK;
    free(b);
    if (rc == DB_OK)
        *values = nums;
    else
        free(nums);
    return rc;
}

/* ---- results ---------------------------------------------------------------------------- */

struct colbuf {
    char *buf;
    unsigned long cap;
    unsigned long len;
    bind_flag is_null;
    bind_flag truncated;
};

static struct db_result *result_new(MYSQL_RES *meta)
{
    struct db_result *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->cols = mysql_num_fields(meta);
    r->names = calloc(r->cols ? r->cols : 1, sizeof(char *));
    if (!r->names) {
        free(r);
        return NULL;
    }
    MYSQL_FIELD *f = mysql_fetch_fields(meta);
    for (size_t i = 0; i < r->cols; i++) {
        if (!(r->names[i] = strdup(f[i].name))) {
            db_result_free(r);
            return NULL;
        }
    }
    return r;
}

static int result_add_row(struct db_result *r, size_t *cap_rows, const struct colbuf *cb)
{
    if (r->rows == *cap_rows) {
        size_t cap = *cap_rows ? *cap_rows * 2 : 16;
        char **cells = realloc(r->cells, cap * r->cols * sizeof(char *));
        if (!cells)
            return -1;
        r->cells = cells;
        size_t *lengths = realloc(r->lengths, cap * r->cols * sizeof(size_t));
        if (!lengths)
            return -1;
        r->lengths = lengths;
        *cap_rows = cap;
    }
    size_t base = r->rows * r->cols;
    for (size_t i = 0; i < r->cols; i++) {
        r->cells[base + i] = NULL;
        r->lengths[base + i] = 0;
    }
    r->rows++; /* counted now so that db_result_free releases a partly copied row */
    for (size_t i = 0; i < r->cols; i++) {
        if (cb[i].is_null)
            continue;
        char *v = malloc(cb[i].len + 1);
        if (!v)
            return -1;
        memcpy(v, cb[i].buf, cb[i].len);
        v[cb[i].len] = '\0';
        r->cells[base + i] = v;
        r->lengths[base + i] = cb[i].len;
    }
    return 0;
}

/* A value longer than its buffer: grow the buffer, fetch that column again, and rebind so the
 * larger buffer serves the following rows too. */
static int refetch_truncated(MYSQL_STMT *st, MYSQL_BIND *b, struct colbuf *cb, size_t cols)
{
    for (size_t i = 0; i < cols; i++) {
        if (!cb[i].truncated || cb[i].len < cb[i].cap)
            continue;
        char *nb = realloc(cb[i].buf, cb[i].len + 1);
        if (!nb)
            return -1;
        cb[i].buf = nb;
        cb[i].cap = cb[i].len + 1;
        b[i].buffer = nb;
        b[i].buffer_length = cb[i].cap;
        if (mysql_stmt_fetch_column(st, &b[i], (unsigned int)i, 0) != 0)
            return -1;
    }
    return mysql_stmt_bind_result(st, b) ? -1 : 0;
}

static int bind_columns(MYSQL_STMT *st, MYSQL_BIND *b, struct colbuf *cb, size_t cols)
{
    for (size_t i = 0; i < cols; i++) {
        if (!(cb[i].buf = malloc(COL_BUF_INITIAL)))
            return -1;
        cb[i].cap = COL_BUF_INITIAL;
        b[i].buffer_type = MYSQL_TYPE_STRING;
        b[i].buffer = cb[i].buf;
        b[i].buffer_length = cb[i].cap;
        b[i].length = &cb[i].len;
        b[i].is_null = &cb[i].is_null;
        b[i].error = &cb[i].truncated;
    }
    return mysql_stmt_bind_result(st, b) ? -1 : 0;
}

/* Copy every row of the (already stored) result into r. */
static int fetch_rows(struct db *db, MYSQL_STMT *st, struct db_result *r, const char *sql)
{
    size_t cols = r->cols, cap_rows = 0;
    MYSQL_BIND *b = calloc(cols, sizeof(*b));
    struct colbuf *cb = calloc(cols, sizeof(*cb));
    int rc = (b && cb && bind_columns(st, b, cb, cols) == 0) ? DB_OK : DB_ERR;
    while (rc == DB_OK) {
        int f = mysql_stmt_fetch(st);
        if (f == MYSQL_NO_DATA)
            break;
        if (f == 1)
            rc = stmt_fail(db, st, sql);
        else if (f == MYSQL_DATA_TRUNCATED && refetch_truncated(st, b, cb, cols) != 0)
            rc = DB_ERR;
        else if (result_add_row(r, &cap_rows, cb) != 0)
            rc = DB_ERR;
    }
    if (rc == DB_ERR && !db->err[0])
        set_err(db, "out of memory while reading a result");
    for (size_t i = 0; cb && i < cols; i++)
        free(cb[i].buf);
    free(cb);
    free(b);
    return rc;
}

static int read_result(struct db *db, MYSQL_STMT *st, const char *sql, struct db_result **out,
                       unsigned long long *affected)
{
    db->err[0] = '\0';
    if (mysql_stmt_store_result(st) != 0)
        return stmt_fail(db, st, sql);
    if (affected)
        *affected = mysql_stmt_num_rows(st);
    int rc = DB_OK;
    if (out) {
        MYSQL_RES *meta = mysql_stmt_result_metadata(st);
        struct db_result *r = meta ? result_new(meta) : NULL;
        if (meta)
            mysql_free_result(meta);
        rc = r ? fetch_rows(db, st, r, sql) : DB_ERR;
        if (rc == DB_OK) {
            *out = r;
        } else {
            db_result_free(r);
            if (!db->err[0])
                set_err(db, "out of memory while reading a result");
        }
    }
    /* The connection may have been dropped by a failure above, freeing st with it. */
    if (db->conn && rc != DB_DOWN)
        mysql_stmt_free_result(st);
    return rc;
}

static struct db_result *empty_result(void)
{
    struct db_result *r = calloc(1, sizeof(*r));
    if (r && !(r->names = calloc(1, sizeof(char *)))) {
        free(r);
        r = NULL;
    }
    return r;
}

static int exec_once(struct db *db, const char *sql, const struct db_param *p, size_t n,
                     struct db_result **out, unsigned long long *affected)
{
    MYSQL_STMT *st = NULL;
    void *values = NULL;
    int rc = stmt_get(db, sql, &st);
    if (rc == DB_OK)
        rc = bind_params(db, st, sql, p, n, &values);
    if (rc != DB_OK)
        return rc;
    db->round_trips++;
    rc = mysql_stmt_execute(st);
    free(values); /* the values went out with the execute packet */
    if (rc != 0)
        return stmt_fail(db, st, sql);
    if (mysql_stmt_field_count(st) > 0)
        return read_result(db, st, sql, out, affected);
    if (affected)
        *affected = mysql_stmt_affected_rows(st);
    if (out && !(*out = empty_result())) {
        set_err(db, "out of memory");
        return DB_ERR;
    }
    return DB_OK;
}

int db_exec(struct db *db, const char *sql, const struct db_param *params, size_t nparams,
            struct db_result **out, unsigned long long *affected)
{
    if (out)
        *out = NULL;
    if (affected)
        *affected = 0;
    if (db->in_tx && db->tx_failed != DB_OK) {
        set_err(db, "the transaction has already failed; roll it back");
        return db->tx_failed;
    }
    int rc = ensure_connected(db);
    if (rc != DB_OK)
        return rc;
    rc = exec_once(db, sql, params, nparams, out, affected);
    if (rc == DB_STALE) {
        /* The server forgot the statement (nothing ran): prepare it afresh. */
        stmt_forget(db, sql);
        rc = exec_once(db, sql, params, nparams, out, affected);
    } else if (rc == DB_DOWN && !db->conn && may_reconnect(db)) {
        log_info("db: reconnecting to retry a statement once");
        if (db_connect(db) == DB_OK)
            rc = exec_once(db, sql, params, nparams, out, affected);
    }
    return rc == DB_STALE ? DB_ERR : rc;
}

/* ---- plain queries: scripts and transaction control ------------------------------------- */

static int run_query(struct db *db, const char *sql, size_t len)
{
    db->round_trips++;
    if (mysql_real_query(db->conn, sql, len) != 0)
        return conn_fail(db, sql);
    if (mysql_field_count(db->conn) > 0) {
        MYSQL_RES *res = mysql_store_result(db->conn);
        if (!res)
            return conn_fail(db, sql);
        mysql_free_result(res);
    }
    return DB_OK;
}

static bool is_comment_line(const char *s, size_t len)
{
    while (len > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    return len >= 2 && s[0] == '-' && s[1] == '-' && (len == 2 || s[2] == ' ' || s[2] == '\t');
}

static size_t rtrim_len(const char *s, size_t len)
{
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
        len--;
    return len;
}

struct sqlbuf {
    char *s;
    size_t len, cap;
};

static int sqlbuf_add(struct sqlbuf *b, const char *s, size_t len)
{
    if (b->len + len + 2 > b->cap) {
        size_t cap = (b->len + len + 2) * 2;
        char *ns = realloc(b->s, cap);
        if (!ns)
            return -1;
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, len);
    b->len += len;
    b->s[b->len++] = '\n';
    b->s[b->len] = '\0';
    return 0;
}

/* A statement ends with ';' at the end of a line; '-- ' comment lines and blank lines between
 * statements are skipped. Each statement is sent as plain text: DDL, no parameters. */
int db_exec_script(struct db *db, const char *script)
{
    int rc = ensure_connected(db);
    struct sqlbuf b = {0};
    for (const char *p = script; rc == DB_OK && *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        const char *line = p;
        p += len + (eol ? 1 : 0);
        len = rtrim_len(line, len);
        if (is_comment_line(line, len) || (len == 0 && b.len == 0))
            continue;
        bool last = len > 0 && line[len - 1] == ';';
        if (sqlbuf_add(&b, line, last ? len - 1 : len) != 0) {
            set_err(db, "out of memory");
            rc = DB_ERR;
        } else if (last) {
            rc = run_query(db, b.s, b.len);
            b.len = 0;
        }
    }
    /* A final statement without its ';' still runs, unless it is only whitespace. */
    if (rc == DB_OK && b.len > 0 && b.s[strspn(b.s, " \t\r\n")] != '\0')
        rc = run_query(db, b.s, b.len);
    free(b.s);
    return rc;
}

int db_begin(struct db *db)
{
    if (db->in_tx) {
        /* A second START TRANSACTION would silently commit the first. */
        set_err(db, "db_begin inside a transaction");
        log_error("db: %s", db->err);
        return DB_ERR;
    }
    static const char sql[] = "START TRANSACTION";
    int rc = ensure_connected(db);
    if (rc == DB_OK)
        rc = run_query(db, sql, sizeof(sql) - 1);
    if (rc == DB_DOWN && !db->conn && may_reconnect(db) && db_connect(db) == DB_OK)
        rc = run_query(db, sql, sizeof(sql) - 1);
    if (rc == DB_OK) {
        db->in_tx = true;
        db->tx_failed = DB_OK;
    }
    return rc;
}

int db_commit(struct db *db)
{
    if (!db->in_tx) {
        set_err(db, "db_commit outside a transaction");
        log_error("db: %s", db->err);
        return DB_ERR;
    }
    int failed = db->tx_failed;
    if (failed != DB_OK) {
        db_rollback(db);
        return failed;
    }
    static const char commit[] = "COMMIT", rollback[] = "ROLLBACK";
    int rc = run_query(db, commit, sizeof(commit) - 1);
    db->in_tx = false;
    db->tx_failed = DB_OK;
    /* A COMMIT refused on a live connection must not leave the transaction open. */
    if (rc != DB_OK && db->conn)
        run_query(db, rollback, sizeof(rollback) - 1);
    return rc;
}

int db_rollback(struct db *db)
{
    if (!db->in_tx)
        return DB_OK;
    db->in_tx = false;
    db->tx_failed = DB_OK;
    /* Without a connection the server has already rolled back: that is success here. */
    if (!db->conn)
        return DB_OK;
    static const char sql[] = "ROLLBACK";
    int rc = run_query(db, sql, sizeof(sql) - 1);
    return rc == DB_DOWN ? DB_OK : rc;
}

bool db_in_transaction(const struct db *db)
{
    return db->in_tx;
}

void db_hold_session(struct db *db, bool hold)
{
    db->held = hold;
}

const char *db_last_error(const struct db *db)
{
    return db->err;
}

unsigned long db_round_trips(const struct db *db)
{
    return db->round_trips;
}

/* ---- result access ---------------------------------------------------------------------- */

const char *db_result_get(const struct db_result *r, size_t row, size_t col)
{
    if (!r || row >= r->rows || col >= r->cols)
        return NULL;
    return r->cells[row * r->cols + col];
}

const char *db_result_by_name(const struct db_result *r, size_t row, const char *name)
{
    if (!r)
        return NULL;
    for (size_t i = 0; i < r->cols; i++)
        if (strcasecmp(r->names[i], name) == 0)
            return db_result_get(r, row, i);
    return NULL;
}

long long db_result_int(const struct db_result *r, size_t row, size_t col, long long dflt)
{
    const char *v = db_result_get(r, row, col);
    if (!v || !*v)
        return dflt;
    char *end;
    long long n = strtoll(v, &end, 10);
    return *end == '\0' ? n : dflt;
}

void db_result_free(struct db_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; r->cells && i < r->rows * r->cols; i++)
        free(r->cells[i]);
    for (size_t i = 0; r->names && i < r->cols; i++)
        free(r->names[i]);
    free(r->cells);
    free(r->lengths);
    free(r->names);
    free(r);
}
