/*
 * gateway_events.h - incoming payment events (docs/api.md, "Gateway webhooks"): YouCan Pay
 * webhooks and PayTabs callbacks, stored for audit and applied once. Knows nothing about HTTP.
 */
#ifndef KHEDMA_GATEWAY_EVENTS_H
#define KHEDMA_GATEWAY_EVENTS_H

#include <stddef.h>
#include <json-c/json.h>
#include "khedma/db.h"
#include "khedma/errors.h"

/* Incoming gateway events (raw body, signature header). *out is the data to answer 200 with;
 * E_UNAUTHORIZED for a missing or wrong signature (the event is still stored for audit). */
enum errkind gateway_events_youcanpay(struct db *db, const char *body, size_t len,
                                      const char *signature, json_object **out, struct err *e);
enum errkind gateway_events_paytabs(struct db *db, const char *body, size_t len,
                                    const char *signature, json_object **out, struct err *e);

#endif
