/*
 * vip_badge.h - the VIP badge and ranking flag of a user (docs/vip.md): users.vip, copied onto
 * each of the user's gigs as gigs.owner_vip (search and category lists rank by it), and the
 * public gig pages of the read model rebuilt so owner.vip is current. The subscription store
 * calls it, inside its transaction, whenever a user's subscription becomes live (trialing,
 * active, past_due) or stops being live.
 */
#ifndef KHEDMA_VIP_BADGE_H
#define KHEDMA_VIP_BADGE_H

#include <stdbool.h>
#include "khedma/db.h"
#include "khedma/errors.h"

/* Set the flag to vip (nothing is written when it already has that value). Inside the caller's
 * transaction; on failure the transaction is rolled back and e is set. */
enum errkind vip_badge_set(struct db *db, const char *user_id, bool vip, struct err *e);

/* Recompute the user's flags (users.vip and every gigs.owner_vip) and public pages from the
 * subscriptions (live: trialing, active, past_due), in one transaction of its own: the operator's
 * repair, `khedmad vip-sync USER-ID`. *vip gets the result; E_NOT_FOUND when there is no user. */
enum errkind vip_badge_sync(struct db *db, const char *user_id, bool *vip, struct err *e);

#endif
