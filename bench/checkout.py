#!/usr/bin/env python3
# bench/checkout.py - end-to-end payment throughput against the dev gateway emulator: how many
# orders per second go checkout (YouCan Pay tokenize) -> paid (emulator) -> confirmed
# (POST /api/orders, which looks the transaction up with the gateway). Prints figures; asserts
# nothing about speed. Usage: bench/checkout.py [--orders N] [--threads T]
# Needs a running stack with the emulators (deploy/up), KHEDMA_PORT / KHEDMA_VAR as deploy/up used.
import argparse
import os
import statistics
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.path.insert(0, os.path.join(REPO, "tests", "emulators"))
os.environ.setdefault("KHEDMA_TEST_URL", "http://127.0.0.1:%s" % os.environ.get("KHEDMA_PORT", "8080"))
os.environ.setdefault("KHEDMA_TEST_VAR", os.environ.get("KHEDMA_VAR", os.path.join(REPO, "var")))
import harness as h  # noqa: E402
import client as emu  # noqa: E402


def trpc(path, body, token):
    r = h.http("POST", "/api/trpc/" + path, json_body=body, token=token)
    assert r.status == 200, (path, r.status, r.body[:200])
    return r.json["result"]["data"]


def published_package():
    _, token = h.signup()
    gig = trpc("gig.createDraft", {}, token)
    trpc("gig.updateOverview", {"id": gig["id"], "title": "Bench gig", "category": "programming-tech",
                                "subCategory": "web-development", "tags": []}, token)
    packages = trpc("gig.createPackages", {"gigId": gig["id"], "basic": {
        "name": "Bench basic", "description": "Bench package", "price": 500, "delivery": 3,
        "revisions": 1}}, token)
    trpc("gig.publish", {"id": gig["id"]}, token)
    return packages["basic"]["id"]


def one_order(token, package_id):
    started = time.monotonic()
    r = h.http("POST", "/api/orders/checkout", json_body={"payment_method": "card",
                                                         "package_id": package_id}, token=token)
    assert r.status == 200, r.body[:200]
    data = r.json["data"]
    paid = emu.pay_token(data["token_id"], status=1)
    r = h.http("POST", "/api/orders", json_body={"checkoutId": data["order_id"],
                                                 "transactionId": paid["transaction"]["id"]},
               token=token)
    assert r.status == 200, r.body[:200]
    return time.monotonic() - started


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=400)
    ap.add_argument("--threads", type=int, default=8)
    args = ap.parse_args()
    package_id = published_package()
    tokens = [h.signup()[1] for _ in range(args.threads)]
    latencies, lock = [], threading.Lock()
    per_thread = args.orders // args.threads

    def worker(token):
        for _ in range(per_thread):
            t = one_order(token, package_id)
            with lock:
                latencies.append(t)

    threads = [threading.Thread(target=worker, args=(t,)) for t in tokens]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    print(f"checkout->paid->confirmed: {len(latencies)} orders in {elapsed:.1f}s with "
          f"{args.threads} clients = {len(latencies) / elapsed:.0f} orders/s; "
          f"median {statistics.median(latencies) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms per order")


if __name__ == "__main__":
    main()
