#!/usr/bin/env python3
"""db_relay.py - relay a unix socket anyone may connect to onto the test MariaDB's socket.

Usage: db_relay.py LISTEN_PATH TARGET_PATH. The Apache tests run khedmad as an unprivileged user,
and the test stack's MariaDB socket lives under the repository, which that user may not be able to
enter (a checkout under /root, say). This relay, run by the test as root, listens under the test's
temporary directory and copies bytes both ways; the server still sees a local socket client, so
the khedma@localhost account and its password apply unchanged and nothing about MariaDB changes.
Runs until killed.
"""

import os
import socket
import socketserver
import sys
import threading


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Relay(socketserver.BaseRequestHandler):
    def handle(self):
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        upstream.connect(TARGET)
        back = threading.Thread(target=pump, args=(upstream, self.request), daemon=True)
        back.start()
        pump(self.request, upstream)
        back.join()
        upstream.close()


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


if __name__ == "__main__":
    LISTEN, TARGET = sys.argv[1], sys.argv[2]
    if os.path.exists(LISTEN):
        os.unlink(LISTEN)
    with Server(LISTEN, Relay) as server:
        os.chmod(LISTEN, 0o666)
        server.serve_forever()
