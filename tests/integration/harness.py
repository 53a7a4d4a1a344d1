"""harness.py - what the integration tests share: an HTTP client for the running test stack
(nginx in front of khedmad, real MariaDB), helpers for accounts and the REST envelope, and
control of the stack's processes for the process-level tests.

The stack is started by deploy/test (KHEDMA_TEST_URL and KHEDMA_TEST_VAR point at it); to run the
tests by hand against a stack started with `KHEDMA_VAR=var/test KHEDMA_PORT=18080 deploy/up`,
run `python3 tests/integration/run.py` with KHEDMA_TEST_VAR=var/test.

nginx limits POST /api/auth/login to 5 requests/s per address (burst 10) and signup to 20/s
(burst 40): tests that log in many times in a row should expect 429. khedmad also refuses logins
after 10 failed ones per account or 50 per address within 15 minutes (test_edges.py clears the
address counter around the tests that spend it).
"""

import http.client as httpclient
import json
import os
import signal
import subprocess
import threading
import time
import urllib.parse

BASE_URL = os.environ.get("KHEDMA_TEST_URL", "http://127.0.0.1:18080")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VAR = os.environ.get("KHEDMA_TEST_VAR", os.path.join(REPO, "var", "test"))
LIB = os.path.join(REPO, "deploy", "lib.sh")


class _NoBody:
    def __repr__(self):
        return "NOBODY"


NOBODY = _NoBody()


class Resp:
    """One HTTP response: status, headers (lower-case name -> last value), set_cookies (raw
    Set-Cookie values in order), body (bytes) and json (parsed body, None when not JSON)."""

    def __init__(self, status, headers, set_cookies, body):
        self.status = status
        self.headers = headers
        self.set_cookies = set_cookies
        self.body = body
        self.json = None
        if body:
            try:
                self.json = json.loads(body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                self.json = None

    def __repr__(self):
        text = self.body[:300].decode("utf-8", "replace")
        return f"<Resp {self.status} {text!r}>"


def _target():
    u = urllib.parse.urlsplit(BASE_URL)
    return u.hostname or "127.0.0.1", u.port or 80, u.path.rstrip("/")


def http(method, path, json_body=NOBODY, data=None, headers=None, token=None, cookie=None, timeout=10):
    """Send one request on a fresh connection and return a Resp; HTTP error statuses are
    returned, never raised. json_body is serialised with Content-Type: application/json; data
    (bytes or str) is sent as it is with only the headers given; token adds
    Authorization: Bearer, cookie adds Cookie: khedma_session=<cookie>. headers win over both."""
    host, port, prefix = _target()
    hdrs = {}
    body = None
    if json_body is not NOBODY:
        body = json.dumps(json_body).encode("utf-8")
        hdrs["Content-Type"] = "application/json"
    elif data is not None:
        body = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if token is not None:
        hdrs["Authorization"] = f"Bearer {token}"
    if cookie is not None:
        hdrs["Cookie"] = f"khedma_session={cookie}"
    for k, v in (headers or {}).items():
        for existing in [e for e in hdrs if e.lower() == k.lower()]:
            del hdrs[existing]
        hdrs[k] = v
    conn = httpclient.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, prefix + path, body=body, headers=hdrs)
        r = conn.getresponse()
        raw = r.read()
        pairs = r.getheaders()
    finally:
        conn.close()
    headers_out = {}
    cookies = []
    for k, v in pairs:
        headers_out[k.lower()] = v
        if k.lower() == "set-cookie":
            cookies.append(v)
    return Resp(r.status, headers_out, cookies, raw)


_counter = 0
_counter_lock = threading.Lock()
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(n, width=0):
    s = ""
    while n:
        n, d = divmod(n, 36)
        s = _ALPHABET[d] + s
    return s.rjust(width, "0") or "0"


_RUN_TAG = _base36(int.from_bytes(os.urandom(5), "big"), 8)


def unique(prefix="u"):
    """A short lower-case [a-z0-9] string, unique across this run and across runs against the
    same database: prefix + 8 random characters fixed per run + a counter."""
    global _counter
    with _counter_lock:
        _counter += 1
        n = _counter
    return f"{prefix}{_RUN_TAG}{_base36(n)}"


def signup(**overrides):
    """Sign a new user up with unique defaults (name, email, username, password, phone); a
    keyword overrides a field, a keyword set to None leaves the field out. Asserts 201 and
    returns (user dict, token)."""
    u = unique("u")
    digits = str(int.from_bytes(os.urandom(4), "big") % 10**8).rjust(8, "0")
    body = {
        "name": f"Test User {u}",
        "email": f"{u}@example.com",
        "username": u,
        "password": "correct-horse-42",
        "phone": f"+2126{digits}",
    }
    for k, v in overrides.items():
        if v is None:
            body.pop(k, None)
        else:
            body[k] = v
    r = http("POST", "/api/auth/signup", json_body=body)
    data = assert_envelope(r, 201)
    assert isinstance(data, dict) and "user" in data and "token" in data, f"signup data: {data!r}"
    return data["user"], data["token"]


def assert_envelope(resp, status, message=None):
    """Check that resp is the REST envelope with this status (success, status_code, message,
    data; data null on failure) and, when given, this message. Returns data."""
    def fail(why):
        raise AssertionError(f"{why}; got {resp.status} {resp.body[:500]!r}")

    if resp.status != status:
        fail(f"expected HTTP {status}")
    j = resp.json
    if not isinstance(j, dict):
        fail("body is not a JSON object")
    for key in ("success", "message", "data", "status_code"):
        if key not in j:
            fail(f"envelope has no {key!r}")
    ok = 200 <= status < 300
    if j["success"] is not ok:
        fail(f"expected success={ok}")
    if j["status_code"] != status:
        fail(f"expected status_code={status}")
    if not isinstance(j["message"], str):
        fail("message is not a string")
    if message is not None and j["message"] != message:
        fail(f"expected message {message!r}")
    if not ok and j["data"] is not None:
        fail("data must be null on failure")
    return j["data"]


_transformer = {}


def trpc_superjson():
    """Whether the stack speaks superjson over tRPC (KHEDMA_TRPC_TRANSFORMER), probed once."""
    if "superjson" not in _transformer:
        data = http("GET", "/api/trpc/category.list").json["result"]["data"]
        _transformer["superjson"] = isinstance(data, dict) and "json" in data
    return _transformer["superjson"]


def trpc_post(path, body, token, timeout=60):
    """POST one tRPC mutation, its input wrapped as superjson when the stack speaks it."""
    payload = {"json": body} if trpc_superjson() else body
    return http("POST", "/api/trpc/" + path, json_body=payload, token=token, timeout=timeout)


# --------------------------------------------------------------------------------------------
# The stack's processes

def _lib(function):
    env = dict(os.environ, KHEDMA_VAR=VAR)
    env.pop("KHEDMA_DATABASE_URL", None)
    script = 'set -euo pipefail; . "$1"; k_init; "$2"'
    p = subprocess.run(["bash", "-c", script, "harness", LIB, function], env=env,
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError(f"{function} failed ({p.returncode}): {p.stderr.strip()[-500:]}")
    return p.stdout


def make_admin(email):
    """Give an existing user the admin role: `khedmad make-admin EMAIL` with the test stack's
    environment (its DSN from deploy/lib.sh; the binary is KHEDMA_BIN, else
    KHEDMA_BUILD_DIR/src/khedmad, else build/src/khedmad, as lib.sh finds it)."""
    env = dict(os.environ, KHEDMA_VAR=VAR)
    env.pop("KHEDMA_DATABASE_URL", None)
    script = 'set -euo pipefail; . "$1"; k_init; k_khedmad_env; exec "$K_BIN" make-admin "$2"'
    p = subprocess.run(["bash", "-c", script, "harness", LIB, email], env=env,
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError(f"make-admin {email} failed ({p.returncode}): {p.stderr.strip()[-500:]}")


def sql(statement):
    """Run one SQL statement on the test stack's private MariaDB as its root (test fixtures
    only, e.g. moving a due date into the past); returns the rows as lists of strings."""
    p = subprocess.run(["mariadb", f"--defaults-file={os.path.join(VAR, 'mariadb.cnf')}",
                        "--batch", "--skip-column-names", "khedma", "-e", statement],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError(f"sql failed ({p.returncode}): {p.stderr.strip()[-500:]}")
    return [line.split("\t") for line in p.stdout.splitlines()]


def _read_pid(name):
    try:
        with open(os.path.join(VAR, "run", name)) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return None
    return pid if _alive(pid) else None


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _children(pid):
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
            out.append(int(entry))
    return sorted(out)


def _listen_inodes():
    """Inodes of the listening unix socket khedmad serves (from /proc/net/unix)."""
    path = os.environ.get("KHEDMA_TEST_LISTEN", os.path.join(VAR, "run", "khedmad.sock"))
    inodes = set()
    try:
        with open("/proc/net/unix") as f:
            next(f)
            for line in f:
                parts = line.split()
                if len(parts) >= 8 and parts[7] == path and parts[5] == "01":
                    inodes.add(parts[6])
    except OSError:
        pass
    return inodes


def _holds_socket(pid, inodes):
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:[") and link[8:-1] in inodes:
                return True
    except OSError:
        pass
    return False


def _kind(pid):
    """'worker', 'jobs' or None from the process name (comm, or a rewritten argv[0])."""
    texts = []
    try:
        with open(f"/proc/{pid}/comm", "rb") as f:
            texts.append(f.read())
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            texts.append(os.path.basename(f.read().split(b"\0")[0]))
    except OSError:
        pass
    text = b" ".join(texts).decode("utf-8", "replace").lower()
    if "jobs" in text:
        return "jobs"
    if "worker" in text:
        return "worker"
    return None


def khedmad_pids():
    """{"master": pid, "workers": [pid...], "jobs": pid or None} of the running khedmad. A child
    is told apart by its process name when khedmad sets one, else by whether it holds the
    FastCGI listening socket (the jobs process closes it)."""
    master = _read_pid("khedmad.pid")
    if master is None:
        return {"master": None, "workers": [], "jobs": None}
    inodes = _listen_inodes()
    workers, jobs = [], None
    for pid in _children(master):
        kind = _kind(pid)
        if kind is None:
            kind = "worker" if _holds_socket(pid, inodes) else "jobs"
        if kind == "jobs":
            jobs = pid
        else:
            workers.append(pid)
    return {"master": master, "workers": workers, "jobs": jobs}


def _settle(stable=3.0, limit=20.0):
    """Wait until GET /healthz has answered 200 for `stable` seconds in a row (at most `limit`).
    A worker whose reconnect failed while the database was down pauses before trying again
    (up to 2 s), so one 200 does not mean every worker is back. Never raises."""
    deadline = time.monotonic() + limit
    since = None
    while time.monotonic() < deadline:
        try:
            ok = http("GET", "/healthz", timeout=5).status == 200
        except OSError:
            ok = False
        now = time.monotonic()
        if not ok:
            since = None
        elif since is None:
            since = now
        elif now - since >= stable:
            return True
        time.sleep(0.05)
    return False


def stack(action):
    """Control the test stack: "db-stop", "db-start" (returns once MariaDB answers and /healthz
    has stayed 200 for 3 s, so every worker has reconnected; at most 20 s, never raises for
    that), "khedmad-pids" (returns {"master", "workers", "jobs"}), "khedmad-reload" (SIGHUP to
    the master)."""
    if action == "db-stop":
        _lib("k_db_stop")
        return None
    if action == "db-start":
        _lib("k_db_start")
        _settle()
        return None
    if action == "khedmad-pids":
        return khedmad_pids()
    if action == "khedmad-reload":
        master = _read_pid("khedmad.pid")
        if master is None:
            raise RuntimeError("khedmad is not running")
        os.kill(master, signal.SIGHUP)
        return None
    raise ValueError(f"unknown stack action {action!r}")


# --------------------------------------------------------------------------------------------
# khedmad itself, for the jobs tests: its exact environment, one-shot commands (`khedmad
# jobs-once` with a test clock), SIGKILL of the whole process group, and restarts.

_khedmad_seen = {}


def _proc_env(pid):
    with open(f"/proc/{pid}/environ", "rb") as f:
        raw = f.read().decode("utf-8", "replace")
    return dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)


def _lib_bin():
    env = dict(os.environ, KHEDMA_VAR=VAR)
    p = subprocess.run(["bash", "-c", '. "$1"; k_init; printf "%s" "$K_BIN"', "harness", LIB],
                       env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=30)
    return p.stdout.strip()


def khedmad_env():
    """(environment, binary) of the running khedmad master: its environment is read from /proc, so
    a one-shot command or a restart gets exactly the stack's configuration (DSN, webhook secret,
    KHEDMA_WEBHOOK_ALLOW_PRIVATE, gateway bases and keys). Remembered, so it still answers after
    khedmad_kill(). The binary is the master's own unless it runs under a wrapper (valgrind)."""
    master = _read_pid("khedmad.pid")
    if master is not None:
        try:
            env, exe = _proc_env(master), os.readlink(f"/proc/{master}/exe")
        except OSError:
            env, exe = None, None
        if env is not None:
            if not os.path.basename(exe).startswith("khedmad"):
                exe = _lib_bin()
            _khedmad_seen.update(env=env, bin=exe)
    if not _khedmad_seen:
        raise RuntimeError("khedmad is not running and was never seen running")
    return dict(_khedmad_seen["env"]), _khedmad_seen["bin"]


def webhook_secret():
    """KHEDMA_WEBHOOK_SECRET as the running khedmad has it (the test must never print it)."""
    return khedmad_env()[0]["KHEDMA_WEBHOOK_SECRET"]


def khedmad_run(*args, env=None, timeout=120):
    """Run `khedmad ARGS...` with the stack's environment plus `env` (a value of None removes
    the variable); returns the CompletedProcess (text output)."""
    base, binary = khedmad_env()
    for k, v in (env or {}).items():
        if v is None:
            base.pop(k, None)
        else:
            base[k] = v
    return subprocess.run([binary, *args], env=base, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


def jobs_once(offset_s=0, env=None):
    """One tick of every background job (`khedmad jobs-once`) as if it ran offset_s seconds from
    now (KHEDMA_TEST_CLOCK_FILE); asserts it succeeded and returns its log lines (stderr)."""
    run_dir = os.path.join(VAR, "run")
    path = os.path.join(run_dir, f"test-clock-{os.getpid()}-{threading.get_ident()}")
    with open(path, "w") as f:
        f.write(str(int(offset_s)))
    try:
        p = khedmad_run("jobs-once", env=dict(env or {}, KHEDMA_TEST_CLOCK_FILE=path))
    finally:
        os.unlink(path)
    assert p.returncode == 0, f"jobs-once exited {p.returncode}: {p.stderr[-800:]}"
    return p.stderr


def khedmad_kill():
    """SIGKILL to khedmad's whole process group (master, workers and jobs at once, as a power cut
    would), then wait until every one of them is gone."""
    khedmad_env()  # remember how it ran, for khedmad_start()
    master = _read_pid("khedmad.pid")
    if master is None:
        return
    os.killpg(master, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        alive = subprocess.run(["ps", "-e", "-o", "pgid=,stat="], capture_output=True,
                               text=True).stdout.split("\n")
        if not any(line.split()[:1] == [str(master)] and not line.split()[1].startswith("Z")
                   for line in alive if len(line.split()) >= 2):
            return
        time.sleep(0.05)
    raise RuntimeError("khedmad's process group survived SIGKILL")


def khedmad_start(env=None):
    """Start khedmad as deploy/lib.sh does (k_khedmad_start: own session, pid file, log) with the
    environment it last ran with plus `env` (None removes a variable), then wait for /healthz."""
    base, binary = khedmad_env()
    for k, v in (env or {}).items():
        if v is None:
            base.pop(k, None)
        else:
            base[k] = v
    base.update(KHEDMA_VAR=VAR, KHEDMA_BIN=binary)
    script = 'set -euo pipefail; . "$1"; k_init; k_khedmad_start; k_wait_healthz 60'
    p = subprocess.run(["bash", "-c", script, "harness", LIB], env=base,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError(f"khedmad did not start ({p.returncode}): {p.stderr.strip()[-500:]}")
    _settle(stable=1.0)
    khedmad_env()


def khedmad_restart(env=None):
    """Graceful stop (SIGTERM, as deploy/down does) and start with `env` changes."""
    khedmad_env()
    _lib("k_khedmad_stop")
    khedmad_start(env)
