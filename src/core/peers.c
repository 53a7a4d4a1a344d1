/*
 * peers.c - the KHEDMA_TRUSTED_PEERS rule for a TCP FastCGI listener (peers.h).
 *
 * libfcgi (2.4) does the filtering: FCGX_Init copies FCGI_WEB_SERVER_ADDRS once, and every
 * accept() of an AF_INET peer whose address is not in that comma list is closed at once inside
 * FCGX_Accept_r, which then tries accept() again. Our listening socket is non-blocking, so that
 * second accept() fails with EAGAIN and FCGX_Accept_r returns to the worker's poll loop: a refused
 * peer costs one accept and one close, and can neither block a worker nor make it spin. libfcgi
 * compares with inet_addr() and skips the check for non-AF_INET peers, and it binds TCP with
 * AF_INET only, so the list and the listener are IPv4; IPv6 is rejected here, not left open.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/log.h"
#include "khedma/peers.h"

static int peers_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int peers_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen > 0)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* One item, without its surrounding spaces, into out at *used. */
static int add_item(const char *item, size_t n, char *out, size_t outlen, size_t *used, char *err,
                    size_t errlen)
{
    char addr[INET6_ADDRSTRLEN + 1];
    struct in_addr a4;
    if (n == 0)
        return peers_error(err, errlen, "an empty address in the list");
    if (n >= sizeof addr)
        return peers_error(err, errlen, "not an IPv4 address: (too long)");
    memcpy(addr, item, n);
    addr[n] = '\0';
    if (strchr(addr, ':'))
        return peers_error(err, errlen, "%s: IPv6 is not supported (libfcgi checks IPv4 only)",
                           addr);
    if (inet_pton(AF_INET, addr, &a4) != 1)
        return peers_error(err, errlen, "not an IPv4 address: %s", addr);
    if (*used + n + 2 > outlen)
        return peers_error(err, errlen, "too many addresses");
    if (*used > 0)
        out[(*used)++] = ',';
    memcpy(out + *used, addr, n + 1);
    *used += n;
    return 0;
}

int peers_list_normalize(const char *list, char *out, size_t outlen, char *err, size_t errlen)
{
    size_t used = 0;
    if (!list || outlen == 0)
        return peers_error(err, errlen, "no list");
    out[0] = '\0';
    const char *p = list;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n > 0 && (*p == ' ' || *p == '\t'))
            p++, n--;
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (add_item(p, n, out, outlen, &used, err, errlen) < 0)
            return -1;
        if (!end)
            return 0;
        p = end + 1;
    }
}

/* The host part of "host:port" into host; false when it is not something libfcgi binds. */
static bool split_host(const char *listen, char *host, size_t hostlen)
{
    const char *colon = strrchr(listen, ':');
    size_t n = (size_t)(colon - listen);
    if (n >= hostlen || memchr(listen, ':', n) || colon[1] == '\0' || atoi(colon + 1) <= 0)
        return false; /* IPv6, or no port */
    memcpy(host, listen, n);
    host[n] = '\0';
    return true;
}

static bool is_loopback_host(const char *host)
{
    struct in_addr a4;
    if (strcmp(host, "localhost") == 0)
        return true;
    if (inet_pton(AF_INET, host, &a4) != 1)
        return false; /* "", "*" (every interface) or a name: reachable from elsewhere */
    return (ntohl(a4.s_addr) >> 24) == 127;
}

enum peers_rule peers_rule_for(const char *listen, bool have_list)
{
    if (listen[0] == '/' || strchr(listen, ':') == NULL)
        return PEERS_UNIX; /* the test master.c uses to choose a unix socket */
    char host[256];
    if (!split_host(listen, host, sizeof host))
        return PEERS_BAD_LISTEN;
    if (have_list)
        return PEERS_LIST;
    return is_loopback_host(host) ? PEERS_LOOPBACK : PEERS_REFUSE;
}

int peers_apply(const char *listen, const char *trusted)
{
    /* A value inherited from the environment must not widen or narrow what was configured. */
    unsetenv("FCGI_WEB_SERVER_ADDRS");
    switch (peers_rule_for(listen, trusted != NULL)) {
    case PEERS_UNIX:
        if (trusted)
            log_warn("KHEDMA_TRUSTED_PEERS applies to a TCP listener only: %s is a unix socket",
                     listen);
        return 0;
    case PEERS_LOOPBACK:
        log_info("listening on loopback %s: only this host can connect", listen);
        return 0;
    case PEERS_LIST:
        log_info("accepting FastCGI connections on %s only from %s", listen, trusted);
        return setenv("FCGI_WEB_SERVER_ADDRS", trusted, 1) == 0 ? 0 : -1;
    case PEERS_REFUSE:
        log_error("refusing to listen on %s: FastCGI has no authentication, so a TCP address "
                  "other hosts can reach needs KHEDMA_TRUSTED_PEERS (the web servers' IPv4 "
                  "addresses, comma separated)",
                  listen);
        return -1;
    case PEERS_BAD_LISTEN:
    default:
        log_error("cannot listen on %s: use host:port with an IPv4 address or a name (libfcgi "
                  "has no IPv6)",
                  listen);
        return -1;
    }
}
