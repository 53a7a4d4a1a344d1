/*
 * webhook_guard.c - the SSRF guard of outgoing webhooks: where a URL points, what the addresses it
 * resolves to are, and whether a request may go there. See webhook_guard.h.
 *
 * Why a guard at all: webhook URLs come from clients, and the jobs process sits inside the
 * hosting network. Without it a client could make the server POST to the database host, a cloud
 * metadata endpoint (169.254.169.254) or an admin interface on loopback. The guard resolves the
 * host once, refuses if any address is in a special-purpose range or is one of this host's own
 * interface addresses, and the sender pins the vetted address for the request, so a DNS answer
 * that changes between the check and the connect cannot get around it. URLs handed in with an
 * order get a cheaper first check (localhost names and IP literals, no DNS):
 * webhook_guard_url_acceptable.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "khedma/webhook_guard.h"

/* ---- address classification ---- */

/* Special-purpose blocks (IANA's IPv4 Special-Purpose Address Registry) that are not loopback,
 * private, link-local, unspecified or multicast: none of them is a webhook receiver. */
static enum webhook_guard_addr_class classify_v4_special(uint32_t a)
{
    static const struct {
        uint32_t net;
        int bits;
        enum webhook_guard_addr_class c;
    } blocks[] = {
        {0xC0000000u, 24, WEBHOOK_GUARD_ADDR_RESERVED}, /* 192.0.0.0/24 IETF protocol assignments */
        {0xC0000200u, 24, WEBHOOK_GUARD_ADDR_DOCUMENTATION}, /* 192.0.2.0/24 TEST-NET-1 */
        {0xC0586300u, 24, WEBHOOK_GUARD_ADDR_RESERVED},      /* 192.88.99.0/24 6to4 relay anycast */
        {0xC6120000u, 15, WEBHOOK_GUARD_ADDR_RESERVED},      /* 198.18.0.0/15 benchmarking */
        {0xC6336400u, 24, WEBHOOK_GUARD_ADDR_DOCUMENTATION}, /* 198.51.100.0/24 TEST-NET-2 */
        {0xCB007100u, 24, WEBHOOK_GUARD_ADDR_DOCUMENTATION}, /* 203.0.113.0/24 TEST-NET-3 */
    };
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
        uint32_t mask = 0xFFFFFFFFu << (32 - blocks[i].bits);
        if ((a & mask) == blocks[i].net)
            return blocks[i].c;
    }
    return WEBHOOK_GUARD_ADDR_PUBLIC;
}

static enum webhook_guard_addr_class classify_v4(uint32_t a)
{
    unsigned b0 = a >> 24, b1 = (a >> 16) & 0xff;
    if (b0 == 0)
        return WEBHOOK_GUARD_ADDR_UNSPECIFIED;
    if (b0 == 127)
        return WEBHOOK_GUARD_ADDR_LOOPBACK;
    if (b0 == 10 || (b0 == 172 && (b1 & 0xf0) == 16) || (b0 == 192 && b1 == 168) ||
        (b0 == 100 && (b1 & 0xc0) == 64))
        return WEBHOOK_GUARD_ADDR_PRIVATE;
    if (b0 == 169 && b1 == 254)
        return WEBHOOK_GUARD_ADDR_LINK_LOCAL;
    if ((b0 & 0xf0) == 224)
        return WEBHOOK_GUARD_ADDR_MULTICAST;
    if (b0 >= 240)
        return WEBHOOK_GUARD_ADDR_RESERVED;
    return classify_v4_special(a);
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static enum webhook_guard_addr_class classify_v6(const unsigned char *b)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    static const unsigned char zeros[15] = {0};
    /* Addresses that carry an IPv4 address reach that address: judge them by it. */
    if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0)
        return classify_v4(be32(b + 12));
    if (b[0] == 0x20 && b[1] == 0x02) { /* 6to4: 2002:a.b.c.d::/48 */
        enum webhook_guard_addr_class inner = classify_v4(be32(b + 2));
        if (inner != WEBHOOK_GUARD_ADDR_PUBLIC)
            return inner;
    }
    if (memcmp(b, zeros, 15) == 0)
        return b[15] == 0   ? WEBHOOK_GUARD_ADDR_UNSPECIFIED
               : b[15] == 1 ? WEBHOOK_GUARD_ADDR_LOOPBACK
                            : WEBHOOK_GUARD_ADDR_RESERVED;
    if (memcmp(b, zeros, 12) == 0) /* deprecated IPv4-compatible ::a.b.c.d */
        return WEBHOOK_GUARD_ADDR_RESERVED;
    if (b[0] == 0x01 && memcmp(b + 1, zeros, 7) == 0)
        return WEBHOOK_GUARD_ADDR_RESERVED; /* discard-only 100::/64 */
    if (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b[4] == 0 && b[5] == 1)
        return WEBHOOK_GUARD_ADDR_RESERVED; /* local-use NAT64 64:ff9b:1::/48 */
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
        return WEBHOOK_GUARD_ADDR_DOCUMENTATION; /* 2001:db8::/32 */
    if ((b[0] & 0xfe) == 0xfc)
        return WEBHOOK_GUARD_ADDR_PRIVATE; /* unique local fc00::/7 */
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
        return WEBHOOK_GUARD_ADDR_LINK_LOCAL;
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
        return WEBHOOK_GUARD_ADDR_PRIVATE; /* deprecated site-local fec0::/10 */
    if (b[0] == 0xff)
        return WEBHOOK_GUARD_ADDR_MULTICAST;
    return WEBHOOK_GUARD_ADDR_PUBLIC;
}

enum webhook_guard_addr_class webhook_guard_classify(const struct sockaddr *sa)
{
    if (!sa)
        return WEBHOOK_GUARD_ADDR_RESERVED;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return classify_v4(ntohl(in->sin_addr.s_addr));
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        return classify_v6(in6->sin6_addr.s6_addr);
    }
    return WEBHOOK_GUARD_ADDR_RESERVED;
}

/* The address bytes that say where a connection goes: IPv4 as 4 bytes, and the IPv6 forms that
 * carry an IPv4 address (mapped, NAT64, 6to4) reduced to it; other IPv6 as 16 bytes. */
static size_t reach_key(const struct sockaddr *sa, unsigned char key[16])
{
    if (sa->sa_family == AF_INET) {
        memcpy(key, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return 4;
    }
    if (sa->sa_family != AF_INET6)
        return 0;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    const unsigned char *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
    if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0) {
        memcpy(key, b + 12, 4);
        return 4;
    }
    if (b[0] == 0x20 && b[1] == 0x02) {
        memcpy(key, b + 2, 4);
        return 4;
    }
    memcpy(key, b, 16);
    return 16;
}

int webhook_guard_is_own_address(const struct sockaddr *sa)
{
    unsigned char want[16], have[16];
    size_t n = sa ? reach_key(sa, want) : 0;
    if (n == 0)
        return 0;
    struct ifaddrs *list = NULL;
    if (getifaddrs(&list) != 0)
        return -1;
    int own = 0;
    for (const struct ifaddrs *i = list; i && !own; i = i->ifa_next)
        own = i->ifa_addr && reach_key(i->ifa_addr, have) == n && memcmp(want, have, n) == 0;
    freeifaddrs(list);
    return own;
}

const char *webhook_guard_addr_class_name(enum webhook_guard_addr_class c)
{
    static const char *const names[] = {"public",      "loopback",  "private",  "link-local",
                                        "unspecified", "multicast", "reserved", "documentation"};
    return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "reserved";
}

bool webhook_guard_addr_allowed(enum webhook_guard_addr_class c, bool allow_private)
{
    return c == WEBHOOK_GUARD_ADDR_PUBLIC || allow_private;
}

/* ---- targets ---- */

static bool copy_host(const char *host, struct webhook_guard_target *t)
{
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') { /* IPv6 literal */
        host++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof t->host)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)host[i];
        /* After punycode conversion a host is ASCII; anything else cannot be pinned reliably. */
        if (ch <= 0x20 || ch >= 0x7f)
            return false;
        t->host[i] = (char)tolower(ch);
    }
    t->host[n] = '\0';
    return true;
}

bool webhook_guard_parse_target(const char *url, struct webhook_guard_target *t)
{
    memset(t, 0, sizeof *t);
    if (!url)
        return false;
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    bool ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_HOST, &host, CURLU_PUNYCODE) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK;
    if (ok) {
        t->https = strcmp(scheme, "https") == 0;
        char *end = NULL;
        long p = strtol(port, &end, 10);
        ok = (t->https || strcmp(scheme, "http") == 0) && end && *end == '\0' && p >= 1 &&
             p <= 65535 && copy_host(host, t);
        t->port = ok ? (unsigned)p : 0;
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    if (!ok)
        memset(t, 0, sizeof *t);
    return ok;
}

static bool is_ip_literal(const char *host)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* The CURLOPT_RESOLVE entry "host:port:addr[,addr...]" naming every vetted address (IPv6 in
 * brackets), so libcurl can still fall back from one family to the other but never connects to an
 * address the guard has not seen. Addresses that no longer fit in pin are left out. */
static void write_pin(const struct webhook_guard_target *t, const struct addrinfo *res, char *pin,
                      size_t pinlen)
{
    int n = snprintf(pin, pinlen, "%s:%u:", t->host, t->port);
    if (n < 0 || (size_t)n >= pinlen) {
        pin[0] = '\0';
        return;
    }
    size_t pos = (size_t)n;
    bool first = true;
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        char addr[INET6_ADDRSTRLEN] = "";
        bool v6 = ai->ai_family == AF_INET6;
        const void *raw = v6 ? (const void *)&((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
                             : (const void *)&((const struct sockaddr_in *)ai->ai_addr)->sin_addr;
        if (!inet_ntop(ai->ai_family, raw, addr, sizeof addr))
            continue;
        int m = snprintf(pin + pos, pinlen - pos, v6 ? "%s[%s]" : "%s%s", first ? "" : ",", addr);
        if (m < 0 || (size_t)m >= pinlen - pos) {
            pin[pos] = '\0';
            break;
        }
        pos += (size_t)m;
        first = false;
    }
    if (first)
        pin[0] = '\0';
}

int webhook_guard_vet_address(const struct sockaddr *sa, bool allow_private, char *why,
                              size_t whylen)
{
    if (allow_private)
        return 0;
    enum webhook_guard_addr_class c = webhook_guard_classify(sa);
    if (!webhook_guard_addr_allowed(c, false)) {
        snprintf(why, whylen, "refused: the host resolves to a %s address",
                 webhook_guard_addr_class_name(c));
        return 1;
    }
    /* A public address of this very host (its own interface) reaches services bound to it. */
    int own = webhook_guard_is_own_address(sa);
    if (own < 0)
        snprintf(why, whylen, "cannot list this host's own addresses");
    else if (own > 0)
        snprintf(why, whylen, "refused: the host resolves to this server's own address");
    return own < 0 ? -1 : own;
}

static bool is_localhost_name(const char *host)
{
    size_t n = strlen(host);
    if (n > 0 && host[n - 1] == '.')
        n--; /* "localhost." is the same name */
    static const char name[] = "localhost";
    size_t m = sizeof name - 1;
    if (n == m)
        return strncmp(host, name, m) == 0;
    /* Every name under .localhost is loopback (RFC 6761). */
    return n > m && host[n - m - 1] == '.' && strncmp(host + n - m, name, m) == 0;
}

/* The host as an address when it is an IP literal: IPv6, or IPv4 in any form the resolver also
 * accepts (127.1, 0x7f.0.0.1, 2130706433). */
static bool literal_address(const char *host, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        return true;
    }
    if (inet_aton(host, &in->sin_addr) != 0) {
        in->sin_family = AF_INET;
        return true;
    }
    return false;
}

bool webhook_guard_url_acceptable(const char *url, bool allow_private, char *why, size_t whylen)
{
    why[0] = '\0';
    struct webhook_guard_target t;
    if (!webhook_guard_parse_target(url, &t)) {
        snprintf(why, whylen, "not an absolute http(s) URL");
        return false;
    }
    if (allow_private)
        return true;
    if (is_localhost_name(t.host)) {
        snprintf(why, whylen, "refused: localhost");
        return false;
    }
    struct sockaddr_storage ss;
    if (!literal_address(t.host, &ss))
        return true; /* a name: vetted at each delivery, since what it resolves to can change */
    /* A failure to list this host's addresses is not the URL's fault: delivery checks again. */
    return webhook_guard_vet_address((const struct sockaddr *)&ss, false, why, whylen) <= 0;
}

int webhook_guard_resolve(const struct webhook_guard_target *t, bool allow_private, char *pin,
                          size_t pinlen, char *why, size_t whylen)
{
    pin[0] = why[0] = '\0';
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    char port[8];
    snprintf(port, sizeof port, "%u", t->port);
    /* Bounded by the resolver's own timeout and attempts (resolv.conf), as every lookup is. */
    int rc = getaddrinfo(t->host, port, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(why, whylen, "cannot resolve host: %s", gai_strerror(rc));
        return -1;
    }
    /* Every address must pass: a name that also resolves to a private address is refused. */
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int verdict = webhook_guard_vet_address(ai->ai_addr, allow_private, why, whylen);
        if (verdict != 0) {
            freeaddrinfo(res);
            return verdict;
        }
    }
    if (!is_ip_literal(t->host))
        write_pin(t, res, pin, pinlen);
    freeaddrinfo(res);
    return 0;
}
