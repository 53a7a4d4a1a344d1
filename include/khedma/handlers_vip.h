/*
 * handlers_vip.h - REST handlers for VIP subscriptions (docs/api.md, "VIP subscriptions"):
 * GET /api/vip-packages, GET /api/subscriptions/me and POST /api/subscriptions/me/cancel.
 */
#ifndef KHEDMA_HANDLERS_VIP_H
#define KHEDMA_HANDLERS_VIP_H

#include "khedma/ctx.h"

void handlers_vip_packages(struct ctx *c);
void handlers_vip_my_subscription(struct ctx *c);
void handlers_vip_cancel(struct ctx *c);

#endif
