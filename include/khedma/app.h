/*
 * app.h - the application as the worker sees it: one entry point per request, plus the route
 * table that wires REST, tRPC and health handlers.
 */
#ifndef KHEDMA_APP_H
#define KHEDMA_APP_H

#include "khedma/ctx.h"

/* Route and run one request; always leaves a complete response in c->resp. */
void app_handle(struct ctx *c);

/* Handlers (one file per area). */
void handle_healthz(struct ctx *c);
void handle_auth_signup(struct ctx *c);
void handle_auth_login(struct ctx *c);
void handle_auth_logout(struct ctx *c);
void handle_auth_me(struct ctx *c);
void handle_users_me_patch(struct ctx *c);
/* Public gig reads (handlers_gigs.c). */
void handle_categories(struct ctx *c);
void handle_gigs_search(struct ctx *c);
void handle_gig_details(struct ctx *c);
void handle_user_gigs(struct ctx *c);
/* /api/trpc/{path*}: the tRPC procedures (trpc_procs.c). */
void handle_trpc(struct ctx *c);

#endif
