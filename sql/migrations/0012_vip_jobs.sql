-- 0012_vip_jobs.sql - the schedule of the jobs' reconciliation of card subscription orders
-- (src/jobs/jobs_vip.c): a PayTabs payment page whose callback never came is asked about by its
-- tran_ref, claimed with FOR UPDATE SKIP LOCKED and leased by moving next_check_at forward, as
-- payments.next_check_at is for gig orders. checks counts the questions asked (the backoff).
-- Every statement can run again.

ALTER TABLE subscription_orders ADD COLUMN IF NOT EXISTS next_check_at DATETIME(3) NULL;
ALTER TABLE subscription_orders ADD COLUMN IF NOT EXISTS checks INT NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS ix_subscription_orders_check
    ON subscription_orders (status, payment_method, next_check_at);
