/*
 * jsonx.h - small json-c helpers: strict parsing of a request body, typed field access, and
 * serialisation without escaping '/'.
 */
#ifndef KHEDMA_JSONX_H
#define KHEDMA_JSONX_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

/* Parse exactly one JSON value occupying all of buf (whitespace around allowed). Returns NULL on
 * any error (including trailing garbage and an empty buffer). The caller owns the result.
 * Strict RFC 8259: no NaN/Infinity, single quotes, comments, trailing commas, raw control
 * characters in strings or invalid UTF-8; nesting deeper than 32 levels is rejected.
 * The text "null" also gives NULL; use jsonx_parse_value() where a bare null is acceptable. */
json_object *jsonx_parse(const char *buf, size_t len);
/* As jsonx_parse, but tells success apart from a parsed null: returns true and sets *out (NULL for
 * the JSON value null) or returns false with *out = NULL. */
bool jsonx_parse_value(const char *buf, size_t len, json_object **out);

/* Field access: NULL / false when absent or of another type. obj may be NULL or a non-object. */
const char *jsonx_str(json_object *obj, const char *key);
/* True when the key is present at all, even with the value null. */
bool jsonx_has(json_object *obj, const char *key);
/* True and *out set when the field is a JSON integer (or a double with no fraction) in range.
 * The range is JavaScript's safe integers, |n| <= 2^53 - 1: larger values cannot round-trip
 * through a JSON client exactly. Numeric strings ("5") are not integers. */
bool jsonx_int(json_object *obj, const char *key, long long *out);
bool jsonx_bool(json_object *obj, const char *key, bool *out);
json_object *jsonx_obj(json_object *obj, const char *key);   /* object-typed field */
json_object *jsonx_array(json_object *obj, const char *key); /* array-typed field */

/* Add helpers that accept NULL strings (added as JSON null). */
void jsonx_add_str(json_object *obj, const char *key, const char *val);
void jsonx_add_int(json_object *obj, const char *key, long long val);
void jsonx_add_bool(json_object *obj, const char *key, bool val);
void jsonx_add_null(json_object *obj, const char *key);
/* A decimal string such as "500.00" added as a JSON number printed exactly, in its shortest form
 * ("500", "12.5"; money_shortest); NULL adds null. Accepted text is what DECIMAL columns give
 * (money_parse_decimal): an optional '-', digits, and optionally '.' and digits; anything else
 * adds null. */
void jsonx_add_decimal(json_object *obj, const char *key, const char *decimal);
json_object *jsonx_new_decimal(const char *decimal);

/* Compact serialisation ('/' not escaped). The string belongs to obj. */
const char *jsonx_to_string(json_object *obj);

/* A value that serialises as the given JSON text, byte for byte, without parsing it: for answers
 * stored pre-serialised (the gig read model). The text must be one valid JSON value as
 * jsonx_to_string writes it. NULL when memory runs out. */
json_object *jsonx_new_raw(const char *text, size_t len);
/* The text of a jsonx_new_raw value, else NULL. */
const char *jsonx_raw_text(json_object *obj);
/* The raw value parsed into a json-c tree (the caller owns it; obj is released), for code that
 * must walk it; any other obj is returned as it is. NULL when the text does not parse. */
json_object *jsonx_raw_expand(json_object *obj);
/* A placeholder that serialises as nothing and records in *offset how many bytes of output came
 * before it: used to cut a serialised document at a known point. */
json_object *jsonx_new_mark(size_t *offset);

#endif
