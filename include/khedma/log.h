/*
 * log.h - one-line JSON logs on stderr (deploy/up points stderr at var/log/). Never pass a token,
 * password, card number or request body to these functions.
 */
#ifndef KHEDMA_LOG_H
#define KHEDMA_LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Longest line written, newline included. Each line goes out in one write(2) of at most this
 * many bytes (PIPE_BUF), so lines from forked processes sharing stderr never interleave;
 * longer messages are cut and end in "...". */
#define LOG_LINE_MAX 4096

/* Name of the process kind ("master", "worker", "jobs", "cli") stamped on every line. */
void log_init(const char *process_kind);
void log_set_level(enum log_level level);
/* "debug", "info", "warn" or "error" to a level; false for anything else. */
bool log_level_from_name(const char *name, enum log_level *out);
/* Request id of the request being served (NULL outside a request): stamped on every line. */
void log_set_request_id(const char *request_id);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/* The access-log line: {"t":..,"kind":"access","id":..,"method":..,"path":..,"status":..,
 * "us":..,"user":..}. path is logged without its query string. user may be NULL. */
void log_access(const char *request_id, const char *method, const char *path, int status,
                long long duration_us, const char *user_id);

#endif
