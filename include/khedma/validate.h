/*
 * validate.h - small typed validators used at the edge before any logic sees the input.
 */
#ifndef KHEDMA_VALIDATE_H
#define KHEDMA_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

bool validate_email(const char *s);    /* local@domain.tld, no spaces, <= 254 bytes */
bool validate_username(const char *s); /* [a-z0-9_-]{3,30} */
/* True for the words a username may not be: the first path segments of the web pages. */
bool validate_username_reserved(const char *s);
/* optional '+', 6-20 digits, single spaces/dashes allowed between digits, <= 32 bytes in all */
bool validate_phone(const char *s);
bool validate_http_url(
    const char *s); /* http:// or https:// with a host, no spaces, <= 2048 bytes */
/* A new (malloc'd) copy of s without leading/trailing whitespace: ASCII and Unicode spaces, the
 * set JavaScript's String.prototype.trim removes. NULL when s is NULL or memory runs out. */
char *validate_trim_dup(const char *s);

#endif
