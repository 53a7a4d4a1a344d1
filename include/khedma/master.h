/*
 * master.h - the khedmad master: opens the FastCGI listening socket, forks the workers and one
 * jobs process, and supervises them (replacing the dead, reloading on SIGHUP, stopping on
 * SIGTERM/SIGINT).
 */
#ifndef KHEDMA_MASTER_H
#define KHEDMA_MASTER_H

#include "khedma/config.h"

/* Open the listening socket from config->listen, fork workers and jobs, supervise until
 * SIGTERM/SIGINT. SIGHUP = graceful reload. config is the configuration g_config points at; each
 * child frees it before it exits. Returns the process exit code. */
int master_run(struct config *config);

#endif
