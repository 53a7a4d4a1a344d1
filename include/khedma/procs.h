/*
 * procs.h - the three kinds of process khedmad runs: the master (forks and supervises), FastCGI
 * workers (serve requests) and the jobs process (background work claimed from tables).
 */
#ifndef KHEDMA_PROCS_H
#define KHEDMA_PROCS_H

/* Open the listening socket from g_config->listen, fork workers and jobs, supervise until
 * SIGTERM/SIGINT. SIGHUP = graceful reload. Returns the process exit code. */
int master_run(void);
/* Serve requests on listen_fd until told to stop or max_requests served (0 = no limit). */
int worker_run(int listen_fd, int max_requests);
/* In a child (worker or jobs): SIGTERM/SIGINT call on_stop, which only sets a flag. SA_RESTART so
 * a signal in the middle of a request does not break its database or socket calls; poll() is
 * never restarted, so a waiting loop still sees the flag promptly. SIGHUP and SIGPIPE are
 * ignored and the signal mask inherited from the master is cleared. */
void child_signals(void (*on_stop)(int));
/* Run background jobs until told to stop. */
int jobs_run(void);

#endif
