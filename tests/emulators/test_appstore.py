#!/usr/bin/env python3
# test_appstore.py - self-test of the App Store emulator (appstore.py inside gateways.py): starts
# gateways.py on a free loopback port with --appstore-root-pem and a local receiver for
# notifications, then checks that the root is written, that signed transactions and notifications
# verify up to that root the way khedmad verifies them (ES256 over header.payload, x5c chain with
# Apple's OIDs), that forged ones do not, and that notifications are POSTed as {signedPayload}.
# Prints `ok - name` / `not ok - name: why` and `appstore emulator: N passed, N failed`.
# Run: python3 tests/emulators/test_appstore.py

import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

HERE = os.path.dirname(os.path.abspath(__file__))
OID_LEAF = "1.2.840.113635.100.6.11.1"
OID_INTERMEDIATE = "1.2.840.113635.100.6.2.1"
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
RECEIVED = []



def issued_by(cert, issuer):
    """cert's issuer is issuer and issuer's key signed it (Certificate.verify_directly_issued_by
    does this from cryptography 40 on; Debian 12 has 38)."""
    assert cert.issuer == issuer.subject, (cert.issuer, issuer.subject)
    issuer.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                               ec.ECDSA(cert.signature_hash_algorithm))

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method="GET" if body is None else "POST")
    try:
        with OPENER.open(req, timeout=10) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def b64url_decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verify(jws, root):
    """What khedmad checks, in Python: ES256, chain leaf -> intermediate -> root, OIDs, signature."""
    h, p, s = jws.split(".")
    header = json.loads(b64url_decode(h))
    assert header["alg"] == "ES256", header
    certs = [x509.load_der_x509_certificate(base64.b64decode(c)) for c in header["x5c"]]
    leaf, inter = certs[0], certs[1]
    issued_by(inter, root)
    issued_by(leaf, inter)
    assert inter.extensions.get_extension_for_oid(x509.ObjectIdentifier(OID_INTERMEDIATE))
    assert leaf.extensions.get_extension_for_oid(x509.ObjectIdentifier(OID_LEAF))
    sig = b64url_decode(s)
    assert len(sig) == 64
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    leaf.public_key().verify(der, f"{h}.{p}".encode(), ec.ECDSA(hashes.SHA256()))
    return json.loads(b64url_decode(p))


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        RECEIVED.append(json.loads(body))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def main():
    tmp = tempfile.mkdtemp(prefix="appstore-test-")
    root_path = os.path.join(tmp, "run", "appstore-root.pem")
    recv = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=recv.serve_forever, daemon=True).start()
    notify = f"http://127.0.0.1:{recv.server_port}/notify"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, EMULATOR_YOUCANPAY_PRIVATE_KEY="pri_x", EMULATOR_YOUCANPAY_PUBLIC_KEY="pub_x",
               EMULATOR_PAYTABS_PROFILE_ID="12345", EMULATOR_PAYTABS_SERVER_KEY="SKEY",
               EMULATOR_APPSTORE_ROOT_PEM=root_path, EMULATOR_APPSTORE_NOTIFY_URL=notify)
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "gateways.py"), "--port", str(port),
                             "--log", os.path.join(tmp, "emu.log")], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    passed = failed = 0
    try:
        for _ in range(150):
            try:
                if call(base, "/__emulator/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        root = x509.load_pem_x509_certificate(open(root_path, "rb").read())

        def t_root_written():
            st, info = call(base, "/__emulator/appstore")
            assert st == 200 and info["root_pem_path"] == root_path, info
            assert x509.load_pem_x509_certificate(info["root_pem"].encode()) == root
            assert oct(os.stat(root_path).st_mode & 0o777) == "0o644"

        def t_signed_transaction():
            st, out = call(base, "/__emulator/appstore/transactions",
                           {"productId": "ma.khedma.vip.yearly", "appAccountToken": "0f0e0d0c-0000-4000-8000-000000000001",
                            "period_days": 365, "environment": "Production"})
            assert st == 200, out
            payload = verify(out["signedTransaction"], root)
            assert payload == out["transaction"]
            assert payload["productId"] == "ma.khedma.vip.yearly"
            assert payload["appAccountToken"] == "0f0e0d0c-0000-4000-8000-000000000001"
            assert payload["environment"] == "Production" and payload["bundleId"] == "ma.khedma.app"
            assert payload["type"] == "Auto-Renewable Subscription"
            assert payload["originalTransactionId"] == payload["transactionId"]
            assert payload["expiresDate"] - payload["purchaseDate"] == 365 * 86400 * 1000

        def t_forged_transaction():
            st, out = call(base, "/__emulator/appstore/transactions", {"forged": True})
            assert st == 200
            try:
                verify(out["signedTransaction"], root)
            except (InvalidSignature, ValueError, TypeError):
                return
            raise AssertionError("a forged transaction verified against the test root")

        def t_notification_sent():
            RECEIVED.clear()
            st, out = call(base, "/__emulator/appstore/notifications",
                           {"notificationType": "DID_CHANGE_RENEWAL_STATUS", "subtype": "AUTO_RENEW_DISABLED",
                            "autoRenewStatus": 0, "transaction": {"originalTransactionId": "1000000000000042"}})
            assert st == 200 and out["delivery"]["status_code"] == 200, out
            assert RECEIVED == [{"signedPayload": out["signedPayload"]}]
            n = verify(out["signedPayload"], root)
            assert n["notificationType"] == "DID_CHANGE_RENEWAL_STATUS" and n["subtype"] == "AUTO_RENEW_DISABLED"
            assert len(n["notificationUUID"]) == 36
            tx = verify(n["data"]["signedTransactionInfo"], root)
            ri = verify(n["data"]["signedRenewalInfo"], root)
            assert tx["originalTransactionId"] == "1000000000000042" == ri["originalTransactionId"]
            assert ri["autoRenewStatus"] == 0 and n["data"]["bundleId"] == "ma.khedma.app"
            # a replay sends the very same signedPayload again
            st, again = call(base, "/__emulator/appstore/notifications", {"signedPayload": out["signedPayload"]})
            assert st == 200 and RECEIVED[-1] == {"signedPayload": out["signedPayload"]}

        def t_notification_forged_and_types():
            st, out = call(base, "/__emulator/appstore/notifications",
                           {"notificationType": "EXPIRED", "forged": True, "send": False})
            assert st == 200 and "delivery" not in out
            try:
                verify(out["signedPayload"], root)
                raise AssertionError("a forged notification verified")
            except (InvalidSignature, ValueError):
                pass
            st, out = call(base, "/__emulator/appstore/notifications", {"notificationType": "NOPE"})
            assert st == 400, out

        for name, fn in [("root_written", t_root_written), ("signed_transaction", t_signed_transaction),
                         ("forged_transaction", t_forged_transaction), ("notification_sent", t_notification_sent),
                         ("notification_forged_and_types", t_notification_forged_and_types)]:
            try:
                fn()
                passed += 1
                print(f"ok - appstore::{name}")
            except Exception as e:  # noqa: BLE001 - report and go on
                failed += 1
                print(f"not ok - appstore::{name}: {e!r}")
                traceback.print_exc()
    finally:
        proc.terminate()
        proc.wait(10)
        recv.shutdown()
    print(f"appstore emulator: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
