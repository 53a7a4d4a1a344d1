"""test_migrations.py - the migration runner on a database of its own: three
`khedmad migrate` at once (three hosts deploying together) apply every migration exactly once and
seed the categories once, a second run changes nothing, and the result matches the stack's
schema. The test database is dropped afterwards."""

import os
import re
import threading

from harness import khedmad_env, khedmad_run, sql

SCHEMA_TABLES = ("order_events", "notifications", "orders", "payments", "idempotency_keys")


def _split_dsn():
    """The stack's KHEDMA_DATABASE_URL as (mysql://user:pass@host/, database, ?options)."""
    m = re.match(r"^(mysql://[^/]+/)([^?]*)(.*)$", khedmad_env()[0]["KHEDMA_DATABASE_URL"])
    assert m, "unexpected KHEDMA_DATABASE_URL shape"
    return m.groups()


def _fresh_database():
    """A new empty database the stack's user may use: (its name, a DSN naming it)."""
    name = "khedma_mig_" + os.urandom(4).hex()
    sql(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    sql(f"GRANT ALL PRIVILEGES ON {name}.* TO 'khedma'@'localhost'")
    head, _, options = _split_dsn()
    return name, head + name + options


def _migrate(dsn, results, i):
    results[i] = khedmad_run("migrate", env={"KHEDMA_DATABASE_URL": dsn}, timeout=180)


def _columns(db, table):
    return sql("SELECT column_name, column_type, is_nullable FROM information_schema.columns "
               f"WHERE table_schema = '{db}' AND table_name = '{table}' ORDER BY ordinal_position")


def _indexes(db, table):
    return sql("SELECT index_name, seq_in_index, column_name, non_unique "
               f"FROM information_schema.statistics WHERE table_schema = '{db}' "
               f"AND table_name = '{table}' ORDER BY index_name, seq_in_index")


def test_concurrent_migrations_apply_each_file_once():
    db, dsn = _fresh_database()
    try:
        results = [None] * 3
        threads = [threading.Thread(target=_migrate, args=(dsn, results, i)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(200)
        for p in results:
            assert p is not None and p.returncode == 0, \
                f"migrate failed: {p and p.stderr[-600:]}"
        files = sorted(f[:-4] for f in os.listdir(os.path.join(khedmad_env()[0]["KHEDMA_SQL_DIR"],
                                                              "migrations"))
                       if re.match(r"^\d{4}_.*\.sql$", f))
        done = [r[0] for r in sql(f"SELECT version FROM {db}.schema_migrations ORDER BY version")]
        assert done == files, (done, files)
        applied = sum(p.stderr.count("migrate: applied ") for p in results)
        assert applied == len(files), f"{applied} applications of {len(files)} files"
        categories = sql(f"SELECT slug, COUNT(*) FROM {db}.categories GROUP BY slug")
        assert len(categories) >= 10 and all(c[1] == "1" for c in categories), categories
        count = sql(f"SELECT COUNT(*) FROM {db}.categories")[0][0]
        # a second run: nothing applied, nothing seeded twice
        again = khedmad_run("migrate", env={"KHEDMA_DATABASE_URL": dsn}, timeout=180)
        assert again.returncode == 0, again.stderr[-600:]
        assert "migrate: applied " not in again.stderr, again.stderr[-600:]
        assert sql(f"SELECT COUNT(*) FROM {db}.categories")[0][0] == count
        # the same schema as the stack's own database (migrated over its lifetime)
        stack_db = _split_dsn()[1]
        for table in SCHEMA_TABLES:
            assert _columns(db, table) == _columns(stack_db, table), table
            assert _indexes(db, table) == _indexes(stack_db, table), table
    finally:
        sql(f"DROP DATABASE IF EXISTS {db}")
