/*
 * handlers_apple.h - the App Store routes (docs/api.md, "App Store in-app purchases"):
 * POST /api/subscriptions/apple/transactions (signed in) and
 * POST /api/subscriptions/apple/notifications (authenticated by the JWS signature).
 */
#ifndef KHEDMA_HANDLERS_APPLE_H
#define KHEDMA_HANDLERS_APPLE_H

#include "khedma/ctx.h"

void handlers_apple_transactions(struct ctx *c);
void handlers_apple_notifications(struct ctx *c);

#endif
