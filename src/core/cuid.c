/*
 * cuid.c - CUID-style ids: "c" + 8 base36 digits of the millisecond clock + 4 of a per-process
 * counter + 4 of a host/process fingerprint + 8 from libsodium's random generator = 25 chars.
 * The counter separates ids made in the same millisecond by one process, the fingerprint
 * separates processes and hosts, and the random block covers fingerprint collisions.
 */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "khedma/cuid.h"

#define BLOCK 4
#define BASE 36
#define BLOCK_SPACE (BASE * BASE * BASE * BASE) /* 36^4 = 1679616 values per 4-digit block */

static const char digits36[] = "0123456789abcdefghijklmnopqrstuvwxyz";

static pid_t state_pid; /* the process the counter and fingerprint were made for */
static unsigned long counter;
static unsigned long fingerprint;

/* Writes v (reduced modulo 36^width) as exactly width base36 digits. */
static void put_base36(char *out, unsigned long long v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        out[i] = digits36[v % BASE];
        v /= BASE;
    }
}

/* FNV-1a over the host name: a stable per-host number without any configuration. */
static unsigned long host_hash(void)
{
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    unsigned long long h = 1469598103934665603ULL;
    for (const char *p = host; *p; p++) {
        h ^= (unsigned char)*p;
        h *= 1099511628211ULL;
    }
    return (unsigned long)(h % (BASE * BASE));
}

/* Two digits from the pid and two from the host, so processes of one host whose pids differ by
 * less than 1296 always get different fingerprints. The counter starts at a random point so a
 * recycled pid does not replay the previous process's sequence. */
static void refresh_state(void)
{
    if (sodium_init() < 0)
        abort();
    state_pid = getpid();
    fingerprint = ((unsigned long)state_pid % (BASE * BASE)) * (BASE * BASE) + host_hash();
    counter = randombytes_uniform(BLOCK_SPACE);
}

void cuid_after_fork(void)
{
    refresh_state();
}

void cuid_new(char out[CUID_LEN + 1])
{
    /* Also catch a fork whose child forgot cuid_after_fork(): two processes must never share
     * a fingerprint and counter. */
    if (state_pid != getpid())
        refresh_state();
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned long long ms = (unsigned long long)ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;

    out[0] = 'c';
    put_base36(out + 1, ms, 2 * BLOCK); /* 36^8 ms wraps only in 2059 */
    put_base36(out + 1 + 2 * BLOCK, counter, BLOCK);
    counter = (counter + 1) % BLOCK_SPACE;
    put_base36(out + 1 + 3 * BLOCK, fingerprint, BLOCK);
    put_base36(out + 1 + 4 * BLOCK, randombytes_uniform(BLOCK_SPACE), BLOCK);
    put_base36(out + 1 + 5 * BLOCK, randombytes_uniform(BLOCK_SPACE), BLOCK);
    out[CUID_LEN] = '\0';
}

bool cuid_valid(const char *s)
{
    if (!s || s[0] != 'c')
        return false;
    for (int i = 1; i < CUID_LEN; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    }
    return s[CUID_LEN] == '\0';
}
