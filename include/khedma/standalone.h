/*
 * standalone.h - khedmad started by a web server rather than by its own master: as a FastCGI
 * application on a socket the web server made (Apache mod_fcgid, spawn-fcgi, lighttpd), or as a
 * CGI program answering one request (docs/deploy.md, "Shared hosting").
 */
#ifndef KHEDMA_STANDALONE_H
#define KHEDMA_STANDALONE_H

#include <stdbool.h>

/* Standard input is a listening socket (the FastCGI convention: libfcgi's FCGX_IsCGI() is
 * false). */
bool standalone_stdin_is_fcgi(void);

/* Started as a CGI program: GATEWAY_INTERFACE is set. */
bool standalone_is_cgi(void);

/* Serve as one FastCGI worker on standard input until SIGTERM, the web server going away or
 * KHEDMA_MAX_REQUESTS. No master, no fork, no jobs. Returns the exit code. */
int standalone_fcgi(void);

/* Answer the one CGI request in the environment and standard input on standard output. */
int standalone_cgi(void);

#endif
