-- 0005_payment_review.sql - what the jobs need so as never to cancel an order that may be paid.
--
-- payments.client_transaction_id: the YouCan Pay transaction id the order's client named (POST
-- /api/orders, order.create), kept before the gateway is asked, so that a confirmation that
-- failed (gateway unreachable or saying "not yet", a transient database error, a crash) leaves
-- the jobs something to ask the gateway about. It is a hint from the client, checked with the
-- gateway like anything else; payments.transaction_id stays what a confirmation recorded. Not
-- unique: a client naming somebody else's transaction must not block that payment.
--
-- orders.review_reason / review_flagged_at: the jobs would have cancelled this pending order as
-- expired, but its payment may have succeeded and the gateway could not tell (a YouCan Pay
-- checkout whose payment page was issued, with no transaction id known or none paid). It stays
-- pending for an operator; review_flagged_at is when it was first flagged.
--
-- Re-runnable (IF NOT EXISTS), as every migration must be.

ALTER TABLE payments
    ADD COLUMN IF NOT EXISTS client_transaction_id VARCHAR(128) COLLATE utf8mb4_bin NULL
        AFTER transaction_id;

ALTER TABLE orders
    ADD COLUMN IF NOT EXISTS review_reason VARCHAR(255) NULL AFTER cancel_reason,
    ADD COLUMN IF NOT EXISTS review_flagged_at DATETIME(3) NULL AFTER review_reason,
    ADD KEY IF NOT EXISTS ix_orders_review (review_flagged_at);
