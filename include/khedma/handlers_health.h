/*
 * handlers_health.h - the health route GET /healthz, for nginx, deploy/up and monitoring.
 * Each handler answers one route of app.c's table and always leaves a response in c->resp.
 */
#ifndef KHEDMA_HANDLERS_HEALTH_H
#define KHEDMA_HANDLERS_HEALTH_H

#include "khedma/ctx.h"

void handlers_health_get(struct ctx *c);

#endif
