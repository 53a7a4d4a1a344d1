/*
 * timeutil.h - clocks and the API's timestamp format (ISO-8601 UTC with milliseconds).
 * The database stores DATETIME(3) in UTC; the session time zone is set to +00:00.
 */
#ifndef KHEDMA_TIMEUTIL_H
#define KHEDMA_TIMEUTIL_H

#include <stddef.h>

#define ISO_TIME_LEN 24 /* 2026-11-22T07:17:00.000Z */

long long timeutil_now_us(void);  /* monotonic microseconds, for durations */
long long timeutil_wall_ms(void); /* Unix epoch milliseconds */
/* "2026-11-22 07:17:00.000" (MariaDB DATETIME(3) text) -> "2026-11-22T07:17:00.000Z".
 * Returns 0, or -1 when the input is not in that shape. Fractions of 0-6 digits accepted. */
int timeutil_iso_from_db(const char *db, char out[ISO_TIME_LEN + 1]);
/* Epoch milliseconds -> ISO string. */
void timeutil_iso_from_ms(long long ms, char out[ISO_TIME_LEN + 1]);
/* Parse an ISO-8601 timestamp (date only, or date-time with optional fraction and Z/offset) into
 * a DATETIME(3) string in UTC for SQL. Returns 0 or -1. */
int timeutil_db_from_iso(const char *iso, char out[24]);

#endif
