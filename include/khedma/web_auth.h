/*
 * web_auth.h - the account pages of the storefront (docs/web.md, "Pages"): sign-up, sign-in with
 * a return address, and sign-out. Each form POST calls the accounts service the REST routes call
 * and answers 303 (POST/redirect/GET), or the form again with the messages next to the fields.
 */
#ifndef KHEDMA_WEB_AUTH_H
#define KHEDMA_WEB_AUTH_H

#include "khedma/ctx.h"

void web_auth_sign_up_get(struct ctx *c);
void web_auth_sign_up_post(struct ctx *c);
void web_auth_sign_in_get(struct ctx *c);
void web_auth_sign_in_post(struct ctx *c);
void web_auth_sign_out(struct ctx *c);

#endif
