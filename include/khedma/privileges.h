/*
 * privileges.h - khedmad started as root gives root up before it serves: the master opens its
 * listening socket (a port below 1024 or a socket in a root-owned directory), then becomes an
 * unprivileged user, and every worker and the jobs process are forked from that (docs/deploy.md,
 * "Running as an unprivileged user").
 */
#ifndef KHEDMA_PRIVILEGES_H
#define KHEDMA_PRIVILEGES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The user khedmad runs as when started as root and KHEDMA_USER is unset: this one when it
 * exists (deploy/up creates it), else PRIVILEGES_FALLBACK_USER. */
#define PRIVILEGES_DEFAULT_USER "khedma"
#define PRIVILEGES_FALLBACK_USER "nobody"

/* Whether a user name exists on this system (getpwnam; tests pass their own). */
typedef bool (*privileges_user_exists_fn)(const char *name);

/* Which user to become. euid is the current effective uid, configured is KHEDMA_USER (NULL when
 * unset). Returns the name to switch to, or NULL when nothing is to be done: not running as
 * root, or KHEDMA_USER=root (an explicit choice to keep root, logged by the caller). */
const char *privileges_target(uid_t euid, const char *configured, privileges_user_exists_fn exists);

/* Become `user`: its supplementary groups (initgroups), then its group, then its uid, and check
 * that root cannot be regained. Returns 0, or -1 with a reason in why (nothing is half-done in a
 * way that would let the process go on as root: the caller must exit). */
int privileges_become(const char *user, char *why, size_t whylen);

/* The master's step after opening its socket: privileges_target with getpwnam, then
 * privileges_become; logs what it did. Returns 0, or -1 when the server must not start. */
int privileges_drop(const char *configured);

#endif
