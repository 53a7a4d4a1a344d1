/*
 * handlers_health.c - GET /healthz: 200 {"status":"ok","db":"ok"} when the worker can reach the
 * database, 503 {"status":"unavailable","db":"down"} when it cannot (db_ping reconnects, so the
 * answer recovers by itself once the database is back).
 */
#include "khedma/handlers_health.h"
#include "khedma/db.h"

void handlers_health_get(struct ctx *c)
{
    bool up = db_ping(c->db) == DB_OK;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "status", json_object_new_string(up ? "ok" : "unavailable"));
    json_object_object_add(o, "db", json_object_new_string(up ? "ok" : "down"));
    response_header(c->resp, "Cache-Control", "no-store");
    response_json(c->resp, up ? 200 : 503, o);
}
