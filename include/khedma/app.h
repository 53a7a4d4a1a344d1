/*
 * app.h - the application as the worker sees it: one entry point per request. The route table
 * behind it (app.c) wires the REST handlers (handlers_*.h), the tRPC procedures (trpc_procs.h)
 * and the health check.
 */
#ifndef KHEDMA_APP_H
#define KHEDMA_APP_H

#include "khedma/ctx.h"
#include "khedma/errors.h"

/* Route and run one request; always leaves a complete response in c->resp. */
void app_handle(struct ctx *c);

/* The route table (*count entries), for the test that compares it with docs/openapi.yaml. */
const struct route *app_routes(size_t *count);

/* Refuse a request the worker could not even read (a malformed URI, a body too large or cut
 * short) in the shape its client expects: a tRPC error under /api/trpc, else the REST envelope
 * with `status`. */
void app_refuse(struct ctx *c, int status, enum errkind kind, const char *message);

#endif
