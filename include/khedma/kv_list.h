/*
 * kv_list.h - an ordered list of string pairs that keeps repeated keys: a request's query
 * parameters, headers and cookies, a response's headers. Every string is a copy owned by the
 * list. Allocation failure aborts (see http.c: a worker that cannot allocate cannot answer).
 */
#ifndef KHEDMA_KV_LIST_H
#define KHEDMA_KV_LIST_H

#include <stddef.h>

struct kv {
    char *key;
    char *value;
};

struct kv_list {
    struct kv *items;
    size_t len, cap;
};

/* Append a copy of the pair (value NULL = ""). */
void kv_list_add(struct kv_list *l, const char *key, const char *value);
void kv_list_add_n(struct kv_list *l, const char *key, size_t klen, const char *value, size_t vlen);
/* The first value for key (exact match) or NULL. */
const char *kv_list_get(const struct kv_list *l, const char *key);
/* The same, with key compared case-insensitively (header names). */
const char *kv_list_get_ci(const struct kv_list *l, const char *key);
/* Remove every entry whose key equals key case-insensitively, keeping the others in order. */
void kv_list_remove_ci(struct kv_list *l, const char *key);
/* Drop the entries from index `from` on (undoes a partially applied parse). */
void kv_list_truncate(struct kv_list *l, size_t from);
/* Free every entry and the array; l is then an empty list again. */
void kv_list_free(struct kv_list *l);

#endif
