-- 0002_payment_checks.sql - when the jobs process may next ask a gateway about a payment.
--
-- The jobs that call a gateway (reconciling pending PayTabs payments, the last query before a
-- stale checkout is cancelled, PayTabs refunds) never hold a row lock during the call: they claim
-- the payment in a short transaction that moves next_check_at forward, commit, call, then re-lock
-- and re-check before writing. next_check_at is therefore both a lease (another jobs process, on
-- this host or another, skips the payment while a call is in flight; a crash retries after it)
-- and the backoff schedule (checks counts the calls made, and the gap doubles with it).
-- NULL next_check_at: never looked at, due at once.
--
-- Re-runnable (ADD COLUMN IF NOT EXISTS), as every migration must be.

ALTER TABLE payments
    ADD COLUMN IF NOT EXISTS next_check_at DATETIME(3) NULL AFTER refund_ref,
    ADD COLUMN IF NOT EXISTS checks INT NOT NULL DEFAULT 0 AFTER next_check_at;
