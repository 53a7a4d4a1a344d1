/*
 * events.c - what every order state change writes, in the same transaction as the change:
 * the order event (GET /api/orders/{id}/events), the notifications it causes (docs/api.md,
 * "Notifications"; only to users with orderUpdatesNotifications on) and one outgoing webhook
 * delivery per URL the client registered (sent later by the jobs process, so a crash after commit
 * loses none).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/dberr.h"
#include "khedma/events.h"
#include "khedma/cuid.h"
#include "khedma/jsonx.h"
#include "khedma/order_json.h"
#include "khedma/timeutil.h"

enum recipient { TO_CLIENT = 1, TO_FREELANCER = 2, TO_BOTH = 3, TO_OTHER_PARTY = 4 };

struct event_kind {
    const char *type;         /* order event type */
    const char *notification; /* notification type, NULL for none */
    enum recipient to;
    const char *title;
    const char *webhook; /* outgoing webhook event, NULL for none */
};

static const struct event_kind kinds[] = {
    {"paid", "order.paid", TO_FREELANCER, "New order", "order.paid"},
    {"delivered", "order.delivered", TO_CLIENT, "Your order was delivered", "order.delivered"},
    {"revision_requested", "order.revision_requested", TO_FREELANCER, "Revision requested", NULL},
    {"completed", "order.completed", TO_BOTH, "Order completed", "order.completed"},
    {"cancelled", "order.cancelled", TO_OTHER_PARTY, "Order cancelled", "order.cancelled"},
    {"refunded", "order.refunded", TO_CLIENT, "Payment refunded", "order.refunded"},
    {"payment_failed", "payment.failed", TO_CLIENT, "Payment failed", NULL},
};

static const struct event_kind *kind_of(const char *type)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kinds[i].type, type) == 0)
            return &kinds[i];
    return NULL;
}

struct parties {
    char client[CUID_LEN + 1];
    char freelancer[CUID_LEN + 1];
    bool client_wants, freelancer_wants;
    /* gigs.title is VARCHAR(100): up to 400 bytes of UTF-8, never cut mid-character. */
    char title[512];
    json_object *webhook_urls; /* array or NULL; owned */
};

static enum errkind load_parties(struct db *db, const char *order_id, struct parties *p,
                                 struct err *e)
{
    struct db_result *r = NULL;
    int rc = db_exec(db,
                     "SELECT o.user_id, o.freelancer_id, c.order_updates_notifications, "
                     "f.order_updates_notifications, COALESCE(g.title, ''), o.webhook_urls "
                     "FROM orders o JOIN users c ON c.id = o.user_id "
                     "JOIN users f ON f.id = o.freelancer_id JOIN gigs g ON g.id = o.gig_id "
                     "WHERE o.id = ?",
                     DB_PARAMS(DBP_S(order_id)), &r, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    if (r->rows != 1) {
        db_result_free(r);
        return dberr_fail(db, DB_ERR, e);
    }
    snprintf(p->client, sizeof(p->client), "%s", db_result_get(r, 0, 0));
    snprintf(p->freelancer, sizeof(p->freelancer), "%s", db_result_get(r, 0, 1));
    p->client_wants = db_result_int(r, 0, 2, 1) != 0;
    p->freelancer_wants = db_result_int(r, 0, 3, 1) != 0;
    snprintf(p->title, sizeof(p->title), "%s", db_result_get(r, 0, 4));
    const char *urls = db_result_get(r, 0, 5);
    p->webhook_urls = urls ? jsonx_parse(urls, strlen(urls)) : NULL;
    db_result_free(r);
    return E_OK;
}

enum errkind events_notify(struct db *db, const char *user_id, const char *type,
                           const char *order_id, const char *title, const char *body, struct err *e)
{
    char id[CUID_LEN + 1];
    cuid_new(id);
    int rc = db_exec(db,
                     "INSERT INTO notifications (id, user_id, type, order_id, title, body) "
                     "VALUES (?, ?, ?, ?, ?, ?)",
                     DB_PARAMS(DBP_S(id), DBP_S(user_id), DBP_S(type), DBP_S(order_id),
                               DBP_S(title), DBP_S(body)),
                     NULL, NULL);
    return rc == DB_OK ? E_OK : dberr_fail(db, rc, e);
}

static enum errkind notify(struct db *db, const char *user_id, const struct event_kind *k,
                           const struct order_event *m, const char *gig_title, struct err *e)
{
    /* Room for the longest title and reason (VARCHAR(1000): 4000 bytes): snprintf must not
     * cut a UTF-8 sequence, which MariaDB would reject. */
    char body[8192];
    snprintf(body, sizeof(body), "Order %s for \"%s\": %s%s%s", m->order_id, gig_title, k->title,
             m->reason ? " - " : "", m->reason ? m->reason : "");
    return events_notify(db, user_id, k->notification, m->order_id, k->title, body, e);
}

static enum errkind notify_parties(struct db *db, const struct event_kind *k,
                                   const struct order_event *m, const struct parties *p,
                                   struct err *e)
{
    bool client = k->to & TO_CLIENT, freelancer = k->to & TO_FREELANCER;
    if (k->to == TO_OTHER_PARTY) {
        /* The party who acted knows already; a system or admin move tells both. */
        bool by_client = m->actor_id && strcmp(m->actor_id, p->client) == 0;
        bool by_freelancer = m->actor_id && strcmp(m->actor_id, p->freelancer) == 0;
        client = !by_client;
        freelancer = !by_freelancer;
    }
    if (client && p->client_wants && notify(db, p->client, k, m, p->title, e) != E_OK)
        return e->kind;
    if (freelancer && p->freelancer_wants && notify(db, p->freelancer, k, m, p->title, e) != E_OK)
        return e->kind;
    return E_OK;
}

static json_object *webhook_body(const struct event_kind *k, const char *event_id,
                                 json_object *order)
{
    char now[ISO_TIME_LEN + 1];
    timeutil_iso_from_ms(timeutil_wall_ms(), now);
    json_object *body = json_object_new_object(), *data = json_object_new_object();
    jsonx_add_str(body, "id", event_id);
    jsonx_add_str(body, "type", k->webhook);
    jsonx_add_str(body, "createdAt", now);
    json_object_object_add(data, "order", order);
    json_object_object_add(data, "meta", json_object_get(json_object_object_get(order, "meta")));
    json_object_object_add(data, "paymentReference",
                           json_object_get(json_object_object_get(order, "paymentReference")));
    json_object_object_add(body, "data", data);
    return body;
}

/* One delivery row per registered URL, each carrying the same body: the event id, type, time and
 * the order as it stands inside this transaction, with the client's meta and paymentReference. */
static enum errkind queue_webhooks(struct db *db, const struct event_kind *k,
                                   const struct order_event *m, json_object *urls, struct err *e)
{
    json_object *order = NULL;
    if (order_json_load(db, m->order_id, &order, e) != E_OK)
        return e->kind;
    char event_id[CUID_LEN + 1];
    cuid_new(event_id);
    json_object *body = webhook_body(k, event_id, order);
    const char *text = jsonx_to_string(body);
    int rc = DB_OK;
    for (size_t i = 0; rc == DB_OK && i < json_object_array_length(urls); i++) {
        const char *url = json_object_get_string(json_object_array_get_idx(urls, i));
        char id[CUID_LEN + 1];
        cuid_new(id);
        rc = db_exec(db,
                     "INSERT INTO webhook_deliveries (id, order_id, event_id, event_type, url, "
                     "body) VALUES (?, ?, ?, ?, ?, ?)",
                     DB_PARAMS(DBP_S(id), DBP_S(m->order_id), DBP_S(event_id), DBP_S(k->webhook),
                               DBP_S(url), DBP_S(text)),
                     NULL, NULL);
    }
    json_object_put(body);
    return rc == DB_OK ? E_OK : dberr_fail(db, rc, e);
}

enum errkind events_record(struct db *db, const struct order_event *m, struct err *e)
{
    const struct event_kind *k = kind_of(m->type);
    if (!k)
        return dberr_fail(db, DB_ERR, e);
    char id[CUID_LEN + 1];
    cuid_new(id);
    int rc = db_exec(db,
                     "INSERT INTO order_events (id, order_id, type, from_status, to_status, "
                     "actor_id, reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     DB_PARAMS(DBP_S(id), DBP_S(m->order_id), DBP_S(m->type), DBP_S(m->from),
                               DBP_S(m->to), DBP_S(m->actor_id), DBP_S(m->reason)),
                     NULL, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    struct parties p = {0};
    if (load_parties(db, m->order_id, &p, e) != E_OK)
        return e->kind;
    enum errkind result = notify_parties(db, k, m, &p, e);
    if (result == E_OK && k->webhook && p.webhook_urls &&
        json_object_is_type(p.webhook_urls, json_type_array) &&
        json_object_array_length(p.webhook_urls) > 0)
        result = queue_webhooks(db, k, m, p.webhook_urls, e);
    json_object_put(p.webhook_urls);
    return result;
}

enum errkind events_paid_webhook_backfill(struct db *db, const char *order_id, struct err *e)
{
    struct parties p = {0};
    if (load_parties(db, order_id, &p, e) != E_OK)
        return e->kind;
    struct order_event m = {order_id, "paid", "pending", "processing", NULL, NULL};
    enum errkind result = E_OK;
    if (p.webhook_urls && json_object_is_type(p.webhook_urls, json_type_array) &&
        json_object_array_length(p.webhook_urls) > 0)
        result = queue_webhooks(db, kind_of("paid"), &m, p.webhook_urls, e);
    json_object_put(p.webhook_urls);
    return result;
}
