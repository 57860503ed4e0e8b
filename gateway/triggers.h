/* triggers.h: a function's object triggers in its config_json.
 *
 *   {"triggers": [{"kind": "object", "bucket": "in", "prefix": "logs/",
 *                  "suffix": ".txt", "events": ["put", "delete"]}], ...}
 *
 * The store routes object events by this member (store/objects.h); the
 * rest of the config (env, routes, ...) is fnconf.h's. Deploy parameters:
 *   object trigger  BUCKET[/PREFIX][:SUFFIX]   (the last ':' starts the
 *                   suffix, so a prefix may hold ':' only with a suffix)
 *   events          put,delete (either or both; default put), for the
 *                   trigger given last. "put" matches ObjectCreated:*
 *                   events, "delete" ObjectRemoved:*.
 *
 * Errors: the functions return NULL or a sentence saying what is wrong,
 * for a 400 (or "out of memory"). Thread-safe.
 */
#ifndef MAYFLY_GW_TRIGGERS_H
#define MAYFLY_GW_TRIGGERS_H

#include <jansson.h>

#define GW_TRIGGERS_MAX 64 /* per function */

/* Adds one object trigger to cfg (an object) from its spec. */
const char *gw_triggers_add_object(json_t *cfg, const char *spec);
/* Sets the events of the trigger added last. */
const char *gw_triggers_set_events(json_t *cfg, const char *list);
/* Checks cfg's "triggers" as a whole (a JSON deploy) and fills in the
 * default events. */
const char *gw_triggers_check(json_t *cfg);

#endif /* MAYFLY_GW_TRIGGERS_H */
