/*
 * metrics_allow.c - parses KHEDMA_METRICS_ALLOW and matches a peer address against it (see
 * metrics_allow.h). Pure: no configuration, no I/O, so the unit tests hold it to its rules.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "khedma/metrics_allow.h"

#define ITEM_MAX 64

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) becomes the IPv4 address it carries, so a
 * dual-stack listener's peers match the IPv4 entries. */
static bool parse_addr(const char *s, int *family, unsigned char addr[16])
{
    memset(addr, 0, 16);
    if (inet_pton(AF_INET, s, addr) == 1) {
        *family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, s, addr) != 1)
        return false;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(addr, mapped, sizeof mapped) == 0) {
        memmove(addr, addr + 12, 4);
        memset(addr + 4, 0, 12);
        *family = AF_INET;
    } else {
        *family = AF_INET6;
    }
    return true;
}

static int parse_prefix(const char *s, int max)
{
    if (!*s || strlen(s) > 3)
        return -1;
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (*end || v < 0 || v > max)
        return -1;
    return (int)v;
}

static int parse_item(const char *item, struct metrics_allow_net *net)
{
    char buf[ITEM_MAX];
    if (strlen(item) >= sizeof buf)
        return -1;
    strcpy(buf, item);
    char *slash = strchr(buf, '/');
    if (slash)
        *slash = '\0';
    if (!parse_addr(buf, &net->family, net->addr))
        return -1;
    int max = net->family == AF_INET ? 32 : 128;
    /* "::ffff:10.0.0.0/104" would need its prefix moved too: written as IPv4 instead. */
    if (slash && strchr(buf, ':') && net->family == AF_INET)
        return -1;
    net->prefix = slash ? parse_prefix(slash + 1, max) : max;
    return net->prefix < 0 ? -1 : 0;
}

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

int metrics_allow_parse(const char *spec, struct metrics_allow *out)
{
    memset(out, 0, sizeof *out);
    const char *p = spec ? spec : "";
    while (*p) {
        size_t n = strcspn(p, ",");
        const char *item = p;
        size_t len = n;
        p += n + (p[n] == ',');
        trim(&item, &len);
        if (len == 0)
            continue;
        char buf[ITEM_MAX];
        if (len >= sizeof buf || out->count >= METRICS_ALLOW_MAX)
            return -1;
        memcpy(buf, item, len);
        buf[len] = '\0';
        if (parse_item(buf, &out->nets[out->count]) != 0)
            return -1;
        out->count++;
    }
    return 0;
}

static bool prefix_equal(const unsigned char *a, const unsigned char *b, int bits)
{
    int whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, (size_t)whole) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

bool metrics_allow_match(const struct metrics_allow *list, const char *addr)
{
    int family;
    unsigned char a[16];
    if (!addr || !parse_addr(addr, &family, a))
        return false;
    for (int i = 0; i < list->count; i++) {
        const struct metrics_allow_net *n = &list->nets[i];
        if (n->family == family && prefix_equal(a, n->addr, n->prefix))
            return true;
    }
    return false;
}
