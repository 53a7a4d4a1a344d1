/*
 * config_file.h - the optional configuration file (KHEDMA_CONFIG, or khedma.conf next to the
 * binary) for hosts where a spawned process gets no environment of its own (docs/deploy.md,
 * "Shared hosting"). It holds KEY=value lines with the same KHEDMA_* names as the environment
 * variables; a variable set in the environment wins over the file.
 */
#ifndef KHEDMA_CONFIG_FILE_H
#define KHEDMA_CONFIG_FILE_H

#include <stdbool.h>
#include <stddef.h>

/* Read and check the file at path. required: a missing file is an error (KHEDMA_CONFIG named
 * it); otherwise a missing file is simply no file. Refuses a file readable by group or others
 * that holds a secret. Returns 0, or -1 with a message in errbuf that names the file and the line
 * but never a value. Replaces whatever an earlier call loaded. */
int config_file_load(const char *path, bool required, char *errbuf, size_t errlen);

/* Parse text (the contents of a file called `name`, for messages) into the loaded settings
 * without touching the disk or checking permissions. Same return as config_file_load. */
int config_file_parse(const char *name, const char *text, char *errbuf, size_t errlen);

/* Whether the loaded settings hold a secret (a database password, a key, a webhook secret). */
bool config_file_has_secret(void);

/* The loaded file's value for name, or NULL. */
const char *config_file_get(const char *name);

/* The lookup config_load() is given: the environment first (a non-empty value), then the file. */
const char *config_file_lookup(const char *name);

/* Put the file's settings the environment does not set into the environment, for the few
 * settings read with getenv() outside config_load (the jobs tick, the stop timeout). */
void config_file_export(void);

/* Where the file is looked for: $KHEDMA_CONFIG (*required = true), else khedma.conf in the
 * directory of /proc/self/exe. Returns buf, or NULL when no path can be made. */
const char *config_file_path(char *buf, size_t len, bool *required);

/* Forget the loaded settings. */
void config_file_clear(void);

#endif
