/*
 * trpc_procs.h - the tRPC procedure table served at /api/trpc (trpc_procs.c: gig.* and
 * category.*; trpc_procs_orders.c: order.*), as the route table and app_refuse call it.
 */
#ifndef KHEDMA_TRPC_PROCS_H
#define KHEDMA_TRPC_PROCS_H

#include "khedma/ctx.h"
#include "khedma/errors.h"

/* UNAUTHORIZED's message for every protected procedure (ctx_require_user). */
#define TRPC_PROCS_SIGN_IN_REQUIRED "You must be signed in"

/* /api/trpc/{path*}: run the procedures the request names. */
void trpc_procs_handle(struct ctx *c);
/* The name of procedure i of the table ("gig.getGigDetails"), NULL past its end: the metrics
 * label each procedure's requests are counted under. */
const char *trpc_procs_name(size_t i);
/* A request under /api/trpc refused before routing, answered in tRPC's error shape with the
 * configured transformer. */
void trpc_procs_refuse(struct ctx *c, enum errkind kind, const char *message);

#endif
