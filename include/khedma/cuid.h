/*
 * cuid.h - CUID-style ids: 'c' + 24 characters of [a-z0-9], unique across processes and hosts
 * (time, a per-process counter, a host+pid fingerprint and random bytes from libsodium).
 */
#ifndef KHEDMA_IDS_H
#define KHEDMA_IDS_H

#include <stdbool.h>

#define CUID_LEN 25

/* Writes a new id and a terminating NUL into out (CUID_LEN + 1 bytes). */
void cuid_new(char out[CUID_LEN + 1]);
/* Call in each child after fork(): refreshes the fingerprint (pid) and counter seed. */
void cuid_after_fork(void);
/* True when s matches ^c[a-z0-9]{24}$. */
bool cuid_valid(const char *s);

#endif
