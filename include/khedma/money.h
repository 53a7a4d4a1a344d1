/*
 * money.h - decimal amounts as text ("500.00", the form the database and the API use): the one
 * reader of decimal text in the project, the conversion to and from the integer minor units
 * (centimes) YouCan Pay takes on the wire, and the two printed forms (two places for amounts,
 * the shortest for JSON numbers). String and integer arithmetic only: no double is involved.
 */
#ifndef KHEDMA_MONEY_H
#define KHEDMA_MONEY_H

#include <stdbool.h>
#include <stddef.h>

/* A decimal's text split into its parts; the pointers point into the text that was read. */
struct money_decimal {
    bool negative;          /* a leading '-' */
    const char *int_digits; /* the digits before the point (at least one) */
    size_t int_len;
    const char *frac_digits; /* the digits after the point; frac_len 0 when there is no point */
    size_t frac_len;
};

/* Reads text as an optional '-', one or more digits, and optionally '.' followed by one or more
 * digits; nothing else (no '+', exponent, spaces, "10." or ".5"). False otherwise, or for NULL. */
bool money_parse_decimal(const char *text, struct money_decimal *d);

/* Minor units <-> decimal: "500.00" -> 50000, "12.5" -> 1250; false on anything that is not a
 * non-negative decimal with at most 2 places, or does not fit a long long. */
bool money_to_minor(const char *decimal, long long *minor);
/* 50000 -> "500.00" (out >= 32 bytes). */
void money_from_minor(long long minor, char out[32]);
/* True when both are valid amounts and equal ("500" == "500.00"). */
bool money_equal(const char *a, const char *b);
/* Normalise a decimal to 2 places ("500" -> "500.00"); false when not a valid amount. */
bool money_normalize(const char *decimal, char out[32]);

/* The shortest text of any decimal money_parse_decimal reads: no leading zeros, no trailing
 * fractional zeros, no "-0" ("007.50" -> "7.5", "-0.00" -> "0"). out needs strlen(decimal) + 1
 * bytes; false when the text is not a decimal. */
bool money_shortest(const char *decimal, char *out);

#endif
