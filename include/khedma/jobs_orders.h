/*
 * jobs_orders.h - the order job with no gateway in it (docs/api.md, "Order lifecycle"):
 * deliveries left unanswered for 3 days complete by themselves.
 */
#ifndef KHEDMA_JOBS_ORDERS_H
#define KHEDMA_JOBS_ORDERS_H

#include "khedma/db.h"

struct jobs_clock;

/* Returns how many orders it completed, or -1 after a database error (logged). */
int jobs_orders_auto_complete(struct db *db, const struct jobs_clock *clock);

#endif
