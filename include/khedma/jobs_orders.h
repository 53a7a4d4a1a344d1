/*
 * jobs_orders.h - the background job on orders that involves no gateway: auto-completion of
 * deliveries the client left unanswered.
 */
#ifndef KHEDMA_JOBS_ORDERS_H
#define KHEDMA_JOBS_ORDERS_H

#include "khedma/db.h"
#include "khedma/jobs_clock.h"

/* Deliveries left unanswered for 3 days complete by themselves. Returns how many orders it
 * completed, or -1 after a database error (logged). */
int jobs_auto_complete(struct db *db, const struct jobs_clock *clock);

#endif
