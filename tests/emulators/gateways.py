#!/usr/bin/env python3
# gateways.py - development stand-ins for the YouCan Pay and PayTabs (PT2) payment gateways, so that
# deploy/up, deploy/test and the integration tests can run Khedma's whole card flow without the real
# services. One process (Python 3.11 standard library only) serves both gateways, their payment pages
# and a test control API on one loopback port. The gateway endpoints follow the public documentation
# of both services as Khedma's gateway clients use them; see tests/emulators/README.md.
"""Khedma gateway emulators: YouCan Pay + PayTabs development stand-ins on one port.

Layout under http://HOST:PORT (see README.md for every field):

  /youcanpay/api/tokenize              POST multipart/form-data        (KHEDMA_YOUCANPAY_API base)
  /youcanpay/api/transactions/{id}     GET ?pri_key=...
  /youcanpay/payment-form/{token}      GET page, POST test card        (KHEDMA_YOUCANPAY_PAYMENT_FORM base)
  /paytabs/payment/request             POST JSON, header authorization (KHEDMA_PAYTABS_API base):
                                       sale or auth (hosted page, tokenise), capture, void, refund,
                                       and tokenised recurring sales
  /paytabs/payment/query               POST JSON, header authorization
  /paytabs/payment/page/{id}           GET page, POST test card
  /__emulator/...                      test control API (not part of either real service)
  /__emulator/appstore/...             App Store test chain, signed transactions, notifications
                                       (appstore.py; with --appstore-root-pem)

Secrets (the YouCan Pay private key, the PayTabs server key, card numbers) never appear in the log
file nor in anything the control API returns.
"""

import argparse
import hashlib
import hmac
import html
import ipaddress
import json
import os
import re
import secrets
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVICE = "khedma-gateway-emulators"
VERSION = "1"
MAX_BODY = 1 << 20
MAX_LOGGED_REQUESTS = 20000
REDACTED = "[redacted]"

# Gateway endpoint names: the request log and fault injection use them.
EP_YCP_TOKENIZE = "youcanpay.tokenize"
EP_YCP_TRANSACTIONS = "youcanpay.transactions"
EP_YCP_FORM = "youcanpay.payment_form"
EP_PT_REQUEST = "paytabs.request"
EP_PT_REFUND = "paytabs.refund"
# capture and void of an auth, and recurring sales with a token: calls on an earlier transaction.
EP_PT_FOLLOWUP = "paytabs.followup"
EP_PT_QUERY = "paytabs.query"
EP_PT_PAGE = "paytabs.payment_page"
API_ENDPOINTS = (EP_YCP_TOKENIZE, EP_YCP_TRANSACTIONS, EP_PT_REQUEST, EP_PT_REFUND, EP_PT_QUERY, EP_PT_FOLLOWUP)
PAGE_ENDPOINTS = (EP_YCP_FORM, EP_PT_PAGE)
FAULT_KINDS = ("500", "status", "malformed", "empty", "html", "hang", "close", "missing_field", "outcome")

# The field a missing_field fault drops when none is named (dotted path into the JSON answer).
DEFAULT_MISSING_FIELD = {
    EP_YCP_TOKENIZE: "token",
    EP_YCP_TRANSACTIONS: "status",
    EP_PT_REQUEST: "redirect_url",
    EP_PT_REFUND: "payment_result",
    EP_PT_FOLLOWUP: "payment_result",
    EP_PT_QUERY: "payment_result",
}

# Test cards of the emulators' payment pages (the emulators' own list; any expiry and CVV).
YCP_CARDS = {
    "4242424242424242": 1,    # paid
    "4000000000000002": -1,   # declined
    "4000000000000077": 0,    # stays pending
}
PT_CARDS = {
    "4111111111111111": "A",  # authorised
    "4000000000000002": "D",  # declined
    "4000000000000119": "E",  # error
    "4000000000000077": "H",  # on hold
}
PT_STATUSES = ("A", "H", "P", "V", "E", "D", "X", "C")
PT_FINAL = ("A", "V", "E", "D", "X", "C")
PT_DEFAULT_RESULT = {
    "A": ("", "Authorised"),            # response_code for A is an authorisation code, made per payment
    "H": ("", "Hold (authorised but on hold for further anti-fraud review)"),
    "P": ("", "Pending"),
    "V": ("", "Voided"),
    "E": ("400", "Error"),
    "D": ("300", "Not authorised"),
    "X": ("", "Expired"),
    "C": ("321", "Cancelled"),
}
# Currencies with three decimals in PayTabs amounts; everything else has two.
THREE_DECIMALS = {"BHD", "JOD", "KWD", "OMR", "TND", "IQD"}
YCP_EVENTS = ("transaction.paid", "transaction.failed", "transaction.refunded")
SIGNATURE_MODES = ("valid", "wrong_key", "missing", "empty", "garbage", "uppercase", "truncated")

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FIELD_NAME_RE = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


# ---------------------------------------------------------------------------------------------
# Small helpers

def iso_ms(t=None):
    t = time.time() if t is None else t
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)


def ycp_time(t):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))


def pt_time(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def php_json(obj):
    """Compact JSON the way PHP's json_encode writes it by default (non-ASCII as \\uXXXX, '/' as
    '\\/'). Gateway answers and webhook bodies use it, so a client that re-serialises a body before
    checking its HMAC, or that cannot read '\\/', fails here as it would against the real services."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=True)
    return text.replace("/", "\\/").encode("ascii")


def plain_json(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def hmac_hex(key, body):
    return hmac.new(key.encode("utf-8"), body, hashlib.sha256).hexdigest()


def is_http_url(value):
    if not isinstance(value, str) or not value or len(value) > 2048:
        return False
    if any(c.isspace() or ord(c) < 32 for c in value):
        return False
    try:
        u = urllib.parse.urlsplit(value)
        u.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    return u.scheme in ("http", "https") and bool(u.hostname)


def is_ip(value):
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return False


def split_header_params(value):
    """'multipart/form-data; boundary="x"' -> ('multipart/form-data', {'boundary': 'x'})."""
    pieces, cur, quoted, escaped = [], [], False, False
    for ch in value or "":
        if escaped:
            cur.append(ch)
            escaped = False
        elif quoted and ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
            cur.append(ch)
        elif ch == ";" and not quoted:
            pieces.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    pieces.append("".join(cur))
    main = pieces[0].strip().lower()
    params = {}
    for p in pieces[1:]:
        if "=" not in p:
            continue
        k, v = p.split("=", 1)
        v = v.strip()
        if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
            v = v[1:-1]
        params[k.strip().lower()] = v
    return main, params


def parse_multipart(body, boundary):
    """Parse a multipart/form-data body (RFC 7578). Returns [{name, filename, content_type, value}];
    raises ValueError on anything malformed (values must be UTF-8)."""
    if not boundary or len(boundary) > 70:
        raise ValueError("missing or overlong boundary parameter")
    delim = b"--" + boundary.encode("latin-1")
    pos = body.find(delim)
    if pos < 0:
        raise ValueError("the body does not contain the boundary")
    pos += len(delim)
    parts = []
    while True:
        if body[pos:pos + 2] == b"--":
            return parts
        while body[pos:pos + 1] in (b" ", b"\t"):
            pos += 1
        if body[pos:pos + 2] != b"\r\n":
            raise ValueError("a boundary line is not followed by CRLF")
        pos += 2
        end = body.find(b"\r\n" + delim, pos)
        if end < 0:
            raise ValueError("the body ends before the closing boundary")
        parts.append(_parse_part(body[pos:end]))
        pos = end + 2 + len(delim)


def _parse_part(part):
    if part.startswith(b"\r\n"):
        head, content = b"", part[2:]
    else:
        i = part.find(b"\r\n\r\n")
        if i < 0:
            raise ValueError("a part has no blank line after its headers")
        head, content = part[:i], part[i + 4:]
    headers = {}
    for line in head.decode("utf-8").split("\r\n"):
        if not line:
            continue
        if ":" not in line:
            raise ValueError("malformed part header")
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    disposition, params = split_header_params(headers.get("content-disposition", ""))
    if disposition != "form-data" or not params.get("name"):
        raise ValueError("a part lacks Content-Disposition: form-data; name=...")
    return {"name": params["name"], "filename": params.get("filename"),
            "content_type": headers.get("content-type"), "value": content.decode("utf-8")}


def nest_fields(pairs):
    """Form field names with brackets, the way PHP reads them: customer[name] -> {"customer":
    {"name": ...}}. A later value of the same name wins. Lists ("a[]") are not supported."""
    root = {}
    for name, value in pairs:
        m = FIELD_NAME_RE.match(name)
        if not m:
            raise ValueError(f"malformed field name {name!r}")
        keys = [m.group(1)] + re.findall(r"\[([^\[\]]*)\]", m.group(2))
        if any(k == "" for k in keys):
            raise ValueError(f"list field {name!r} is not supported")
        node = root
        for k in keys[:-1]:
            child = node.get(k)
            if child is None:
                child = node[k] = {}
            elif not isinstance(child, dict):
                raise ValueError(f"field {name!r} conflicts with the scalar field {k!r}")
            node = child
        if isinstance(node.get(keys[-1]), dict):
            raise ValueError(f"field {name!r} conflicts with nested fields of the same name")
        node[keys[-1]] = value
    return root


def redact_query(query):
    if not query:
        return ""
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    return urllib.parse.urlencode([(k, REDACTED if k == "pri_key" else v) for k, v in pairs])


def drop_path(obj, path):
    """Remove a dotted path from nested dicts; True when something was removed."""
    keys = path.split(".")
    node = obj
    for k in keys[:-1]:
        if not isinstance(node, dict) or k not in node:
            return False
        node = node[k]
    if isinstance(node, dict) and keys[-1] in node:
        del node[keys[-1]]
        return True
    return False


def set_path(obj, path, value):
    keys = path.split(".")
    node = obj
    for k in keys[:-1]:
        if not isinstance(node.get(k), dict):
            node[k] = {}
        node = node[k]
    node[keys[-1]] = value


def pt_decimals(currency):
    return 3 if currency in THREE_DECIMALS else 2


def pt_amount_str(value, currency):
    q = Decimal(1).scaleb(-pt_decimals(currency))
    return str(Decimal(value).quantize(q))


def mask_card(number):
    digits = re.sub(r"\D", "", number or "")
    if len(digits) < 10:
        return "####"
    return f"{digits[:4]} {digits[4:6]}## #### {digits[-4:]}"


def card_scheme(number):
    d = re.sub(r"\D", "", number or "")
    if d.startswith("4"):
        return "Visa"
    if d[:1] == "5" or d[:2] == "22":
        return "MasterCard"
    return "Unknown"


# ---------------------------------------------------------------------------------------------
# Configuration and state

class Config:
    def __init__(self, args, port):
        self.host = args.host
        self.port = port
        self.public_url = (args.public_url or f"http://{args.host}:{port}").rstrip("/")
        self.ycp_private_key = args.youcanpay_private_key
        self.ycp_public_key = args.youcanpay_public_key
        self.pt_profile_id = str(args.paytabs_profile_id)
        self.pt_server_key = args.paytabs_server_key
        self.ycp_currencies = sorted({c.strip().upper() for c in args.youcanpay_currencies.split(",") if c.strip()})
        self.pt_currencies = sorted({c.strip().upper() for c in args.paytabs_currencies.split(",") if c.strip()})
        self.ycp_webhook_url = args.youcanpay_webhook_url or ""
        self.sandbox = True
        self.pt_duplicate_window = float(args.paytabs_duplicate_window)
        self.webhook_timeout = float(args.webhook_timeout)
        self.merchant_id = 10000 + int(hashlib.sha256(self.pt_profile_id.encode()).hexdigest()[:6], 16) % 89999

    @property
    def ycp_api(self):
        return self.public_url + "/youcanpay/api"

    @property
    def ycp_form(self):
        return self.public_url + "/youcanpay/payment-form"

    @property
    def pt_api(self):
        return self.public_url + "/paytabs"

    @property
    def control(self):
        return self.public_url + "/__emulator"

    def public_view(self):
        return {
            "service": SERVICE, "version": VERSION, "pid": os.getpid(), "base_url": self.public_url,
            "control": self.control,
            "youcanpay": {
                "api": self.ycp_api, "payment_form": self.ycp_form, "public_key": self.ycp_public_key,
                "private_key_configured": bool(self.ycp_private_key), "currencies": self.ycp_currencies,
                "webhook_url": self.ycp_webhook_url, "sandbox": self.sandbox,
                "test_cards": {k: v for k, v in YCP_CARDS.items()},
            },
            "paytabs": {
                "api": self.pt_api, "profile_id": self.pt_profile_id, "merchant_id": self.merchant_id,
                "server_key_configured": bool(self.pt_server_key), "currencies": self.pt_currencies,
                "duplicate_window": self.pt_duplicate_window,
                "test_cards": {k: v for k, v in PT_CARDS.items()},
            },
            "webhook_timeout": self.webhook_timeout,
        }


class State:
    """Everything the emulators remember, in memory, behind one lock."""

    def __init__(self):
        self.lock = threading.RLock()
        self.wake = threading.Event()
        self.reset()

    def reset(self):
        with self.lock:
            self.tokens = {}
            self.ycp_tx = {}
            self.pt_tx = {}
            self.pt_pages = {}
            self.pt_tokens = {}
            self.requests = []
            self.deliveries = {}
            self.faults = []
            self.seq = 0
            self.tx_counter = 0
            self.tran_counter = 0
            self.delivery_counter = 0
            self.fault_counter = 0
            old, self.wake = self.wake, threading.Event()
        old.set()  # hanging requests give up

    def next_seq(self):
        with self.lock:
            self.seq += 1
            return self.seq

    def add_request(self, rec):
        with self.lock:
            self.requests.append(rec)
            if len(self.requests) > MAX_LOGGED_REQUESTS:
                del self.requests[: len(self.requests) - MAX_LOGGED_REQUESTS]

    def take_fault(self, endpoint):
        group = endpoint.split(".")[0] + ".*"
        with self.lock:
            for f in self.faults:
                if f["endpoint"] in (endpoint, group, "*") and f["remaining"] > 0:
                    f["remaining"] -= 1
                    f["used"] += 1
                    if f["remaining"] <= 0:
                        self.faults.remove(f)
                    return dict(f)
        return None

    def next_tran_ref(self):
        with self.lock:
            self.tran_counter += 1
            n = self.tran_counter
        t = time.gmtime()
        return "TST%02d%03d%08d" % (t.tm_year % 100, t.tm_yday, (os.getpid() % 1000) * 100000 + n)


# ---------------------------------------------------------------------------------------------
# Outgoing webhooks / callbacks

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


class Deliverer:
    """Posts signed webhook / callback bodies and keeps a record of every attempt."""

    def __init__(self, cfg, state, log):
        self.cfg, self.state, self.log = cfg, state, log

    def new_record(self, gateway, kind, url, body, headers, meta):
        with self.state.lock:
            self.state.delivery_counter += 1
            rid = "dlv_%d" % self.state.delivery_counter
            rec = {"id": rid, "gateway": gateway, "kind": kind, "url": url,
                   "headers": dict(headers), "body": body.decode("utf-8"), "created_at": iso_ms(),
                   "status": "pending", "status_code": None, "response_body": None, "error": None,
                   "elapsed_ms": None}
            rec.update(meta)
            self.state.deliveries[rid] = rec
            return rec

    def send(self, rec, body, headers, timeout):
        started = time.monotonic()
        req = urllib.request.Request(rec["url"], data=body, method="POST")
        req.add_header("Content-Type", "application/json")
        req.add_header("User-Agent", f"{SERVICE}/{VERSION}")
        for k, v in headers.items():
            req.add_header(k, v)
        code, text, error = None, None, None
        try:
            with _OPENER.open(req, timeout=timeout) as resp:
                code = resp.status
                text = resp.read(65536).decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            code = e.code
            try:
                text = e.read(65536).decode("utf-8", "replace")
            except Exception:  # noqa: BLE001 - a body we cannot read is just absent
                text = None
        except (urllib.error.URLError, OSError, ValueError) as e:
            error = str(getattr(e, "reason", e)) or type(e).__name__
        with self.state.lock:
            rec["status_code"] = code
            rec["response_body"] = text[:4096] if text is not None else None
            rec["error"] = error
            rec["elapsed_ms"] = int((time.monotonic() - started) * 1000)
            rec["status"] = "failed" if error else "done"
            rec["sent_at"] = iso_ms()
        self.log(f"delivery {rec['id']} {rec['kind']} -> {rec['url']} "
                 f"{code if code is not None else 'ERR ' + str(error)} {rec['elapsed_ms']}ms")
        return rec

    def deliver(self, gateway, kind, url, body, headers, meta, wait=True, timeout=None, copies=1,
                concurrent=False):
        """Send `body` with `headers` to url `copies` times; returns the records (sent already when
        wait is true, else being sent in the background)."""
        timeout = self.cfg.webhook_timeout if timeout is None else float(timeout)
        recs = [self.new_record(gateway, kind, url, body, headers, meta) for _ in range(max(1, copies))]
        if not wait:
            threading.Thread(target=self._send_all, args=(recs, body, headers, timeout, concurrent),
                             daemon=True).start()
            return recs
        self._send_all(recs, body, headers, timeout, concurrent)
        return recs

    def _send_all(self, recs, body, headers, timeout, concurrent):
        if concurrent and len(recs) > 1:
            barrier = threading.Barrier(len(recs))

            def one(r):
                try:
                    barrier.wait(timeout=5)
                except threading.BrokenBarrierError:
                    pass
                self.send(r, body, headers, timeout)

            threads = [threading.Thread(target=one, args=(r,), daemon=True) for r in recs]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        else:
            for r in recs:
                self.send(r, body, headers, timeout)


def signature_for(mode, key, body):
    """The signature header value for a signature_mode (None: leave the header out)."""
    if mode == "valid":
        return hmac_hex(key, body)
    if mode == "wrong_key":
        return hmac_hex("forged-" + secrets.token_hex(16), body)
    if mode == "missing":
        return None
    if mode == "empty":
        return ""
    if mode == "garbage":
        return "not-a-valid-signature"
    if mode == "uppercase":
        return hmac_hex(key, body).upper()
    if mode == "truncated":
        return hmac_hex(key, body)[:32]
    raise ValueError(f"signature_mode must be one of {', '.join(SIGNATURE_MODES)}")


# ---------------------------------------------------------------------------------------------
# HTTP plumbing

class HttpError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class Reply:
    __slots__ = ("status", "obj", "raw", "ctype", "headers", "style")

    def __init__(self, status, obj=None, raw=None, ctype="application/json", headers=None, style="php"):
        self.status, self.obj, self.raw, self.ctype = status, obj, raw, ctype
        self.headers = headers or {}
        self.style = style

    def body(self):
        if self.raw is not None:
            return self.raw
        if self.obj is None:
            return b""
        return php_json(self.obj) if self.style == "php" else plain_json(self.obj)


def ycp_error(status, message, errors=None):
    obj = {"success": False, "message": message}
    if errors:
        obj["errors"] = errors
    return Reply(status, obj)


def pt_error(status, code, message):
    trace = "PMNT%04d.%08X.%08X" % (secrets.randbelow(10000), int(time.time()), secrets.randbits(32))
    return Reply(status, {"code": code, "message": message, "trace": trace})


def ctl(status, obj):
    return Reply(status, obj, style="plain")


def ctl_error(status, message):
    return ctl(status, {"error": message})


ROUTES = []


def route(method, pattern, endpoint=None):
    def deco(fn):
        ROUTES.append((method, re.compile("^" + pattern + "$"), fn, endpoint))
        return fn
    return deco


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "khedma-gateway-emulator/" + VERSION
    sys_version = ""
    timeout = 120
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stalls

    # set by main()
    cfg = None
    state = None
    deliverer = None
    log = None

    def log_message(self, fmt, *args):  # the default writes to stderr; we log in dispatch
        pass

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_HEAD(self):
        self.dispatch("HEAD")

    # -- request body --------------------------------------------------------------------------

    def read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(65537)
                try:
                    size = int(line.split(b";")[0].strip(), 16)
                except ValueError:
                    raise HttpError(400, "malformed chunked body") from None
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    self._drain(size + 2)
                    raise HttpError(413, "request body over 1 MiB")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(3)
        cl = self.headers.get("Content-Length")
        if cl is None:
            return b""
        try:
            n = int(cl)
        except ValueError:
            raise HttpError(400, "bad Content-Length") from None
        if n < 0:
            raise HttpError(400, "bad Content-Length")
        if n > MAX_BODY:
            self._drain(n)
            raise HttpError(413, "request body over 1 MiB")
        data = self.rfile.read(n)
        if len(data) < n:
            raise HttpError(400, "request body shorter than Content-Length")
        return data

    def _drain(self, n):
        """Read and discard a too-large body (up to 16 MiB) so the client gets to read our 413."""
        left = min(n, 16 * MAX_BODY)
        while left > 0:
            chunk = self.rfile.read(min(left, 65536))
            if not chunk:
                break
            left -= len(chunk)

    # -- dispatch --------------------------------------------------------------------------------

    def dispatch(self, method):
        started = time.monotonic()
        split = urllib.parse.urlsplit(self.path)
        self.req_path, self.query = split.path, split.query
        self.rec = None
        self.fault = None
        self.endpoint = None
        self.sent_status = None
        match, allowed = None, []
        for m, rx, fn, endpoint in ROUTES:
            mo = rx.match(self.req_path)
            if mo:
                if m == method or (method == "HEAD" and m == "GET"):
                    match = (fn, endpoint, mo.groupdict())
                    break
                allowed.append(m)
        try:
            try:
                self.body = self.read_body()
            except HttpError as e:
                self.close_connection = True
                raise
            if match is None:
                if allowed:
                    raise HttpError(405, "method not allowed; use " + ", ".join(sorted(set(allowed))))
                raise HttpError(404, "no such endpoint")
            fn, endpoint, params = match
            if endpoint == EP_PT_REQUEST:
                endpoint = self._request_endpoint()
            self.endpoint = endpoint
            if endpoint is not None:
                self._start_record(endpoint, method)
            reply = self._run(fn, endpoint, params)
        except HttpError as e:
            reply = self._error_reply(e.status, e.message)
        except Exception as e:  # noqa: BLE001 - a bug answers 500 and is logged, the server stays up
            self.log(f"internal error on {method} {self.req_path}: {type(e).__name__}: {e}")
            reply = self._error_reply(500, "internal emulator error")
        if reply is not None:
            self._send(reply, head=(method == "HEAD"))
        else:
            self.close_connection = True
        elapsed = int((time.monotonic() - started) * 1000)
        if self.rec is not None:
            self.rec["status"] = self.sent_status
            self.rec["elapsed_ms"] = elapsed
        if not self.req_path.startswith("/__emulator/health"):
            what = self.endpoint or "control"
            extra = ""
            if self.rec is not None:
                extra = f" credentials={self.rec.get('credentials', '-')}"
                if self.rec.get("fault"):
                    extra += f" fault={self.rec['fault']}"
            q = redact_query(self.query)
            self.log(f"{what} {method} {self.req_path}{'?' + q if q else ''} "
                     f"{self.sent_status if self.sent_status is not None else 'closed'} {elapsed}ms{extra}")

    def _request_endpoint(self):
        """payment/request serves several calls; refunds and follow-ups have their own names."""
        try:
            data = json.loads(self.body)
        except ValueError:
            return EP_PT_REQUEST
        if not isinstance(data, dict):
            return EP_PT_REQUEST
        if data.get("tran_type") == "refund":
            return EP_PT_REFUND
        if data.get("tran_type") in ("capture", "void") or data.get("tran_class") == "recurring":
            return EP_PT_FOLLOWUP
        return EP_PT_REQUEST

    def _error_reply(self, status, message):
        if self.req_path.startswith("/youcanpay/"):
            return ycp_error(status, message)
        if self.req_path.startswith("/paytabs/"):
            return pt_error(status, 2, message)
        return ctl_error(status, message)

    def _start_record(self, endpoint, method):
        headers = {}
        for k, v in self.headers.items():
            lk = k.lower()
            headers[lk] = REDACTED if lk in ("authorization", "cookie", "proxy-authorization") else v
        q = redact_query(self.query)
        self.rec = {
            "seq": self.state.next_seq(), "at": iso_ms(), "gateway": endpoint.split(".")[0],
            "endpoint": endpoint, "method": self.command, "path": self.req_path + ("?" + q if q else ""),
            "headers": headers, "body_bytes": len(self.body), "status": None, "fault": None,
        }
        self.state.add_request(self.rec)

    def _run(self, fn, endpoint, params):
        fault = None
        if endpoint in API_ENDPOINTS:
            fault = self.state.take_fault(endpoint)
        self.fault = fault
        if fault:
            self.rec["fault"] = fault["kind"]
            kind = fault["kind"]
            if kind == "hang":
                woke = self.state.wake.wait(float(fault.get("seconds") or 30))
                if woke:
                    return None  # reset or shutdown: drop the connection
            elif kind in ("500", "status"):
                status = int(fault.get("status") or 500)
                if endpoint.startswith("youcanpay."):
                    return Reply(status, {"message": "Server Error"})
                return pt_error(status, 400, "Internal system error")
            elif kind == "empty":
                return Reply(200, raw=b"")
            elif kind == "html":
                status = int(fault.get("status") or 200)
                page = b"<html><head><title>Service unavailable</title></head><body><h1>Please try later</h1></body></html>"
                return Reply(status, raw=page, ctype="text/html; charset=utf-8")
            elif kind == "close":
                return None
        reply = fn(self, **params)
        if fault and reply is not None and reply.raw is None and isinstance(reply.obj, dict):
            if fault["kind"] == "missing_field":
                drop_path(reply.obj, fault.get("field") or DEFAULT_MISSING_FIELD.get(endpoint, "id"))
            elif fault["kind"] == "malformed":
                full = reply.body()
                reply.raw = full[: max(1, len(full) // 2)]
        return reply

    def _send(self, reply, head=False):
        body = reply.body()
        self.sent_status = reply.status
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for k, v in reply.headers.items():
                self.send_header(k, v)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if not head:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # -- helpers for handlers ------------------------------------------------------------------

    def json_body(self):
        if not self.body:
            raise HttpError(400, "a JSON body is required")
        try:
            data = json.loads(self.body)
        except ValueError:
            raise HttpError(400, "the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise HttpError(400, "the body must be a JSON object")
        return data

    def form_body(self):
        try:
            return dict(urllib.parse.parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))
        except (UnicodeDecodeError, ValueError):
            raise HttpError(400, "bad form body") from None

    def query_params(self):
        return dict(urllib.parse.parse_qsl(self.query, keep_blank_values=True))


# ---------------------------------------------------------------------------------------------
# YouCan Pay

def ycp_credentials(cfg, given):
    if given is None or given == "":
        return "missing"
    return "ok" if hmac.compare_digest(given.encode("utf-8"), cfg.ycp_private_key.encode("utf-8")) else "wrong"


def ycp_tx_view(tx, api=False):
    amount = tx["amount"]
    if tx["amount_format"] == "string":
        amount = str(amount)
    view = {"id": tx["id"], "order_id": tx["order_id"], "status": tx["status"], "amount": amount,
            "currency": tx["currency"], "created_at": tx["created_at"]}
    if not api:
        view.update({"token_id": tx["token_id"], "amount_minor": tx["amount"],
                     "amount_format": tx["amount_format"], "refunded": tx["refunded"]})
    return view


def ycp_token_view(cfg, tok):
    view = {k: tok[k] for k in ("id", "order_id", "amount", "currency", "success_url", "error_url",
                                "customer_ip", "customer", "metadata", "created_at", "transactions",
                                "fields", "encoding")}
    view["payment_url"] = cfg.ycp_form + "/" + tok["id"]
    return view


@route("POST", r"/youcanpay/api/tokenize", EP_YCP_TOKENIZE)
def ycp_tokenize(h):
    cfg, state, rec = h.cfg, h.state, h.rec
    mime, params = split_header_params(h.headers.get("Content-Type", ""))
    rec["content_type"] = mime
    if mime == "multipart/form-data":
        try:
            parts = parse_multipart(h.body, params.get("boundary", ""))
        except ValueError as e:
            rec["credentials"] = "unknown"
            return ycp_error(400, f"Malformed multipart/form-data body: {e}")
        rec["encoding"] = "multipart"
        rec["parts"] = [{"name": p["name"], "filename": p["filename"], "content_type": p["content_type"]}
                        for p in parts]
        pairs = [(p["name"], p["value"]) for p in parts]
        files = [p["name"] for p in parts if p["filename"] is not None]
    elif mime == "application/x-www-form-urlencoded":
        try:
            pairs = urllib.parse.parse_qsl(h.body.decode("utf-8"), keep_blank_values=True)
        except (UnicodeDecodeError, ValueError):
            rec["credentials"] = "unknown"
            return ycp_error(400, "Malformed form body")
        rec["encoding"] = "urlencoded"
        files = []
    else:
        rec["credentials"] = "unknown"
        return ycp_error(415, "Unsupported Content-Type: send the fields as multipart/form-data")
    rec["fields"] = [[k, REDACTED if k == "pri_key" else v] for k, v in pairs]
    given = None
    for k, v in pairs:
        if k == "pri_key":
            given = v
    rec["credentials"] = ycp_credentials(cfg, given)
    if rec["credentials"] != "ok":
        return ycp_error(401, "Unauthenticated: the private key (pri_key) is missing or not valid.")
    try:
        fields = nest_fields(pairs)
    except ValueError as e:
        return ycp_error(422, "The given data was invalid.", {"fields": [str(e)]})
    errors = {}

    def err(field, message):
        errors.setdefault(field, []).append(message)

    for name in files:
        err(name, "Files are not accepted here.")
    amount = fields.get("amount")
    if amount is None or amount == "":
        err("amount", "The amount field is required.")
    elif not isinstance(amount, str) or not re.fullmatch(r"[0-9]+", amount):
        err("amount", "The amount must be an integer: minor units, e.g. 50000 for 500.00 MAD.")
    elif int(amount) < 1:
        err("amount", "The amount must be at least 1.")
    elif amount != str(int(amount)):
        err("amount", "The amount must not have leading zeros.")
    elif int(amount) > 10 ** 11:
        err("amount", "The amount is too large.")
    currency = fields.get("currency")
    if currency is None or currency == "":
        err("currency", "The currency field is required.")
    elif currency not in cfg.ycp_currencies:
        err("currency", "The selected currency is invalid (allowed: " + ", ".join(cfg.ycp_currencies) + ").")
    order_id = fields.get("order_id")
    if order_id is None or order_id == "":
        err("order_id", "The order id field is required.")
    elif not isinstance(order_id, str) or len(order_id) > 255:
        err("order_id", "The order id must be a string of at most 255 characters.")
    for name in ("success_url", "error_url"):
        v = fields.get(name)
        if v is None or v == "":
            err(name, f"The {name.replace('_', ' ')} field is required.")
        elif not is_http_url(v):
            err(name, f"The {name.replace('_', ' ')} must be a valid http(s) URL.")
    ip = fields.get("customer_ip")
    if ip not in (None, "") and (not isinstance(ip, str) or not is_ip(ip)):
        err("customer_ip", "The customer ip must be a valid IP address.")
    customer = fields.get("customer", {})
    if not isinstance(customer, dict):
        err("customer", "The customer must be an array of fields (customer[name], customer[email], ...).")
        customer = {}
    else:
        for k, v in customer.items():
            if not isinstance(v, str):
                err(f"customer.{k}", "Customer fields must be plain values.")
        email = customer.get("email")
        if isinstance(email, str) and email and not EMAIL_RE.match(email):
            err("customer.email", "The customer email must be a valid email address.")
    metadata = fields.get("metadata", {})
    if not isinstance(metadata, dict):
        err("metadata", "The metadata must be an array of fields (metadata[key]).")
        metadata = {}
    if errors:
        return ycp_error(422, "The given data was invalid.", errors)
    now = time.time()
    tok = {"id": str(uuid.uuid4()), "order_id": order_id, "amount": int(amount), "currency": currency,
           "success_url": fields["success_url"], "error_url": fields["error_url"],
           "customer_ip": ip or None, "customer": customer, "metadata": metadata,
           "created_at": iso_ms(now), "transactions": [], "fields": sorted(fields.keys()),
           "encoding": rec["encoding"]}
    with state.lock:
        state.tokens[tok["id"]] = tok
    rec["token_id"] = tok["id"]
    return Reply(200, {"token": {"id": tok["id"]}})


@route("GET", r"/youcanpay/api/transactions/(?P<tx_id>[^/]+)", EP_YCP_TRANSACTIONS)
def ycp_transaction(h, tx_id):
    q = h.query_params()
    h.rec["credentials"] = ycp_credentials(h.cfg, q.get("pri_key"))
    if h.rec["credentials"] != "ok":
        return ycp_error(401, "Unauthenticated: the private key (pri_key) is missing or not valid.")
    tx_id = urllib.parse.unquote(tx_id)
    with h.state.lock:
        tx = h.state.ycp_tx.get(tx_id)
        view = ycp_tx_view(tx, api=True) if tx else None
    if view is None:
        return ycp_error(404, "Transaction not found.")
    if h.fault and h.fault["kind"] == "outcome":
        view["status"] = int(h.fault.get("outcome", -1))
    return Reply(200, view)


def ycp_create_tx(state, token, status, amount=None, currency=None, order_id=None, amount_format=None):
    with state.lock:
        state.tx_counter += 1
        if amount_format not in ("number", "string"):
            amount_format = "number" if state.tx_counter % 2 == 1 else "string"
        now = time.time()
        tx = {"id": str(uuid.uuid4()), "token_id": token["id"] if token else None,
              "order_id": order_id if order_id is not None else (token["order_id"] if token else ""),
              "status": int(status),
              "amount": int(amount) if amount is not None else (token["amount"] if token else 0),
              "currency": currency or (token["currency"] if token else "MAD"),
              "amount_format": amount_format, "created_at": ycp_time(now), "refunded": False}
        state.ycp_tx[tx["id"]] = tx
        if token:
            token["transactions"].append(tx["id"])
        return tx


def ycp_event_body(cfg, state, tx, event_name, event_id=None, overrides=None, remove=None):
    with state.lock:
        token = state.tokens.get(tx["token_id"]) if tx["token_id"] else None
        txv = ycp_tx_view(tx, api=True)
        event = {
            "id": event_id or str(uuid.uuid4()),
            "event_name": event_name,
            "sandbox": cfg.sandbox,
            "payload": {
                "transaction": {"id": txv["id"], "order_id": txv["order_id"], "amount": txv["amount"],
                                "currency": txv["currency"], "status": txv["status"],
                                "created_at": txv["created_at"]},
                "token": {"id": token["id"]} if token else None,
                "customer": dict(token["customer"]) if token else {},
                "metadata": json.loads(json.dumps(token["metadata"])) if token else {},
            },
        }
    for path, value in (overrides or {}).items():
        set_path(event, path, value)
    for path in remove or []:
        drop_path(event, path)
    return event


def ycp_send_event(h, tx, event_name, url, opts):
    """Build, sign (per opts) and send one YouCan Pay webhook; returns the delivery records."""
    event = ycp_event_body(h.cfg, h.state, tx, event_name, opts.get("event_id"), opts.get("overrides"),
                           opts.get("remove"))
    signed = php_json(event)
    sent = signed
    tampered = bool(opts.get("tamper"))
    if tampered:
        t = json.loads(signed)
        amt = t["payload"]["transaction"].get("amount")
        if isinstance(amt, str) and amt.isdigit():
            t["payload"]["transaction"]["amount"] = str(int(amt) + 100)
        elif isinstance(amt, int):
            t["payload"]["transaction"]["amount"] = amt + 100
        else:
            t["payload"]["transaction"]["amount"] = 100
        sent = php_json(t)
    mode = opts.get("signature_mode") or "valid"
    key = opts.get("sign_with_key") or h.cfg.ycp_private_key
    sig = signature_for(mode, key, signed)
    headers = {} if sig is None else {"x-youcanpay-signature": sig}
    meta = {"event_id": event["id"], "event_name": event_name, "transaction_id": tx["id"],
            "order_id": tx["order_id"], "signature_mode": mode, "tampered": tampered,
            "custom_key": bool(opts.get("sign_with_key"))}
    return h.deliverer.deliver("youcanpay", "youcanpay.webhook", url, sent, headers, meta,
                               wait=opts.get("wait", True) is not False, timeout=opts.get("timeout"),
                               copies=int(opts.get("copies") or 1), concurrent=bool(opts.get("concurrent")))


# The payment pages are for people too (deploy/up, the browser tests): lang, a title, labelled
# fields, visible focus, readable contrast, and two plain buttons that pay or fail at once.
PAGE_STYLE = """body{font-family:sans-serif;max-width:34em;margin:1em auto;padding:0 1em;line-height:1.5;color:#111}
.err{color:#a00;font-weight:bold}.badge{background:#fc0;color:#000;padding:.1em .4em}
.quick{display:flex;flex-wrap:wrap;gap:.75em;margin:1em 0}
button{font:inherit;padding:.6em 1.2em;border-radius:.3em;border:2px solid #222;cursor:pointer}
#pay{background:#0a6b2d;border-color:#0a6b2d;color:#fff}#fail{background:#fff;border-color:#a00;color:#a00}
button:focus-visible,input:focus-visible{outline:3px solid #1a56db;outline-offset:2px}
label{display:block;margin:.4em 0}input{font:inherit;padding:.3em}fieldset{margin:1.5em 0}"""


def _html_page(title, body):
    """A whole emulator HTML page: TITLE (escaped here) and BODY (already-escaped HTML)."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{PAGE_STYLE}</style></head>
<body><main>{body}</main></body></html>"""


def _quick_buttons(pay_card, fail_card):
    """The two one-click outcomes: POST action=approve (as the success test card) or action=decline
    (as a declining test card)."""
    return f"""<form method="post" class="quick" aria-label="Test outcome">
<button type="submit" id="pay" name="action" value="approve">Pay</button>
<button type="submit" id="fail" name="action" value="decline">Fail payment</button>
</form><p>&ldquo;Pay&rdquo; pays as test card <code>{pay_card}</code>; &ldquo;Fail payment&rdquo; is declined
as <code>{fail_card}</code>.</p>"""


def _card_fields(default_card):
    return f"""<label for="card_number">Card number</label>
<input id="card_number" name="card_number" autocomplete="off" inputmode="numeric" value="{default_card}">
<label for="expiry">Expiry (MM/YY)</label><input id="expiry" name="expiry" value="12/30" size="5">
<label for="cvv">CVV</label><input id="cvv" name="cvv" value="123" size="4">"""


def _ycp_form_page(cfg, tok, message=None, status=200):
    major = Decimal(tok["amount"]).scaleb(-2)
    msg = f'<p class="err" role="alert">{html.escape(message)}</p>' if message else ""
    cards = "".join(f"<li><code>{c}</code> &rarr; status {s}</li>" for c, s in YCP_CARDS.items())
    body = f"""<h1>YouCan Pay <span class="badge">SANDBOX EMULATOR</span></h1>
<p>A development stand-in, not the real service.</p>
<p>Order <b>{html.escape(tok['order_id'])}</b>: <b>{major} {html.escape(tok['currency'])}</b>
({tok['amount']} minor units)</p>{msg}
{_quick_buttons("4242 4242 4242 4242", "4000 0000 0000 0002")}
<form method="post"><fieldset><legend>Or pay with a test card</legend>
{_card_fields("4242 4242 4242 4242")}
<p><button type="submit">Pay with this card</button></p></fieldset></form>
<h2>Test cards (any expiry and CVV)</h2><ul>{cards}</ul>"""
    page = _html_page("YouCan Pay (emulator)", body)
    return Reply(status, raw=page.encode("utf-8"), ctype="text/html; charset=utf-8")


def _not_found_page(what):
    page = _html_page("Not found (payment emulator)", f"<h1>Not found</h1><p>{html.escape(what)}</p>")
    return Reply(404, raw=page.encode("utf-8"), ctype="text/html; charset=utf-8")


# The card the one-click buttons stand for, by gateway and action.
YCP_QUICK = {"approve": "4242424242424242", "decline": "4000000000000002"}
PT_QUICK = {"approve": "4111111111111111", "decline": "4000000000000002"}


@route("GET", r"/youcanpay/payment-form/(?P<token_id>[^/]+)", EP_YCP_FORM)
def ycp_form_get(h, token_id):
    with h.state.lock:
        tok = h.state.tokens.get(urllib.parse.unquote(token_id))
    if tok is None:
        return _not_found_page("Unknown or expired payment token.")
    h.rec["token_id"] = tok["id"]
    return _ycp_form_page(h.cfg, tok)


@route("POST", r"/youcanpay/payment-form/(?P<token_id>[^/]+)", EP_YCP_FORM)
def ycp_form_post(h, token_id):
    with h.state.lock:
        tok = h.state.tokens.get(urllib.parse.unquote(token_id))
    if tok is None:
        return _not_found_page("Unknown or expired payment token.")
    h.rec["token_id"] = tok["id"]
    form = h.form_body()
    card = YCP_QUICK.get(form.get("action", "")) or re.sub(r"\D", "", form.get("card_number", ""))
    h.rec["card"] = mask_card(card)
    if card not in YCP_CARDS:
        return _ycp_form_page(h.cfg, tok, "card_not_accepted: use one of the test cards below.", 422)
    with h.state.lock:
        if any(h.state.ycp_tx[t]["status"] == 1 for t in tok["transactions"] if t in h.state.ycp_tx):
            return _ycp_form_page(h.cfg, tok, "This payment has already been made.", 409)
        tx = ycp_create_tx(h.state, tok, YCP_CARDS[card])
    event = {1: "transaction.paid", -1: "transaction.failed"}.get(tx["status"])
    if event and h.cfg.ycp_webhook_url:
        ycp_send_event(h, tx, event, h.cfg.ycp_webhook_url, {"wait": False})
    if tx["status"] == 0:
        return _ycp_form_page(h.cfg, tok, f"Payment pending (transaction {tx['id']}).", 202)
    target = tok["success_url"] if tx["status"] == 1 else tok["error_url"]
    sep = "&" if urllib.parse.urlsplit(target).query else "?"
    location = target + sep + urllib.parse.urlencode({"transaction_id": tx["id"], "order_id": tx["order_id"]})
    page = _html_page("Redirecting (YouCan Pay emulator)", f'<p><a href="{html.escape(location)}">Continue</a></p>')
    return Reply(303, raw=page.encode("utf-8"), ctype="text/html; charset=utf-8", headers={"Location": location})


# ---------------------------------------------------------------------------------------------
# PayTabs

def pt_credentials(cfg, given):
    if given is None or given == "":
        return "missing"
    return "ok" if hmac.compare_digest(given.encode("utf-8"), cfg.pt_server_key.encode("utf-8")) else "wrong"


def pt_profile_ok(cfg, value):
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return str(value) == cfg.pt_profile_id
    if isinstance(value, str) and value.isdigit():
        return str(int(value)) == cfg.pt_profile_id
    return False


def pt_amount(value, currency):
    """A PayTabs amount: a JSON number > 0 with at most 2 (or 3) decimals; Decimal or an error text."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        return None, "must be a number (not a string)"
    d = Decimal(value)
    if not d.is_finite():
        return None, "must be a finite number"
    if d <= 0:
        return None, "must be greater than 0"
    places = pt_decimals(currency) if currency else 2
    if d.normalize().as_tuple().exponent < -places:
        return None, f"must have at most {places} decimals"
    if d > Decimal("9999999999"):
        return None, "is too large"
    return d, None


def pt_result_fields(tx):
    return {"response_status": tx["status"], "response_code": tx["response_code"],
            "response_message": tx["response_message"], "cvv_result": "", "avs_result": "",
            "transaction_time": tx["transaction_time"]}


def pt_view(cfg, tx, api=False, callback=False):
    """A transaction the way the query endpoint (api) or the callback answers it."""
    v = {"tran_ref": tx["tran_ref"]}
    if tx.get("previous_tran_ref"):
        v["previous_tran_ref"] = tx["previous_tran_ref"]
    if callback:
        v["merchant_id"] = cfg.merchant_id
        v["profile_id"] = int(cfg.pt_profile_id)
    v.update({"tran_type": tx["tran_type"], "cart_id": tx["cart_id"],
              "cart_description": tx["cart_description"], "cart_currency": tx["cart_currency"],
              "cart_amount": tx["cart_amount"], "tran_currency": tx["cart_currency"],
              "tran_total": tx["cart_amount"]})
    if tx.get("customer_details") is not None:
        v["customer_details"] = tx["customer_details"]
    if tx.get("token"):
        v["token"] = tx["token"]
    v["payment_result"] = pt_result_fields(tx)
    if tx["status"] != "P" and tx.get("card"):
        v["payment_info"] = {"payment_method": tx["card"]["scheme"], "card_type": "Credit",
                             "card_scheme": tx["card"]["scheme"], "payment_description": tx["card"]["masked"],
                             "expiryMonth": 12, "expiryYear": 2030}
    if api:
        v.update({"serviceId": 2, "profileId": int(cfg.pt_profile_id), "merchantId": cfg.merchant_id,
                  "trace": "PMNT%04d.%08X.%08X" % (secrets.randbelow(10000), int(time.time()), secrets.randbits(32))})
    return v


def pt_control_view(cfg, tx):
    v = pt_view(cfg, tx)
    v.update({"status": tx["status"], "callback": tx.get("callback"), "return": tx.get("return"),
              "redirect_url": (cfg.pt_api + "/payment/page/" + tx["page_id"]) if tx.get("page_id") else None,
              "refunded_total": tx.get("refunded_total"), "refunds": list(tx.get("refunds", [])),
              "created_at": tx["created_at"], "cart_id_matches_original": tx.get("cart_id_matches_original"),
              "tran_class": tx.get("tran_class"), "captured_by": tx.get("captured_by"),
              "voided_by": tx.get("voided_by"), "token_tran_ref": tx.get("token_tran_ref")})
    return v


def pt_set_status(state, tx, status, code=None, message=None):
    """Move a PayTabs transaction to status (caller holds the lock); keeps refund totals right."""
    old = tx["status"]
    dflt_code, dflt_msg = PT_DEFAULT_RESULT[status]
    if status == "A" and not dflt_code:
        dflt_code = "G%05d" % secrets.randbelow(100000)
    tx["status"] = status
    tx["response_code"] = dflt_code if code is None else str(code)
    tx["response_message"] = dflt_msg if message is None else str(message)
    tx["transaction_time"] = pt_time(time.time())
    if status == "A" and tx.get("tokenise") and not tx.get("token"):
        # PayTabs gives the card token with the approval of a tokenised sale or auth.
        tx["token"] = secrets.token_hex(16).upper()
        state.pt_tokens[tx["token"]] = {"tran_ref": tx["tran_ref"], "currency": tx["cart_currency"],
                                        "declines": []}
    if tx["tran_type"] == "Refund" and old != status:
        orig = state.pt_tx.get(tx["previous_tran_ref"])
        if orig is not None:
            amt = Decimal(tx["cart_amount"])
            before = old in ("A", "P", "H")
            after = status in ("A", "P", "H")
            if before and not after:
                orig["reserved_refund"] = str(Decimal(orig["reserved_refund"]) - amt)
            elif after and not before:
                orig["reserved_refund"] = str(Decimal(orig["reserved_refund"]) + amt)
            if status == "A":
                orig["refunded_total"] = pt_amount_str(Decimal(orig["refunded_total"]) + amt, orig["cart_currency"])
            elif old == "A":
                orig["refunded_total"] = pt_amount_str(Decimal(orig["refunded_total"]) - amt, orig["cart_currency"])


@route("POST", r"/paytabs/payment/request", EP_PT_REQUEST)
def pt_request(h):
    cfg, state, rec = h.cfg, h.state, h.rec
    rec["credentials"] = pt_credentials(cfg, h.headers.get("authorization"))
    mime, _ = split_header_params(h.headers.get("Content-Type", ""))
    rec["content_type"] = mime
    try:
        rec["json"] = json.loads(h.body) if h.body else None
    except ValueError:
        rec["json"] = None
    rec["raw"] = h.body[:65536].decode("utf-8", "replace")
    if rec["credentials"] != "ok":
        return pt_error(401, 1, "Authentication failed. Check authentication header.")
    if mime != "application/json":
        return pt_error(400, 2, "Invalid request: Content-Type must be application/json")
    try:
        data = json.loads(h.body, parse_float=Decimal)
    except ValueError:
        return pt_error(400, 2, "Invalid request: the body is not valid JSON")
    if not isinstance(data, dict):
        return pt_error(400, 2, "Invalid request: the body must be a JSON object")
    if not pt_profile_ok(cfg, data.get("profile_id")):
        return pt_error(401, 1, "Authentication failed. Check authentication header.")
    tran_type = data.get("tran_type")
    if tran_type == "refund":
        return pt_refund(h, data)
    if tran_type in ("capture", "void"):
        return pt_settle_auth(h, data, tran_type)
    if tran_type == "sale" and data.get("tran_class") == "recurring":
        return pt_recurring(h, data)
    if tran_type in ("release", "register"):
        return pt_error(400, 2, f"tran_type {tran_type!r} is not supported by the emulator")
    if tran_type not in ("sale", "auth"):
        return pt_error(400, 2, "Invalid tran_type: expected sale, auth, capture, void or refund")
    error = pt_validate_cart(cfg, data)
    if error:
        return error
    tokenise = data.get("tokenise")
    if tokenise is not None and (isinstance(tokenise, bool) or tokenise not in (2, 3, 4, 5)):
        return pt_error(400, 2, "tokenise: 2, 3, 4 or 5 (the token format) when given")
    shown_type = "Auth" if tran_type == "auth" else "Sale"
    amount = pt_amount(data["cart_amount"], data["cart_currency"])[0]
    cd = data.get("customer_details")
    if not isinstance(cd, dict):
        return pt_error(400, 2, "customer_details: required object for a sale")
    for f in ("name", "email", "phone", "street1", "city", "country"):
        if not isinstance(cd.get(f), str) or not cd.get(f).strip():
            return pt_error(400, 2, f"customer_details.{f}: required")
    for f in ("state", "zip", "ip"):
        if f in cd and not isinstance(cd[f], str):
            return pt_error(400, 2, f"customer_details.{f}: must be a string")
    if not EMAIL_RE.match(cd["email"]):
        return pt_error(400, 2, "customer_details.email: not a valid email address")
    if not re.fullmatch(r"[A-Za-z]{2,3}", cd["country"]):
        return pt_error(400, 2, "customer_details.country: ISO 3166 country code expected")
    if cd.get("ip") and not is_ip(cd["ip"]):
        return pt_error(400, 2, "customer_details.ip: not a valid IP address")
    for f, code in (("callback", 210), ("return", 211)):
        v = data.get(f)
        if not is_http_url(v):
            what = "Callback" if f == "callback" else "Return"
            return pt_error(400, code, f"Invalid {what} URL")
    with state.lock:
        now = time.time()
        if cfg.pt_duplicate_window > 0:
            for other in state.pt_tx.values():
                if (other["tran_type"] == shown_type and other["cart_id"] == data["cart_id"]
                        and other["cart_currency"] == data["cart_currency"]
                        and Decimal(other["cart_amount"]) == amount
                        and now - other["created_ts"] < cfg.pt_duplicate_window):
                    return pt_error(409, 4, "Duplicate Request")
        tran_ref = state.next_tran_ref()
        page_id = secrets.token_hex(20).upper()
        tx = {"tran_ref": tran_ref, "tran_type": shown_type, "tran_class": "ecom", "cart_id": data["cart_id"],
              "cart_description": data["cart_description"], "cart_currency": data["cart_currency"],
              "cart_amount": pt_amount_str(amount, data["cart_currency"]),
              "customer_details": json.loads(json.dumps(cd)), "callback": data["callback"],
              "return": data["return"], "status": "P", "response_code": "",
              "response_message": "Pending", "transaction_time": pt_time(now), "created_at": iso_ms(now),
              "created_ts": now, "page_id": page_id, "refunded_total": pt_amount_str(0, data["cart_currency"]),
              "reserved_refund": "0", "refunds": [], "card": None, "tokenise": tokenise is not None}
        state.pt_tx[tran_ref] = tx
        state.pt_pages[page_id] = tran_ref
    rec["tran_ref"] = tran_ref
    return Reply(200, {
        "tran_ref": tran_ref, "tran_type": shown_type, "cart_id": tx["cart_id"],
        "cart_description": tx["cart_description"], "cart_currency": tx["cart_currency"],
        "cart_amount": tx["cart_amount"], "tran_currency": tx["cart_currency"], "tran_total": tx["cart_amount"],
        "callback": tx["callback"], "return": tx["return"],
        "redirect_url": cfg.pt_api + "/payment/page/" + page_id,
        "serviceId": 2, "profileId": int(cfg.pt_profile_id), "merchantId": cfg.merchant_id,
        "trace": "PMNT%04d.%08X.%08X" % (secrets.randbelow(10000), int(now), secrets.randbits(32)),
    })


def pt_validate_cart(cfg, data, tran_class="ecom"):
    if data.get("tran_class") != tran_class:
        return pt_error(400, 2, f"Invalid tran_class: expected {tran_class}")
    cart_id = data.get("cart_id")
    if not isinstance(cart_id, str) or not cart_id.strip() or len(cart_id) > 64:
        return pt_error(400, 2, "cart_id: required string of 1 to 64 characters")
    desc = data.get("cart_description")
    if not isinstance(desc, str) or not desc.strip() or len(desc) > 128:
        return pt_error(400, 2, "cart_description: required string of 1 to 128 characters")
    cur = data.get("cart_currency")
    if not isinstance(cur, str) or not re.fullmatch(r"[A-Z]{3}", cur):
        return pt_error(400, 206, "Invalid currency code")
    if cur not in cfg.pt_currencies:
        return pt_error(400, 206, "Currency not available")
    if "cart_amount" not in data:
        return pt_error(400, 2, "cart_amount: required")
    _, why = pt_amount(data.get("cart_amount"), cur)
    if why:
        return pt_error(400, 2, f"cart_amount: {why}")
    return None


def pt_refund(h, data):
    cfg, state = h.cfg, h.state
    error = pt_validate_cart(cfg, data)
    if error:
        return error
    ref = data.get("tran_ref")
    if not isinstance(ref, str) or not ref:
        return pt_error(400, 2, "tran_ref: required for a refund")
    amount = pt_amount(data["cart_amount"], data["cart_currency"])[0]
    outcome = "A"
    if h.fault and h.fault["kind"] == "outcome":
        outcome = str(h.fault.get("outcome") or "D").upper()
        if outcome not in PT_STATUSES:
            outcome = "D"
    with state.lock:
        orig = state.pt_tx.get(ref)
        if orig is None:
            return pt_error(400, 113, "Invalid transaction reference")
        if orig["tran_type"] != "Sale" or orig["status"] != "A":
            return pt_error(400, 2, "Transaction is not eligible for refund: only an authorised sale can be refunded")
        if data["cart_currency"] != orig["cart_currency"]:
            return pt_error(400, 206, "Currency mismatch")
        remaining = Decimal(orig["cart_amount"]) - Decimal(orig["reserved_refund"])
        if amount > remaining:
            return pt_error(400, 2, "Refund amount exceeds the amount available for refund (%s %s)"
                            % (pt_amount_str(max(remaining, Decimal(0)), orig["cart_currency"]), orig["cart_currency"]))
        now = time.time()
        tran_ref = state.next_tran_ref()
        tx = {"tran_ref": tran_ref, "previous_tran_ref": ref, "tran_type": "Refund", "tran_class": "ecom",
              "cart_id": data["cart_id"], "cart_description": data["cart_description"],
              "cart_currency": data["cart_currency"], "cart_amount": pt_amount_str(amount, data["cart_currency"]),
              "customer_details": None, "callback": data.get("callback"), "return": None,
              "status": "D", "response_code": "", "response_message": "", "transaction_time": pt_time(now),
              "created_at": iso_ms(now), "created_ts": now, "page_id": None, "card": orig.get("card"),
              "cart_id_matches_original": data["cart_id"] == orig["cart_id"]}
        state.pt_tx[tran_ref] = tx
        orig["refunds"].append(tran_ref)
        pt_set_status(state, tx, outcome)
        reply = pt_view(cfg, tx, api=True)
    h.rec["tran_ref"] = tran_ref
    return Reply(200, reply)


def pt_outcome(h, default="A"):
    """The response_status a fault of kind outcome asks for, else default."""
    if h.fault and h.fault["kind"] == "outcome":
        outcome = str(h.fault.get("outcome") or "D").upper()
        return outcome if outcome in PT_STATUSES else "D"
    return default


def pt_new_tx(state, data, tran_type, tran_class, amount, orig, **extra):
    """A transaction made by an API call on an earlier one (caller holds the lock)."""
    now = time.time()
    tran_ref = state.next_tran_ref()
    tx = {"tran_ref": tran_ref, "tran_type": tran_type, "tran_class": tran_class,
          "cart_id": data["cart_id"], "cart_description": data["cart_description"],
          "cart_currency": data["cart_currency"], "cart_amount": pt_amount_str(amount, data["cart_currency"]),
          "customer_details": orig.get("customer_details"), "callback": data.get("callback"), "return": None,
          "status": "D", "response_code": "", "response_message": "", "transaction_time": pt_time(now),
          "created_at": iso_ms(now), "created_ts": now, "page_id": None, "card": orig.get("card"),
          "refunded_total": pt_amount_str(0, data["cart_currency"]), "reserved_refund": "0", "refunds": []}
    tx.update(extra)
    state.pt_tx[tran_ref] = tx
    return tx


def pt_settle_auth(h, data, kind):
    """capture or void of an authorised auth, once, for the authorised amount."""
    cfg, state = h.cfg, h.state
    error = pt_validate_cart(cfg, data)
    if error:
        return error
    ref = data.get("tran_ref")
    if not isinstance(ref, str) or not ref:
        return pt_error(400, 2, f"tran_ref: required for a {kind}")
    amount = pt_amount(data["cart_amount"], data["cart_currency"])[0]
    outcome = pt_outcome(h)
    with state.lock:
        orig = state.pt_tx.get(ref)
        if orig is None:
            return pt_error(400, 113, "Invalid transaction reference")
        if orig["tran_type"] != "Auth" or orig["status"] != "A":
            return pt_error(400, 2, f"Transaction is not eligible for {kind}: only an authorised auth")
        if orig.get("captured_by") or orig.get("voided_by"):
            done = "captured" if orig.get("captured_by") else "voided"
            return pt_error(400, 2, f"Transaction is not eligible for {kind}: already {done}")
        if data["cart_currency"] != orig["cart_currency"]:
            return pt_error(400, 206, "Currency mismatch")
        if amount != Decimal(orig["cart_amount"]):
            return pt_error(400, 2, f"cart_amount: must be the authorised amount ({orig['cart_amount']})")
        tx = pt_new_tx(state, data, kind.capitalize(), "ecom", amount, orig, previous_tran_ref=ref)
        pt_set_status(state, tx, outcome)
        if outcome == "A":
            orig["captured_by" if kind == "capture" else "voided_by"] = tx["tran_ref"]
        reply = pt_view(cfg, tx, api=True)
    h.rec["tran_ref"] = tx["tran_ref"]
    return Reply(200, reply)


def pt_recurring(h, data):
    """A sale charged with a token issued by an approved tokenised sale or auth of this emulator."""
    cfg, state = h.cfg, h.state
    error = pt_validate_cart(cfg, data, "recurring")
    if error:
        return error
    token, ref = data.get("token"), data.get("tran_ref")
    if not isinstance(token, str) or not token or not isinstance(ref, str) or not ref:
        return pt_error(400, 2, "token and tran_ref: required for a recurring sale")
    amount = pt_amount(data["cart_amount"], data["cart_currency"])[0]
    with state.lock:
        tok = state.pt_tokens.get(token)
        if tok is None or tok["tran_ref"] != ref:
            return pt_error(400, 2, "Invalid token or transaction reference")
        if data["cart_currency"] != tok["currency"]:
            return pt_error(400, 206, "Currency mismatch")
        outcome = tok["declines"].pop(0) if tok["declines"] else "A"
        outcome = pt_outcome(h, outcome)
        tx = pt_new_tx(state, data, "Sale", "recurring", amount, state.pt_tx[ref], token_tran_ref=ref)
        pt_set_status(state, tx, outcome)
        reply = pt_view(cfg, tx, api=True)
    h.rec["tran_ref"] = tx["tran_ref"]
    return Reply(200, reply)


@route("POST", r"/paytabs/payment/query", EP_PT_QUERY)
def pt_query(h):
    cfg, state, rec = h.cfg, h.state, h.rec
    rec["credentials"] = pt_credentials(cfg, h.headers.get("authorization"))
    mime, _ = split_header_params(h.headers.get("Content-Type", ""))
    rec["content_type"] = mime
    try:
        rec["json"] = json.loads(h.body) if h.body else None
    except ValueError:
        rec["json"] = None
    rec["raw"] = h.body[:65536].decode("utf-8", "replace")
    if rec["credentials"] != "ok":
        return pt_error(401, 1, "Authentication failed. Check authentication header.")
    if mime != "application/json":
        return pt_error(400, 2, "Invalid request: Content-Type must be application/json")
    try:
        data = json.loads(h.body)
    except ValueError:
        return pt_error(400, 2, "Invalid request: the body is not valid JSON")
    if not isinstance(data, dict):
        return pt_error(400, 2, "Invalid request: the body must be a JSON object")
    if not pt_profile_ok(cfg, data.get("profile_id")):
        return pt_error(401, 1, "Authentication failed. Check authentication header.")
    ref = data.get("tran_ref")
    with state.lock:
        tx = None
        if isinstance(ref, str) and ref:
            tx = state.pt_tx.get(ref)
        elif ref is None and isinstance(data.get("cart_id"), str):
            sales = [t for t in state.pt_tx.values() if t["tran_type"] == "Sale" and t["cart_id"] == data["cart_id"]]
            tx = sales[-1] if sales else None
        else:
            return pt_error(400, 2, "tran_ref: required")
        if tx is None:
            return pt_error(400, 113, "Invalid transaction reference")
        view = pt_view(cfg, tx, api=True)
    if h.fault and h.fault["kind"] == "outcome":
        status = str(h.fault.get("outcome") or "D").upper()
        if status in PT_STATUSES:
            code, message = PT_DEFAULT_RESULT[status]
            view["payment_result"].update({"response_status": status, "response_code": code or "G00000",
                                           "response_message": message})
    rec["tran_ref"] = tx["tran_ref"]
    return Reply(200, view)


def pt_callback_body(cfg, state, tx, overrides=None, remove=None):
    with state.lock:
        body = pt_view(cfg, tx, callback=True)
        body = json.loads(json.dumps(body))
    for path, value in (overrides or {}).items():
        set_path(body, path, value)
    for path in remove or []:
        drop_path(body, path)
    return body


def pt_send_callback(h, tx, url, opts):
    body = pt_callback_body(h.cfg, h.state, tx, opts.get("overrides"), opts.get("remove"))
    signed = php_json(body)
    sent = signed
    tampered = bool(opts.get("tamper"))
    if tampered:
        t = json.loads(signed)
        try:
            t["cart_amount"] = pt_amount_str(Decimal(str(t.get("cart_amount", "0"))) + 1, t.get("cart_currency", "MAD"))
        except InvalidOperation:
            t["cart_amount"] = "1.00"
        t["tran_total"] = t["cart_amount"]
        sent = php_json(t)
    mode = opts.get("signature_mode") or "valid"
    key = opts.get("sign_with_key") or h.cfg.pt_server_key
    sig = signature_for(mode, key, signed)
    headers = {} if sig is None else {"signature": sig}
    meta = {"tran_ref": tx["tran_ref"], "cart_id": tx["cart_id"], "response_status": tx["status"],
            "signature_mode": mode, "tampered": tampered, "custom_key": bool(opts.get("sign_with_key"))}
    return h.deliverer.deliver("paytabs", "paytabs.callback", url, sent, headers, meta,
                               wait=opts.get("wait", True) is not False, timeout=opts.get("timeout"),
                               copies=int(opts.get("copies") or 1), concurrent=bool(opts.get("concurrent")))


def pt_return_fields(cfg, tx):
    """The fields PayTabs posts through the browser to the return URL, with their signature."""
    fields = {"acquirerMessage": "", "acquirerRRN": "", "cartId": tx["cart_id"],
              "customerEmail": (tx.get("customer_details") or {}).get("email", ""),
              "respCode": tx["response_code"], "respMessage": tx["response_message"],
              "respStatus": tx["status"], "token": tx.get("token") or "", "tranRef": tx["tran_ref"]}
    kept = {k: v for k, v in fields.items() if v not in (None, "", "0")}
    query = "&".join(urllib.parse.quote_plus(k, safe="").replace("~", "%7E") + "="
                     + urllib.parse.quote_plus(str(v), safe="").replace("~", "%7E")
                     for k, v in sorted(kept.items()))
    fields["signature"] = hmac_hex(cfg.pt_server_key, query.encode("utf-8"))
    return fields


def _pt_page(tx, message=None, status=200):
    msg = f'<p class="err" role="alert">{html.escape(message)}</p>' if message else ""
    cards = "".join(f"<li><code>{c}</code> &rarr; {s}</li>" for c, s in PT_CARDS.items())
    body = f"""<h1>PayTabs <span class="badge">TEST MODE EMULATOR</span></h1>
<p>A development stand-in, not the real service.</p>
<p>{html.escape(tx['cart_description'])} &mdash; cart <b>{html.escape(tx['cart_id'])}</b>:
<b>{html.escape(tx['cart_amount'])} {html.escape(tx['cart_currency'])}</b> ({html.escape(tx['tran_ref'])})</p>{msg}
{_quick_buttons("4111 1111 1111 1111", "4000 0000 0000 0002")}
<form method="post"><fieldset><legend>Or pay with a test card</legend>
{_card_fields("4111 1111 1111 1111")}
<p><button type="submit" name="action" value="pay">Pay with this card</button>
<button type="submit" name="action" value="cancel">Cancel</button></p></fieldset></form>
<h2>Test cards (any expiry and CVV)</h2><ul>{cards}</ul>"""
    page = _html_page("PayTabs (emulator)", body)
    return Reply(status, raw=page.encode("utf-8"), ctype="text/html; charset=utf-8")


@route("GET", r"/paytabs/payment/page/(?P<page_id>[^/]+)", EP_PT_PAGE)
def pt_page_get(h, page_id):
    with h.state.lock:
        ref = h.state.pt_pages.get(page_id)
        tx = h.state.pt_tx.get(ref) if ref else None
    if tx is None:
        return _not_found_page("Unknown or expired payment page.")
    h.rec["tran_ref"] = tx["tran_ref"]
    if tx["status"] != "P":
        return _pt_page(tx, f"This payment is already completed (status {tx['status']}).", 409)
    return _pt_page(tx)


@route("POST", r"/paytabs/payment/page/(?P<page_id>[^/]+)", EP_PT_PAGE)
def pt_page_post(h, page_id):
    with h.state.lock:
        ref = h.state.pt_pages.get(page_id)
        tx = h.state.pt_tx.get(ref) if ref else None
    if tx is None:
        return _not_found_page("Unknown or expired payment page.")
    h.rec["tran_ref"] = tx["tran_ref"]
    form = h.form_body()
    card = PT_QUICK.get(form.get("action", "")) or re.sub(r"\D", "", form.get("card_number", ""))
    h.rec["card"] = mask_card(card)
    with h.state.lock:
        if tx["status"] != "P":
            return _pt_page(tx, f"This payment is already completed (status {tx['status']}).", 409)
        if form.get("action") == "cancel":
            pt_set_status(h.state, tx, "C")
        elif card not in PT_CARDS:
            return _pt_page(tx, "Card not accepted: use one of the test cards below.", 422)
        else:
            tx["card"] = {"scheme": card_scheme(card), "masked": mask_card(card)}
            pt_set_status(h.state, tx, PT_CARDS[card])
        fields = pt_return_fields(h.cfg, tx)
    if tx.get("callback"):
        pt_send_callback(h, tx, tx["callback"], {"wait": False})
    inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(str(v))}">'
                     for k, v in fields.items())
    # As PayTabs does: the browser POSTs the return form to the merchant's return URL at once (the
    # inline onload handler; this page sends no CSP), or when the person presses Continue.
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Returning to the shop (PayTabs emulator)</title><style>{PAGE_STYLE}</style></head>
<body onload="document.forms[0].submit()"><main><p>Payment {html.escape(tx['status'])}: returning to the shop&hellip;</p>
<form method="post" action="{html.escape(tx['return'] or '')}">{inputs}<button type="submit">Continue</button></form>
</main></body></html>"""
    return Reply(200, raw=page.encode("utf-8"), ctype="text/html; charset=utf-8")


# ---------------------------------------------------------------------------------------------
# Test control API (/__emulator/...): not part of either real service

def _bool(v, default=False):
    if v is None:
        return default
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return v != 0
    return str(v).lower() in ("1", "true", "yes", "on")


def _delivery_opts(data):
    mode = data.get("signature_mode") or "valid"
    if mode not in SIGNATURE_MODES:
        raise HttpError(400, f"signature_mode must be one of {', '.join(SIGNATURE_MODES)}")
    overrides = data.get("overrides") or {}
    remove = data.get("remove") or []
    if not isinstance(overrides, dict) or not isinstance(remove, list):
        raise HttpError(400, "overrides must be an object of dotted paths, remove a list of dotted paths")
    copies = data.get("copies", 1)
    if not isinstance(copies, int) or isinstance(copies, bool) or not 1 <= copies <= 100:
        raise HttpError(400, "copies must be an integer from 1 to 100")
    key = data.get("sign_with_key")
    if key is not None and (not isinstance(key, str) or not key):
        raise HttpError(400, "sign_with_key must be a non-empty string")
    event_id = data.get("event_id")
    if event_id is not None and (not isinstance(event_id, str) or not event_id):
        raise HttpError(400, "event_id must be a non-empty string")
    return {"signature_mode": mode, "tamper": _bool(data.get("tamper")), "overrides": overrides,
            "remove": remove, "copies": copies, "concurrent": _bool(data.get("concurrent")),
            "wait": _bool(data.get("wait"), True), "timeout": data.get("timeout"),
            "sign_with_key": key, "event_id": event_id}


def _url_or_400(url, what):
    if not is_http_url(url):
        raise HttpError(400, f"{what} must be an http(s) URL")
    return url


def _public_deliveries(recs):
    return [dict(r) for r in recs]


CONTROL_INDEX = {
    "GET /__emulator/health": "liveness: {ok, service, pid}",
    "GET /__emulator/config": "public configuration (URLs, profile id, public key; never a secret)",
    "POST /__emulator/config": "{youcanpay_webhook_url?, sandbox?, paytabs_duplicate_window?, webhook_timeout?}",
    "POST /__emulator/reset": "forget tokens, transactions, requests, deliveries and faults",
    "GET /__emulator/requests": "requests received (?gateway=&endpoint=&since=SEQ); keys redacted",
    "POST /__emulator/requests/clear": "empty the request log",
    "GET /__emulator/faults": "pending faults",
    "POST /__emulator/faults": "{endpoint, kind, count?, seconds?, status?, field?, outcome?}",
    "POST /__emulator/faults/clear": "drop every pending fault",
    "GET /__emulator/youcanpay/tokens": "tokens (?order_id=)",
    "GET /__emulator/youcanpay/tokens/{id}": "one token as tokenize stored it",
    "POST /__emulator/youcanpay/pay": "{token_id, status?=1, webhook_url?, webhook?, amount_format?, ...}",
    "GET /__emulator/youcanpay/transactions": "transactions (?order_id=)",
    "POST /__emulator/youcanpay/transactions": "{order_id, amount, currency?, status?, amount_format?, token_id?}",
    "GET /__emulator/youcanpay/transactions/{id}": "one transaction",
    "POST /__emulator/youcanpay/transactions/{id}": "{status?, amount_format?, refunded?}",
    "POST /__emulator/youcanpay/events": "{transaction_id, event_name, url?, event_id?, signature_mode?, tamper?, ...}",
    "GET /__emulator/paytabs/transactions": "transactions (?cart_id=)",
    "GET /__emulator/paytabs/transactions/{tran_ref}": "one transaction (with callback/return URLs)",
    "POST /__emulator/paytabs/complete": "{tran_ref, status?=A, callback?=true, callback_url?, ...}",
    "POST /__emulator/paytabs/callbacks": "{tran_ref, url?, signature_mode?, tamper?, ...}: send again",
    "POST /__emulator/paytabs/recurring/decline": "{tran_ref | token, count?=1, status?=D}: the next recurring "
                                                  "charges with that token answer status",
    "GET /__emulator/deliveries": "webhooks/callbacks sent (?gateway=)",
    "GET /__emulator/deliveries/{id}": "one delivery",
    "POST /__emulator/deliveries/{id}/replay": "{url?, copies?, concurrent?, wait?}: same bytes, same signature",
    "POST /__emulator/sign": "{gateway: youcanpay|paytabs, body}: the signature a valid webhook would carry",
}


@route("GET", r"/__emulator/?")
def c_index(h):
    return ctl(200, {"service": SERVICE, "note": "test control API of the development emulators; "
                     "the real gateways have nothing like it", "endpoints": CONTROL_INDEX})


@route("GET", r"/__emulator/health")
def c_health(h):
    return ctl(200, {"ok": True, "service": SERVICE, "version": VERSION, "pid": os.getpid(),
                     "instance": os.environ.get("EMULATOR_INSTANCE", "")})


@route("GET", r"/__emulator/config")
def c_config_get(h):
    return ctl(200, h.cfg.public_view())


@route("POST", r"/__emulator/config")
def c_config_set(h):
    data = h.json_body()
    cfg = h.cfg
    if "youcanpay_webhook_url" in data:
        url = data["youcanpay_webhook_url"]
        cfg.ycp_webhook_url = "" if url in (None, "") else _url_or_400(url, "youcanpay_webhook_url")
    if "sandbox" in data:
        cfg.sandbox = _bool(data["sandbox"])
    if "paytabs_duplicate_window" in data:
        cfg.pt_duplicate_window = float(data["paytabs_duplicate_window"])
    if "webhook_timeout" in data:
        cfg.webhook_timeout = float(data["webhook_timeout"])
    return ctl(200, cfg.public_view())


@route("POST", r"/__emulator/reset")
def c_reset(h):
    h.state.reset()
    return ctl(200, {"ok": True})


@route("GET", r"/__emulator/requests")
def c_requests(h):
    q = h.query_params()
    since = int(q.get("since") or 0)
    with h.state.lock:
        out = [dict(r) for r in h.state.requests
               if r["seq"] > since
               and (not q.get("gateway") or r["gateway"] == q["gateway"])
               and (not q.get("endpoint") or r["endpoint"] == q["endpoint"])]
    return ctl(200, {"requests": out})


@route("POST", r"/__emulator/requests/clear")
def c_requests_clear(h):
    with h.state.lock:
        h.state.requests = []
    return ctl(200, {"ok": True})


@route("GET", r"/__emulator/faults")
def c_faults(h):
    with h.state.lock:
        return ctl(200, {"faults": [dict(f) for f in h.state.faults]})


@route("POST", r"/__emulator/faults")
def c_fault_add(h):
    data = h.json_body()
    endpoint = data.get("endpoint")
    valid = set(API_ENDPOINTS) | {"*", "youcanpay.*", "paytabs.*"}
    if endpoint not in valid:
        raise HttpError(400, "endpoint must be one of " + ", ".join(sorted(valid)))
    kind = str(data.get("kind", ""))
    if kind not in FAULT_KINDS:
        raise HttpError(400, "kind must be one of " + ", ".join(FAULT_KINDS))
    count = data.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise HttpError(400, "count must be a positive integer")
    fault = {"endpoint": endpoint, "kind": kind, "count": count, "remaining": count, "used": 0}
    if kind == "hang":
        seconds = data.get("seconds", 30)
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not 0 < seconds <= 3600:
            raise HttpError(400, "seconds must be a number in (0, 3600]")
        fault["seconds"] = seconds
    if kind in ("status", "500", "html") and "status" in data:
        st = data["status"]
        if not isinstance(st, int) or isinstance(st, bool) or not 100 <= st <= 599:
            raise HttpError(400, "status must be an HTTP status code")
        fault["status"] = st
    if kind == "status" and "status" not in fault:
        raise HttpError(400, "kind status needs a status")
    if kind == "missing_field" and data.get("field") is not None:
        if not isinstance(data["field"], str) or not data["field"]:
            raise HttpError(400, "field must be a dotted path")
        fault["field"] = data["field"]
    if kind == "outcome":
        if endpoint not in (EP_PT_FOLLOWUP, EP_PT_REFUND, EP_PT_QUERY, EP_YCP_TRANSACTIONS):
            raise HttpError(400, "outcome applies to paytabs.followup, paytabs.refund, paytabs.query and "
                                 "youcanpay.transactions")
        outcome = data.get("outcome")
        if endpoint == EP_YCP_TRANSACTIONS:
            if outcome not in (1, 0, -1):
                raise HttpError(400, "outcome for youcanpay.transactions is a status: 1, 0 or -1")
        elif not isinstance(outcome, str) or outcome.upper() not in PT_STATUSES:
            raise HttpError(400, "outcome for PayTabs is a response_status: " + ", ".join(PT_STATUSES))
        fault["outcome"] = outcome.upper() if isinstance(outcome, str) else outcome
    with h.state.lock:
        h.state.fault_counter += 1
        fault["id"] = "flt_%d" % h.state.fault_counter
        h.state.faults.append(fault)
    return ctl(201, {"fault": dict(fault)})


@route("POST", r"/__emulator/faults/clear")
def c_faults_clear(h):
    with h.state.lock:
        h.state.faults = []
    return ctl(200, {"ok": True})


@route("GET", r"/__emulator/youcanpay/tokens")
def c_ycp_tokens(h):
    q = h.query_params()
    with h.state.lock:
        out = [ycp_token_view(h.cfg, t) for t in h.state.tokens.values()
               if not q.get("order_id") or t["order_id"] == q["order_id"]]
    return ctl(200, {"tokens": out})


@route("GET", r"/__emulator/youcanpay/tokens/(?P<token_id>[^/]+)")
def c_ycp_token(h, token_id):
    with h.state.lock:
        tok = h.state.tokens.get(urllib.parse.unquote(token_id))
        if tok is None:
            raise HttpError(404, "no such token")
        return ctl(200, {"token": ycp_token_view(h.cfg, tok)})


def _ycp_status(value, default=1):
    if value is None:
        return default
    if value not in (1, 0, -1) or isinstance(value, bool):
        raise HttpError(400, "status must be 1 (paid), 0 (pending) or -1 (failed)")
    return value


def _amount_format(value):
    if value not in (None, "number", "string"):
        raise HttpError(400, "amount_format must be number or string")
    return value


@route("POST", r"/__emulator/youcanpay/pay")
def c_ycp_pay(h):
    data = h.json_body()
    status = _ycp_status(data.get("status"))
    fmt = _amount_format(data.get("amount_format"))
    amount = data.get("amount")
    if amount is not None and (not isinstance(amount, int) or isinstance(amount, bool)):
        raise HttpError(400, "amount (minor units) must be an integer")
    opts = _delivery_opts(data)
    with h.state.lock:
        tok = h.state.tokens.get(str(data.get("token_id", "")))
        if tok is None:
            raise HttpError(404, "no such token")
        paid = [t for t in tok["transactions"] if h.state.ycp_tx.get(t, {}).get("status") == 1]
        if paid and not _bool(data.get("force")):
            raise HttpError(409, f"token already paid by transaction {paid[0]} (force=true to pay again)")
        tx = ycp_create_tx(h.state, tok, status, amount, data.get("currency"), data.get("order_id"), fmt)
    event_name = data.get("event_name") or {1: "transaction.paid", -1: "transaction.failed"}.get(status)
    if event_name is not None and event_name not in YCP_EVENTS:
        raise HttpError(400, "event_name must be one of " + ", ".join(YCP_EVENTS))
    url = data.get("webhook_url")
    if url is None and _bool(data.get("webhook")):
        url = h.cfg.ycp_webhook_url or None
        if url is None:
            raise HttpError(400, "webhook=true but no webhook URL is configured")
    deliveries = []
    if url and event_name and data.get("webhook", True) is not False:
        _url_or_400(url, "webhook_url")
        deliveries = ycp_send_event(h, tx, event_name, url, opts)
    with h.state.lock:
        view = ycp_tx_view(tx)
        out = {"transaction": view, "event_name": event_name if deliveries else None,
               "deliveries": _public_deliveries(deliveries)}
        out["delivery"] = out["deliveries"][0] if deliveries else None
    return ctl(200, out)


@route("GET", r"/__emulator/youcanpay/transactions")
def c_ycp_txs(h):
    q = h.query_params()
    with h.state.lock:
        out = [ycp_tx_view(t) for t in h.state.ycp_tx.values()
               if not q.get("order_id") or t["order_id"] == q["order_id"]]
    return ctl(200, {"transactions": out})


@route("POST", r"/__emulator/youcanpay/transactions")
def c_ycp_tx_create(h):
    data = h.json_body()
    status = _ycp_status(data.get("status"))
    fmt = _amount_format(data.get("amount_format"))
    with h.state.lock:
        tok = None
        if data.get("token_id") is not None:
            tok = h.state.tokens.get(str(data["token_id"]))
            if tok is None:
                raise HttpError(404, "no such token")
        amount = data.get("amount")
        if tok is None:
            if not isinstance(data.get("order_id"), str) or not data["order_id"]:
                raise HttpError(400, "order_id is required without a token_id")
            if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
                raise HttpError(400, "amount (minor units, integer) is required without a token_id")
        elif amount is not None and (not isinstance(amount, int) or isinstance(amount, bool)):
            raise HttpError(400, "amount (minor units) must be an integer")
        tx = ycp_create_tx(h.state, tok, status, amount, data.get("currency"), data.get("order_id"), fmt)
        return ctl(201, {"transaction": ycp_tx_view(tx)})


@route("GET", r"/__emulator/youcanpay/transactions/(?P<tx_id>[^/]+)")
def c_ycp_tx(h, tx_id):
    with h.state.lock:
        tx = h.state.ycp_tx.get(urllib.parse.unquote(tx_id))
        if tx is None:
            raise HttpError(404, "no such transaction")
        return ctl(200, {"transaction": ycp_tx_view(tx)})


@route("POST", r"/__emulator/youcanpay/transactions/(?P<tx_id>[^/]+)")
def c_ycp_tx_update(h, tx_id):
    data = h.json_body()
    with h.state.lock:
        tx = h.state.ycp_tx.get(urllib.parse.unquote(tx_id))
        if tx is None:
            raise HttpError(404, "no such transaction")
        if "status" in data:
            tx["status"] = _ycp_status(data["status"])
        if "amount_format" in data:
            tx["amount_format"] = _amount_format(data["amount_format"]) or tx["amount_format"]
        if "refunded" in data:
            tx["refunded"] = _bool(data["refunded"])
        return ctl(200, {"transaction": ycp_tx_view(tx)})


@route("POST", r"/__emulator/youcanpay/events")
def c_ycp_event(h):
    data = h.json_body()
    event_name = data.get("event_name")
    if event_name not in YCP_EVENTS:
        raise HttpError(400, "event_name must be one of " + ", ".join(YCP_EVENTS))
    opts = _delivery_opts(data)
    with h.state.lock:
        tx = h.state.ycp_tx.get(str(data.get("transaction_id", "")))
        if tx is None:
            raise HttpError(404, "no such transaction")
        if event_name == "transaction.refunded":
            tx["refunded"] = True
    url = data.get("url") or h.cfg.ycp_webhook_url
    if not url:
        raise HttpError(400, "no url given and no webhook URL configured")
    _url_or_400(url, "url")
    recs = ycp_send_event(h, tx, event_name, url, opts)
    with h.state.lock:
        out = _public_deliveries(recs)
    return ctl(200, {"delivery": out[0], "deliveries": out})


@route("GET", r"/__emulator/paytabs/transactions")
def c_pt_txs(h):
    q = h.query_params()
    with h.state.lock:
        out = [pt_control_view(h.cfg, t) for t in h.state.pt_tx.values()
               if not q.get("cart_id") or t["cart_id"] == q["cart_id"]]
    return ctl(200, {"transactions": out})


@route("GET", r"/__emulator/paytabs/transactions/(?P<ref>[^/]+)")
def c_pt_tx(h, ref):
    with h.state.lock:
        tx = h.state.pt_tx.get(urllib.parse.unquote(ref))
        if tx is None:
            raise HttpError(404, "no such transaction")
        return ctl(200, {"transaction": pt_control_view(h.cfg, tx)})


@route("POST", r"/__emulator/paytabs/complete")
def c_pt_complete(h):
    data = h.json_body()
    status = str(data.get("status", "A")).upper()
    if status not in PT_STATUSES:
        raise HttpError(400, "status must be one of " + ", ".join(PT_STATUSES))
    opts = _delivery_opts(data)
    with h.state.lock:
        tx = h.state.pt_tx.get(str(data.get("tran_ref", "")))
        if tx is None:
            raise HttpError(404, "no such transaction")
        if tx["status"] in PT_FINAL and not _bool(data.get("force")):
            raise HttpError(409, f"transaction already final with status {tx['status']} (force=true to change it)")
        if tx["tran_type"] in ("Sale", "Auth") and not tx.get("card"):
            card = str(data.get("card") or "4111111111111111")
            tx["card"] = {"scheme": card_scheme(card), "masked": mask_card(card)}
        pt_set_status(h.state, tx, status, data.get("response_code"), data.get("response_message"))
    deliveries, note = [], None
    if _bool(data.get("callback"), True):
        url = data.get("callback_url") or tx.get("callback")
        if url:
            _url_or_400(url, "callback_url")
            deliveries = pt_send_callback(h, tx, url, opts)
        else:
            note = "no callback URL: none was given at payment/request nor in this call"
    with h.state.lock:
        out = _public_deliveries(deliveries)
        view = pt_control_view(h.cfg, tx)
    return ctl(200, {"transaction": view, "delivery": out[0] if out else None, "deliveries": out,
                     "note": note})


@route("POST", r"/__emulator/paytabs/callbacks")
def c_pt_callback(h):
    data = h.json_body()
    opts = _delivery_opts(data)
    with h.state.lock:
        tx = h.state.pt_tx.get(str(data.get("tran_ref", "")))
        if tx is None:
            raise HttpError(404, "no such transaction")
    url = data.get("url") or tx.get("callback")
    if not url:
        raise HttpError(400, "no url given and the transaction has no callback URL")
    _url_or_400(url, "url")
    recs = pt_send_callback(h, tx, url, opts)
    with h.state.lock:
        out = _public_deliveries(recs)
    return ctl(200, {"delivery": out[0], "deliveries": out})


@route("POST", r"/__emulator/paytabs/recurring/decline")
def c_pt_recurring_decline(h):
    data = h.json_body()
    status = str(data.get("status", "D")).upper()
    if status not in PT_STATUSES or status == "A":
        raise HttpError(400, "status must be one of " + ", ".join(s for s in PT_STATUSES if s != "A"))
    count = data.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 100:
        raise HttpError(400, "count must be an integer from 1 to 100")
    with h.state.lock:
        tok = h.state.pt_tokens.get(str(data.get("token") or ""))
        if tok is None and data.get("tran_ref"):
            tok = next((t for t in h.state.pt_tokens.values() if t["tran_ref"] == data["tran_ref"]), None)
        if tok is None:
            raise HttpError(404, "no such token (give the token or the tran_ref that created it)")
        tok["declines"].extend([status] * count)
        return ctl(200, {"tran_ref": tok["tran_ref"], "pending_declines": list(tok["declines"])})


@route("GET", r"/__emulator/deliveries")
def c_deliveries(h):
    q = h.query_params()
    with h.state.lock:
        out = [dict(r) for r in h.state.deliveries.values()
               if not q.get("gateway") or r["gateway"] == q["gateway"]]
    return ctl(200, {"deliveries": out})


@route("GET", r"/__emulator/deliveries/(?P<dlv_id>[^/]+)")
def c_delivery(h, dlv_id):
    with h.state.lock:
        rec = h.state.deliveries.get(dlv_id)
        if rec is None:
            raise HttpError(404, "no such delivery")
        return ctl(200, {"delivery": dict(rec)})


@route("POST", r"/__emulator/deliveries/(?P<dlv_id>[^/]+)/replay")
def c_replay(h, dlv_id):
    data = h.json_body() if h.body else {}
    with h.state.lock:
        rec = h.state.deliveries.get(dlv_id)
        if rec is None:
            raise HttpError(404, "no such delivery")
        rec = dict(rec)
    url = data.get("url") or rec["url"]
    _url_or_400(url, "url")
    copies = data.get("copies", 1)
    if not isinstance(copies, int) or isinstance(copies, bool) or not 1 <= copies <= 100:
        raise HttpError(400, "copies must be an integer from 1 to 100")
    keep = ("event_id", "event_name", "transaction_id", "order_id", "tran_ref", "cart_id",
            "response_status", "signature_mode", "tampered", "custom_key")
    meta = {k: rec[k] for k in keep if k in rec}
    meta["replay_of"] = rec.get("replay_of") or rec["id"]
    recs = h.deliverer.deliver(rec["gateway"], rec["kind"], url, rec["body"].encode("utf-8"), rec["headers"],
                               meta, wait=_bool(data.get("wait"), True), timeout=data.get("timeout"),
                               copies=copies, concurrent=_bool(data.get("concurrent")))
    with h.state.lock:
        out = _public_deliveries(recs)
    return ctl(200, {"delivery": out[0], "deliveries": out})


@route("POST", r"/__emulator/sign")
def c_sign(h):
    data = h.json_body()
    body = data.get("body")
    if not isinstance(body, str):
        raise HttpError(400, "body must be the exact text to sign")
    if data.get("gateway") == "youcanpay":
        key = h.cfg.ycp_private_key
    elif data.get("gateway") == "paytabs":
        key = h.cfg.pt_server_key
    else:
        raise HttpError(400, "gateway must be youcanpay or paytabs")
    return ctl(200, {"signature": hmac_hex(key, body.encode("utf-8"))})


# ---------------------------------------------------------------------------------------------
# Main

class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


def make_logger(path):
    lock = threading.Lock()
    stream = open(path, "a", encoding="utf-8", buffering=1) if path else sys.stderr  # noqa: SIM115

    def log(line):
        with lock:
            try:
                stream.write(f"{iso_ms()} {line}\n")
                stream.flush()
            except (OSError, ValueError):
                pass
    return log


def env_default(name, fallback=None):
    return os.environ.get(name, fallback)


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="YouCan Pay + PayTabs development emulators (test stand-ins, not the real services). "
                    "Keys may also come from the environment (EMULATOR_YOUCANPAY_PRIVATE_KEY, "
                    "EMULATOR_YOUCANPAY_PUBLIC_KEY, EMULATOR_PAYTABS_PROFILE_ID, EMULATOR_PAYTABS_SERVER_KEY) "
                    "so that they stay out of the process list.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, required=True, help="port to listen on (0: any free port)")
    p.add_argument("--public-url", default=None, help="base URL put in redirect URLs (default http://HOST:PORT)")
    p.add_argument("--youcanpay-private-key", default=env_default("EMULATOR_YOUCANPAY_PRIVATE_KEY"))
    p.add_argument("--youcanpay-public-key", default=env_default("EMULATOR_YOUCANPAY_PUBLIC_KEY"))
    p.add_argument("--paytabs-profile-id", default=env_default("EMULATOR_PAYTABS_PROFILE_ID"))
    p.add_argument("--paytabs-server-key", default=env_default("EMULATOR_PAYTABS_SERVER_KEY"))
    p.add_argument("--youcanpay-webhook-url", default=env_default("EMULATOR_YOUCANPAY_WEBHOOK_URL", ""),
                   help="where payments made on the payment page send their webhook (the real service "
                        "takes it from the dashboard)")
    p.add_argument("--youcanpay-currencies", default="MAD,USD,EUR")
    p.add_argument("--paytabs-currencies", default="MAD,USD,EUR")
    p.add_argument("--paytabs-duplicate-window", type=float, default=120.0,
                   help="seconds during which an identical sale for the same cart_id answers 409 "
                        "'Duplicate Request' (0 disables)")
    p.add_argument("--webhook-timeout", type=float, default=10.0, help="seconds per webhook/callback delivery")
    p.add_argument("--log", default=None, help="log file (default: stderr); never receives a secret")
    p.add_argument("--appstore-root-pem", default=env_default("EMULATOR_APPSTORE_ROOT_PEM"),
                   help="where the App Store emulator (appstore.py) writes its test root certificate; "
                        "without it the App Store emulator is off")
    p.add_argument("--appstore-notify-url", default=env_default("EMULATOR_APPSTORE_NOTIFY_URL", ""),
                   help="where App Store Server Notifications go when the control call names no url")
    args = p.parse_args(argv)
    missing = [n for n in ("youcanpay_private_key", "youcanpay_public_key", "paytabs_profile_id",
                           "paytabs_server_key") if not getattr(args, n)]
    if missing:
        p.error("missing: " + ", ".join("--" + m.replace("_", "-") for m in missing))
    if not str(args.paytabs_profile_id).isdigit():
        p.error("--paytabs-profile-id must be a number")
    if args.youcanpay_webhook_url and not is_http_url(args.youcanpay_webhook_url):
        p.error("--youcanpay-webhook-url must be an http(s) URL")
    return args


def install_appstore(args, log):
    """The App Store emulator (tests/emulators/appstore.py, python3-cryptography) on the same port."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import appstore  # noqa: E402 - only when asked for: the gateways need no third-party module

    store = appstore.AppStore(args.appstore_root_pem)
    appstore.install(route, ctl, HttpError, store, args.appstore_notify_url)
    log(f"app store: test root written to {args.appstore_root_pem}")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    log = make_logger(args.log)
    state = State()
    try:
        server = EmulatorServer((args.host, args.port), Handler)
    except OSError as e:
        log(f"cannot listen on {args.host}:{args.port}: {e}")
        print(f"{SERVICE}: cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    cfg = Config(args, server.server_port)
    Handler.cfg, Handler.state, Handler.log = cfg, state, staticmethod(log)
    Handler.deliverer = Deliverer(cfg, state, log)
    if args.appstore_root_pem:
        install_appstore(args, log)

    def stop(signum, frame):
        log(f"signal {signum}: stopping")
        state.wake.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log(f"listening on {cfg.public_url} (pid {os.getpid()}): youcanpay {cfg.ycp_api}, paytabs {cfg.pt_api}, "
        f"control {cfg.control}")
    print(f"{SERVICE} listening on {cfg.public_url}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
