/* objects.h: the built-in object store (buckets, objects) and the durable
 * queue of object events that feeds functions.
 *
 * Layout in the data folder:
 *   objects/<id>         one file per object body, written atomically;
 *                        <id> is 32 random hex digits, never reused
 *
 * An object is a row (bucket, key, body id, size, MD5, content type, other
 * metadata) plus its body file. A write puts the new body on disk (temp
 * file, fsync, rename, fsync of the folder) before the durable transaction
 * that makes it visible, so an acknowledged object survives a crash whole,
 * and a crash before the commit leaves only an orphan file that
 * st_objects_sweep removes. A body file goes once neither an object nor an
 * event refers to it: an event pins the exact body that triggered it.
 *
 * Events: each object write or delete enqueues, in the same transaction, one
 * event per active function whose object trigger matches. Triggers live in
 * the function's config_json (see store.h):
 *   {"triggers": [{"kind": "object", "bucket": "in", "prefix": "logs/",
 *                  "suffix": ".txt", "events": ["put", "delete"]}], ...}
 * "put" matches every ObjectCreated:* event, "delete" every
 * ObjectRemoved:*; prefix and suffix may be absent. An event moves from
 * pending to running (st_events_take) and then is deleted (delivered), goes
 * back to pending with a later due time (retry) or becomes dead (retries
 * exhausted: the dead-letter record) until it is redriven.
 *
 * Errors as in store.h: 0 (or a count) or a negative errno. -ENOENT: no such
 * bucket / key / event; -EEXIST: the bucket exists; -ENOTEMPTY: the bucket
 * holds objects; -EINVAL: a bad bucket name or key.
 *
 * Threads: as store.h says, one struct st per thread. Writers on several
 * handles (or processes) may share a data folder.
 */
#ifndef MAYFLY_STORE_OBJECTS_H
#define MAYFLY_STORE_OBJECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define ST_BUCKET_MAX 63 /* S3 naming: [a-z0-9][a-z0-9.-]{1,61}[a-z0-9] */
#define ST_KEY_MAX 1024  /* bytes of UTF-8, no NUL */
#define ST_BODY_ID 33    /* 32 hex digits + NUL */
#define ST_ETAG_HEX 33   /* MD5, 32 hex digits + NUL */
/* An ETag: the body's MD5, or for an object made by a multipart upload the
 * MD5 of its parts' MD5s, '-' and the number of parts (multipart.h). */
#define ST_ETAG_MAX 40
#define ST_EVENT_NAME_MAX 63
/* Objects written by a function invoked by an event are one link further
 * down a chain; past this depth their writes enqueue no events, which ends
 * a function that triggers itself. */
#define ST_EVENT_DEPTH_MAX 8

/* One object's metadata. Strings are owned by whoever filled the record:
 * the store's walks lend them for the callback; st_object_get makes owned
 * copies, released by st_object_clear. */
struct st_object {
    char bucket[ST_BUCKET_MAX + 1];
    char *key;
    char body[ST_BODY_ID]; /* file under objects/ */
    uint64_t size;
    char etag[ST_ETAG_MAX]; /* lower-case hex, see ST_ETAG_MAX */
    char *content_type;     /* NULL if none was given */
    char *meta;             /* the other stored headers (st_put.meta), NULL
                               if none were given */
    int64_t modified_ms;    /* Unix time in ms */
    int64_t seq;            /* grows with every write in the store */
};

/* One event. Strings are valid during the callback that receives it. */
enum st_event_state {
    ST_EVENT_PENDING = 0,
    ST_EVENT_RUNNING = 1,
    ST_EVENT_DEAD = 2,
};

struct st_event {
    int64_t id;
    const char *function;
    const char *name; /* "ObjectCreated:Put", "ObjectRemoved:..." */
    const char *bucket;
    const char *key;         /* decoded */
    int64_t size;            /* -1 if unknown (deletes, some hooks) */
    const char *etag;        /* "" if unknown */
    int64_t seq;             /* the object write's seq, 0 for hooks */
    const char *body;        /* pinned body id, "" if none */
    const char *record_json; /* a webhook's record as received, or NULL */
    int64_t time_ms;
    int depth;
    enum st_event_state state;
    int attempts; /* deliveries that failed so far */
    int64_t due_ms;
    const char *last_error; /* NULL if none */
};

/* An event that arrives from outside (the webhook) and is routed through
 * the triggers like a local write. */
struct st_event_in {
    const char *name;
    const char *bucket;
    const char *key;
    int64_t size;
    const char *etag;
    const char *record_json;
};

/* Bucket and key rules. */
bool st_bucket_name_valid(const char *name);
bool st_key_valid(const char *key);

int st_bucket_create(struct st *st, const char *name);
/* Deletes an empty bucket; its unfinished multipart uploads go with it. */
int st_bucket_delete(struct st *st, const char *name);
/* 0 if the bucket exists, else -ENOENT. */
int st_bucket_exists(struct st *st, const char *name);
/* Calls cb for every bucket, by name; a non-zero return stops the walk. */
int st_bucket_list(struct st *st,
                   int (*cb)(const char *name, int64_t created_ms, void *arg),
                   void *arg);

/* Options of a write. */
struct st_put {
    const char *content_type; /* NULL if none was given */
    const char *event;        /* event name; NULL: "ObjectCreated:Put" */
    int depth;                /* the writer's chain depth: 0 for clients,
                                 an event's depth + 1 for its function */
    const char *tags;         /* the object's tag set (below); NULL or ""
                                 for none */
    const char *meta;         /* the object's metadata: one text, kept as
                                 the caller gives it (the S3 listener keeps
                                 its user metadata and system headers, see
                                 gateway/s3meta.c) and returned with the
                                 object; NULL or "" for none */
};

/* Stores len bytes as bucket/key, replacing any object there, and enqueues
 * the matching events unless depth > ST_EVENT_DEPTH_MAX. Durable when it
 * returns 0. `opt` may be NULL; `out` (optional) gets the new metadata
 * (st_object_clear it); `events` (optional) the number of events
 * enqueued. */
int st_object_put(struct st *st, const char *bucket, const char *key,
                  const void *data, size_t len, const struct st_put *opt,
                  struct st_object *out, int *events);
/* Fills `out` with the metadata of bucket/key. -ENOENT if the bucket or the
 * key is missing (st_bucket_exists tells which). */
int st_object_get(struct st *st, const char *bucket, const char *key,
                  struct st_object *out);
/* As st_object_get, and opens the body: *fd is a read-only descriptor the
 * caller closes. It reads the version that `out` describes even if the
 * object is replaced meanwhile. */
int st_object_open(struct st *st, const char *bucket, const char *key,
                   struct st_object *out, int *fd);
/* Deletes bucket/key durably and enqueues the matching events. */
int st_object_delete(struct st *st, const char *bucket, const char *key,
                     int *events);
void st_object_clear(struct st_object *obj);
/* Tags: the tag set of an object is one text, kept as the caller gives
 * it (the S3 listener keeps the x-amz-tagging form, "k1=v1&k2=v2"
 * URL-encoded, and checks S3's limits). A write replaces the tags with
 * st_put.tags; a delete removes them.
 * st_object_tags_get: *tags gets a malloc'd copy, "" if the object has
 * none; -ENOENT without the object. st_object_tags_set replaces them
 * durably (NULL or "" removes them); -ENOENT without the object. */
int st_object_tags_get(struct st *st, const char *bucket, const char *key,
                       char **tags);
int st_object_tags_set(struct st *st, const char *bucket, const char *key,
                       const char *tags);
/* Opens body file `body` read-only (for an event's pinned body). */
int st_body_open(struct st *st, const char *body);

/* A listing: keys of `bucket` that start with `prefix`, in byte order,
 * after `after` (exclusive; NULL or "" for the start). With a delimiter,
 * keys that hold it after the prefix are rolled up into one common prefix
 * each (prefix + the rest up to and including the delimiter). */
struct st_list_query {
    const char *bucket;
    const char *prefix;    /* NULL or "" for all */
    const char *delimiter; /* NULL or "" for none */
    const char *after;
    int max;        /* keys + common prefixes to return */
    bool truncated; /* out: more follow the last one returned */
};

/* Calls cb for each key (obj set, common_prefix NULL) or common prefix
 * (obj NULL) in order, at most q->max times; returns how many, or -ENOENT
 * without the bucket. A non-zero return from cb stops the walk. */
int st_object_list(struct st *st, struct st_list_query *q,
                   int (*cb)(const struct st_object *obj,
                             const char *common_prefix, void *arg),
                   void *arg);

/* Routes events from outside through the triggers in one durable
 * transaction; *queued gets the number of events enqueued. */
int st_events_enqueue(struct st *st, const struct st_event_in *in, size_t n,
                      int *queued);
/* Marks up to `max` pending events due at `now_ms` as running and calls cb
 * with each (cb must not use this store). Returns how many. If cb returns
 * non-zero, nothing is taken and -ECANCELED returned: the caller drops
 * what cb kept. */
int st_events_take(struct st *st, int64_t now_ms, int max,
                   int (*cb)(const struct st_event *ev, void *arg), void *arg);
/* A delivered event goes, and with it its pin on the body. */
int st_event_done(struct st *st, int64_t id);
/* A failed delivery: back to pending, due at due_ms. `counted` false for
 * failures that were not the function's (shutdown, full queue). */
int st_event_retry(struct st *st, int64_t id, int64_t due_ms, const char *error,
                   bool counted);
/* Retries exhausted: the event becomes a dead letter. */
int st_event_dead(struct st *st, int64_t id, const char *error);
/* After a restart: events left running by a crash become pending, due
 * now. Returns how many. */
int st_events_recover(struct st *st, int64_t now_ms);
/* Dead letters (all, or one id, or one function's) become pending again,
 * with their attempts reset. Returns how many. */
int st_events_redrive(struct st *st, int64_t id, const char *function,
                      int64_t now_ms);
/* Calls cb for up to `limit` events in `state` (of `function` if not
 * NULL), oldest first. */
int st_events_list(struct st *st, enum st_event_state state,
                   const char *function, int limit,
                   int (*cb)(const struct st_event *ev, void *arg), void *arg);
/* The earliest due time of a pending event in *due_ms; -ENOENT if none. */
int st_events_next_due(struct st *st, int64_t *due_ms);
/* Number of events in `state`. */
int st_events_count(struct st *st, enum st_event_state state);

/* Removes body files no row refers to and temp files left by a crash,
 * the like under uploads/ (multipart.h), and temp files of images cut
 * short. Call at start-up, before any other handle writes. Returns how
 * many files. */
int st_objects_sweep(struct st *st);

#endif /* MAYFLY_STORE_OBJECTS_H */
