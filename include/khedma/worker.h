/*
 * worker.h - one FastCGI worker process: accepts requests on the shared listening socket and
 * serves them through the application (app.h).
 */
#ifndef KHEDMA_WORKER_H
#define KHEDMA_WORKER_H

#include <stddef.h>

struct db;

/* Where one request comes from and its response goes: a FastCGI connection, or a CGI program's
 * environment, standard input and standard output (standalone.c). read returns the bytes read, 0
 * at the end, or -1; handle is passed to both. */
struct worker_io {
    char **envp;
    int (*read)(void *handle, char *buf, size_t len);
    void (*write)(void *handle, const char *buf, size_t len);
    void *handle;
};

/* Serve one request: parse it, run it through the application, write the response and log the
 * access line. */
void worker_serve_one(const struct worker_io *io, struct db *db);

/* Serve requests on listen_fd until told to stop (process.h) or max_requests served (0 = no
 * limit). Returns the process exit code. */
int worker_run(int listen_fd, int max_requests);

#endif
