-- 0008_order_counts.sql - per-party order counters, so that GET /api/orders and order.list answer
-- totalItems for their unfiltered and status-only shapes with a few primary-key reads instead of a
-- COUNT(*) over every matching order (docs/decisions.md, "Order counts").
--
-- One row per (user, side, status): how many orders the user has as client (orders.user_id) or
-- as freelancer (orders.freelancer_id) in that status. order_store.c, the only code that inserts
-- orders or changes their status, updates the rows in the same transaction (order_counts.c).
-- Rows are per user, so no single row is written by everyone; the admin-wide view (filter.userId)
-- sums the named users' client rows. No CHECK (n >= 0) and no foreign key: a counter must never
-- make an order change fail; `khedmad check-order-counts` finds any difference.
--
-- Backfill: recomputed in full from orders under LOCK TABLES orders READ, so no order can be
-- inserted or change status between the count and the write (writers wait for the lock, a second
-- or two at a million orders). Everything is overwritten, so the file can be applied again after
-- an interruption. A server of the previous version still running after this migration does not
-- update the counters: stop it before migrating (deploy/up migrates before starting khedmad).
-- LOCK TABLES needs every table the statements name, under the names they use (no aliases).

CREATE TABLE IF NOT EXISTS order_counts (
    user_id CHAR(25) COLLATE utf8mb4_bin NOT NULL,
    side ENUM('client', 'freelancer') NOT NULL,
    status ENUM('pending', 'processing', 'completed', 'cancelled') NOT NULL,
    n BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, side, status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

LOCK TABLES orders READ, order_counts WRITE;
DELETE FROM order_counts;
INSERT INTO order_counts (user_id, side, status, n)
SELECT user_id, 'client', status, COUNT(*) FROM orders GROUP BY user_id, status;
INSERT INTO order_counts (user_id, side, status, n)
SELECT freelancer_id, 'freelancer', status, COUNT(*) FROM orders GROUP BY freelancer_id, status;
UNLOCK TABLES;
