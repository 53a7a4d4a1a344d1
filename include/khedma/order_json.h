/*
 * order_json.h - the Order object as clients see it (docs/api.md, "Orders API"), built from one
 * row of ORDER_JSON_SELECT, so a single query serves both one order and a page of them.
 */
#ifndef KHEDMA_ORDER_JSON_H
#define KHEDMA_ORDER_JSON_H

#include <stddef.h>
#include <json-c/json.h>
#include "khedma/db.h"
#include "khedma/errors.h"

/* The SELECT list + joins that order_json_from_row() reads; append "WHERE ..." to use it. */
extern const char ORDER_JSON_SELECT[];
json_object *order_json_from_row(const struct db_result *r, size_t row);
/* The Order by id, or E_NOT_FOUND. No visibility check: callers check who may see it. */
enum errkind order_json_load(struct db *db, const char *order_id, json_object **out, struct err *e);

#endif
