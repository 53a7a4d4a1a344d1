/*
 * metrics_http.h - GET /metrics: the exposition text, for the addresses KHEDMA_METRICS_ALLOW
 * lists only (others get the same 404 page as any unknown path).
 */
#ifndef KHEDMA_METRICS_HTTP_H
#define KHEDMA_METRICS_HTTP_H

#include "khedma/ctx.h"

void metrics_http_handle(struct ctx *c);

#endif
