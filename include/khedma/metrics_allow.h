/*
 * metrics_allow.h - who may read /metrics: KHEDMA_METRICS_ALLOW, a comma list of IPv4/IPv6
 * addresses and CIDRs, checked against the peer address nginx passes as REMOTE_ADDR (never a
 * forwarded header, which any client can write).
 */
#ifndef KHEDMA_METRICS_ALLOW_H
#define KHEDMA_METRICS_ALLOW_H

#include <stdbool.h>

#define METRICS_ALLOW_DEFAULT "127.0.0.0/8,::1"
#define METRICS_ALLOW_MAX 32

struct metrics_allow_net {
    int family;             /* AF_INET or AF_INET6 */
    unsigned char addr[16]; /* network order; the first 4 bytes for IPv4 */
    int prefix;             /* leading bits that must match */
};

struct metrics_allow {
    int count;
    struct metrics_allow_net nets[METRICS_ALLOW_MAX];
};

/* Parse "a, b/n, ..." (spaces around items allowed; an empty list allows no one). 0, or -1 on a
 * malformed item, a prefix out of range or more than METRICS_ALLOW_MAX items. */
int metrics_allow_parse(const char *spec, struct metrics_allow *out);
/* True when addr (a textual IPv4 or IPv6 address; an IPv4-mapped IPv6 address counts as its IPv4
 * address) is in one of the list's networks. False for anything that does not parse. */
bool metrics_allow_match(const struct metrics_allow *list, const char *addr);

#endif
