/*
 * pagination.c - the paged-list object of pagination.h.
 */
#include "khedma/pagination.h"

#include "khedma/jsonx.h"

json_object *pagination_page(json_object *items, long long total, long page, long limit)
{
    json_object *p = json_object_new_object();
    jsonx_add_int(p, "totalItems", total);
    jsonx_add_int(p, "currentPage", page);
    jsonx_add_int(p, "pageSize", limit);
    jsonx_add_int(p, "totalPages", (total + limit - 1) / limit);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "items", items);
    json_object_object_add(o, "pagination", p);
    return o;
}
