# appstore.py - development stand-in for the App Store side of in-app purchases, loaded by
# gateways.py (python3-cryptography). At start it makes a test certificate chain shaped like
# Apple's (EC P-256 root -> intermediate with OID 1.2.840.113635.100.6.2.1 -> leaf with
# 1.2.840.113635.100.6.11.1) and writes the root PEM where khedmad reads it as
# KHEDMA_APPLE_ROOT_CA. Its control endpoints mint StoreKit 2 signed transactions (JWSTransaction)
# and sign and POST App Store Server Notifications V2 to khedmad. A second chain under a root
# nobody trusts signs "forged" ones. See tests/emulators/README.md, "App Store".
"""App Store emulator: test chain, StoreKit 2 signed transactions, Server Notifications V2."""

import base64
import datetime
import json
import os
import secrets
import threading
import time
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

OID_LEAF = "1.2.840.113635.100.6.11.1"
OID_INTERMEDIATE = "1.2.840.113635.100.6.2.1"
DEFAULT_BUNDLE_ID = "ma.khedma.app"
ENVIRONMENTS = ("Sandbox", "Production")
NOTIFICATION_TYPES = ("SUBSCRIBED", "DID_RENEW", "EXPIRED", "DID_FAIL_TO_RENEW", "REFUND",
                      "DID_CHANGE_RENEWAL_STATUS", "DID_CHANGE_RENEWAL_PREF", "GRACE_PERIOD_EXPIRED",
                      "REVOKE", "TEST")
DAY_MS = 86400 * 1000
# DER NULL: the value Apple's marker extensions carry.
_DER_NULL = b"\x05\x00"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def now_ms():
    return int(time.time() * 1000)


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Khedma test App Store")])


def _cert(cn, key, issuer_cert, issuer_key, ca, oid, days=3650):
    now = datetime.datetime.now(datetime.timezone.utc)
    subject = _name(cn)
    b = (x509.CertificateBuilder()
         .subject_name(subject)
         .issuer_name(issuer_cert.subject if issuer_cert is not None else subject)
         .public_key(key.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(days=1))
         .not_valid_after(now + datetime.timedelta(days=days))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
         .add_extension(x509.KeyUsage(digital_signature=not ca, content_commitment=False,
                                      key_encipherment=False, data_encipherment=False,
                                      key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                                      encipher_only=False, decipher_only=False), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if issuer_cert is not None:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                            critical=False)
    if oid:
        b = b.add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), _DER_NULL),
                            critical=False)
    return b.sign(issuer_key, hashes.SHA256())


class Chain:
    """root -> intermediate -> leaf, all EC P-256, with Apple's marker extensions."""

    def __init__(self, label):
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        self.root = _cert(f"{label} Root CA", self.root_key, None, self.root_key, True, None)
        self.inter_key = ec.generate_private_key(ec.SECP256R1())
        self.inter = _cert(f"{label} Worldwide Developer Relations", self.inter_key, self.root,
                           self.root_key, True, OID_INTERMEDIATE)
        self.leaf_key = ec.generate_private_key(ec.SECP256R1())
        self.leaf = _cert(f"{label} App Store Signing", self.leaf_key, self.inter, self.inter_key,
                          False, OID_LEAF, days=365)

    def root_pem(self):
        return self.root.public_bytes(serialization.Encoding.PEM)

    def sign(self, payload):
        """Compact JWS as the App Store makes it: ES256, x5c = [leaf, intermediate, root]."""
        x5c = [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode("ascii")
               for c in (self.leaf, self.inter, self.root)]
        header = b64url(json.dumps({"alg": "ES256", "x5c": x5c}, separators=(",", ":")).encode())
        body = b64url(json.dumps(payload, separators=(",", ":")).encode())
        signing_input = f"{header}.{body}".encode("ascii")
        der = self.leaf_key.sign(signing_input, ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return f"{header}.{body}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


class AppStore:
    """The trusted chain, the forger's chain, and what was minted (in memory)."""

    def __init__(self, root_pem_path=None, bundle_id=DEFAULT_BUNDLE_ID):
        self.chain = Chain("Khedma Test Apple")
        self.forger = Chain("Khedma Test Apple")  # same names, a root nobody trusts
        self.bundle_id = bundle_id
        self.root_pem_path = root_pem_path
        self.lock = threading.Lock()
        self.transactions = {}
        self.notifications = {}
        if root_pem_path:
            write_private(root_pem_path, self.chain.root_pem())

    def sign(self, payload, forged=False):
        return (self.forger if forged else self.chain).sign(payload)

    def transaction(self, fields):
        """A JWSTransaction payload: fields given win over the defaults."""
        purchase = int(fields.get("purchaseDate") or now_ms())
        period_days = int(fields.get("period_days", 30))
        tx_id = str(fields.get("transactionId") or (2000000000000000 + secrets.randbelow(10 ** 15)))
        tx = {
            "transactionId": tx_id,
            "originalTransactionId": str(fields.get("originalTransactionId") or tx_id),
            "webOrderLineItemId": str(2000000000000000 + secrets.randbelow(10 ** 15)),
            "bundleId": fields.get("bundleId", self.bundle_id),
            "productId": fields.get("productId", "ma.khedma.vip.monthly"),
            "subscriptionGroupIdentifier": "21000000",
            "purchaseDate": purchase,
            "originalPurchaseDate": int(fields.get("originalPurchaseDate") or purchase),
            "expiresDate": int(fields.get("expiresDate") or purchase + period_days * DAY_MS),
            "quantity": 1,
            "type": fields.get("type", "Auto-Renewable Subscription"),
            "inAppOwnershipType": "PURCHASED",
            "signedDate": now_ms(),
            "environment": fields.get("environment", "Sandbox"),
            "transactionReason": fields.get("transactionReason", "PURCHASE"),
            "storefront": "MAR",
            "storefrontId": "143486",
            "price": int(fields.get("price", 99000)),
            "currency": fields.get("currency", "MAD"),
        }
        if fields.get("appAccountToken"):
            tx["appAccountToken"] = str(fields["appAccountToken"])
        for key in ("revocationDate", "revocationReason"):
            if key in fields:
                tx[key] = fields[key]
        with self.lock:
            self.transactions[tx_id] = tx
        return tx

    def renewal_info(self, tx, fields):
        return {
            "originalTransactionId": tx["originalTransactionId"],
            "autoRenewProductId": fields.get("autoRenewProductId", tx["productId"]),
            "productId": tx["productId"],
            "autoRenewStatus": int(fields.get("autoRenewStatus", 1)),
            "signedDate": now_ms(),
            "environment": tx["environment"],
            "recentSubscriptionStartDate": tx["originalPurchaseDate"],
            "renewalDate": tx["expiresDate"],
        }

    def notification(self, fields):
        """The decoded payload of a notification and its signedPayload."""
        ntype = fields.get("notificationType", "DID_RENEW")
        forged = bool(fields.get("forged"))
        tx = self.transaction(fields.get("transaction") or {})
        renewal = self.renewal_info(tx, fields)
        data = {
            "appAppleId": 1234567890,
            "bundleId": fields.get("bundleId", tx["bundleId"]),
            "bundleVersion": "1.0",
            "environment": fields.get("environment", tx["environment"]),
            "signedTransactionInfo": self.sign(tx, forged),
            "signedRenewalInfo": self.sign(renewal, forged),
            "status": int(fields.get("status", 1)),
        }
        payload = {
            "notificationType": ntype,
            "notificationUUID": str(fields.get("notificationUUID") or uuid.uuid4()),
            "data": data,
            "version": "2.0",
            "signedDate": now_ms(),
        }
        if fields.get("subtype"):
            payload["subtype"] = fields["subtype"]
        signed = self.sign(payload, forged)
        with self.lock:
            self.notifications[payload["notificationUUID"]] = signed
        return payload, tx, renewal, signed


def write_private(path, data):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o644)  # a public certificate: khedmad may run as another user
    os.replace(tmp, path)


def install(route, ctl, HttpError, store, default_notify_url):
    """Registers the control routes on gateways.py's router."""

    @route("GET", r"/__emulator/appstore")
    def c_appstore(h):
        return ctl(200, {"bundleId": store.bundle_id, "root_pem_path": store.root_pem_path,
                         "root_pem": store.chain.root_pem().decode("ascii"),
                         "notify_url": default_notify_url, "environments": list(ENVIRONMENTS)})

    @route("POST", r"/__emulator/appstore/transactions")
    def c_appstore_transaction(h):
        data = h.json_body()
        tx = store.transaction(data)
        return ctl(200, {"transaction": tx, "signedTransaction": store.sign(tx, bool(data.get("forged")))})

    @route("POST", r"/__emulator/appstore/notifications")
    def c_appstore_notification(h):
        data = h.json_body()
        ntype = data.get("notificationType", "DID_RENEW")
        if ntype not in NOTIFICATION_TYPES:
            raise HttpError(400, "notificationType must be one of " + ", ".join(NOTIFICATION_TYPES))
        if data.get("signedPayload"):
            signed, payload = data["signedPayload"], None  # a replay of one already made
        else:
            payload, tx, renewal, signed = store.notification(data)
        out = {"signedPayload": signed}
        if payload is not None:
            out.update({"notification": payload, "transaction": tx, "renewalInfo": renewal})
        if data.get("send", True):
            url = data.get("url") or default_notify_url
            body = json.dumps({"signedPayload": signed}).encode()
            rec = h.deliverer.deliver("appstore", "notification", url, body, {}, {})[0]
            out["delivery"] = {k: rec.get(k) for k in ("id", "url", "status", "status_code",
                                                       "response_body", "error")}
        return ctl(200, out)
