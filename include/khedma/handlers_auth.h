/*
 * handlers_auth.h - the account routes (docs/api.md, "Accounts and sessions"): POST
 * /api/auth/signup, /api/auth/login and /api/auth/logout, GET /api/auth/me and PATCH /api/users/me.
 * Each handler answers one route of app.c's table and always leaves a response in c->resp.
 */
#ifndef KHEDMA_HANDLERS_AUTH_H
#define KHEDMA_HANDLERS_AUTH_H

#include "khedma/ctx.h"

void handlers_auth_signup(struct ctx *c);
void handlers_auth_login(struct ctx *c);
void handlers_auth_logout(struct ctx *c);
void handlers_auth_me(struct ctx *c);
void handlers_auth_patch_me(struct ctx *c);

#endif
