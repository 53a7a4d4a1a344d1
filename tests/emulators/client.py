# client.py - the Python helper the integration tests import to drive the gateway emulators' test
# control API (/__emulator/...): pay YouCan Pay tokens, complete PayTabs payment pages, send, forge,
# tamper with and replay signed webhooks/callbacks, inject faults, read what khedmad sent. Python 3.11
# standard library only. See tests/emulators/README.md for the endpoints behind each function.
"""Drive the Khedma gateway emulators from tests.

Finding the emulators: Emulator(url) with the control URL (".../__emulator"), or, with no argument,
$KHEDMA_EMULATOR_URL, else the KHEDMA_EMULATOR_URL line of <var>/run/emulators.env, where <var> is
$KHEDMA_TEST_VAR, else $KHEDMA_VAR, else <repo>/var/test. The module-level functions use one shared
default Emulator:

    import sys; sys.path.insert(0, "tests/emulators"); import client as emu
    emu.reset()
    tok = emu.find_token(order_id)                       # what khedmad sent to tokenize
    assert tok["amount"] == 50000                        # minor units
    r = emu.pay_token(tok["id"], status=1, webhook_url=f"{base}/api/payments/youcanpay/webhook")
    assert r["delivery"]["status_code"] == 200
    emu.replay(r["delivery"]["id"])                      # same event id, same bytes, same signature
    emu.fault("paytabs.query", "hang", seconds=5)        # next query hangs 5 s
    emu.complete_paytabs(tran_ref, status="A")           # signed callback to the URL given at checkout

Every call raises EmulatorError (with .status and .body) when the control API answers non-2xx.
"""

import hashlib
import hmac
import json
import os
import urllib.error
import urllib.parse
import urllib.request

_HERE = os.path.dirname(os.path.abspath(__file__))
_REPO = os.path.dirname(os.path.dirname(_HERE))

ENDPOINTS = ("youcanpay.tokenize", "youcanpay.transactions", "paytabs.request", "paytabs.refund",
             "paytabs.query")
FAULT_KINDS = ("500", "status", "malformed", "empty", "html", "hang", "close", "missing_field", "outcome")
SIGNATURE_MODES = ("valid", "wrong_key", "missing", "empty", "garbage", "uppercase", "truncated")


class EmulatorError(Exception):
    def __init__(self, status, body, method, path):
        self.status, self.body = status, body
        super().__init__(f"{method} {path}: HTTP {status}: {body!r}"[:600])


def env_file(var=None):
    """The KHEDMA_* lines tests/emulators/start wrote for a var directory, as a dict (includes the
    dev keys: use them to sign or check bodies yourself, never print them)."""
    var = var or os.environ.get("KHEDMA_TEST_VAR") or os.environ.get("KHEDMA_VAR") or os.path.join(_REPO, "var", "test")
    out = {}
    path = os.path.join(var, "run", "emulators.env")
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if "=" in line and line.startswith("KHEDMA_"):
                    k, v = line.split("=", 1)
                    out[k] = v
    except OSError:
        pass
    return out


def discover_url():
    url = os.environ.get("KHEDMA_EMULATOR_URL") or env_file().get("KHEDMA_EMULATOR_URL")
    if not url:
        raise RuntimeError("gateway emulators not found: set KHEDMA_EMULATOR_URL or KHEDMA_TEST_VAR "
                           "(tests/emulators/start writes <var>/run/emulators.env)")
    return url


def hmac_sha256_hex(key, body):
    """Hex HMAC-SHA256 of body (bytes or str) keyed with key: the signature both gateways send."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    return hmac.new(key.encode("utf-8"), body, hashlib.sha256).hexdigest()


class Emulator:
    def __init__(self, url=None, timeout=30.0):
        self.url = (url or discover_url()).rstrip("/")
        self.timeout = timeout
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    # -- plumbing ------------------------------------------------------------------------------

    def call(self, method, path, body=None, query=None, timeout=None):
        url = self.url + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with self._opener.open(req, timeout=timeout or self.timeout) as r:
                raw = r.read()
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = raw.decode("utf-8", "replace")
            raise EmulatorError(e.code, parsed, method, path) from None
        return json.loads(raw) if raw else None

    @staticmethod
    def _opts(**kw):
        return {k: v for k, v in kw.items() if v is not None}

    # -- general -------------------------------------------------------------------------------

    def health(self):
        return self.call("GET", "/health")

    def config(self):
        """Public configuration: base URLs, PayTabs profile id, YouCan Pay public key, webhook URL."""
        return self.call("GET", "/config")

    def set_config(self, youcanpay_webhook_url=None, sandbox=None, paytabs_duplicate_window=None,
                   webhook_timeout=None):
        return self.call("POST", "/config", self._opts(
            youcanpay_webhook_url=youcanpay_webhook_url, sandbox=sandbox,
            paytabs_duplicate_window=paytabs_duplicate_window, webhook_timeout=webhook_timeout))

    def reset(self):
        """Forget tokens, transactions, logged requests, deliveries and pending faults."""
        return self.call("POST", "/reset", {})

    def requests(self, gateway=None, endpoint=None, since=None):
        """Requests the gateways received, oldest first: {seq, at, gateway, endpoint, method, path,
        headers, credentials ("ok"/"wrong"/"missing"), content_type, fields (tokenize, pri_key
        redacted), encoding, parts, json/raw (PayTabs bodies), status, fault, ...}."""
        return self.call("GET", "/requests", query={"gateway": gateway, "endpoint": endpoint,
                                                     "since": since})["requests"]

    def last_seq(self):
        reqs = self.requests()
        return reqs[-1]["seq"] if reqs else 0

    def clear_requests(self):
        return self.call("POST", "/requests/clear", {})

    def fault(self, endpoint, kind, count=1, seconds=None, status=None, field=None, outcome=None):
        """Make the next `count` calls of endpoint misbehave. kind: 500 | status (status=N) |
        malformed (200, truncated JSON) | empty (200, no body) | html (200 HTML page) | hang
        (seconds=T, then the normal answer) | close (connection closed, no answer) | missing_field
        (200 without `field`, a dotted path) | outcome (outcome= a PayTabs response_status for
        paytabs.refund / paytabs.query, or 1/0/-1 for youcanpay.transactions)."""
        return self.call("POST", "/faults", self._opts(endpoint=endpoint, kind=kind, count=count,
                                                       seconds=seconds, status=status, field=field,
                                                       outcome=outcome))["fault"]

    def faults(self):
        return self.call("GET", "/faults")["faults"]

    def clear_faults(self):
        return self.call("POST", "/faults/clear", {})

    def deliveries(self, gateway=None):
        """Webhooks and callbacks sent, oldest first: {id, gateway, kind, url, headers, body,
        status_code, response_body, error, event_id | tran_ref, signature_mode, tampered, ...}."""
        return self.call("GET", "/deliveries", query={"gateway": gateway})["deliveries"]

    def delivery(self, delivery_id):
        return self.call("GET", f"/deliveries/{delivery_id}")["delivery"]

    def replay(self, delivery_id, url=None, copies=1, concurrent=False, wait=True):
        """Send a delivery again: the same bytes with the same signature header (so the same event
        id). copies > 1 sends it that many times, at once when concurrent. Returns the new records."""
        return self.call("POST", f"/deliveries/{delivery_id}/replay", self._opts(
            url=url, copies=copies, concurrent=concurrent, wait=wait))["deliveries"]

    def sign(self, gateway, body):
        """The signature a genuine webhook (youcanpay) or callback (paytabs) with this exact body
        would carry, computed by the emulator with its key."""
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        return self.call("POST", "/sign", {"gateway": gateway, "body": body})["signature"]

    # -- YouCan Pay ----------------------------------------------------------------------------

    def tokens(self, order_id=None):
        return self.call("GET", "/youcanpay/tokens", query={"order_id": order_id})["tokens"]

    def token(self, token_id):
        """A token as tokenize stored it: {id, order_id, amount (int, minor units), currency,
        success_url, error_url, customer_ip, customer{}, metadata{}, transactions[], payment_url}."""
        return self.call("GET", f"/youcanpay/tokens/{urllib.parse.quote(token_id, safe='')}")["token"]

    def find_token(self, order_id):
        """The newest token made for order_id (None when there is none)."""
        toks = self.tokens(order_id)
        return toks[-1] if toks else None

    def pay_token(self, token_id, status=1, webhook_url=None, webhook=None, amount_format=None,
                  amount=None, currency=None, order_id=None, force=None, event_name=None, **delivery):
        """Pay a token as the payment page would: creates a transaction (status 1 paid, 0 pending,
        -1 failed) and, when webhook_url is given (or webhook=True: the configured URL), sends the
        signed transaction.paid / transaction.failed webhook. amount/currency/order_id override what
        the transaction carries (for mismatch tests); amount_format "number"/"string" fixes how its
        amount is written. delivery options: signature_mode, tamper, sign_with_key, event_id,
        overrides, remove, copies, concurrent, wait, timeout.
        Returns {transaction, delivery, deliveries}."""
        return self.call("POST", "/youcanpay/pay", self._opts(
            token_id=token_id, status=status, webhook_url=webhook_url, webhook=webhook,
            amount_format=amount_format, amount=amount, currency=currency, order_id=order_id,
            force=force, event_name=event_name, **delivery))

    def create_transaction(self, order_id=None, amount=None, currency=None, status=1, amount_format=None,
                           token_id=None):
        """A transaction made directly (no tokenize): amount in minor units."""
        return self.call("POST", "/youcanpay/transactions", self._opts(
            order_id=order_id, amount=amount, currency=currency, status=status,
            amount_format=amount_format, token_id=token_id))["transaction"]

    def transactions(self, order_id=None):
        return self.call("GET", "/youcanpay/transactions", query={"order_id": order_id})["transactions"]

    def transaction(self, transaction_id):
        return self.call("GET", f"/youcanpay/transactions/{urllib.parse.quote(transaction_id, safe='')}")["transaction"]

    def set_transaction(self, transaction_id, status=None, amount_format=None, refunded=None):
        """Change a transaction later (e.g. pending 0 -> paid 1)."""
        return self.call("POST", f"/youcanpay/transactions/{urllib.parse.quote(transaction_id, safe='')}",
                         self._opts(status=status, amount_format=amount_format, refunded=refunded))["transaction"]

    def send_youcanpay_event(self, transaction_id, event_name="transaction.paid", url=None, event_id=None,
                             signature_mode=None, tamper=None, sign_with_key=None, overrides=None,
                             remove=None, copies=None, concurrent=None, wait=None, timeout=None):
        """Send a YouCan Pay webhook for a transaction (transaction.paid / .failed / .refunded) to url
        (default: the configured webhook URL). event_id reuses an id (a replay with a fresh body);
        signature_mode: valid | wrong_key | missing | empty | garbage | uppercase | truncated;
        tamper=True changes the amount after signing; overrides {"payload.transaction.amount": "1"}
        and remove ["payload.metadata"] edit the body before signing. Returns the delivery record."""
        return self.call("POST", "/youcanpay/events", self._opts(
            transaction_id=transaction_id, event_name=event_name, url=url, event_id=event_id,
            signature_mode=signature_mode, tamper=tamper, sign_with_key=sign_with_key,
            overrides=overrides, remove=remove, copies=copies, concurrent=concurrent, wait=wait,
            timeout=timeout))["delivery"]

    # -- PayTabs -------------------------------------------------------------------------------

    def paytabs_transactions(self, cart_id=None):
        return self.call("GET", "/paytabs/transactions", query={"cart_id": cart_id})["transactions"]

    def paytabs_transaction(self, tran_ref):
        """A PayTabs transaction with what payment/request received: cart_*, customer_details,
        callback, return, redirect_url, status, refunded_total, refunds."""
        return self.call("GET", f"/paytabs/transactions/{urllib.parse.quote(tran_ref, safe='')}")["transaction"]

    def find_paytabs(self, cart_id):
        """The newest sale for cart_id (our order id), None when there is none."""
        txs = [t for t in self.paytabs_transactions(cart_id) if t["tran_type"] == "Sale"]
        return txs[-1] if txs else None

    def decline_next_recurring(self, tran_ref=None, token=None, count=1, status="D"):
        """Make the next `count` recurring sales charged with a token answer `status` (D by default);
        the token is named by itself or by the tran_ref of the tokenised payment that created it."""
        return self.call("POST", "/paytabs/recurring/decline", self._opts(
            tran_ref=tran_ref, token=token, count=count, status=status))

    def complete_paytabs(self, tran_ref, status="A", callback=True, callback_url=None, response_code=None,
                         response_message=None, force=None, card=None, **delivery):
        """Finish a payment page (or a pending refund) with a response_status (A, D, E, V, P, H, X, C)
        and, when callback, POST the signed callback to the `callback` URL given at payment/request
        (or callback_url). delivery options as in pay_token. Returns {transaction, delivery, ...}."""
        return self.call("POST", "/paytabs/complete", self._opts(
            tran_ref=tran_ref, status=status, callback=callback, callback_url=callback_url,
            response_code=response_code, response_message=response_message, force=force, card=card,
            **delivery))

    def send_paytabs_callback(self, tran_ref, url=None, signature_mode=None, tamper=None, sign_with_key=None,
                              overrides=None, remove=None, copies=None, concurrent=None, wait=None,
                              timeout=None):
        """Send (again) the callback of a transaction's current state; options as in
        send_youcanpay_event (tamper changes cart_amount after signing). Returns the delivery."""
        return self.call("POST", "/paytabs/callbacks", self._opts(
            tran_ref=tran_ref, url=url, signature_mode=signature_mode, tamper=tamper,
            sign_with_key=sign_with_key, overrides=overrides, remove=remove, copies=copies,
            concurrent=concurrent, wait=wait, timeout=timeout))["delivery"]


_default = None


def default():
    global _default
    if _default is None:
        _default = Emulator()
    return _default


def configure(url=None, timeout=30.0):
    """Point the module-level functions at an emulator (control URL ".../__emulator")."""
    global _default
    _default = Emulator(url, timeout)
    return _default


def _delegate(name):
    def fn(*args, **kwargs):
        return getattr(default(), name)(*args, **kwargs)
    fn.__name__ = name
    fn.__doc__ = getattr(Emulator, name).__doc__
    return fn


for _name in ("health", "config", "set_config", "reset", "requests", "last_seq", "clear_requests", "fault",
              "faults", "clear_faults", "deliveries", "delivery", "replay", "sign", "tokens", "token",
              "find_token", "pay_token", "create_transaction", "transactions", "transaction",
              "set_transaction", "send_youcanpay_event", "paytabs_transactions", "paytabs_transaction",
              "find_paytabs", "complete_paytabs", "send_paytabs_callback", "decline_next_recurring"):
    globals()[_name] = _delegate(_name)
del _name
