/*
 * log.c - one-line JSON logs. Each line is assembled in a fixed buffer and handed to write(2)
 * once: with every process of the pool sharing stderr, a single write of at most PIPE_BUF bytes
 * is what keeps lines from different processes from interleaving (stdio buffering would split
 * them at arbitrary points). Strings are escaped so that any message, even one carrying invalid
 * UTF-8 from a client, still yields a line that parses as JSON.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "khedma/log.h"
#include "khedma/timeutil.h"
#include "khedma/utf8.h"

#define PROC_MAX 32
#define RID_MAX 64
#define ELLIPSIS "..."
/* Room kept for the closing "}\n", plus an empty string should a field find no space. */
#define TAIL_ROOM 4

static char proc_kind[PROC_MAX + 1] = "khedmad";
static char request_id[RID_MAX + 1];
static enum log_level min_level = LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

struct line {
    char buf[LOG_LINE_MAX];
    size_t len;
};

void log_init(const char *process_kind)
{
    snprintf(proc_kind, sizeof proc_kind, "%s", process_kind ? process_kind : "khedmad");
}

void log_set_level(enum log_level level)
{
    min_level = level;
}

bool log_level_from_name(const char *name, enum log_level *out)
{
    for (int i = LOG_DEBUG; i <= LOG_ERROR; i++) {
        if (name && strcmp(name, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return true;
        }
    }
    return false;
}

void log_set_request_id(const char *rid)
{
    snprintf(request_id, sizeof request_id, "%s", rid ? rid : "");
}

/* Appends raw text the caller knows is JSON-safe (keys, numbers, punctuation). Fixed parts are
 * short and the variable ones are bounded, so this only drops text if a bound is wrong. */
static void put_raw(struct line *l, const char *s)
{
    size_t n = strlen(s);
    if (l->len + n > sizeof l->buf - TAIL_ROOM)
        n = sizeof l->buf - TAIL_ROOM - l->len;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

/* The JSON text for the next character of s: an escape, a whole valid UTF-8 sequence, or
 * \ufffd for a byte that is not valid UTF-8. Returns the bytes consumed from s. */
static size_t escape_next(const char *s, size_t left, char out[8], size_t *outlen)
{
    unsigned char ch = (unsigned char)s[0];
    const char *simple = NULL;
    switch (ch) {
    case '"':
        simple = "\\\"";
        break;
    case '\\':
        simple = "\\\\";
        break;
    case '\n':
        simple = "\\n";
        break;
    case '\r':
        simple = "\\r";
        break;
    case '\t':
        simple = "\\t";
        break;
    default:
        break;
    }
    if (simple) {
        *outlen = strlen(simple);
        memcpy(out, simple, *outlen);
        return 1;
    }
    if (ch < 0x20 || ch == 0x7f) {
        *outlen = (size_t)snprintf(out, 8, "\\u%04x", ch);
        return 1;
    }
    size_t n = utf8_seq_len(s, left);
    if (n == 0) {
        memcpy(out, "\\ufffd", 6);
        *outlen = 6;
        return 1;
    }
    memcpy(out, s, n);
    *outlen = n;
    return n;
}

/* Appends "s" (n bytes) as a JSON string using at most max bytes for the escaped content;
 * a string that does not fit, or that the caller already cut (cut == true), ends in "...". */
static void put_str(struct line *l, const char *s, size_t n, size_t max, bool cut)
{
    size_t room = sizeof l->buf - TAIL_ROOM - l->len;
    if (room < 2 + sizeof ELLIPSIS) {
        /* Unreachable with the bounds used here, but the line must stay valid JSON: the tail
         * room always holds an empty string. */
        memcpy(l->buf + l->len, "\"\"", 2);
        l->len += 2;
        return;
    }
    if (max > room - 2)
        max = room - 2;
    l->buf[l->len++] = '"';
    size_t used = 0, i = 0;
    while (i < n) {
        char piece[8];
        size_t plen;
        size_t consumed = escape_next(s + i, n - i, piece, &plen);
        if (used + plen > max - (sizeof ELLIPSIS - 1)) {
            cut = true;
            break;
        }
        memcpy(l->buf + l->len, piece, plen);
        l->len += plen;
        used += plen;
        i += consumed;
    }
    if (cut) {
        memcpy(l->buf + l->len, ELLIPSIS, sizeof ELLIPSIS - 1);
        l->len += sizeof ELLIPSIS - 1;
    }
    l->buf[l->len++] = '"';
}

static void put_cstr(struct line *l, const char *s, size_t max)
{
    if (s)
        put_str(l, s, strlen(s), max, false);
    else
        put_raw(l, "null");
}

static void put_int(struct line *l, long long v)
{
    char num[24];
    snprintf(num, sizeof num, "%lld", v);
    put_raw(l, num);
}

/* {"t":"...","<kind_key>":"<kind_value>","proc":"...","pid":N  -- the start of every line. */
static void put_head(struct line *l, const char *kind_key, const char *kind_value)
{
    char t[ISO_TIME_LEN + 1];
    timeutil_iso_from_ms(timeutil_wall_ms(), t);
    l->len = 0;
    put_raw(l, "{\"t\":\"");
    put_raw(l, t);
    put_raw(l, "\",\"");
    put_raw(l, kind_key);
    put_raw(l, "\":\"");
    put_raw(l, kind_value);
    put_raw(l, "\",\"proc\":");
    put_cstr(l, proc_kind, PROC_MAX * 6);
    /* getpid() on every line, so a child forked after log_init() still stamps its own pid. */
    put_raw(l, ",\"pid\":");
    put_int(l, (long long)getpid());
}

/* Closes the object and writes the line in one write(2); errno is left as the caller had it. */
static void emit(struct line *l)
{
    l->buf[l->len++] = '}';
    l->buf[l->len++] = '\n';
    int saved = errno;
    size_t off = 0;
    while (off < l->len) {
        ssize_t w = write(STDERR_FILENO, l->buf + off, l->len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break; /* nowhere else to report a failing log */
        off += (size_t)w;
    }
    errno = saved;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level < min_level || level > LOG_ERROR)
        return;
    int saved = errno; /* so %m and the caller's errno both survive */
    char msg[LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    bool cut = (size_t)n >= sizeof msg;
    size_t len = cut ? sizeof msg - 1 : (size_t)n;

    struct line l;
    put_head(&l, "level", level_names[level]);
    if (request_id[0]) {
        put_raw(&l, ",\"rid\":");
        put_cstr(&l, request_id, RID_MAX * 6);
    }
    put_raw(&l, ",\"msg\":");
    put_str(&l, msg, len, sizeof l.buf, cut);
    errno = saved;
    emit(&l);
}

void log_access(const char *rid, const char *method, const char *path, int status,
                long long duration_us, const char *user_id)
{
    struct line l;
    put_head(&l, "kind", "access");
    put_raw(&l, ",\"id\":");
    put_cstr(&l, rid, RID_MAX * 6);
    put_raw(&l, ",\"method\":");
    put_cstr(&l, method, 32);
    put_raw(&l, ",\"path\":");
    if (path) /* the query string can carry emails or tokens: never logged */
        put_str(&l, path, strcspn(path, "?"), 1024, false);
    else
        put_raw(&l, "null");
    put_raw(&l, ",\"status\":");
    put_int(&l, status);
    put_raw(&l, ",\"us\":");
    put_int(&l, duration_us);
    put_raw(&l, ",\"user\":");
    put_cstr(&l, user_id, 128);
    emit(&l);
}
