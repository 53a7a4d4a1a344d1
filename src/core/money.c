/*
 * money.c - decimal amounts as text (money.h): the one reader of decimal text, and MAD amounts
 * between the decimal strings the database and the API use ("500.00") and the integer minor
 * units (centimes) YouCan Pay takes on the wire (50000).
 *
 * Everything here is string and integer arithmetic: a double cannot hold 0.1 exactly, and an
 * amount that came back from a gateway one centime off would fail the "paid for exactly the
 * package price" check (or worse, pass a wrong one). The accepted text is deliberately narrow:
 * digits, then optionally '.' and digits. No exponent, spaces or "10." form, because every
 * amount we handle is either ours (DECIMAL(12,2)) or a gateway's, and anything looser would be a
 * sign of a malformed answer rather than something to interpret. An amount (money_to_minor) is
 * narrower still: no sign and at most two places.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "khedma/money.h"

#define DIGITS "0123456789"

bool money_parse_decimal(const char *text, struct money_decimal *d)
{
    if (!text)
        return false;
    memset(d, 0, sizeof *d);
    d->negative = *text == '-';
    d->int_digits = text + d->negative;
    d->int_len = strspn(d->int_digits, DIGITS);
    if (d->int_len == 0)
        return false;
    const char *rest = d->int_digits + d->int_len;
    d->frac_digits = rest;
    if (*rest == '.') {
        d->frac_digits = rest + 1;
        d->frac_len = strspn(d->frac_digits, DIGITS);
        if (d->frac_len == 0)
            return false;
        rest = d->frac_digits + d->frac_len;
    }
    return *rest == '\0';
}

/* value * 10 + digit, false on overflow. */
static bool push_digit(long long *value, char digit)
{
    int d = digit - '0';
    if (*value > (LLONG_MAX - d) / 10)
        return false;
    *value = *value * 10 + d;
    return true;
}

bool money_to_minor(const char *decimal, long long *minor)
{
    struct money_decimal d;
    if (!minor || !money_parse_decimal(decimal, &d) || d.negative || d.frac_len > 2)
        return false;
    long long value = 0;
    for (size_t i = 0; i < d.int_len; i++) {
        if (!push_digit(&value, d.int_digits[i]))
            return false;
    }
    /* Two places always: "12.5" is 12 dirhams and 50 centimes, not 5. */
    for (size_t i = 0; i < 2; i++) {
        if (!push_digit(&value, i < d.frac_len ? d.frac_digits[i] : '0'))
            return false;
    }
    *minor = value;
    return true;
}

void money_from_minor(long long minor, char out[32])
{
    /* Negation through unsigned so that LLONG_MIN does not overflow. */
    unsigned long long magnitude =
        minor < 0 ? 0ULL - (unsigned long long)minor : (unsigned long long)minor;
    snprintf(out, 32, "%s%llu.%02llu", minor < 0 ? "-" : "", magnitude / 100, magnitude % 100);
}

bool money_normalize(const char *decimal, char out[32])
{
    long long minor;
    if (!money_to_minor(decimal, &minor))
        return false;
    money_from_minor(minor, out);
    return true;
}

bool money_equal(const char *a, const char *b)
{
    char x[32], y[32];
    return a && b && money_normalize(a, x) && money_normalize(b, y) && strcmp(x, y) == 0;
}

bool money_shortest(const char *decimal, char *out)
{
    struct money_decimal d;
    if (!money_parse_decimal(decimal, &d))
        return false;
    while (d.int_len > 1 && *d.int_digits == '0') {
        d.int_digits++;
        d.int_len--;
    }
    while (d.frac_len > 0 && d.frac_digits[d.frac_len - 1] == '0')
        d.frac_len--;
    bool zero = d.int_len == 1 && *d.int_digits == '0' && d.frac_len == 0;
    char *o = out;
    if (d.negative && !zero)
        *o++ = '-';
    memcpy(o, d.int_digits, d.int_len);
    o += d.int_len;
    if (d.frac_len > 0) {
        *o++ = '.';
        memcpy(o, d.frac_digits, d.frac_len);
        o += d.frac_len;
    }
    *o = '\0';
    return true;
}
