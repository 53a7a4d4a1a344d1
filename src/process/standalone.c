/*
 * standalone.c - khedmad run by a web server (see standalone.h): one FastCGI worker on the socket
 * the web server passed as standard input, or one CGI request. Both serve through worker.c, so a
 * request is handled exactly as under the master.
 *
 * Neither mode forks, runs migrations, builds read models or starts the jobs (`khedmad migrate`
 * and `khedmad jobs-once` from cron do that): a CGI request pays only for the exec, the
 * configuration and the one database connection it needs, made on its first query.
 */
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <mysql.h>

#include "khedma/config.h"
#include "khedma/db.h"
#include "khedma/httpclient.h"
#include "khedma/log.h"
#include "khedma/privileges.h"
#include "khedma/process.h"
#include "khedma/standalone.h"
#include "khedma/worker.h"

extern char **environ;

bool standalone_stdin_is_fcgi(void)
{
    /* libfcgi's own test: a socket on fd 0 with no peer (getpeername fails with ENOTCONN). */
    return FCGX_IsCGI() == 0;
}

bool standalone_is_cgi(void)
{
    const char *gi = getenv("GATEWAY_INTERFACE");
    return gi && *gi;
}

static bool database_configured(void)
{
    if (g_config && g_config->database_url)
        return true;
    log_error("KHEDMA_DATABASE_URL is not set (environment or khedma.conf)");
    return false;
}

int standalone_fcgi(void)
{
    log_init("fcgi");
    if (!database_configured())
        return 1;
    /* The web server's process manager is our parent: when it goes, so do we (mod_fcgid also
     * sends SIGTERM itself, then SIGKILL). */
    pid_t parent = getppid();
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    process_child_signals();
    if (getppid() != parent)
        return 0;
    /* A process manager running as root (spawn-fcgi without -u) hands over the socket the same
     * way: root is given up here as `khedmad serve` does after opening its own. */
    if (privileges_drop(g_config->user) != 0)
        return 1;
    return worker_run(STDIN_FILENO, g_config->max_requests);
}

/* CGI: the body is standard input, the response standard output (handle is unused). */
static int stdin_read(void *handle, char *buf, size_t len)
{
    (void)handle;
    size_t n = fread(buf, 1, len, stdin);
    return n > 0 ? (int)n : ferror(stdin) ? -1 : 0;
}

static void stdout_write(void *handle, const char *buf, size_t len)
{
    (void)handle;
    fwrite(buf, 1, len, stdout);
}

int standalone_cgi(void)
{
    log_init("cgi");
    if (!database_configured())
        return 1;
    signal(SIGPIPE, SIG_IGN);
    struct db *db = db_open_lazy(&g_config->db);
    if (!db) {
        log_error("out of memory opening the database handle");
        return 1;
    }
    struct worker_io io = {environ, stdin_read, stdout_write, NULL};
    worker_serve_one(&io, db);
    int rc = fflush(stdout) == 0 ? 0 : 1;
    db_close(db);
    httpclient_cleanup();
    return rc;
}
