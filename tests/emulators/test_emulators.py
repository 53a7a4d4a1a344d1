#!/usr/bin/env python3
# test_emulators.py - self-test of the gateway emulators (Python 3.11 standard library only): starts
# gateways.py on a free loopback port plus a local webhook receiver, exercises every gateway endpoint,
# the validation errors, the payment pages, the control API, faults, signed/forged/tampered/replayed
# webhooks and callbacks, the secret hygiene of logs, and the start/stop scripts. Plain asserts; prints
# `ok - name` / `not ok - name: why` per test and a closing `emulators: N passed, N failed`; exits 1 on
# failure.
# Run: python3 tests/emulators/test_emulators.py [name-substring ...]

import hashlib
import hmac
import http.client as httpclient
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import client as emu_client  # noqa: E402

YCP_PRI = "pri_sandbox_selftest_" + uuid.uuid4().hex
YCP_PUB = "pub_sandbox_selftest_" + uuid.uuid4().hex
PT_PROFILE = "54321"
PT_KEY = "SSELFTEST1-" + uuid.uuid4().hex[:10].upper() + "-" + uuid.uuid4().hex[:10].upper()

PORT = None
BASE = None
EMU = None          # client.Emulator
PROC = None
LOGFILE = None
RECEIVER = None     # the webhook receiver


# ---------------------------------------------------------------------------------------------
# Helpers

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return f"<Resp {self.status} {self.body[:300]!r}>"


def http(method, path, body=None, headers=None, timeout=10, port=None):
    conn = httpclient.HTTPConnection("127.0.0.1", port or PORT, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        return Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
    finally:
        conn.close()


def multipart(fields, boundary=None):
    """Build a multipart/form-data body from [(name, value)] (our own encoder)."""
    boundary = boundary or "----selftest" + uuid.uuid4().hex
    out = []
    for name, value in fields:
        out.append(f"--{boundary}\r\n".encode())
        out.append(f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.append(value.encode("utf-8") + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


def tokenize_fields(**over):
    order = over.pop("order_id", "c" + uuid.uuid4().hex[:24])
    order_missing = order is None
    order = order if order is not None else "c" + uuid.uuid4().hex[:24]
    fields = {
        "pri_key": YCP_PRI, "amount": "50000", "currency": "MAD", "order_id": order,
        "customer_ip": "127.0.0.1",
        "success_url": f"http://127.0.0.1:8080/orders/{order}/payment-success",
        "error_url": f"http://127.0.0.1:8080/orders/{order}/payment-failed",
        "metadata[order_id]": order, "customer[name]": "Test Client", "customer[email]": "client@khedma.test",
        "customer[phone]": "+212600000000",
    }
    if order_missing:
        del fields["order_id"]
    for k, v in over.items():
        k = k.replace("__", "[", 1) + "]" if "__" in k else k
        if v is None:
            fields.pop(k, None)
        else:
            fields[k] = v
    return list(fields.items())


def tokenize(**over):
    body, ctype = multipart(tokenize_fields(**over))
    return http("POST", "/youcanpay/api/tokenize", body, {"Content-Type": ctype})


def new_token(**over):
    r = tokenize(**over)
    assert r.status == 200, r
    return r.json["token"]["id"]


def pt_sale_body(**over):
    cart = over.pop("cart_id", "c" + uuid.uuid4().hex[:24])
    cart_missing = cart is None
    cart = cart if cart is not None else "c" + uuid.uuid4().hex[:24]
    body = {
        "profile_id": int(PT_PROFILE), "tran_type": "sale", "tran_class": "ecom", "cart_id": cart,
        "cart_currency": "MAD", "cart_amount": 500, "cart_description": "Gig basic package",
        "customer_details": {"name": "Test Client", "email": "client@khedma.test", "phone": "+212600000000",
                             "street1": "1 rue test", "city": "Rabat", "state": "RA", "country": "MA",
                             "zip": "10000", "ip": "127.0.0.1"},
        "callback": RECEIVER.url("/api/payments/paytabs/callback"),
        "return": "http://127.0.0.1:8080/orders/" + cart + "/payment-return",
    }
    if cart_missing:
        del body["cart_id"]
    for k, v in over.items():
        if v is None:
            body.pop(k, None)
        else:
            body[k] = v
    return body


def pt_post(path, body, key=None, raw=None, ctype="application/json", timeout=10):
    headers = {"Content-Type": ctype}
    if key is not False:
        headers["authorization"] = PT_KEY if key is None else key
    data = raw if raw is not None else json.dumps(body).encode()
    return http("POST", "/paytabs" + path, data, headers, timeout=timeout)


def pt_sale(**over):
    r = pt_post("/payment/request", pt_sale_body(**over))
    assert r.status == 200, r
    return r.json


def pt_refund(tran_ref, amount, cart_id="x", currency="MAD", **over):
    body = {"profile_id": int(PT_PROFILE), "tran_type": "refund", "tran_class": "ecom", "tran_ref": tran_ref,
            "cart_id": cart_id, "cart_currency": currency, "cart_amount": amount,
            "cart_description": "Order cancelled"}
    body.update(over)
    return pt_post("/payment/request", body)


def pt_query(tran_ref, **kw):
    return pt_post("/payment/query", {"profile_id": PT_PROFILE, "tran_ref": tran_ref}, **kw)


def ycp_tx(tx_id, key=None):
    return http("GET", f"/youcanpay/api/transactions/{tx_id}?pri_key={urllib.parse.quote(key or YCP_PRI)}")


def expect_error(fn, status):
    try:
        fn()
    except emu_client.EmulatorError as e:
        assert e.status == status, f"expected {status}, got {e.status}: {e.body}"
        return e
    raise AssertionError(f"expected EmulatorError {status}")


class Receiver:
    """A local webhook endpoint: records every POST and answers with a programmable status."""

    def __init__(self):
        self.received = []
        self.lock = threading.Lock()
        self.answer = 200
        outer = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                with outer.lock:
                    outer.received.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                           "body": body})
                    status = outer.answer
                data = b'{"ok":true}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def take(self):
        with self.lock:
            out, self.received = self.received, []
        return out

    def wait_for(self, n, timeout=5):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                enough = len(self.received) >= n
            if enough:
                return self.take()
            time.sleep(0.02)
        return self.take()


def valid_sig(key, body, sig):
    return sig is not None and hmac.compare_digest(hmac.new(key.encode(), body, hashlib.sha256).hexdigest(), sig)


# ---------------------------------------------------------------------------------------------
# Tests: YouCan Pay

def test_health_index_config():
    r = http("GET", "/__emulator/health")
    assert r.status == 200 and r.json["ok"] and r.json["service"] == "khedma-gateway-emulators", r
    assert r.json["pid"] == PROC.pid
    idx = http("GET", "/__emulator/")
    assert idx.status == 200 and "POST /__emulator/youcanpay/pay" in idx.json["endpoints"]
    cfg = EMU.config()
    assert cfg["youcanpay"]["api"] == BASE + "/youcanpay/api"
    assert cfg["youcanpay"]["payment_form"] == BASE + "/youcanpay/payment-form"
    assert cfg["paytabs"]["api"] == BASE + "/paytabs"
    assert cfg["paytabs"]["profile_id"] == PT_PROFILE
    text = json.dumps(cfg)
    assert YCP_PRI not in text and PT_KEY not in text, "config leaks a secret"
    assert http("GET", "/nope").status == 404
    assert http("DELETE", "/youcanpay/api/tokenize").status == 405


def test_tokenize_ok_multipart():
    order = "c" + uuid.uuid4().hex[:24]
    r = tokenize(order_id=order)
    assert r.status == 200, r
    assert r.headers["content-type"].startswith("application/json")
    tid = r.json["token"]["id"]
    assert str(uuid.UUID(tid)) == tid and uuid.UUID(tid).version == 4
    tok = EMU.token(tid)
    assert tok["amount"] == 50000 and isinstance(tok["amount"], int)
    assert tok["currency"] == "MAD" and tok["order_id"] == order
    assert tok["metadata"] == {"order_id": order}
    assert tok["customer"] == {"name": "Test Client", "email": "client@khedma.test", "phone": "+212600000000"}
    assert tok["customer_ip"] == "127.0.0.1" and tok["encoding"] == "multipart"
    assert tok["payment_url"] == f"{BASE}/youcanpay/payment-form/{tid}"
    assert EMU.find_token(order)["id"] == tid
    req = EMU.requests(endpoint="youcanpay.tokenize")[-1]
    assert req["credentials"] == "ok" and req["encoding"] == "multipart" and req["status"] == 200
    assert ["pri_key", "[redacted]"] in req["fields"] and ["amount", "50000"] in req["fields"]
    assert all(p["filename"] is None for p in req["parts"])


def test_tokenize_urlencoded_and_quoted_boundary():
    fields = tokenize_fields()
    r = http("POST", "/youcanpay/api/tokenize", urllib.parse.urlencode(fields).encode(),
             {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 200, r
    body, _ = multipart(fields, boundary="abc;def")
    r = http("POST", "/youcanpay/api/tokenize", body, {"Content-Type": 'multipart/form-data; boundary="abc;def"'})
    assert r.status == 200, r


def test_tokenize_optional_customer_fields():
    r = tokenize(customer_ip=None, **{"customer[name]": None, "customer[email]": None, "customer[phone]": None,
                                      "metadata[order_id]": None})
    assert r.status == 200, r
    tok = EMU.token(r.json["token"]["id"])
    assert tok["customer"] == {} and tok["metadata"] == {} and tok["customer_ip"] is None


def test_tokenize_credentials():
    r = tokenize(pri_key="pri_sandbox_wrong")
    assert r.status == 401 and r.json["success"] is False, r
    r = tokenize(pri_key=None)
    assert r.status == 401, r
    r = tokenize(pri_key=YCP_PUB)  # the public key is not the private key
    assert r.status == 401, r
    creds = [q["credentials"] for q in EMU.requests(endpoint="youcanpay.tokenize")[-3:]]
    assert creds == ["wrong", "missing", "wrong"], creds
    assert YCP_PRI not in r.body.decode()


def test_tokenize_amount_validation():
    for bad in ("500.00", "500.5", "5e4", "-100", "0", "abc", " 500", "0500", "", "1,000"):
        r = tokenize(amount=bad)
        assert r.status == 422, (bad, r)
        assert "amount" in r.json["errors"], (bad, r.json)
    r = tokenize(amount=None)
    assert r.status == 422 and "amount" in r.json["errors"]
    r = tokenize(amount="1")
    assert r.status == 200, r


def test_tokenize_other_validation():
    cases = [
        ({"currency": "XYZ"}, "currency"), ({"currency": "mad"}, "currency"), ({"currency": None}, "currency"),
        ({"order_id": None}, "order_id"), ({"order_id": ""}, "order_id"), ({"order_id": "x" * 256}, "order_id"),
        ({"success_url": None}, "success_url"), ({"success_url": "ftp://h/x"}, "success_url"),
        ({"success_url": "/relative"}, "success_url"), ({"error_url": None}, "error_url"),
        ({"error_url": "javascript:alert(1)"}, "error_url"), ({"customer_ip": "999.1.1.1"}, "customer_ip"),
        ({"customer[email]": "not-an-email"}, "customer.email"),
    ]
    for over, field in cases:
        r = tokenize(**over)
        assert r.status == 422, (over, r)
        assert field in r.json["errors"], (over, r.json)
    r = tokenize(currency="USD")
    assert r.status == 200, r
    r = tokenize(customer_ip="::1")
    assert r.status == 200, r


def test_tokenize_bad_encodings():
    r = http("POST", "/youcanpay/api/tokenize", json.dumps(dict(tokenize_fields())).encode(),
             {"Content-Type": "application/json"})
    assert r.status == 415, r
    body, ctype = multipart(tokenize_fields())
    r = http("POST", "/youcanpay/api/tokenize", body[:-30], {"Content-Type": ctype})
    assert r.status == 400 and "multipart" in r.json["message"].lower(), r
    r = http("POST", "/youcanpay/api/tokenize", body, {"Content-Type": "multipart/form-data"})
    assert r.status == 400, r
    bad = body.replace(b"50000", b"\xff\xfe")
    r = http("POST", "/youcanpay/api/tokenize", bad, {"Content-Type": ctype})
    assert r.status == 400, r
    r = http("POST", "/youcanpay/api/tokenize", b"x" * (1024 * 1024 + 1), {"Content-Type": ctype})
    assert r.status == 413, r
    body, ctype = multipart(tokenize_fields() + [("metadata[a][]", "1")])
    r = http("POST", "/youcanpay/api/tokenize", body, {"Content-Type": ctype})
    assert r.status == 422, r


def test_ycp_payment_form_page():
    tid = new_token()
    r = http("GET", f"/youcanpay/payment-form/{tid}")
    assert r.status == 200 and r.headers["content-type"].startswith("text/html"), r
    assert b"500.00 MAD" in r.body and b"EMULATOR" in r.body
    assert http("GET", "/youcanpay/payment-form/" + str(uuid.uuid4())).status == 404


def test_ycp_payment_form_pay_redirects_and_webhook():
    EMU.set_config(youcanpay_webhook_url=RECEIVER.url("/api/payments/youcanpay/webhook"))
    RECEIVER.take()
    order = "c" + uuid.uuid4().hex[:24]
    tid = new_token(order_id=order)
    r = http("POST", f"/youcanpay/payment-form/{tid}", b"card_number=4111+0000+0000+0000",
             {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 422 and b"card_not_accepted" in r.body, r
    r = http("POST", f"/youcanpay/payment-form/{tid}", b"card_number=4242+4242+4242+4242&expiry=12%2F30&cvv=123",
             {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 303, r
    loc = urllib.parse.urlsplit(r.headers["location"])
    assert loc.path == f"/orders/{order}/payment-success", loc
    q = dict(urllib.parse.parse_qsl(loc.query))
    assert q["order_id"] == order and q["transaction_id"]
    got = RECEIVER.wait_for(1)
    assert len(got) == 1, got
    assert valid_sig(YCP_PRI, got[0]["body"], got[0]["headers"].get("x-youcanpay-signature"))
    ev = json.loads(got[0]["body"])
    assert ev["event_name"] == "transaction.paid" and ev["payload"]["transaction"]["id"] == q["transaction_id"]
    r = http("POST", f"/youcanpay/payment-form/{tid}", b"card_number=4242424242424242",
             {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 409, r
    req = EMU.requests(endpoint="youcanpay.payment_form")[-2]
    assert req["card"] == "4242 42## #### 4242"
    log = open(LOGFILE, encoding="utf-8").read()
    assert "4242424242424242" not in log and "4242 4242 4242 4242" not in log
    tid2 = new_token()
    r = http("POST", f"/youcanpay/payment-form/{tid2}", b"card_number=4000000000000002",
             {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 303 and "/payment-failed" in r.headers["location"], r
    got = RECEIVER.wait_for(1)
    assert json.loads(got[0]["body"])["event_name"] == "transaction.failed"
    EMU.set_config(youcanpay_webhook_url="")


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def assert_person_page(body):
    """What a person (and the browser tests' axe check) needs of a payment page: a language, a
    title, the two one-click buttons, and a label for every card field."""
    assert b'<html lang="en">' in body and re.search(rb"<title>[^<]+</title>", body), body[:200]
    assert b'<button type="submit" id="pay" name="action" value="approve">Pay</button>' in body, body
    assert b'<button type="submit" id="fail" name="action" value="decline">Fail payment</button>' in body, body
    for field in (b"card_number", b"expiry", b"cvv"):
        assert b'<label for="' + field + b'">' in body and b'id="' + field + b'"' in body, field


def test_ycp_payment_form_buttons():
    EMU.set_config(youcanpay_webhook_url=RECEIVER.url("/api/payments/youcanpay/webhook"))
    RECEIVER.take()
    order = "c" + uuid.uuid4().hex[:24]
    tid = new_token(order_id=order)
    r = http("GET", f"/youcanpay/payment-form/{tid}")
    assert r.status == 200, r
    assert_person_page(r.body)
    # "Fail payment": declined as the declining card, back to error_url; the token stays payable
    r = http("POST", f"/youcanpay/payment-form/{tid}", b"action=decline", FORM)
    assert r.status == 303, r
    loc = urllib.parse.urlsplit(r.headers["location"])
    assert loc.path == f"/orders/{order}/payment-failed", loc
    failed_tx = dict(urllib.parse.parse_qsl(loc.query))["transaction_id"]
    assert ycp_tx(failed_tx).json["status"] == -1
    assert EMU.requests(endpoint="youcanpay.payment_form")[-1]["card"] == "4000 00## #### 0002"
    got = RECEIVER.wait_for(1)
    assert [json.loads(g["body"])["event_name"] for g in got] == ["transaction.failed"], got
    # "Pay": paid as the success card, back to success_url
    r = http("POST", f"/youcanpay/payment-form/{tid}", b"action=approve", FORM)
    assert r.status == 303, r
    loc = urllib.parse.urlsplit(r.headers["location"])
    assert loc.path == f"/orders/{order}/payment-success", loc
    paid_tx = dict(urllib.parse.parse_qsl(loc.query))["transaction_id"]
    assert paid_tx != failed_tx and ycp_tx(paid_tx).json["status"] == 1
    got = RECEIVER.wait_for(1)
    assert [json.loads(g["body"])["event_name"] for g in got] == ["transaction.paid"], got
    assert http("POST", f"/youcanpay/payment-form/{tid}", b"action=approve", FORM).status == 409
    # an unknown action is not a button: the card field decides, and an empty one is refused
    r = http("POST", f"/youcanpay/payment-form/{new_token()}", b"action=bogus", FORM)
    assert r.status == 422 and b"card_not_accepted" in r.body, r
    EMU.set_config(youcanpay_webhook_url="")


def test_ycp_pay_and_transaction_lookup():
    order = "c" + uuid.uuid4().hex[:24]
    tid = new_token(order_id=order, amount="123456")
    out = EMU.pay_token(tid, status=1, amount_format="number")
    tx = out["transaction"]
    assert out["delivery"] is None and tx["status"] == 1
    r = ycp_tx(tx["id"])
    assert r.status == 200, r
    assert r.json == {"id": tx["id"], "order_id": order, "status": 1, "amount": 123456, "currency": "MAD",
                      "created_at": tx["created_at"]}, r.json
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", r.json["created_at"])
    EMU.set_transaction(tx["id"], amount_format="string")
    r = ycp_tx(tx["id"])
    assert r.json["amount"] == "123456", r.json
    assert ycp_tx(tx["id"], key="pri_sandbox_wrong").status == 401
    assert http("GET", f"/youcanpay/api/transactions/{tx['id']}").status == 401
    r = ycp_tx(str(uuid.uuid4()))
    assert r.status == 404 and r.json["success"] is False, r
    req = EMU.requests(endpoint="youcanpay.transactions")[-1]
    assert "pri_key=%5Bredacted%5D" in req["path"] and YCP_PRI not in json.dumps(req)
    expect_error(lambda: EMU.pay_token(tid), 409)           # already paid
    again = EMU.pay_token(tid, force=True, status=-1)
    assert again["transaction"]["status"] == -1
    expect_error(lambda: EMU.pay_token(str(uuid.uuid4())), 404)
    expect_error(lambda: EMU.pay_token(tid, status=2), 400)


def test_ycp_amount_format_alternates():
    EMU.reset()
    tid = new_token()
    kinds = set()
    for status in (-1, -1, -1, -1):
        tx = EMU.pay_token(tid, status=status)["transaction"]
        kinds.add(type(ycp_tx(tx["id"]).json["amount"]).__name__)
    assert kinds == {"int", "str"}, kinds


def test_ycp_pending_then_paid_and_overrides():
    order = "c" + uuid.uuid4().hex[:24]
    tid = new_token(order_id=order)
    tx = EMU.pay_token(tid, status=0)["transaction"]
    assert ycp_tx(tx["id"]).json["status"] == 0
    EMU.set_transaction(tx["id"], status=1)
    assert ycp_tx(tx["id"]).json["status"] == 1
    odd = EMU.pay_token(tid, force=True, amount=500, currency="USD", order_id="other-order")["transaction"]
    j = ycp_tx(odd["id"]).json
    assert int(j["amount"]) == 500 and j["currency"] == "USD" and j["order_id"] == "other-order", j
    made = EMU.create_transaction(order_id="free-order", amount=777, status=1, amount_format="string")
    assert ycp_tx(made["id"]).json["amount"] == "777"
    assert [t["id"] for t in EMU.transactions(order_id="free-order")] == [made["id"]]


def test_ycp_webhooks_signed_paid_failed():
    RECEIVER.take()
    url = RECEIVER.url("/api/payments/youcanpay/webhook")
    order = "c" + uuid.uuid4().hex[:24]
    tid = new_token(order_id=order, amount="50000")
    out = EMU.pay_token(tid, status=-1, webhook_url=url, amount_format="string")
    assert out["delivery"]["status_code"] == 200 and out["event_name"] == "transaction.failed", out
    out = EMU.pay_token(tid, status=1, webhook_url=url, amount_format="number")
    got = RECEIVER.take()
    assert len(got) == 2
    for g in got:
        assert g["headers"]["content-type"] == "application/json"
        assert valid_sig(YCP_PRI, g["body"], g["headers"]["x-youcanpay-signature"]), g
    failed, paid = (json.loads(g["body"]) for g in got)
    assert failed["event_name"] == "transaction.failed" and paid["event_name"] == "transaction.paid"
    assert failed["payload"]["transaction"]["amount"] == "50000" and paid["payload"]["transaction"]["amount"] == 50000
    assert failed["id"] != paid["id"] and str(uuid.UUID(paid["id"])) == paid["id"]
    assert paid["sandbox"] is True
    t = paid["payload"]["transaction"]
    assert t["order_id"] == order and t["currency"] == "MAD" and t["status"] == 1
    assert paid["payload"]["metadata"] == {"order_id": order}
    assert b"\\/" in got[0]["body"] or b"/" not in got[0]["body"]  # PHP-style escaped slashes
    tx = EMU.create_transaction(order_id=order, amount=1, status=0)
    assert EMU.pay_token(new_token(), status=0, webhook_url=url)["delivery"] is None  # pending: no event
    del tx


def test_ycp_event_refunded_replay_tamper_forge():
    RECEIVER.take()
    url = RECEIVER.url("/wh")
    tid = new_token()
    tx = EMU.pay_token(tid, status=1)["transaction"]
    d = EMU.send_youcanpay_event(tx["id"], "transaction.refunded", url=url)
    assert d["status_code"] == 200 and d["event_name"] == "transaction.refunded"
    assert EMU.transaction(tx["id"])["refunded"] is True
    first = RECEIVER.take()[0]
    reps = EMU.replay(d["id"], copies=3, concurrent=True)
    assert len(reps) == 3 and all(x["replay_of"] == d["id"] and x["status_code"] == 200 for x in reps)
    again = RECEIVER.take()
    assert len(again) == 3 and all(a["body"] == first["body"] for a in again)
    assert all(a["headers"]["x-youcanpay-signature"] == first["headers"]["x-youcanpay-signature"] for a in again)
    d2 = EMU.send_youcanpay_event(tx["id"], "transaction.paid", url=url, event_id="evt-fixed-1")
    d3 = EMU.send_youcanpay_event(tx["id"], "transaction.paid", url=url, event_id="evt-fixed-1")
    bodies = [json.loads(g["body"]) for g in RECEIVER.take()]
    assert [b["id"] for b in bodies] == ["evt-fixed-1", "evt-fixed-1"] and d2["event_id"] == d3["event_id"]
    EMU.send_youcanpay_event(tx["id"], url=url, tamper=True)
    g = RECEIVER.take()[0]
    assert not valid_sig(YCP_PRI, g["body"], g["headers"]["x-youcanpay-signature"])
    assert json.loads(g["body"])["payload"]["transaction"]["amount"] != tx["amount_minor"]
    for mode in ("wrong_key", "empty", "garbage", "truncated"):
        EMU.send_youcanpay_event(tx["id"], url=url, signature_mode=mode)
        g = RECEIVER.take()[0]
        assert not valid_sig(YCP_PRI, g["body"], g["headers"].get("x-youcanpay-signature")), mode
    EMU.send_youcanpay_event(tx["id"], url=url, signature_mode="missing")
    assert "x-youcanpay-signature" not in RECEIVER.take()[0]["headers"]
    EMU.send_youcanpay_event(tx["id"], url=url, signature_mode="uppercase")
    g = RECEIVER.take()[0]
    assert g["headers"]["x-youcanpay-signature"] == hmac.new(YCP_PRI.encode(), g["body"], hashlib.sha256).hexdigest().upper()
    EMU.send_youcanpay_event(tx["id"], url=url, sign_with_key="some-other-key",
                             overrides={"payload.transaction.amount": "999"}, remove=["payload.metadata"])
    g = RECEIVER.take()[0]
    body = json.loads(g["body"])
    assert valid_sig("some-other-key", g["body"], g["headers"]["x-youcanpay-signature"])
    assert body["payload"]["transaction"]["amount"] == "999" and "metadata" not in body["payload"]
    assert EMU.sign("youcanpay", g["body"]) == hmac.new(YCP_PRI.encode(), g["body"], hashlib.sha256).hexdigest()
    expect_error(lambda: EMU.send_youcanpay_event(tx["id"], "transaction.bogus", url=url), 400)
    expect_error(lambda: EMU.send_youcanpay_event("nope", url=url), 404)


def test_delivery_records_failures_and_async():
    url = RECEIVER.url("/wh")
    RECEIVER.answer = 500
    try:
        tx = EMU.pay_token(new_token(), status=1)["transaction"]
        d = EMU.send_youcanpay_event(tx["id"], url=url)
        assert d["status_code"] == 500 and d["status"] == "done" and d["response_body"] == '{"ok":true}'
    finally:
        RECEIVER.answer = 200
    d = EMU.send_youcanpay_event(tx["id"], url=f"http://127.0.0.1:{free_port()}/gone")
    assert d["status_code"] is None and d["error"], d
    RECEIVER.take()
    d = EMU.send_youcanpay_event(tx["id"], url=url, wait=False)
    assert d["status"] in ("pending", "done"), d  # sent in the background: may be done already
    assert len(RECEIVER.wait_for(1)) == 1
    time.sleep(0.2)
    assert EMU.delivery(d["id"])["status_code"] == 200
    assert any(x["id"] == d["id"] for x in EMU.deliveries(gateway="youcanpay"))


# ---------------------------------------------------------------------------------------------
# Tests: PayTabs

def test_pt_request_ok():
    cart = "c" + uuid.uuid4().hex[:24]
    r = pt_post("/payment/request", pt_sale_body(cart_id=cart, cart_amount=500.5))
    assert r.status == 200, r
    j = r.json
    assert re.fullmatch(r"TST\d{13}", j["tran_ref"]), j
    assert j["cart_amount"] == "500.50" and isinstance(j["cart_amount"], str)
    assert j["cart_id"] == cart and j["cart_currency"] == "MAD" and j["tran_type"] == "Sale"
    assert j["cart_description"] == "Gig basic package"
    assert j["redirect_url"].startswith(BASE + "/paytabs/payment/page/"), j
    assert b"\\/" in r.body  # slashes escaped like PHP
    tx = EMU.paytabs_transaction(j["tran_ref"])
    assert tx["callback"] == RECEIVER.url("/api/payments/paytabs/callback") and tx["status"] == "P"
    assert tx["customer_details"]["country"] == "MA"
    assert EMU.find_paytabs(cart)["tran_ref"] == j["tran_ref"]
    req = EMU.requests(endpoint="paytabs.request")[-1]
    assert req["credentials"] == "ok" and req["headers"]["authorization"] == "[redacted]"
    assert req["json"]["cart_amount"] == 500.5 and PT_KEY not in json.dumps(req)
    r = pt_post("/payment/request", pt_sale_body(cart_amount=10, profile_id=PT_PROFILE))
    assert r.status == 200 and r.json["cart_amount"] == "10.00", r


def test_pt_request_auth():
    for key in (False, "wrong", "Bearer " + PT_KEY, ""):
        r = pt_post("/payment/request", pt_sale_body(), key=key)
        assert r.status == 401 and r.json["code"] == 1, (key, r)
        assert r.json["message"] == "Authentication failed. Check authentication header."
    r = pt_post("/payment/request", pt_sale_body(profile_id=99999))
    assert r.status == 401 and r.json["code"] == 1, r
    r = pt_post("/payment/request", pt_sale_body(profile_id=None))
    assert r.status == 401, r


def test_pt_request_validation():
    cd = pt_sale_body()["customer_details"]
    cases = [
        {"tran_type": "Sale"}, {"tran_type": "capture"}, {"tran_type": None}, {"tran_class": "moto"},
        {"tokenise": 1}, {"tokenise": True}, {"tokenise": "2"},
        {"tran_class": None}, {"cart_id": ""}, {"cart_id": None}, {"cart_id": "x" * 65},
        {"cart_currency": "XYZ"}, {"cart_currency": "mad"}, {"cart_currency": None},
        {"cart_amount": "500.00"}, {"cart_amount": 0}, {"cart_amount": -5}, {"cart_amount": 500.123},
        {"cart_amount": True}, {"cart_amount": None}, {"cart_description": ""}, {"cart_description": None},
        {"customer_details": None}, {"customer_details": "x"},
        {"customer_details": dict(cd, email="nope")}, {"customer_details": dict(cd, name="")},
        {"customer_details": dict(cd, country="Morocco")}, {"customer_details": dict(cd, ip="1.2.3")},
        {"callback": None}, {"callback": "ftp://x/y"}, {"return": None}, {"return": "not a url"},
    ]
    for over in cases:
        r = pt_post("/payment/request", pt_sale_body(**over))
        assert r.status == 400, (over, r)
        assert isinstance(r.json["code"], int) and r.json["message"] and r.json["trace"], r
    r = pt_post("/payment/request", None, raw=b"{not json")
    assert r.status == 400, r
    r = pt_post("/payment/request", None, raw=b"[1,2]")
    assert r.status == 400, r
    r = pt_post("/payment/request", pt_sale_body(), ctype="application/x-www-form-urlencoded")
    assert r.status == 400, r
    r = pt_post("/payment/request", pt_sale_body(cart_currency="XYZ"))
    assert r.json["code"] == 206, r
    r = pt_post("/payment/request", pt_sale_body(cart_amount=1e2))
    assert r.status == 200 and r.json["cart_amount"] == "100.00", r


def test_pt_duplicate_request():
    body = pt_sale_body()
    assert pt_post("/payment/request", body).status == 200
    r = pt_post("/payment/request", body)
    assert r.status == 409 and r.json["code"] == 4, r
    r = pt_post("/payment/request", dict(body, cart_amount=501))
    assert r.status == 200, r
    EMU.set_config(paytabs_duplicate_window=0)
    try:
        assert pt_post("/payment/request", body).status == 200
    finally:
        EMU.set_config(paytabs_duplicate_window=120)


def test_pt_query_and_complete_with_callback():
    RECEIVER.take()
    sale = pt_sale(cart_amount=250)
    ref = sale["tran_ref"]
    r = pt_query(ref)
    assert r.status == 200 and r.json["payment_result"]["response_status"] == "P", r
    assert r.json["cart_amount"] == "250.00" and r.json["cart_id"] == sale["cart_id"]
    out = EMU.complete_paytabs(ref, status="A")
    assert out["delivery"]["status_code"] == 200, out
    got = RECEIVER.take()
    assert len(got) == 1 and got[0]["path"] == "/api/payments/paytabs/callback"
    assert valid_sig(PT_KEY, got[0]["body"], got[0]["headers"]["signature"])
    cb = json.loads(got[0]["body"])
    assert cb["tran_ref"] == ref and cb["cart_id"] == sale["cart_id"] and cb["cart_amount"] == "250.00"
    assert cb["cart_currency"] == "MAD" and cb["payment_result"]["response_status"] == "A"
    assert cb["payment_result"]["response_message"] == "Authorised"
    assert cb["payment_info"]["payment_description"] == "4111 11## #### 1111"
    r = pt_query(ref)
    pr = r.json["payment_result"]
    assert pr["response_status"] == "A" and pr["response_code"] and re.match(r"\d{4}-\d\d-\d\dT", pr["transaction_time"])
    expect_error(lambda: EMU.complete_paytabs(ref, status="D"), 409)
    for st in ("D", "E", "V"):
        s = pt_sale()
        out = EMU.complete_paytabs(s["tran_ref"], status=st)
        body = json.loads(RECEIVER.take()[0]["body"])
        assert body["payment_result"]["response_status"] == st and pt_query(s["tran_ref"]).json["payment_result"]["response_status"] == st
    s = pt_sale()
    out = EMU.complete_paytabs(s["tran_ref"], status="H", callback=False)
    assert out["delivery"] is None and RECEIVER.take() == []
    EMU.complete_paytabs(s["tran_ref"], status="A", response_code="831000", response_message="Approved")
    body = json.loads(RECEIVER.take()[0]["body"])
    assert body["payment_result"]["response_code"] == "831000"
    r = pt_query("TST0000000000000")
    assert r.status == 400 and r.json["code"] == 113, r
    assert pt_query(ref, key="wrong").status == 401
    r = pt_post("/payment/query", {"profile_id": PT_PROFILE})
    assert r.status == 400, r
    r = pt_post("/payment/query", {"profile_id": PT_PROFILE, "cart_id": s["cart_id"]})
    assert r.status == 200 and r.json["tran_ref"] == s["tran_ref"], r


def test_pt_callback_replay_tamper_forge():
    RECEIVER.take()
    s = pt_sale()
    out = EMU.complete_paytabs(s["tran_ref"], status="A")
    first = RECEIVER.take()[0]
    EMU.replay(out["delivery"]["id"], copies=2)
    again = RECEIVER.take()
    assert len(again) == 2 and all(a["body"] == first["body"] and a["headers"]["signature"] == first["headers"]["signature"]
                                   for a in again)
    EMU.send_paytabs_callback(s["tran_ref"], tamper=True)
    g = RECEIVER.take()[0]
    assert not valid_sig(PT_KEY, g["body"], g["headers"]["signature"])
    assert json.loads(g["body"])["cart_amount"] != s["cart_amount"]
    EMU.send_paytabs_callback(s["tran_ref"], signature_mode="wrong_key")
    g = RECEIVER.take()[0]
    assert not valid_sig(PT_KEY, g["body"], g["headers"]["signature"])
    EMU.send_paytabs_callback(s["tran_ref"], signature_mode="missing", url=RECEIVER.url("/other"))
    g = RECEIVER.take()[0]
    assert "signature" not in g["headers"] and g["path"] == "/other"
    EMU.send_paytabs_callback(s["tran_ref"], overrides={"payment_result.response_status": "D"})
    g = RECEIVER.take()[0]
    assert valid_sig(PT_KEY, g["body"], g["headers"]["signature"])
    assert json.loads(g["body"])["payment_result"]["response_status"] == "D"
    assert EMU.sign("paytabs", g["body"]) == g["headers"]["signature"]


def test_pt_refunds():
    s = pt_sale(cart_amount=500)
    ref = s["tran_ref"]
    r = pt_refund(ref, 100, cart_id=s["cart_id"])
    assert r.status == 400, r                                   # not paid yet
    EMU.complete_paytabs(ref, status="A", callback=False)
    r = pt_refund(ref, 600, cart_id=s["cart_id"])
    assert r.status == 400, r                                   # more than paid
    r = pt_refund(ref, 100, cart_id=s["cart_id"], currency="USD")
    assert r.status == 400 and r.json["code"] == 206, r
    r = pt_refund(ref, "100", cart_id=s["cart_id"])
    assert r.status == 400, r
    r = pt_refund("TST0000000000001", 100)
    assert r.status == 400 and r.json["code"] == 113, r
    r = pt_refund(ref, 100.25, cart_id=s["cart_id"])
    assert r.status == 200, r
    j = r.json
    assert j["tran_ref"] != ref and re.fullmatch(r"TST\d{13}", j["tran_ref"]) and j["previous_tran_ref"] == ref
    assert j["tran_type"] == "Refund" and j["cart_amount"] == "100.25"
    assert j["payment_result"]["response_status"] == "A"
    r = pt_refund(ref, 399.76, cart_id=s["cart_id"])
    assert r.status == 400, r
    r = pt_refund(ref, 399.75, cart_id=s["cart_id"])
    assert r.status == 200, r
    tx = EMU.paytabs_transaction(ref)
    assert tx["refunded_total"] == "500.00" and len(tx["refunds"]) == 2
    q = pt_query(j["tran_ref"]).json
    assert q["tran_type"] == "Refund" and q["payment_result"]["response_status"] == "A"
    r = pt_refund(j["tran_ref"], 1)
    assert r.status == 400, r                                   # a refund is not refundable
    assert r.json["code"] == 2


def test_pt_refund_outcomes():
    s = pt_sale(cart_amount=300)
    EMU.complete_paytabs(s["tran_ref"], status="A", callback=False)
    EMU.fault("paytabs.refund", "outcome", outcome="D")
    r = pt_refund(s["tran_ref"], 300, cart_id=s["cart_id"])
    assert r.status == 200 and r.json["payment_result"]["response_status"] == "D", r
    assert EMU.paytabs_transaction(s["tran_ref"])["refunded_total"] == "0.00"
    EMU.fault("paytabs.refund", "outcome", outcome="P")
    r = pt_refund(s["tran_ref"], 300, cart_id=s["cart_id"])
    assert r.json["payment_result"]["response_status"] == "P", r
    pending = r.json["tran_ref"]
    assert pt_refund(s["tran_ref"], 1, cart_id=s["cart_id"]).status == 400   # the pending refund holds the amount
    EMU.complete_paytabs(pending, status="A", callback=False)
    assert EMU.paytabs_transaction(s["tran_ref"])["refunded_total"] == "300.00"
    assert pt_query(pending).json["payment_result"]["response_status"] == "A"


def test_pt_payment_page_flow():
    RECEIVER.take()
    s = pt_sale(cart_amount=75)
    page = urllib.parse.urlsplit(s["redirect_url"]).path
    r = http("GET", page)
    assert r.status == 200 and b"75.00 MAD" in r.body and b"EMULATOR" in r.body, r
    r = http("POST", page, b"card_number=1234", {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 422, r
    r = http("POST", page, b"action=pay&card_number=4111+1111+1111+1111&expiry=12%2F30&cvv=123",
             {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 200 and b'action="http://127.0.0.1:8080/orders/' in r.body, r
    fields = dict(re.findall(rb'name="([^"]+)" value="([^"]*)"', r.body))
    fields = {k.decode(): v.decode() for k, v in fields.items()}
    assert fields["tranRef"] == s["tran_ref"] and fields["respStatus"] == "A"
    kept = {k: v for k, v in fields.items() if k != "signature" and v not in ("", "0")}
    query = urllib.parse.urlencode(sorted(kept.items()))
    assert fields["signature"] == hmac.new(PT_KEY.encode(), query.encode(), hashlib.sha256).hexdigest()
    got = RECEIVER.wait_for(1)
    assert len(got) == 1 and valid_sig(PT_KEY, got[0]["body"], got[0]["headers"]["signature"])
    assert http("GET", page).status == 409
    s2 = pt_sale()
    r = http("POST", urllib.parse.urlsplit(s2["redirect_url"]).path, b"action=cancel",
             {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 200 and pt_query(s2["tran_ref"]).json["payment_result"]["response_status"] == "C"
    RECEIVER.wait_for(1)
    assert http("GET", "/paytabs/payment/page/NOPE").status == 404
    log = open(LOGFILE, encoding="utf-8").read()
    assert "4111111111111111" not in log and "4111 1111 1111 1111" not in log


def pt_return_form(body):
    action = re.search(rb'<form method="post" action="([^"]*)"', body).group(1).decode()
    fields = {k.decode(): v.decode() for k, v in re.findall(rb'name="([^"]+)" value="([^"]*)"', body)}
    return action, fields


def test_pt_payment_page_buttons():
    RECEIVER.take()
    s = pt_sale(cart_amount=90)
    page = urllib.parse.urlsplit(s["redirect_url"]).path
    r = http("GET", page)
    assert r.status == 200, r
    assert_person_page(r.body)
    # "Fail payment": declined (D); the browser is sent on to the return URL with the signed fields
    r = http("POST", page, b"action=decline", FORM)
    assert r.status == 200 and b'<html lang="en">' in r.body, r
    action, fields = pt_return_form(r.body)
    assert action == "http://127.0.0.1:8080/orders/" + s["cart_id"] + "/payment-return", action
    assert fields["tranRef"] == s["tran_ref"] and fields["respStatus"] == "D", fields
    assert pt_query(s["tran_ref"]).json["payment_result"]["response_status"] == "D"
    assert len(RECEIVER.wait_for(1)) == 1
    assert http("GET", page).status == 409
    # "Pay": authorised (A) as the success card
    s2 = pt_sale()
    page2 = urllib.parse.urlsplit(s2["redirect_url"]).path
    r = http("POST", page2, b"action=approve", FORM)
    assert r.status == 200, r
    _, fields = pt_return_form(r.body)
    assert fields["tranRef"] == s2["tran_ref"] and fields["respStatus"] == "A", fields
    tx = EMU.paytabs_transaction(s2["tran_ref"])
    assert tx["status"] == "A" and tx["payment_info"]["payment_description"].startswith("4111"), tx
    assert len(RECEIVER.wait_for(1)) == 1


# ---------------------------------------------------------------------------------------------
# Tests: faults, control API, hygiene

def test_fault_500_and_status():
    EMU.fault("youcanpay.tokenize", "500", count=2)
    assert tokenize().status == 500
    assert tokenize().status == 500
    assert tokenize().status == 200
    EMU.fault("paytabs.request", "status", status=503)
    r = pt_post("/payment/request", pt_sale_body())
    assert r.status == 503 and r.json is not None, r
    assert pt_post("/payment/request", pt_sale_body()).status == 200
    reqs = EMU.requests(endpoint="youcanpay.tokenize")[-3:]
    assert [q["fault"] for q in reqs] == ["500", "500", None]


def test_fault_malformed_empty_html_close():
    EMU.fault("youcanpay.tokenize", "malformed")
    r = tokenize()
    assert r.status == 200 and r.json is None and r.body.startswith(b"{"), r
    EMU.fault("paytabs.query", "empty")
    s = pt_sale()
    r = pt_query(s["tran_ref"])
    assert r.status == 200 and r.body == b"", r
    EMU.fault("paytabs.query", "html")
    r = pt_query(s["tran_ref"])
    assert r.status == 200 and r.headers["content-type"].startswith("text/html"), r
    EMU.fault("youcanpay.transactions", "close")
    tx = EMU.pay_token(new_token())["transaction"]
    try:
        ycp_tx(tx["id"])
        raise AssertionError("expected the connection to be closed")
    except (httpclient.RemoteDisconnected, ConnectionError):
        pass
    assert ycp_tx(tx["id"]).status == 200


def test_fault_missing_field_and_outcome():
    EMU.fault("youcanpay.tokenize", "missing_field")
    r = tokenize()
    assert r.status == 200 and r.json == {}, r
    EMU.fault("youcanpay.tokenize", "missing_field", field="token.id")
    assert tokenize().json == {"token": {}}
    tx = EMU.pay_token(new_token())["transaction"]
    EMU.fault("youcanpay.transactions", "missing_field")
    r = ycp_tx(tx["id"])
    assert r.status == 200 and "status" not in r.json and r.json["id"] == tx["id"], r
    EMU.fault("paytabs.request", "missing_field")
    r = pt_post("/payment/request", pt_sale_body())
    assert r.status == 200 and "redirect_url" not in r.json and r.json["tran_ref"], r
    s = pt_sale()
    EMU.fault("paytabs.query", "missing_field")
    r = pt_query(s["tran_ref"])
    assert "payment_result" not in r.json, r
    EMU.fault("paytabs.query", "outcome", outcome="A")
    assert pt_query(s["tran_ref"]).json["payment_result"]["response_status"] == "A"
    assert pt_query(s["tran_ref"]).json["payment_result"]["response_status"] == "P"
    EMU.fault("youcanpay.transactions", "outcome", outcome=-1)
    assert ycp_tx(tx["id"]).json["status"] == -1
    assert ycp_tx(tx["id"]).json["status"] == 1


def test_fault_hang_times_out_client():
    EMU.fault("paytabs.query", "hang", seconds=2)
    s = pt_sale()
    started = time.monotonic()
    try:
        pt_query(s["tran_ref"], timeout=0.5)
        raise AssertionError("expected a client timeout")
    except (socket.timeout, TimeoutError):
        pass
    assert time.monotonic() - started < 1.5
    r = pt_query(s["tran_ref"])  # the fault is used up
    assert r.status == 200
    EMU.fault("youcanpay.tokenize", "hang", seconds=0.3)
    started = time.monotonic()
    assert tokenize().status == 200
    assert time.monotonic() - started >= 0.3
    EMU.fault("paytabs.query", "hang", seconds=60)
    box = {}

    def hanging():
        try:
            box["r"] = pt_query(s["tran_ref"], timeout=10)
        except Exception as e:  # noqa: BLE001
            box["e"] = e
    t = threading.Thread(target=hanging)
    t.start()
    time.sleep(0.3)
    started = time.monotonic()
    EMU.reset()  # wakes hanging requests: their connection is dropped
    t.join(5)
    assert not t.is_alive() and "e" in box and time.monotonic() - started < 3, box


def test_fault_wildcards_count_and_validation():
    EMU.clear_faults()
    EMU.fault("paytabs.*", "500", count=1)
    assert len(EMU.faults()) == 1
    s_status = pt_post("/payment/request", pt_sale_body()).status
    assert s_status == 500 and EMU.faults() == []
    EMU.fault("*", "500")
    assert tokenize().status == 500
    EMU.fault("youcanpay.tokenize", "500", count=5)
    EMU.clear_faults()
    assert tokenize().status == 200
    for bad in ({"endpoint": "nope", "kind": "500"}, {"endpoint": "paytabs.query", "kind": "nope"},
                {"endpoint": "paytabs.query", "kind": "500", "count": 0},
                {"endpoint": "paytabs.query", "kind": "status"},
                {"endpoint": "paytabs.request", "kind": "outcome", "outcome": "A"},
                {"endpoint": "paytabs.query", "kind": "outcome", "outcome": "Z"},
                {"endpoint": "paytabs.query", "kind": "hang", "seconds": -1}):
        expect_error(lambda b=bad: EMU.call("POST", "/faults", b), 400)
    EMU.fault("paytabs.refund", "500")
    s = pt_sale()
    assert pt_post("/payment/request", pt_sale_body()).status == 200   # sales are not refunds
    EMU.complete_paytabs(s["tran_ref"], callback=False)
    assert pt_refund(s["tran_ref"], 1, cart_id=s["cart_id"]).status == 500
    assert pt_refund(s["tran_ref"], 1, cart_id=s["cart_id"]).status == 200


def test_requests_log_filters_and_reset():
    EMU.reset()
    assert EMU.requests() == [] and EMU.deliveries() == [] and EMU.tokens() == []
    tokenize()
    mark = EMU.last_seq()
    pt_sale()
    newer = EMU.requests(since=mark)
    assert [q["endpoint"] for q in newer] == ["paytabs.request"], newer
    assert [q["gateway"] for q in EMU.requests(gateway="youcanpay")] == ["youcanpay"]
    EMU.clear_requests()
    assert EMU.requests() == []
    assert EMU.tokens() != []
    EMU.reset()
    assert EMU.tokens() == [] and EMU.paytabs_transactions() == []


def test_no_secret_anywhere():
    tokenize()
    tokenize(pri_key="pri_sandbox_wrong")
    s = pt_sale()
    pt_post("/payment/request", pt_sale_body(), key="wrong-key-value")
    EMU.complete_paytabs(s["tran_ref"])
    tx = EMU.pay_token(new_token(), webhook_url=RECEIVER.url("/wh"))["transaction"]
    ycp_tx(tx["id"])
    RECEIVER.take()
    dumps = json.dumps([EMU.requests(), EMU.deliveries(), EMU.config(), EMU.faults(), EMU.tokens(),
                        EMU.paytabs_transactions(), EMU.transactions(),
                        http("GET", "/__emulator/").json])
    log = open(LOGFILE, encoding="utf-8").read()
    for secret in (YCP_PRI, PT_KEY):
        assert secret not in dumps, "a key leaks through the control API"
        assert secret not in log, "a key leaks into the log"
    assert "pri_sandbox_wrong" not in dumps and "wrong-key-value" not in dumps
    assert "youcanpay.tokenize POST /youcanpay/api/tokenize 200" in log


def test_client_discovery_and_module_functions():
    tmp = tempfile.mkdtemp(prefix="emu-client-")
    try:
        os.makedirs(os.path.join(tmp, "run"))
        with open(os.path.join(tmp, "run", "emulators.env"), "w") as f:
            f.write(f"KHEDMA_EMULATOR_URL={BASE}/__emulator\nKHEDMA_PAYTABS_PROFILE_ID={PT_PROFILE}\n")
        old = dict(os.environ)
        try:
            os.environ.pop("KHEDMA_EMULATOR_URL", None)
            os.environ["KHEDMA_TEST_VAR"] = tmp
            assert emu_client.env_file()["KHEDMA_PAYTABS_PROFILE_ID"] == PT_PROFILE
            emu_client.configure()
            assert emu_client.health()["ok"] is True
            assert emu_client.default().url == BASE + "/__emulator"
            assert emu_client.hmac_sha256_hex("k", "b") == hmac.new(b"k", b"b", hashlib.sha256).hexdigest()
        finally:
            os.environ.clear()
            os.environ.update(old)
    finally:
        shutil.rmtree(tmp)


def test_concurrent_gateway_calls():
    errors = []

    def worker(i):
        try:
            for _ in range(5):
                assert tokenize().status == 200
                assert pt_post("/payment/request", pt_sale_body()).status == 200
        except Exception as e:  # noqa: BLE001
            errors.append(e)
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    refs = [t["tran_ref"] for t in EMU.paytabs_transactions()]
    assert len(refs) == len(set(refs))


def test_start_stop_scripts():
    var = tempfile.mkdtemp(prefix="emu-var-")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHEDMA_")}
    env["KHEDMA_PORT"] = "18080"
    try:
        p = subprocess.run([os.path.join(HERE, "start"), var, str(port)], env=env, capture_output=True,
                           text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        lines = dict(line.split("=", 1) for line in p.stdout.splitlines())
        base = f"http://127.0.0.1:{port}"
        assert lines["KHEDMA_YOUCANPAY_API"] == base + "/youcanpay/api"
        assert lines["KHEDMA_YOUCANPAY_PAYMENT_FORM"] == base + "/youcanpay/payment-form"
        assert lines["KHEDMA_PAYTABS_API"] == base + "/paytabs"
        assert lines["KHEDMA_EMULATOR_URL"] == base + "/__emulator"
        assert lines["KHEDMA_YOUCANPAY_PRIVATE_KEY"].startswith("pri_sandbox_")
        assert lines["KHEDMA_YOUCANPAY_PUBLIC_KEY"].startswith("pub_sandbox_")
        assert lines["KHEDMA_PAYTABS_PROFILE_ID"].isdigit() and lines["KHEDMA_PAYTABS_SERVER_KEY"]
        envfile = os.path.join(var, "run", "emulators.env")
        assert open(envfile).read().splitlines() == p.stdout.splitlines()
        assert os.stat(envfile).st_mode & 0o077 == 0 and os.stat(os.path.join(var, "emulator_keys")).st_mode & 0o077 == 0
        pid = int(open(os.path.join(var, "run", "emulators.pid")).read())
        cmdline = open(f"/proc/{pid}/cmdline", "rb").read()
        assert lines["KHEDMA_YOUCANPAY_PRIVATE_KEY"].encode() not in cmdline
        assert lines["KHEDMA_PAYTABS_SERVER_KEY"].encode() not in cmdline
        emu = emu_client.Emulator(lines["KHEDMA_EMULATOR_URL"])
        assert emu.health()["pid"] == pid
        assert emu.config()["youcanpay"]["webhook_url"] == "http://127.0.0.1:18080/api/payments/youcanpay/webhook"
        body, ctype = multipart([("pri_key", lines["KHEDMA_YOUCANPAY_PRIVATE_KEY"]), ("amount", "1000"),
                                 ("currency", "MAD"), ("order_id", "o1"), ("success_url", "http://h/s"),
                                 ("error_url", "http://h/e")])
        assert http("POST", "/youcanpay/api/tokenize", body, {"Content-Type": ctype}, port=port).status == 200
        # started again (as deploy/up does): the old one is replaced, the keys are kept
        p2 = subprocess.run([os.path.join(HERE, "start")], env=dict(env, KHEDMA_VAR=var, KHEDMA_EMULATOR_PORT=str(port)),
                            capture_output=True, text=True, timeout=60)
        assert p2.returncode == 0, p2.stderr
        assert p2.stdout == p.stdout
        pid2 = int(open(os.path.join(var, "run", "emulators.pid")).read())
        assert pid2 != pid and emu.health()["pid"] == pid2
        deadline = time.monotonic() + 5
        while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
            st = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] if os.path.exists(f"/proc/{pid}") else "X"
            if st in ("Z", "X"):
                break
            time.sleep(0.05)
        # a busy port fails cleanly
        other = tempfile.mkdtemp(prefix="emu-var2-")
        p3 = subprocess.run([os.path.join(HERE, "start"), other, str(port)], env=env, capture_output=True,
                            text=True, timeout=60)
        assert p3.returncode != 0 and "error" in p3.stderr, (p3.returncode, p3.stderr)
        assert not os.path.exists(os.path.join(other, "run", "emulators.pid"))
        shutil.rmtree(other, ignore_errors=True)
        log = open(os.path.join(var, "log", "gateway-emulators.log")).read()
        assert lines["KHEDMA_YOUCANPAY_PRIVATE_KEY"] not in log and lines["KHEDMA_PAYTABS_SERVER_KEY"] not in log
        s = subprocess.run([os.path.join(HERE, "stop"), var], env=env, capture_output=True, text=True, timeout=30)
        assert s.returncode == 0, s.stderr
        assert not os.path.exists(os.path.join(var, "run", "emulators.pid"))
        try:
            emu.health()
            raise AssertionError("still answering after stop")
        except OSError:
            pass
        s = subprocess.run([os.path.join(HERE, "stop"), var], env=env, capture_output=True, text=True, timeout=30)
        assert s.returncode == 0  # stopping twice is fine
    finally:
        subprocess.run([os.path.join(HERE, "stop"), var], env=env, capture_output=True, timeout=30)
        shutil.rmtree(var, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# PayTabs auth, capture, void and tokenised recurring sales (VIP subscriptions)

def pt_manage(kind, tran_ref, amount, cart_id="1", currency="MAD", **over):
    body = {"profile_id": int(PT_PROFILE), "tran_type": kind, "tran_class": "ecom", "tran_ref": tran_ref,
            "cart_id": cart_id, "cart_currency": currency, "cart_amount": amount,
            "cart_description": "Payment for Subscription order number " + cart_id}
    body.update(over)
    return pt_post("/payment/request", body)


def pt_recurring(token, tran_ref, amount=99, cart_id="2", **over):
    body = {"profile_id": int(PT_PROFILE), "tran_type": "sale", "tran_class": "recurring", "token": token,
            "tran_ref": tran_ref, "cart_id": cart_id, "cart_currency": "MAD", "cart_amount": amount,
            "cart_description": "Payment for Subscription order number " + cart_id}
    body.update(over)
    return pt_post("/payment/request", body)


def pt_authorised(tran_type="auth", amount=99, tokenise=2):
    """An approved (tokenised) auth or sale, with its token as the query answers it."""
    j = pt_sale(tran_type=tran_type, cart_amount=amount, tokenise=tokenise)
    assert j["tran_type"] == tran_type.capitalize(), j
    EMU.complete_paytabs(j["tran_ref"], status="A", callback=False)
    q = pt_query(j["tran_ref"]).json
    return j, q


def test_pt_auth_tokenise():
    j, q = pt_authorised()
    assert q["tran_type"] == "Auth" and q["payment_result"]["response_status"] == "A", q
    assert re.fullmatch(r"[0-9A-F]{32}", q["token"]), q
    s, qs = pt_authorised(tran_type="sale", tokenise=None)
    assert "token" not in qs, qs                                 # not tokenised, no token
    d = pt_sale(tran_type="auth", tokenise=2)
    EMU.complete_paytabs(d["tran_ref"], status="D", callback=False)
    assert "token" not in pt_query(d["tran_ref"]).json           # a declined card gives no token


def test_pt_capture_once():
    j, q = pt_authorised(amount=99)
    ref = j["tran_ref"]
    assert pt_manage("capture", ref, 98, j["cart_id"]).status == 400        # not the authorised amount
    assert pt_manage("capture", ref, 99, j["cart_id"], currency="USD").json["code"] == 206
    assert pt_manage("capture", ref, 99, j["cart_id"], tran_class="recurring").status == 400
    assert pt_manage("capture", "TST0000000000001", 99).json["code"] == 113
    r = pt_manage("capture", ref, 99, j["cart_id"])
    assert r.status == 200, r
    c = r.json
    assert c["tran_type"] == "Capture" and c["previous_tran_ref"] == ref and c["tran_ref"] != ref
    assert c["payment_result"]["response_status"] == "A" and c["cart_amount"] == "99.00"
    assert EMU.paytabs_transaction(ref)["captured_by"] == c["tran_ref"]
    r = pt_manage("capture", ref, 99, j["cart_id"])
    assert r.status == 400 and "already captured" in r.json["message"], r
    r = pt_manage("void", ref, 99, j["cart_id"])
    assert r.status == 400 and "already captured" in r.json["message"], r
    assert pt_query(c["tran_ref"]).json["tran_type"] == "Capture"


def test_pt_void_once_and_refusals():
    j, q = pt_authorised(amount=99)
    ref = j["tran_ref"]
    r = pt_manage("void", ref, 99, j["cart_id"])
    assert r.status == 200 and r.json["tran_type"] == "Void", r
    assert r.json["payment_result"]["response_status"] == "A"
    assert EMU.paytabs_transaction(ref)["voided_by"] == r.json["tran_ref"]
    for kind in ("void", "capture"):
        r = pt_manage(kind, ref, 99, j["cart_id"])
        assert r.status == 400 and "already voided" in r.json["message"], r
    s, _ = pt_authorised(tran_type="sale")
    r = pt_manage("void", s["tran_ref"], 99, s["cart_id"])
    assert r.status == 400 and "only an authorised auth" in r.json["message"], r  # a sale is not an auth
    p = pt_sale(tran_type="auth", cart_amount=99)
    assert pt_manage("capture", p["tran_ref"], 99, p["cart_id"]).status == 400   # still pending
    a, _ = pt_authorised()
    EMU.fault("paytabs.followup", "outcome", outcome="D")
    r = pt_manage("capture", a["tran_ref"], 99, a["cart_id"])
    assert r.status == 200 and r.json["payment_result"]["response_status"] == "D", r
    assert EMU.paytabs_transaction(a["tran_ref"])["captured_by"] is None          # a declined capture
    assert pt_manage("capture", a["tran_ref"], 99, a["cart_id"]).json["payment_result"]["response_status"] == "A"


def test_pt_recurring_with_token():
    j, q = pt_authorised(tran_type="sale", amount=99)
    token, ref = q["token"], j["tran_ref"]
    r = pt_recurring(token, ref, 99, "501")
    assert r.status == 200, r
    t = r.json
    assert t["tran_type"] == "Sale" and t["tran_ref"] not in (ref,) and t["cart_id"] == "501"
    assert t["payment_result"]["response_status"] == "A" and t["cart_amount"] == "99.00"
    assert EMU.paytabs_transaction(t["tran_ref"])["tran_class"] == "recurring"
    assert pt_query(t["tran_ref"]).json["payment_result"]["response_status"] == "A"
    assert pt_recurring("F" * 32, ref).status == 400                         # unknown token
    assert pt_recurring(token, "TST0000000000001").status == 400             # token of another payment
    assert pt_recurring(token, ref, tran_class="ecom").status == 400
    assert pt_recurring(token, ref, cart_currency="USD").status == 400
    assert pt_recurring("", ref).status == 400
    req = EMU.requests(endpoint="paytabs.followup")[-1]
    assert req["headers"]["authorization"] == "[redacted]"


def test_pt_recurring_decline_control():
    j, q = pt_authorised(tran_type="auth", amount=99)
    token, ref = q["token"], j["tran_ref"]
    out = EMU.decline_next_recurring(tran_ref=ref, count=2)
    assert out["pending_declines"] == ["D", "D"], out
    EMU.decline_next_recurring(token=token, status="E")
    got = [pt_recurring(token, ref, 99, str(600 + i)).json["payment_result"]["response_status"] for i in range(4)]
    assert got == ["D", "D", "E", "A"], got
    expect_error(lambda: EMU.decline_next_recurring(tran_ref="TST0000000000001"), 404)
    expect_error(lambda: EMU.decline_next_recurring(token=token, status="A"), 400)
    expect_error(lambda: EMU.decline_next_recurring(token=token, count=0), 400)
    other, oq = pt_authorised(tran_type="sale")
    EMU.decline_next_recurring(tran_ref=ref)
    assert pt_recurring(oq["token"], other["tran_ref"]).json["payment_result"]["response_status"] == "A"
    assert pt_recurring(token, ref).json["payment_result"]["response_status"] == "D"


# ---------------------------------------------------------------------------------------------
# Runner

def _die_with_parent():
    """In the child: get SIGTERM when the test runner dies (Linux prctl), so no emulator outlives it."""
    try:
        import ctypes
        import signal
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def start_instance():
    global PORT, BASE, EMU, PROC, LOGFILE, RECEIVER
    tmp = tempfile.mkdtemp(prefix="emu-selftest-")
    LOGFILE = os.path.join(tmp, "emulators.log")
    env = dict(os.environ, EMULATOR_YOUCANPAY_PRIVATE_KEY=YCP_PRI, EMULATOR_PAYTABS_SERVER_KEY=PT_KEY)
    PROC = subprocess.Popen([sys.executable, "-u", os.path.join(HERE, "gateways.py"), "--port", "0",
                             "--youcanpay-public-key", YCP_PUB, "--paytabs-profile-id", PT_PROFILE,
                             "--log", LOGFILE], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_die_with_parent)
    line = PROC.stdout.readline()
    m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
    if not m:
        PROC.kill()
        raise SystemExit(f"the emulators did not start: {line!r} {PROC.stderr.read()!r}")
    PORT = int(m.group(1))
    BASE = f"http://127.0.0.1:{PORT}"
    EMU = emu_client.Emulator(BASE + "/__emulator")
    RECEIVER = Receiver()
    return tmp


def main(argv):
    tmp = start_instance()
    tests = [(n, f) for n, f in globals().items() if n.startswith("test_") and callable(f)]
    if argv:
        tests = [(n, f) for n, f in tests if any(a in n for a in argv)]
    passed = failed = 0
    try:
        for name, fn in tests:
            try:
                fn()
                passed += 1
                print(f"ok - {name}", flush=True)
            except Exception as e:  # noqa: BLE001 - report every failure and go on
                failed += 1
                print(f"not ok - {name}: {type(e).__name__}: {' '.join(str(e).split())[:300]}", flush=True)
                traceback.print_exc()
            finally:
                EMU.clear_faults()
    finally:
        PROC.terminate()
        try:
            PROC.wait(10)
        except subprocess.TimeoutExpired:
            PROC.kill()
        RECEIVER.server.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"emulators: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
