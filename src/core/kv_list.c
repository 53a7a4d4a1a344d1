/*
 * kv_list.c - the ordered string-pair lists of kv_list.h (query parameters, headers, cookies).
 */
#include "khedma/kv_list.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void *xrealloc(void *old, size_t n)
{
    void *p = realloc(old, n ? n : 1);
    if (!p)
        abort();
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        abort();
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void kv_list_add_n(struct kv_list *l, const char *key, size_t klen, const char *value, size_t vlen)
{
    if (l->len == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        l->items = xrealloc(l->items, cap * sizeof *l->items);
        l->cap = cap;
    }
    l->items[l->len].key = xstrndup(key, klen);
    l->items[l->len].value = xstrndup(value ? value : "", value ? vlen : 0);
    l->len++;
}

void kv_list_add(struct kv_list *l, const char *key, const char *value)
{
    kv_list_add_n(l, key, strlen(key), value, value ? strlen(value) : 0);
}

const char *kv_list_get(const struct kv_list *l, const char *key)
{
    for (size_t i = 0; i < l->len; i++)
        if (strcmp(l->items[i].key, key) == 0)
            return l->items[i].value;
    return NULL;
}

/* Header names are case-insensitive in HTTP, so lookups that stand for a header use this. */
const char *kv_list_get_ci(const struct kv_list *l, const char *key)
{
    for (size_t i = 0; i < l->len; i++)
        if (strcasecmp(l->items[i].key, key) == 0)
            return l->items[i].value;
    return NULL;
}

/* Remove every entry whose key equals key (case-insensitively), keeping the others in order. */
void kv_list_remove_ci(struct kv_list *l, const char *key)
{
    size_t kept = 0;
    for (size_t i = 0; i < l->len; i++) {
        if (strcasecmp(l->items[i].key, key) == 0) {
            free(l->items[i].key);
            free(l->items[i].value);
        } else {
            l->items[kept++] = l->items[i];
        }
    }
    l->len = kept;
}

/* Drop entries from index `from` on: undoes a partially applied parse. */
void kv_list_truncate(struct kv_list *l, size_t from)
{
    for (size_t i = from; i < l->len; i++) {
        free(l->items[i].key);
        free(l->items[i].value);
    }
    if (from < l->len)
        l->len = from;
}

void kv_list_free(struct kv_list *l)
{
    kv_list_truncate(l, 0);
    free(l->items);
    l->items = NULL;
    l->len = l->cap = 0;
}
