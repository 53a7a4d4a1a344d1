/*
 * worker.c - one FastCGI worker: accept a connection, read the request, run it through app_handle,
 * write the response, log one access line, repeat. nginx opens one FastCGI connection per request
 * (no fastcgi_keep_conn), so a single-threaded worker is never pinned to an idle connection.
 *
 * The listening socket is non-blocking and waited on with poll(): all workers share it, the one
 * whose accept() wins serves the request and the others go back to waiting, and a SIGTERM is
 * noticed within one poll interval even when no traffic arrives.
 */
#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <mysql.h>

#include "khedma/accounts.h"
#include "khedma/app.h"
#include "khedma/config.h"
#include "khedma/db.h"
#include "khedma/http.h"
#include "khedma/httpclient.h"
#include "khedma/log.h"
#include "khedma/metrics.h"
#include "khedma/process.h"
#include "khedma/rest.h"
#include "khedma/supervise.h"
#include "khedma/timeutil.h"
#include "khedma/worker.h"

/* Read the body: up to request_body_limit bytes (MAX_BODY but on the upload route). Returns 0, 1
 * when it is too large, -1 on a read error. */
static int read_body(const struct worker_io *io, struct request *req)
{
    if (req->content_length > (long long)request_body_limit(req))
        return 1;
    size_t want = req->content_length > 0 ? (size_t)req->content_length : 0;
    if (want == 0)
        return 0;
    char *buf = malloc(want + 1);
    if (!buf)
        return -1;
    size_t got = 0;
    while (got < want) {
        int n = io->read(io->handle, buf + got, want - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got != want) {
        free(buf);
        return -1;
    }
    request_set_body(req, buf, got);
    free(buf);
    return 0;
}

static void send_response(const struct worker_io *io, const struct response *resp)
{
    size_t len = 0;
    char *bytes = response_serialize(resp, &len);
    if (bytes) {
        io->write(io->handle, bytes, len);
        free(bytes);
    }
}

/* Counted under the matched route's label (metrics.h), never the raw path. */
static void observe_request(const struct ctx *c, long long took_us)
{
    const struct route *r = c->match.route;
    const char *trpc = r ? router_param(&c->match, "path") : NULL;
    int label = metrics_route_label_of(r, trpc);
    metrics_observe_request(label, c->req->method, c->resp->status, (double)took_us / 1e6);
}

void worker_serve_one(const struct worker_io *io, struct db *db)
{
    struct request req;
    struct response resp;
    memset(&req, 0, sizeof(req));
    response_init(&resp);
    int parsed = request_from_params(&req, io->envp);
    log_set_request_id(req.request_id);
    supervise_slot_request_begin(req.request_id); /* the master names it should this worker crash */

    struct ctx c;
    memset(&c, 0, sizeof(c));
    c.req = &req;
    c.resp = &resp;
    c.db = db;
    int body = parsed == 0 ? read_body(io, &req) : 0;
    if (parsed != 0)
        app_refuse(&c, 400, E_BAD_REQUEST, "Malformed request URI");
    else if (body > 0)
        app_refuse(&c, 413, E_TOO_LARGE, "Request body too large");
    else if (body < 0)
        app_refuse(&c, 400, E_BAD_REQUEST, "Incomplete request body");
    else
        app_handle(&c);
    /* A handler that failed half-way must never leave a transaction open for the next request. */
    if (db_in_transaction(db))
        db_rollback(db);

    response_header(&resp, "X-Request-Id", req.request_id);
    response_cache_policy(&req, &resp, g_config->public_cache_s);
    send_response(io, &resp);
    long long took_us = timeutil_now_us() - req.started_us;
    observe_request(&c, took_us);
    log_access(req.request_id, req.method ? req.method : "-", req.path ? req.path : "-",
               resp.status, took_us, c.signed_in ? c.user.id : NULL);
    log_set_request_id(NULL);
    if (c.signed_in)
        accounts_user_free(&c.user);
    response_free(&resp);
    request_free(&req);
}

static int fcgi_read(void *handle, char *buf, size_t len)
{
    FCGX_Request *fr = handle;
    return FCGX_GetStr(buf, len > INT_MAX ? INT_MAX : (int)len, fr->in);
}

static void fcgi_write(void *handle, const char *buf, size_t len)
{
    FCGX_Request *fr = handle;
    FCGX_PutStr(buf, (int)len, fr->out);
}

int worker_run(int listen_fd, int max_requests)
{
    int flags = fcntl(listen_fd, F_GETFL);
    fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK);
    if (FCGX_Init() != 0) {
        log_error("FCGX_Init failed");
        return 1;
    }
    struct db *db = db_open(&g_config->db);
    if (!db) {
        log_error("out of memory opening the database handle");
        return 1;
    }
    FCGX_Request fr;
    FCGX_InitRequest(&fr, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR);
    log_info("worker ready");
    supervise_slot_mark_ready(); /* from here on a death is not a start-up crash loop */
    int served = 0;
    while (!process_stop_requested()) {
        struct pollfd p = {.fd = listen_fd, .events = POLLIN};
        int ready = poll(&p, 1, 1000);
        if (ready <= 0)
            continue;
        /* The socket itself failed or was closed under us (a web server that spawned this
         * process on its socket went away): nothing more will arrive. */
        if (p.revents & (POLLERR | POLLHUP | POLLNVAL))
            break;
        /* Another worker may have taken the connection: accept then fails with EAGAIN. */
        if (FCGX_Accept_r(&fr) < 0)
            continue;
        supervise_slot_request_begin(
            ""); /* in flight, id not known until the parameters are parsed */
        struct worker_io io = {fr.envp, fcgi_read, fcgi_write, &fr};
        worker_serve_one(&io, db);
        FCGX_Finish_r(&fr);
        supervise_slot_request_end();
        if (max_requests > 0 && ++served >= max_requests) {
            log_info("worker recycling after %d requests", served);
            break;
        }
    }
    FCGX_Free(&fr, 1);
    db_close(db);
    httpclient_cleanup();
    mysql_library_end();
    log_info("worker stopped");
    return 0;
}
