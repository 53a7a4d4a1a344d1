/*
 * fuzz_time.c - timestamps from clients and the database (timeutil.c): the input is read as an
 * ISO-8601 timestamp (the createdAt filter of the orders query) and as MariaDB DATETIME(3)
 * text. Checks that an accepted ISO timestamp becomes DATETIME(3) text that reads back, and an
 * accepted DATETIME becomes the API's fixed-width ISO form (docs/api.md, "Conventions"), which
 * reads back to the same instant.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/timeutil.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fz_dup(data, size);
    char db[24], iso[ISO_TIME_LEN + 1];
    if (timeutil_db_from_iso(s, db) == 0) {
        FZ_CHECK(strlen(db) == 23);
        FZ_CHECK(timeutil_iso_from_db(db, iso) == 0);
        char db2[24];
        FZ_CHECK(timeutil_db_from_iso(iso, db2) == 0 && strcmp(db, db2) == 0);
    }
    if (timeutil_iso_from_db(s, iso) == 0) {
        FZ_CHECK(strlen(iso) == ISO_TIME_LEN);
        FZ_CHECK(timeutil_db_from_iso(iso, db) == 0);
        char iso2[ISO_TIME_LEN + 1];
        FZ_CHECK(timeutil_iso_from_db(db, iso2) == 0 && strcmp(iso, iso2) == 0);
    }
    if (size >= sizeof(long long)) {
        long long ms;
        memcpy(&ms, data, sizeof ms);
        timeutil_iso_from_ms(ms, iso);
        FZ_CHECK(strlen(iso) == ISO_TIME_LEN && timeutil_db_from_iso(iso, db) == 0);
    }
    free(s);
    return 0;
}
