/*
 * money.c - MAD amounts between the decimal strings the database and the API use ("500.00") and
 * the integer minor units (centimes) YouCan Pay takes on the wire (50000).
 *
 * Everything here is string and integer arithmetic: a double cannot hold 0.1 exactly, and an
 * amount that came back from a gateway one centime off would fail the "paid for exactly the
 * package price" check (or worse, pass a wrong one). The accepted text is deliberately narrow:
 * digits, then optionally '.' and one or two digits. No sign, exponent, spaces or "10." form,
 * because every amount we handle is either ours (DECIMAL(12,2)) or a gateway's, and anything
 * looser would be a sign of a malformed answer rather than something to interpret.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "khedma/gateway.h"

#define DIGITS "0123456789"

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
    if (!decimal || !minor)
        return false;
    size_t int_len = strspn(decimal, DIGITS);
    if (int_len == 0)
        return false;
    const char *frac = decimal + int_len;
    size_t frac_len = 0;
    if (*frac == '.') {
        frac++;
        frac_len = strspn(frac, DIGITS);
        if (frac_len == 0 || frac_len > 2)
            return false;
    }
    if (frac[frac_len] != '\0')
        return false;
    long long value = 0;
    for (size_t i = 0; i < int_len; i++) {
        if (!push_digit(&value, decimal[i]))
            return false;
    }
    /* Two places always: "12.5" is 12 dirhams and 50 centimes, not 5. */
    for (size_t i = 0; i < 2; i++) {
        if (!push_digit(&value, i < frac_len ? frac[i] : '0'))
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
