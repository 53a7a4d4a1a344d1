/*
 * order_counts.h - per-party order counters (table order_counts): for each user, side (client or
 * freelancer) and status, how many orders. order_store.c, the only code that inserts orders or
 * changes their status, keeps them in the same transaction; orders_read.c answers totalItems from
 * them for the shapes order_query_count_plan accepts; order_counts_check compares them with
 * COUNT(*) over orders. Knows nothing about HTTP.
 */
#ifndef KHEDMA_ORDER_COUNTS_H
#define KHEDMA_ORDER_COUNTS_H

#include <stdio.h>
#include "khedma/db.h"
#include "khedma/errors.h"
#include "khedma/lifecycle.h"
#include "khedma/order_query.h"

/* A new (pending) order: one more pending order for its client and its freelancer. Inside the
 * caller's transaction; returns a db_status. */
int order_counts_created(struct db *db, const char *client_id, const char *freelancer_id);
/* An order that went from `from` to `to` (different statuses), for both its parties. */
int order_counts_moved(struct db *db, const char *client_id, const char *freelancer_id,
                       enum lifecycle_status from, enum lifecycle_status to);
/* The number of orders the plan describes: a sum over at most 4 rows per user. */
enum errkind order_counts_total(struct db *db, const struct oq_count_plan *p, long long *total,
                                struct err *e);
/* Recompute every counter with COUNT(*) over orders and compare: each difference is printed to
 * out as "order_counts: user side status: counter N, orders M". Returns the number of
 * differences, or -1 when the database fails. */
long long order_counts_check(struct db *db, FILE *out);

#endif
