/*
 * subscription_jobs.h - the subscription store's side of the VIP jobs (jobs_vip.h): each write
 * the jobs ask for, as one transaction through the subscription store (subscription_store.h).
 * The jobs process registers subscription_jobs_store with jobs_vip_use_store.
 */
#ifndef KHEDMA_SUBSCRIPTION_JOBS_H
#define KHEDMA_SUBSCRIPTION_JOBS_H

#include "khedma/jobs_vip.h"

extern const struct jobs_vip_store subscription_jobs_store;

#endif
