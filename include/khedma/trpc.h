/*
 * trpc.h - the tRPC HTTP wire protocol (docs/api.md, "tRPC"), as @trpc/client v10 and v11 speak
 * it through httpLink and httpBatchLink, optionally with the superjson transformer. It turns one
 * HTTP request under /api/trpc/ into calls of procedures from a table and encodes their results;
 * the procedures themselves never see HTTP.
 *
 * Requests:
 *   query     GET  /api/trpc/<path>?input=<JSON>            (input absent or empty: no input)
 *   mutation  POST /api/trpc/<path>   body <JSON>           (empty body: no input)
 *   batch     ...?batch=1, paths joined by ',', input {"0": ..., "1": ...} (a missing index or
 *             null is no input), answered by an array in call order.
 * A POST must carry Content-Type: application/json (415 otherwise, as tRPC v11 does; this also
 * makes a cross-site form unable to fire a mutation). HEAD is treated as GET.
 *
 * Per call: unknown path -> NOT_FOUND; a mutation by GET or a query by POST ->
 * METHOD_NOT_SUPPORTED (405, Allow header set); then the procedure runs. A batch runs its calls
 * in order, each independently of the others' failures.
 * Whole request: input that is not JSON or not UTF-8 -> PARSE_ERROR, a batch input that is not
 * an object or a batch of more than TRPC_MAX_BATCH calls -> BAD_REQUEST, a non-JSON POST ->
 * UNSUPPORTED_MEDIA_TYPE; answered with a single error object without data.path (both clients
 * apply it to every call of the batch).
 *
 * Responses: {"result":{"data":<output>}} or {"error":{"message","code","data":{"code",
 * "httpStatus","path"[,"zodError"]}}}; zodError = {"formErrors":[],"fieldErrors":<e->fields>}
 * when the failure carries field messages. HTTP status: a single call's own status; a batch's
 * common status, or 207 when its calls' statuses differ. The response is marked public_read
 * (http.h) only when every call succeeded and every procedure called is CACHE_PUBLIC.
 *
 * superjson: each call's input arrives as {"json": <input>, "meta"?: ...} and its "json" is what
 * the procedure gets (absent -> NULL; meta is not applied: dates stay ISO strings). Outputs leave
 * as {"json": <output>, "meta": {"values": {"<path>": ["Date"], ...}, "v": 1}} where every string
 * that looks like an ISO-8601 timestamp under a key named createdAt, updatedAt, dueAt,
 * deliveredAt, completedAt, cancelledAt, readAt, at or any other camelCase "...At" key is marked
 * a Date (meta omitted when nothing is), and errors as {"error": {"json": <shape>}}.
 */
#ifndef KHEDMA_TRPC_H
#define KHEDMA_TRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>
#include "khedma/ctx.h"
#include "khedma/errors.h"

#define TRPC_MAX_BATCH 100 /* calls in one batch request */

enum trpc_kind { TRPC_QUERY, TRPC_MUTATION };

/* A procedure. input is NULL when the call had none (or sent null); it is borrowed and freed
 * after the whole request (take a reference with json_object_get to keep it). On success the
 * procedure returns E_OK and sets *output to a new object it hands over (NULL encodes as JSON
 * null); on failure it returns the error kind with e's message (and fields, for validation)
 * filled, and any *output it set is released. */
typedef enum errkind (*trpc_fn)(struct ctx *c, json_object *input, json_object **output,
                                struct err *e);

struct trpc_proc {
    const char *path; /* "gig.getGigDetails" */
    enum trpc_kind kind;
    trpc_fn fn;
    enum cache_scope cache; /* CACHE_PUBLIC: a query whose anonymous answer may be cached */
};

/* Serve one request. path_tail is what follows "/api/trpc/" (percent-decoded), e.g.
 * "gig.getGigDetails" or "gig.a,gig.b"; superjson selects the transformer. Always leaves a
 * complete JSON response in c->resp (via response_json). */
void trpc_handle(struct ctx *c, const struct trpc_proc *procs, size_t nprocs, const char *path_tail,
                 bool superjson);
/* Refuse the whole request with one tRPC error (no path), for requests turned away before any
 * procedure is looked at: a URL too long, a path that is not canonical. */
void trpc_refuse(struct ctx *c, bool superjson, enum errkind kind, const char *message);

#endif
