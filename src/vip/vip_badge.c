/*
 * vip_badge.c - users.vip, gigs.owner_vip and the read model's pages kept equal to "has a live
 * subscription" (include/khedma/vip_badge.h, docs/vip.md). Only the subscription store calls it.
 */
#include "khedma/vip_badge.h"

#include "khedma/dberr.h"
#include "khedma/read_model.h"

enum errkind vip_badge_set(struct db *db, const char *user_id, bool vip, struct err *e)
{
    unsigned long long changed = 0;
    /* The user row is locked by this update; concurrent badge changes of one user serialise. */
    int rc = db_exec(db, "UPDATE users SET vip = ? WHERE id = ? AND vip <> ?",
                     DB_PARAMS(DBP_I(vip), DBP_S(user_id), DBP_I(vip)), NULL, &changed);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    if (changed == 0)
        return E_OK;
    rc = db_exec(db, "UPDATE gigs SET owner_vip = ? WHERE owner_id = ?",
                 DB_PARAMS(DBP_I(vip), DBP_S(user_id)), NULL, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    return read_model_owner_changed(db, user_id, e);
}
