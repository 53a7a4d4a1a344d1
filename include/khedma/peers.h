/*
 * peers.h - who may open a FastCGI connection to khedmad when it listens on TCP
 * (KHEDMA_TRUSTED_PEERS; docs/deploy.md, "Load-balanced pool"). FastCGI has no authentication of
 * its own, so a TCP listener is guarded by the list of web servers' addresses, enforced by
 * libfcgi (FCGI_WEB_SERVER_ADDRS). libfcgi listens and checks over IPv4 only.
 */
#ifndef KHEDMA_PEERS_H
#define KHEDMA_PEERS_H

#include <stdbool.h>
#include <stddef.h>

/* Longest normalised list kept: 64 IPv4 addresses and their commas. */
#define PEERS_LIST_MAX (64 * 16)

/* Check a comma list of IPv4 addresses (spaces around items allowed) and write it to out as
 * "a,b,c" in the form libfcgi compares. Returns 0, or -1 with the reason in err. */
int peers_list_normalize(const char *list, char *out, size_t outlen, char *err, size_t errlen);

enum peers_rule {
    PEERS_UNIX,      /* a unix socket: the file's permissions guard it, no list applies */
    PEERS_LOOPBACK,  /* TCP on a loopback address without a list: only this host reaches it */
    PEERS_LIST,      /* TCP with a list: libfcgi accepts only those addresses */
    PEERS_REFUSE,    /* TCP on a reachable address without a list: khedmad must not start */
    PEERS_BAD_LISTEN /* a host libfcgi cannot bind (IPv6, empty port) */
};

/* What applies to KHEDMA_LISTEN listen given whether KHEDMA_TRUSTED_PEERS is set. */
enum peers_rule peers_rule_for(const char *listen, bool have_list);

/* Decide for listen and trusted (NULL when unset), log it, and set or clear
 * FCGI_WEB_SERVER_ADDRS, which libfcgi reads once, in FCGX_Init: call this before the first
 * FCGX_Init of the process. Returns 0, or -1 (logged) when khedmad must not start. */
int peers_apply(const char *listen, const char *trusted);

#endif
