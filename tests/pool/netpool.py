"""netpool.py - builds the load-balanced pool of tests/pool/ in Linux network namespaces and
tears it down again: a switch namespace holding a bridge, and one namespace per host, each joined
to the bridge by a veth pair (nothing is added to the machine's own network namespace):

    svc  10.214.1.2   MariaDB (TCP), the gateway emulators, the webhook receiver, the test client
    ngx  10.214.1.10  nginx, rendered from nginx/khedma.conf.in with both app hosts upstream
    a1   10.214.1.11  khedmad serve, KHEDMA_LISTEN=10.214.1.11:9000, trusting only ngx
    a2   10.214.1.12  the same on .12
    out  10.214.1.13  a host outside KHEDMA_TRUSTED_PEERS

Used by tests/pool/test_pool.py and bench/pool.sh. Every process started here runs inside one of
these namespaces; cleanup kills whatever is left in them (`ip netns pids`), then deletes them,
which removes the veths and the bridge, then the temporary directory.
"""

import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NET = "10.214.1"
ADDR = {"svc": f"{NET}.2", "ngx": f"{NET}.10", "a1": f"{NET}.11", "a2": f"{NET}.12",
        "out": f"{NET}.13"}
FCGI_PORT = 9000
HTTP_PORT = 8080
DB_PORT = 3306
EMU_PORT = 8090
RECEIVER_PORT = 8099
FAIL_TIMEOUT_S = 2
CLONE_NEWNET = 0x40000000


class Skip(Exception):
    """The kernel refuses network namespaces: the suite is skipped."""


def run(*cmd, ns=None, check=True, env=None, timeout=120, capture=True):
    full = (["ip", "netns", "exec", ns] if ns else []) + list(cmd)
    p = subprocess.run(full, env=env, stdin=subprocess.DEVNULL, capture_output=capture, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(full)} failed ({p.returncode}): {(p.stderr or '')[-800:]}")
    return p


class Pool:
    def __init__(self, workers=2, label="pool"):
        self.tag = f"kp{os.getpid() % 100000}"
        self.ns = {h: f"{self.tag}-{h}" for h in ("sw", "svc", "ngx", "a1", "a2", "out")}
        self.made_ns = []
        self.tmp = tempfile.mkdtemp(prefix=f"khedma-{label}-")
        self.procs = {}  # name -> Popen (each its own process group)
        self.workers = workers
        self.bin = os.environ.get("KHEDMA_BIN") or os.path.join(REPO, "build", "src", "khedmad")
        self.db_password = os.urandom(12).hex()
        self.webhook_secret = os.urandom(32).hex()
        self.emu_env = {}
        self.log = {}

    # -- network -------------------------------------------------------------------------------

    def build_network(self):
        p = run("ip", "netns", "add", self.ns["sw"], check=False)
        if p.returncode != 0:
            raise Skip(f"`ip netns add` failed: {p.stderr.strip()}")
        self.made_ns.append(self.ns["sw"])
        sw = self.ns["sw"]
        run("ip", "link", "add", "br0", "type", "bridge", ns=sw)
        run("ip", "link", "set", "br0", "up", ns=sw)
        for i, host in enumerate(("svc", "ngx", "a1", "a2", "out")):
            name = self.ns[host]
            run("ip", "netns", "add", name)
            self.made_ns.append(name)
            # Both ends are created straight inside their namespaces.
            run("ip", "link", "add", "eth0", "netns", name, "type", "veth", "peer", "name",
                f"p{i}", "netns", sw)
            run("ip", "link", "set", f"p{i}", "master", "br0", "up", ns=sw)
            run("ip", "addr", "add", f"{ADDR[host]}/24", "dev", "eth0", ns=name)
            run("ip", "link", "set", "eth0", "up", ns=name)
            run("ip", "link", "set", "lo", "up", ns=name)

    def enter(self, host):
        """Move this thread (and the threads and children it starts later) into a host's
        namespace: the test client runs on svc."""
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(f"/run/netns/{self.ns[host]}", os.O_RDONLY)
        try:
            if libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns")
        finally:
            os.close(fd)

    # -- processes -----------------------------------------------------------------------------

    def spawn(self, name, host, cmd, env=None, log=None):
        out = open(log or os.path.join(self.tmp, f"{name}.log"), "ab")
        p = subprocess.Popen(["ip", "netns", "exec", self.ns[host]] + cmd, env=env,
                             stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True)
        out.close()
        self.procs[name] = p
        return p

    def start_db(self):
        d = os.path.join(self.tmp, "db")
        os.makedirs(d)
        self.db_cnf = os.path.join(self.tmp, "mariadb.cnf")
        with open(self.db_cnf, "w") as f:
            f.write(f"""[client]
socket={d}/mysqld.sock
user=root
[mariadbd]
user=root
datadir={d}/data
socket={d}/mysqld.sock
pid-file={d}/mysqld.pid
log-error={self.tmp}/mariadb.log
bind-address={ADDR['svc']}
port={DB_PORT}
skip-name-resolve
character-set-server=utf8mb4
collation-server=utf8mb4_unicode_ci
innodb_buffer_pool_size=64M
innodb_log_file_size=16M
innodb_flush_log_at_trx_commit=2
innodb_doublewrite=0
max_connections=300
""")
        run("mariadb-install-db", f"--defaults-file={self.db_cnf}", "--user=root",
            f"--datadir={d}/data", "--auth-root-authentication-method=socket", "--skip-test-db",
            timeout=180)
        self.spawn("mariadbd", "svc", ["mariadbd", f"--defaults-file={self.db_cnf}"])
        self.wait(lambda: run("mariadb-admin", f"--defaults-file={self.db_cnf}", "ping",
                              check=False).returncode == 0, 60, "mariadbd")
        self.sql(f"""CREATE DATABASE khedma CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER 'khedma'@'{NET}.%' IDENTIFIED BY '{self.db_password}';
GRANT ALL PRIVILEGES ON khedma.* TO 'khedma'@'{NET}.%';""", db="")

    def sql(self, statement, db="khedma"):
        args = ["mariadb", f"--defaults-file={self.db_cnf}", "--batch", "--skip-column-names"]
        p = run(*(args + ([db] if db else []) + ["-e", statement]))
        return [line.split("\t") for line in p.stdout.splitlines()]

    def start_emulators(self):
        var = os.path.join(self.tmp, "emu")
        os.makedirs(var)
        env = dict(os.environ, KHEDMA_VAR=var, KHEDMA_EMULATOR_PORT=str(EMU_PORT),
                   KHEDMA_EMULATOR_HOST=ADDR["svc"], KHEDMA_PUBLIC_URL=self.public_url())
        self.emu_var = var
        p = run(os.path.join(REPO, "tests", "emulators", "start"), ns=self.ns["svc"], env=env)
        for line in p.stdout.splitlines():
            m = re.match(r"^(KHEDMA_[A-Z0-9_]+)=(.*)$", line)
            if m:
                self.emu_env[m.group(1)] = m.group(2)

    def public_url(self):
        return f"http://{ADDR['ngx']}:{HTTP_PORT}"

    def app_env(self, host, trusted=True, listen=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith("KHEDMA_")}
        env.update(self.emu_env)
        env.update({
            "KHEDMA_DATABASE_URL":
                f"mysql://khedma:{self.db_password}@{ADDR['svc']}:{DB_PORT}/khedma",
            "KHEDMA_LISTEN": listen or f"{ADDR[host]}:{FCGI_PORT}",
            "KHEDMA_WORKERS": str(self.workers),
            "KHEDMA_PUBLIC_URL": self.public_url(),
            "KHEDMA_SQL_DIR": os.path.join(REPO, "sql"),
            "KHEDMA_UPLOAD_DIR": os.path.join(self.tmp, "uploads"),
            "KHEDMA_WEBHOOK_SECRET": self.webhook_secret,
            "KHEDMA_WEBHOOK_ALLOW_PRIVATE": "1",
            "KHEDMA_GATEWAY_TIMEOUT_MS": "2000",
            "KHEDMA_STOP_TIMEOUT_MS": "5000",
        })
        if trusted:
            env["KHEDMA_TRUSTED_PEERS"] = ADDR["ngx"]
        return env

    def migrate(self):
        run(self.bin, "migrate", ns=self.ns["a1"], env=self.app_env("a1"), timeout=180)

    def start_app(self, host):
        self.log[host] = os.path.join(self.tmp, f"khedmad-{host}.log")
        before = self.ready_count(host)
        p = self.spawn(host, host, [self.bin, "serve"], env=self.app_env(host),
                       log=self.log[host])
        self.wait(lambda: p.poll() is not None or self.ready_count(host) >= before + self.workers,
                  30, f"khedmad on {host}")
        if p.poll() is not None:
            raise RuntimeError(f"khedmad on {host} exited with {p.returncode}")
        return p

    def ready_count(self, host):
        try:
            with open(self.log[host], errors="replace") as f:
                return sum(1 for line in f if '"msg":"worker ready"' in line)
        except FileNotFoundError:
            return 0

    def app_pids(self, host):
        """Every process in the host's namespace: the master, its workers and the jobs process."""
        return [int(x) for x in run("ip", "netns", "pids", self.ns[host]).stdout.split()]

    def kill_app(self, host):
        """SIGKILL to the host's master, workers and jobs process at once."""
        p = self.procs.pop(host)
        os.killpg(p.pid, signal.SIGKILL)
        p.wait(10)
        self.wait(lambda: not self.app_pids(host), 10, f"{host} processes gone")

    def stop_app(self, host):
        """Graceful: SIGTERM to the master, which stops its children."""
        p = self.procs.pop(host)
        p.send_signal(signal.SIGTERM)
        p.wait(30)
        self.wait(lambda: not self.app_pids(host), 10, f"{host} processes gone")
        return p.returncode

    def render_nginx(self, upstreams, down=()):
        d = os.path.join(self.tmp, "nginx")
        os.makedirs(os.path.join(d, "tmp"), exist_ok=True)
        os.makedirs(os.path.join(self.tmp, "uploads"), exist_ok=True)
        with open(os.path.join(REPO, "nginx", "khedma.conf.in")) as f:
            text = f.read()
        # The shipped file as deploy/lib.sh renders it (public cache off, so every read reaches a
        # host), with the pool's servers in the upstream and the chosen server in a header.
        text = "\n".join(line for line in text.split("\n") if not re.match(r"^\s*#cache# ", line))
        # nginx takes a host that failed out for fail_timeout (passive checks); a short one lets
        # a restarted host back in sooner (docs/deploy.md, "Load-balanced pool").
        servers = "\n        ".join(f"server {ADDR[h]}:{FCGI_PORT} max_fails=1 "
                                     f"fail_timeout={FAIL_TIMEOUT_S}s{' down' if h in down else ''};"
                                     for h in upstreams)
        subs = {"@UPSTREAM@;": servers[len("server "):] if servers else "", "@NGINX_USER@": "root root",
                "@PID_FILE@": os.path.join(d, "nginx.pid"), "@LOG_DIR@": d, "@NGINX_DIR@": d,
                "@CACHE_DIR@": os.path.join(d, "cache"),
                "@LISTEN@": f"{ADDR['ngx']}:{HTTP_PORT}",
                "@STATIC_ROOT@": os.path.join(REPO, "web"),
                "@UPLOAD_DIR@": os.path.join(self.tmp, "uploads")}
        for k, v in subs.items():
            text = text.replace(k, v)
        text = text.replace("        server_name _;\n",
                            "        server_name _;\n"
                            "        add_header X-Khedma-Upstream $upstream_addr always;\n", 1)
        upstream = re.search(r"upstream khedma \{(.*?)\}", text, re.S).group(1)
        if "keepalive" in upstream or "fastcgi_next_upstream error timeout;" not in text:
            raise RuntimeError("nginx/khedma.conf.in: expected no upstream keepalive and "
                               "fastcgi_next_upstream error timeout")
        if re.search(r"^[^#]*@[A-Z_]+@", text, re.M):
            raise RuntimeError("unrendered placeholder in the nginx configuration")
        self.nginx_conf = os.path.join(d, "nginx.conf")
        with open(self.nginx_conf, "w") as f:
            f.write(text)
        return d

    def start_nginx(self, upstreams=("a1", "a2")):
        d = self.render_nginx(upstreams)
        run("nginx", "-p", d + "/", "-c", self.nginx_conf, "-e", os.path.join(d, "error.log"),
            ns=self.ns["ngx"])
        self.nginx_pidfile = os.path.join(d, "nginx.pid")

    def reload_nginx(self, upstreams=("a1", "a2"), down=()):
        """Graceful: new nginx workers use the new upstream, old ones finish what they carry."""
        d = self.render_nginx(upstreams, down)
        old = self.nginx_workers()
        run("nginx", "-p", d + "/", "-c", self.nginx_conf, "-e", os.path.join(d, "error.log"),
            "-s", "reload", ns=self.ns["ngx"])
        # Until the old workers are gone, a request may still be on its way to a host taken out.
        self.wait(lambda: not old & self.nginx_workers(), 20, "old nginx workers to finish")

    def nginx_workers(self):
        """The pids of nginx's worker processes."""
        out = run("ps", "-o", "pid=,cmd=", "--ppid", self.nginx_master(), check=False).stdout
        return {line.split()[0] for line in out.splitlines() if "worker process" in line}

    def nginx_master(self):
        with open(self.nginx_pidfile) as f:
            return f.read().strip()

    @staticmethod
    def wait(predicate, timeout, what):
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out waiting for {what}")
            time.sleep(0.1)

    def up(self):
        self.build_network()
        self.start_db()
        self.start_emulators()
        self.migrate()
        for h in ("a1", "a2"):
            self.start_app(h)
        self.start_nginx()

    # -- cleanup -------------------------------------------------------------------------------

    def down(self):
        for name, p in list(self.procs.items()):
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if getattr(self, "emu_var", None):
            subprocess.run([os.path.join(REPO, "tests", "emulators", "stop"), self.emu_var],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        for ns in reversed(self.made_ns):
            # nginx, mariadbd and anything else still inside: all of it was started here.
            for _ in range(50):
                pids = [p for p in run("ip", "netns", "pids", ns, check=False).stdout.split()
                        if int(p) != os.getpid()]
                if not pids:
                    break
                for pid in pids:
                    if int(pid) == os.getpid():
                        continue  # the test itself, moved into svc
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                time.sleep(0.1)
            run("ip", "netns", "del", ns, check=False)
        for p in self.procs.values():
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                pass
        self.made_ns = []
        if os.environ.get("KHEDMA_POOL_KEEP_TMP") != "1":
            shutil.rmtree(self.tmp, ignore_errors=True)


def fastcgi_probe(host, port, timeout=3.0):
    """Send one FastCGI GET /healthz straight to a khedmad listener; returns the bytes answered
    (b"" when the connection was closed without an answer)."""
    def record(rtype, body):
        pad = (8 - len(body) % 8) % 8
        return bytes([1, rtype, 0, 1, len(body) >> 8, len(body) & 255, pad, 0]) + body + b"\0" * pad

    def pair(k, v):
        return bytes([len(k), len(v)]) + k + v

    params = b"".join(pair(k.encode(), v.encode()) for k, v in (
        ("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/healthz"), ("SCRIPT_NAME", "/healthz"),
        ("DOCUMENT_URI", "/healthz"), ("QUERY_STRING", ""), ("SERVER_PROTOCOL", "HTTP/1.1"),
        ("REMOTE_ADDR", "10.214.1.99"), ("SERVER_NAME", "probe"), ("SERVER_PORT", "80")))
    s = socket.create_connection((host, port), timeout=timeout)
    got = b""
    try:
        s.sendall(record(1, bytes([0, 1, 0, 0, 0, 0, 0, 0])) + record(4, params) + record(4, b"")
                  + record(5, b""))
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except (ConnectionResetError, BrokenPipeError):
        pass
    finally:
        s.close()
    return got
