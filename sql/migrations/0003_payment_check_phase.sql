-- 0003_payment_check_phase.sql - which payment status the jobs' schedule (0002) belongs to.
--
-- next_check_at and checks describe one phase of a payment: while it is 'pending' they pace the
-- reconciliation queries, while it is 'refunding' the refund attempts. A payment that changes
-- status (a callback confirms it, an admin cancels the order) starts a new phase, which must not
-- wait out the previous phase's lease: check_status records the status the schedule was made
-- for, and a schedule made for another status counts as none (due at once, checks from zero).
--
-- Re-runnable (ADD COLUMN IF NOT EXISTS), as every migration must be.

ALTER TABLE payments
    ADD COLUMN IF NOT EXISTS check_status VARCHAR(16) COLLATE utf8mb4_bin NULL AFTER checks;
