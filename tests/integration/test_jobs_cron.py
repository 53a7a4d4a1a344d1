"""test_jobs_cron.py - `khedmad jobs-once` as a shared host's cron runs it (docs/deploy.md,
"Shared hosting"): every minute, with nothing stopping a slow run from overlapping the next one.
Three runs started together on the same due work (orders whose delivery went unanswered for three
days, and the outgoing webhooks their moves make) must each item once: one completion, one
earning, one event and one webhook delivery per order and event type. The stack's own jobs
process runs alongside, as a fourth.
"""

import json
import threading
from collections import Counter

from harness import sql
from test_jobs import DAY, Receiver, events, jobs_once, move, order, paid_order, wait_for, world

ORDERS = 6


def test_overlapping_jobs_once_runs_process_each_item_once():
    w = world()
    rx = Receiver()
    try:
        oids = []
        for _ in range(ORDERS):
            oid = paid_order([rx.url(f"/{len(oids)}")])
            move(oid, "deliver", w["st"])
            oids.append(oid)
        runs = [threading.Thread(target=jobs_once, args=(3 * DAY + 60,)) for _ in range(3)]
        for t in runs:
            t.start()
        for t in runs:
            t.join()
        for oid in oids:
            assert order(oid)["status"] == "completed", oid
            assert [e["type"] for e in events(oid)].count("completed") == 1, oid
            assert sql(f"SELECT COUNT(*) FROM earnings WHERE order_id = '{oid}'") == [["1"]], oid
        prefix = rx.url("/")
        wait_for(lambda: sql("SELECT COUNT(*) FROM webhook_deliveries WHERE url LIKE "
                             f"'{prefix}%' AND state = 'delivered'") == [[str(3 * ORDERS)]],
                 timeout=30, what="every webhook delivered")
        got = Counter((r["path"], json.loads(r["body"])["type"]) for r in rx.requests)
        expected = {(rx.path_of(rx.url(f"/{i}")), t): 1 for i in range(ORDERS)
                    for t in ("order.paid", "order.delivered", "order.completed")}
        assert dict(got) == expected, got
        ids = [r["headers"]["x-khedma-delivery"] for r in rx.requests]
        assert len(ids) == len(set(ids)) == 3 * ORDERS
    finally:
        rx.close()
