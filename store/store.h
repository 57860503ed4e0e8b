/* store.h: Mayfly's durable state: functions and their versions, images,
 * the invocations log, objects and the event queue, in one data folder.
 *
 * Layout of the data folder:
 *   mayfly.db            sqlite3 (WAL), schema versioned by user_version
 *   images/<sha256>      image files, content-addressed, written atomically
 *   objects/<id>         object bodies, written atomically (objects.h:
 *                        buckets, objects and the event queue)
 *   uploads/<id>/<part>  parts of unfinished multipart uploads
 *                        (multipart.h)
 *
 * Errors: every function returns 0 (or a count) on success and a negative
 * errno on failure; -ENOENT when the named thing does not exist. The store
 * never logs; callers log with context.
 *
 * Threads: one struct st is used by one thread at a time (the gateway's loop
 * thread). Open a second handle for another thread.
 */
#ifndef MAYFLY_STORE_H
#define MAYFLY_STORE_H

#include <stddef.h>
#include <stdint.h>

struct st;

#define ST_NAME_MAX 63           /* function names: [a-z0-9][a-z0-9_-]{0,62} */
#define ST_SHA_HEX 65            /* 64 hex digits + NUL */
#define ST_INVOCATIONS_KEEP 1000 /* newest records kept per function */

struct st_function {
    char name[ST_NAME_MAX + 1];
    int64_t version; /* 1, 2, ... per name; immutable once made */
    char image_sha[ST_SHA_HEX];
    uint32_t memory_mib;
    uint32_t timeout_ms;
    int64_t created_ms; /* Unix time in ms */
    char *config_json;  /* owned: env, routes, triggers as JSON text,
                           or NULL; free with st_function_clear */
};

/* One invocation's record; all durations in nanoseconds. */
struct st_invocation {
    char request_id[40];
    char function[ST_NAME_MAX + 1];
    int64_t version;
    int64_t started_ms;
    int status;               /* HTTP status returned */
    const char *error;        /* short reason or NULL */
    const char *trigger_json; /* trigger details or NULL */
    const char *log;          /* guest log text or NULL */
    uint64_t t_wait, t_load, t_enter, t_start, t_run, t_done, t_total;
};

/* Opens (creating if needed, mode 0700) the data folder `dir` and its
 * database; migrates the schema. */
int st_open(struct st **out, const char *dir);
void st_close(struct st *st);
const char *st_dir(const struct st *st);

/* Stores an image by content: computes SHA-256, writes images/<sha> via a
 * temp file, fsync and rename (no-op if it exists). sha_out gets the hex. */
int st_image_put(struct st *st, const void *data, size_t len,
                 char sha_out[ST_SHA_HEX]);
/* Reads an image into a malloc'd buffer the caller frees. */
int st_image_get(struct st *st, const char *sha, void **data, size_t *len);

/* Makes a new version of fn->name (fn->version and created_ms are set on
 * return) and makes it the active one. */
int st_function_deploy(struct st *st, struct st_function *fn);
/* Fills fn with the active version of `name` (version 0) or the given one. */
int st_function_get(struct st *st, const char *name, int64_t version,
                    struct st_function *fn);
/* Makes `version` of `name` the active one again. */
int st_function_activate(struct st *st, const char *name, int64_t version);
/* Calls cb for the active version of every function, by name; a non-zero
 * return from cb stops the walk and is returned. In every walk below, the
 * record passed to cb (config_json and the strings of an invocation too) is
 * valid only during that call; cb may read the store but must not write. */
int st_function_list(struct st *st,
                     int (*cb)(const struct st_function *fn, void *arg),
                     void *arg);
/* Calls cb for every version of `name`, oldest first. */
int st_function_versions(struct st *st, const char *name,
                         int (*cb)(const struct st_function *fn, void *arg),
                         void *arg);
/* Deletes every version of `name`; its invocations stay in the log. */
int st_function_delete(struct st *st, const char *name);
void st_function_clear(struct st_function *fn);

/* Appends invocation records in one transaction. Old records beyond the
 * retention limit (per function) are pruned. */
int st_invocations_add(struct st *st, const struct st_invocation *inv,
                       size_t n);
/* Calls cb for the `limit` most recent invocations of `function` (all
 * functions if NULL), newest first. */
int st_invocations_recent(struct st *st, const char *function, int limit,
                          int (*cb)(const struct st_invocation *inv, void *arg),
                          void *arg);

#endif /* MAYFLY_STORE_H */
