/*
 * worker.h - one FastCGI worker process: accepts requests on the shared listening socket and
 * serves them through the application (app.h).
 */
#ifndef KHEDMA_WORKER_H
#define KHEDMA_WORKER_H

/* Serve requests on listen_fd until told to stop (process.h) or max_requests served (0 = no
 * limit). Returns the process exit code. */
int worker_run(int listen_fd, int max_requests);

#endif
