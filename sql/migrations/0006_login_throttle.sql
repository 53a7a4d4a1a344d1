-- 0006_login_throttle.sql - failed logins, counted per account and per client address.
--
-- The login throttle (src/accounts/login_throttle.c) lives in the database rather than in nginx or in a
-- worker's memory, so it holds behind any proxy and is shared by every worker on every host.
-- Each row counts the failures of one subject in one UTC minute; a check sums the last 15
-- minutes (a sliding window with one-minute steps). Counters only change through
-- INSERT ... ON DUPLICATE KEY UPDATE and single-row updates, which are atomic, so concurrent
-- workers never lose a count. The jobs process deletes rows once they leave the window.
--
-- subject: for kind 'email', the hex SHA-256 of the normalised e-mail (no address book kept
-- here); for kind 'address', the client address as the web server passed it (REMOTE_ADDR).
--
-- Re-runnable (IF NOT EXISTS), as every migration must be.

CREATE TABLE IF NOT EXISTS login_failures (
    kind ENUM('email', 'address') NOT NULL,
    subject VARCHAR(64) NOT NULL,
    bucket DATETIME NOT NULL,
    failures INT UNSIGNED NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, subject, bucket),
    KEY ix_login_failures_bucket (bucket)
) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin;
