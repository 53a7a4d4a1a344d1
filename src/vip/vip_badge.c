/*
 * vip_badge.c - users.vip, gigs.owner_vip and the read model's pages kept equal to "has a live
 * subscription" (include/khedma/vip_badge.h, docs/vip.md). Only the subscription store calls it.
 */
#include "khedma/vip_badge.h"

#include "khedma/dberr.h"
#include "khedma/read_model.h"

/* Both flags set to vip and the pages rebuilt. force: also when users.vip already had that value
 * (the repair: gigs.owner_vip or the pages may differ from it). */
static enum errkind badge_write(struct db *db, const char *user_id, bool vip, bool force,
                                struct err *e)
{
    unsigned long long changed = 0;
    /* The user row is locked by this update; concurrent badge changes of one user serialise. */
    int rc = db_exec(db, "UPDATE users SET vip = ? WHERE id = ? AND vip <> ?",
                     DB_PARAMS(DBP_I(vip), DBP_S(user_id), DBP_I(vip)), NULL, &changed);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    if (changed == 0 && !force)
        return E_OK;
    rc = db_exec(db, "UPDATE gigs SET owner_vip = ? WHERE owner_id = ? AND owner_vip <> ?",
                 DB_PARAMS(DBP_I(vip), DBP_S(user_id), DBP_I(vip)), NULL, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    return read_model_owner_changed(db, user_id, e);
}

enum errkind vip_badge_set(struct db *db, const char *user_id, bool vip, struct err *e)
{
    return badge_write(db, user_id, vip, false, e);
}

/* The user row locked (the same row vip_badge_set updates, so a concurrent subscription change
 * waits) and whether a live subscription exists, read under that lock. */
static const char SQL_USER_LIVE[] =
    "SELECT u.id, EXISTS (SELECT 1 FROM subscriptions s WHERE s.live_user_id = u.id) "
    "FROM users u WHERE u.id = ? FOR UPDATE";

enum errkind vip_badge_sync(struct db *db, const char *user_id, bool *vip, struct err *e)
{
    int rc = db_begin(db);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    struct db_result *r = NULL;
    rc = db_exec(db, SQL_USER_LIVE, DB_PARAMS(DBP_S(user_id)), &r, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    bool found = r->rows > 0;
    *vip = found && db_result_int(r, 0, 1, 0) != 0;
    db_result_free(r);
    if (!found) {
        db_rollback(db);
        return err_set(e, E_NOT_FOUND, "User not found");
    }
    if (badge_write(db, user_id, *vip, true, e) != E_OK)
        return e->kind;
    rc = db_commit(db);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    return E_OK;
}
