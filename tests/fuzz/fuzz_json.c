/*
 * fuzz_json.c - JSON input and its canonical form (jsonx.c jsonx_parse_value, idempotency.c
 * idempotency_canonical_json): strict parsing of a request body, the typed field readers on every
 * member, decimal normalisation of string members, and the canonical text idempotency keys hash.
 * Checks the properties the idempotency rule depends on: the canonical text and the compact
 * serialisation of an accepted value are themselves accepted, and canonicalising is stable
 * (the canonical text of the re-parsed canonical text is the same text).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/crypto.h"
#include "khedma/idempotency.h"
#include "khedma/jsonx.h"
#include "fuzz.h"

static void read_members(json_object *v)
{
    if (!json_object_is_type(v, json_type_object))
        return;
    json_object_object_foreach(v, key, val)
    {
        long long n;
        bool b;
        (void)jsonx_str(v, key);
        (void)jsonx_has(v, key);
        (void)jsonx_int(v, key, &n);
        (void)jsonx_bool(v, key, &b);
        (void)jsonx_obj(v, key);
        (void)jsonx_array(v, key);
        if (json_object_is_type(val, json_type_string)) {
            json_object *d = jsonx_new_decimal(json_object_get_string(val));
            if (d)
                (void)jsonx_to_string(d);
            json_object_put(d);
        }
    }
}

static void check_reparses(const char *text)
{
    json_object *again = NULL;
    FZ_CHECK(jsonx_parse_value(text, strlen(text), &again));
    json_object_put(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_object *v = NULL;
    if (!jsonx_parse_value((const char *)data, size, &v))
        return 0;
    read_members(v);
    check_reparses(jsonx_to_string(v));

    char *canon = idempotency_canonical_json(v);
    json_object *again = NULL;
    FZ_CHECK(jsonx_parse_value(canon, strlen(canon), &again));
    char *canon2 = idempotency_canonical_json(again);
    FZ_CHECK(strcmp(canon, canon2) == 0);
    char hash[SHA256_HEX_LEN + 1];
    idempotency_request_hash(v, hash);
    FZ_CHECK(strlen(hash) == SHA256_HEX_LEN);

    free(canon2);
    free(canon);
    json_object_put(again);
    json_object_put(v);
    return 0;
}
