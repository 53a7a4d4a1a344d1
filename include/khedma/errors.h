/*
 * errors.h - the error kinds a service can return, and their one mapping to HTTP statuses and to
 * tRPC error codes. Services never know about HTTP; transports call errkind_http_status() or
 * errkind_trpc_code() exactly once per failed call.
 */
#ifndef KHEDMA_ERRORS_H
#define KHEDMA_ERRORS_H

#include <json-c/json.h>

enum errkind {
    E_OK = 0,
    E_BAD_REQUEST,   /* 400 malformed request / failed input validation (tRPC BAD_REQUEST) */
    E_PARSE,         /* 400 invalid JSON (tRPC PARSE_ERROR) */
    E_UNAUTHORIZED,  /* 401 */
    E_FORBIDDEN,     /* 403 */
    E_NOT_FOUND,     /* 404 */
    E_METHOD,        /* 405 */
    E_CONFLICT,      /* 409 */
    E_PRECONDITION,  /* 412 */
    E_TOO_LARGE,     /* 413 */
    E_UNSUPPORTED,   /* 415 */
    E_UNPROCESSABLE, /* 422 validation or business rule */
    E_TOO_MANY,      /* 429 */
    E_INTERNAL,      /* 500 */
    E_BAD_GATEWAY,   /* 502 */
    E_UNAVAILABLE,   /* 503 database unavailable */
};

/* A service failure: a kind, a client-safe message, and optional per-field messages
 * ({"field.path": ["message", ...]}), owned by the struct. */
struct err {
    enum errkind kind;
    char message[256];
    json_object *fields;
};

/* Set kind and printf-style message; returns kind so callers can `return err_set(...)`. */
enum errkind err_set(struct err *e, enum errkind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Add one message for a field (creates e->fields on first use; kind becomes E_BAD_REQUEST
 * unless already set to something else). */
void err_field(struct err *e, const char *field, const char *message);
/* Release e->fields and reset to E_OK. */
void err_clear(struct err *e);

int errkind_http_status(enum errkind kind);
/* tRPC JSON-RPC number and name, e.g. -32004 / "NOT_FOUND". */
int errkind_trpc_number(enum errkind kind);
const char *errkind_trpc_name(enum errkind kind);
/* Kind for an HTTP status (used for nginx-generated errors and limits). */
enum errkind errkind_from_http_status(int status);

#endif
