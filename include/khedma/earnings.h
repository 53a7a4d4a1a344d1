/*
 * earnings.h - the read side of a freelancer's earnings (table earnings: one row per completed
 * order, written by order_store.c when the order completes). Knows nothing about HTTP.
 */
#ifndef KHEDMA_EARNINGS_H
#define KHEDMA_EARNINGS_H

#include <json-c/json.h>
#include "khedma/db.h"
#include "khedma/errors.h"

/* {items: [{orderId, gigTitle, amount, currency, createdAt}], total: "<sum of every earning>",
 * pagination} of freelancer_id's earnings, newest first. amount and total are decimal strings
 * with two decimals ("1250.00"); gigTitle is null for a gig without one. */
enum errkind earnings_list(struct db *db, const char *freelancer_id, long page, long limit,
                           json_object **out, struct err *e);

#endif
