/*
 * bench/fcgi_fixed.c - a bare libfcgi responder for bench/gig_details.sh: every request gets the
 * bytes of one file (a real getGigDetails answer) and nothing else happens, so the bench can show
 * what nginx -> FastCGI costs on its own next to the real server. Like khedmad, it forks worker
 * processes that accept on one shared unix socket, one request at a time each.
 *
 *   fcgi_fixed SOCKET BODY_FILE PROCESSES
 *
 * Build: cc -O2 -o fcgi_fixed bench/fcgi_fixed.c -lfcgi. Stops on SIGTERM (the default action).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct stat st;
    char *buf = NULL;
    if (fstat(fileno(f), &st) == 0 && (buf = malloc((size_t)st.st_size + 1)) != NULL)
        *len = fread(buf, 1, (size_t)st.st_size, f);
    fclose(f);
    return buf;
}

static void serve(int sock, const char *body, size_t len)
{
    /* Headers formatted here: FCGX_FPrintF has its own printf that lacks %zu. */
    char head[128];
    int hlen = snprintf(head, sizeof head,
                        "Status: 200 OK\r\nContent-Type: application/json\r\n"
                        "Content-Length: %zu\r\n\r\n",
                        len);
    FCGX_Request req;
    if (FCGX_InitRequest(&req, sock, 0) != 0)
        exit(1);
    while (FCGX_Accept_r(&req) >= 0) {
        FCGX_PutStr(head, hlen, req.out);
        FCGX_PutStr(body, (int)len, req.out);
        FCGX_Finish_r(&req);
    }
    exit(0);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: fcgi_fixed SOCKET BODY_FILE PROCESSES\n");
        return 2;
    }
    size_t len = 0;
    char *body = read_file(argv[2], &len);
    int procs = atoi(argv[3]);
    if (!body || procs < 1 || FCGX_Init() != 0)
        return 1;
    int sock = FCGX_OpenSocket(argv[1], 128);
    if (sock < 0)
        return 1;
    chmod(argv[1], 0666); /* nginx's workers may run as another user */
    for (int i = 0; i < procs; i++) {
        if (fork() == 0) {
            prctl(PR_SET_PDEATHSIG, SIGTERM); /* stopping the parent stops them all */
            serve(sock, body, len);
        }
    }
    while (wait(NULL) > 0) {
    }
    return 0;
}
