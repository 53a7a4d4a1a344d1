/*
 * pagination.h - the one shape of a paged list, written the same way by every list that pages
 * (GET /api/gigs, GET /api/orders and order.list, GET /api/notifications):
 *   {"items": [...], "pagination": {"totalItems", "currentPage", "pageSize", "totalPages"}}
 * in exactly that key order (clients and tests compare the text).
 */
#ifndef KHEDMA_PAGINATION_H
#define KHEDMA_PAGINATION_H

#include <json-c/json.h>

/* The page object around items (taken over): total matches, the page (from 1) and the page size
 * (at least 1) the query asked for. totalPages is total / limit rounded up (0 when total is 0). */
json_object *pagination_page(json_object *items, long long total, long page, long limit);

#endif
