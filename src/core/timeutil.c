/*
 * timeutil.c - clocks and conversions between the database's DATETIME(3) text (UTC) and the
 * API's ISO-8601 form. Calendar arithmetic is done on day numbers (days since 1970-01-01 in
 * the proleptic Gregorian calendar) so no function here depends on the process time zone.
 */
#include <stdbool.h>
#include <time.h>

#include "khedma/timeutil.h"

#define MS_PER_DAY 86400000LL

/* A broken-down UTC time with milliseconds. */
struct civil {
    int year, month, day, hour, minute, second, ms;
};

long long timeutil_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

long long timeutil_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Day number of a date. Years are shifted to start in March so the leap day is the last day of
 * the shifted year; 400-year eras then repeat exactly (146097 days). */
static long long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Inverse of days_from_civil. */
static void civil_from_days(long long z, int *y, int *m, int *d)
{
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static struct civil civil_from_ms(long long ms)
{
    struct civil c;
    long long days = ms / MS_PER_DAY;
    long long rem = ms % MS_PER_DAY;
    if (rem < 0) { /* floor division, so instants before 1970 land on the right day */
        rem += MS_PER_DAY;
        days--;
    }
    civil_from_days(days, &c.year, &c.month, &c.day);
    c.hour = (int)(rem / 3600000);
    c.minute = (int)(rem / 60000 % 60);
    c.second = (int)(rem / 1000 % 60);
    c.ms = (int)(rem % 1000);
    return c;
}

static long long ms_from_civil(const struct civil *c)
{
    long long days = days_from_civil(c->year, c->month, c->day);
    return days * MS_PER_DAY + c->hour * 3600000LL + c->minute * 60000LL + c->second * 1000LL +
           c->ms;
}

static bool civil_in_range(const struct civil *c)
{
    return c->year >= 0 && c->year <= 9999 && c->month >= 1 && c->month <= 12 && c->day >= 1 &&
           c->day <= days_in_month(c->year, c->month) && c->hour >= 0 && c->hour <= 23 &&
           c->minute >= 0 && c->minute <= 59 && c->second >= 0 && c->second <= 59;
}

/* Reads exactly n ASCII digits; sscanf would also take signs and spaces. */
static bool read_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char ch = (*p)[i];
        if (ch < '0' || ch > '9')
            return false;
        v = v * 10 + (ch - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool expect_char(const char **p, char ch)
{
    if (**p != ch)
        return false;
    (*p)++;
    return true;
}

/* An optional '.' and fraction of 1..max_digits digits (max_digits 0 means any); milliseconds are
 * the first three digits, the rest truncated. */
static bool read_fraction(const char **p, int max_digits, int *ms)
{
    *ms = 0;
    if (**p != '.')
        return true;
    (*p)++;
    int n = 0;
    while (**p >= '0' && **p <= '9') {
        if (n < 3)
            *ms = *ms * 10 + (**p - '0');
        n++;
        (*p)++;
    }
    if (n == 0 || (max_digits > 0 && n > max_digits))
        return false;
    for (int i = n; i < 3; i++)
        *ms *= 10;
    return true;
}

static bool read_date(const char **p, struct civil *c)
{
    return read_digits(p, 4, &c->year) && expect_char(p, '-') && read_digits(p, 2, &c->month) &&
           expect_char(p, '-') && read_digits(p, 2, &c->day);
}

static bool read_time(const char **p, struct civil *c)
{
    return read_digits(p, 2, &c->hour) && expect_char(p, ':') && read_digits(p, 2, &c->minute) &&
           expect_char(p, ':') && read_digits(p, 2, &c->second);
}

/* Writes v as exactly n decimal digits (v is known to fit). */
static char *put_digits(char *dst, int v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        dst[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return dst + n;
}

/* "YYYY-MM-DD?HH:MM:SS.mmm" with sep between date and time; the caller adds any suffix.
 * Fixed-width digits keep the layout exact; years are kept in 0..9999 by the callers. */
static char *format_civil(const struct civil *c, char sep, char *out)
{
    char *p = put_digits(out, c->year, 4);
    *p++ = '-';
    p = put_digits(p, c->month, 2);
    *p++ = '-';
    p = put_digits(p, c->day, 2);
    *p++ = sep;
    p = put_digits(p, c->hour, 2);
    *p++ = ':';
    p = put_digits(p, c->minute, 2);
    *p++ = ':';
    p = put_digits(p, c->second, 2);
    *p++ = '.';
    return put_digits(p, c->ms, 3);
}

static void format_iso(const struct civil *c, char out[ISO_TIME_LEN + 1])
{
    char *p = format_civil(c, 'T', out);
    *p++ = 'Z';
    *p = '\0';
}

int timeutil_iso_from_db(const char *db, char out[ISO_TIME_LEN + 1])
{
    struct civil c;
    const char *p = db;
    if (!db || !read_date(&p, &c) || !expect_char(&p, ' ') || !read_time(&p, &c) ||
        !read_fraction(&p, 6, &c.ms) || *p != '\0' || !civil_in_range(&c))
        return -1;
    format_iso(&c, out);
    return 0;
}

void timeutil_iso_from_ms(long long ms, char out[ISO_TIME_LEN + 1])
{
    /* Clamp to years 0000..9999 so the output keeps its fixed width. */
    static const long long min_ms = -62167219200000LL; /* 0000-01-01T00:00:00.000Z */
    static const long long max_ms = 253402300799999LL; /* 9999-12-31T23:59:59.999Z */
    if (ms < min_ms)
        ms = min_ms;
    if (ms > max_ms)
        ms = max_ms;
    struct civil c = civil_from_ms(ms);
    format_iso(&c, out);
}

/* Z, z, +HH:MM, -HH:MM, +HHMM or -HHMM, or nothing (taken as UTC); sets the offset in minutes
 * east of UTC. */
static bool read_zone(const char **p, int *offset_min)
{
    *offset_min = 0;
    if (**p == 'Z' || **p == 'z') {
        (*p)++;
        return true;
    }
    if (**p != '+' && **p != '-')
        return **p == '\0';
    int sign = **p == '-' ? -1 : 1;
    (*p)++;
    int hh, mm;
    if (!read_digits(p, 2, &hh))
        return false;
    if (**p == ':')
        (*p)++;
    if (!read_digits(p, 2, &mm) || hh > 23 || mm > 59)
        return false;
    *offset_min = sign * (hh * 60 + mm);
    return true;
}

int timeutil_db_from_iso(const char *iso, char out[24])
{
    struct civil c = {0};
    const char *p = iso;
    int offset_min = 0;
    if (!iso || !read_date(&p, &c))
        return -1;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (!read_time(&p, &c) || !read_fraction(&p, 0, &c.ms) || !read_zone(&p, &offset_min))
            return -1;
    }
    if (*p != '\0' || !civil_in_range(&c))
        return -1;
    /* Shift to UTC through epoch milliseconds so offsets may cross day, month and year. */
    struct civil u = civil_from_ms(ms_from_civil(&c) - offset_min * 60000LL);
    if (!civil_in_range(&u))
        return -1;
    *format_civil(&u, ' ', out) = '\0';
    return 0;
}
