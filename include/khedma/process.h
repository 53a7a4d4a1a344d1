/*
 * process.h - how khedmad makes its processes and handles their signals: the master's signal
 * mask, forking a child that dies with the master, and the signals every child (a worker or the
 * jobs process) handles the same way.
 *
 * The master takes its signals synchronously (blocked, then sigwaitinfo), so no handler races its
 * supervision loop. A child clears that mask and turns SIGTERM/SIGINT into a stop flag that its
 * loop checks between requests or ticks, so a stop never cuts a request or a transaction short.
 */
#ifndef KHEDMA_PROCESS_H
#define KHEDMA_PROCESS_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* Master: block SIGTERM, SIGINT, SIGHUP and SIGCHLD (set receives them, for sigwaitinfo and
 * sigtimedwait) and ignore SIGPIPE. Call before the first fork: children inherit the mask. */
void process_master_signals(sigset_t *set);

/* Fork a child. In the parent: the child's pid, or -1 (errno set). In the child: 0, once it is
 * set up: named `name` (what ps and the process tests see), sent SIGTERM when the parent dies
 * (PR_SET_PDEATHSIG; a child whose parent died before that took effect exits at once), its id
 * generator reseeded, its log lines stamped with `kind` ("worker", "jobs") and its signals set
 * as process_child_signals() does. */
pid_t process_fork_child(const char *name, const char *kind);

/* In a child: SIGTERM and SIGINT set the stop flag. SA_RESTART, so a signal in the middle of a
 * request does not break its database or socket calls; poll() is never restarted, so a waiting
 * loop still sees the flag promptly. SIGHUP and SIGPIPE are ignored and the signal mask
 * inherited from the master is cleared. */
void process_child_signals(void);
/* Whether SIGTERM or SIGINT arrived since process_child_signals() (always false without it). */
bool process_stop_requested(void);

#endif
