/*
 * order_input.h - validation of the text fields the order routes and procedures take (a move's
 * reason, a review's comment), shared by the REST handlers and the tRPC procedures so both
 * transports accept exactly the same input.
 */
#ifndef KHEDMA_ORDER_INPUT_H
#define KHEDMA_ORDER_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>
#include "khedma/errors.h"

/* An optional text field of in (NULL = no input): absent or null -> NULL; a valid UTF-8 string of
 * at most max characters without NUL bytes -> the string, borrowed from in (NULL when empty and
 * empty_is_null: an empty reason is no reason); anything else -> NULL and an err_field() entry
 * under key. */
const char *order_input_text(json_object *in, const char *key, size_t max, bool empty_is_null,
                             struct err *e);

#endif
