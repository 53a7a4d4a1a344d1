/*
 * migrate.h - applies sql/migrations/NNNN_*.sql in order, each recorded in schema_migrations,
 * under GET_LOCK('khedma_migrate') so two hosts running it at once apply each file once; then
 * every sql/seed file (written to be idempotent).
 */
#ifndef KHEDMA_MIGRATE_H
#define KHEDMA_MIGRATE_H

#include "khedma/db.h"

/* Returns 0, or -1 after logging what failed. applied (optional) gets the count newly applied. */
int migrate_run(struct db *db, const char *sql_dir, int *applied);

#endif
