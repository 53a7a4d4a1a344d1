/*
 * webhook_guard.h - the SSRF guard of outgoing webhooks: where a webhook URL points, what the
 * addresses it resolves to are, and whether a request may go there.
 *
 * Webhook URLs come from clients, and the jobs process sits inside the hosting network: without
 * the guard a client could make the server POST to the database host, a cloud metadata endpoint
 * or an admin interface on loopback. URLs are checked cheaply when a client hands them in
 * (webhook_guard_url_acceptable) and fully, with the address pinned, before each delivery
 * (webhook_guard_resolve).
 */
#ifndef KHEDMA_WEBHOOK_GUARD_H
#define KHEDMA_WEBHOOK_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* What an address is, as far as the SSRF guard is concerned. IPv4-mapped (::ffff:a.b.c.d) and
 * NAT64 (64:ff9b::a.b.c.d) IPv6 addresses are classified by the IPv4 address they carry. */
enum webhook_guard_addr_class {
    WEBHOOK_GUARD_ADDR_PUBLIC,
    WEBHOOK_GUARD_ADDR_LOOPBACK,    /* 127/8, ::1 */
    WEBHOOK_GUARD_ADDR_PRIVATE,     /* 10/8, 172.16/12, 192.168/16, 100.64/10 (CGNAT), fc00::/7 */
    WEBHOOK_GUARD_ADDR_LINK_LOCAL,  /* 169.254/16, fe80::/10 */
    WEBHOOK_GUARD_ADDR_UNSPECIFIED, /* 0/8, :: */
    WEBHOOK_GUARD_ADDR_MULTICAST,   /* 224/4, ff00::/8 */
    WEBHOOK_GUARD_ADDR_RESERVED,    /* 240/4 (with the broadcast address), 192.0.0/24, 192.88.99/24,
                             198.18/15, ::/96, 100::/64, 64:ff9b:1::/48, other families */
    WEBHOOK_GUARD_ADDR_DOCUMENTATION, /* 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32 */
};
enum webhook_guard_addr_class webhook_guard_classify(const struct sockaddr *sa);
/* "public", "loopback", "private", "link-local", "unspecified", "multicast", "reserved". */
const char *webhook_guard_addr_class_name(enum webhook_guard_addr_class c);
/* Whether a request may go to an address of this class. */
bool webhook_guard_addr_allowed(enum webhook_guard_addr_class c, bool allow_private);

/* Whether sa is one of this host's own interface addresses (getifaddrs; an IPv6 form carrying an
 * IPv4 address counts as that IPv4 address): 1 yes, 0 no, -1 when they cannot be listed. */
int webhook_guard_is_own_address(const struct sockaddr *sa);
/* The guard's verdict on one address: 0 allowed, 1 refused for good (a class the guard forbids,
 * or this host's own address), -1 cannot tell now (retry); why says why. allow_private (the
 * KHEDMA_WEBHOOK_ALLOW_PRIVATE switch) allows everything. */
int webhook_guard_vet_address(const struct sockaddr *sa, bool allow_private, char *why,
                              size_t whylen);

/* Where a webhook URL points. host is without the brackets of an IPv6 literal. */
struct webhook_guard_target {
    bool https;
    char host[256];
    unsigned port; /* the scheme's default when the URL names none */
};
/* False for anything but an absolute http(s) URL with a host (and a port in 1..65535). */
bool webhook_guard_parse_target(const char *url, struct webhook_guard_target *t);

/* The check when a client hands a webhook URL in (no DNS lookup): false, with why, for a URL that
 * is not absolute http(s), whose host is `localhost` or a name under .localhost, or an IP literal
 * webhook_guard_vet_address() refuses. Everything passes with allow_private. Names that resolve to
 * refused addresses are caught at delivery. */
bool webhook_guard_url_acceptable(const char *url, bool allow_private, char *why, size_t whylen);

/* Resolve the target's host and vet every address it resolves to. Returns 0 with pin set to the
 * CURLOPT_RESOLVE entry "host:port:address" that fixes the address the request will connect to
 * ("" for an IP literal, which needs no resolving); otherwise writes the reason into why and
 * returns 1 when the URL is refused for good (an address the guard forbids) or -1 when resolving
 * failed (worth retrying). */
int webhook_guard_resolve(const struct webhook_guard_target *t, bool allow_private, char *pin,
                          size_t pinlen, char *why, size_t whylen);

#endif
