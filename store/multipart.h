/* multipart.h: multipart uploads: an object sent in numbered parts and
 * assembled into one when the client completes the upload.
 *
 * Layout in the data folder:
 *   uploads/<upload>/<part>   one folder per unfinished upload, one file
 *                             per part, written atomically; both names are
 *                             32 random hex digits, never reused
 *
 * An upload is a row (id, bucket, key, content type, tags, metadata) plus
 * its folder; a part is a row (upload, number, part file, size, MD5) plus
 * its file, on disk before the durable commit that makes it visible.
 * Sending part n again replaces it. Completing copies the chosen parts,
 * in order, into a new body file under objects/ (streamed, fsync, rename),
 * then one durable transaction makes it the object, enqueues its events as
 * st_object_put does (event "ObjectCreated:CompleteMultipartUpload") and
 * forgets the upload. Aborting an upload, or deleting its bucket, forgets
 * it too. The folder of a forgotten upload is removed after the commit;
 * one a crash left behind, and part files no row refers to, go in
 * st_objects_sweep.
 *
 * The object's ETag follows S3: the MD5 of the concatenated binary MD5s of
 * its parts, in hex, then '-' and the number of parts.
 *
 * Errors as in objects.h, and: -ENOENT: no such bucket, or no such upload
 * (an id that is unknown, malformed, or names an upload of another bucket
 * or key); -ERANGE: a part number outside 1..ST_PART_MAX; -EDQUOT:
 * ST_UPLOADS_MAX uploads are unfinished.
 *
 * Threads: as store.h says, one struct st per thread. Parts of one upload
 * may be sent on several handles at once.
 */
#ifndef MAYFLY_STORE_MULTIPART_H
#define MAYFLY_STORE_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#include "store/objects.h"
#include "store/store.h"

#define ST_UPLOAD_ID 33     /* 32 hex digits + NUL */
#define ST_PART_MAX 10000   /* part numbers are 1..ST_PART_MAX (S3's) */
#define ST_UPLOADS_MAX 1000 /* unfinished uploads in one data folder */

/* One upload, lent to a walk's callback. */
struct st_upload {
    char id[ST_UPLOAD_ID];
    const char *key;
    const char *content_type; /* NULL if none was given */
    int64_t created_ms;
};

/* One part's metadata. */
struct st_part {
    int number;
    uint64_t size;
    char etag[ST_ETAG_HEX]; /* MD5 of the part, lower-case hex */
    int64_t modified_ms;
};

/* Starts an upload of bucket/key; id gets its id. The object it makes
 * gets opt's content_type, tags and meta (opt may be NULL; its event and
 * depth are not used: st_complete has them). */
int st_upload_create(struct st *st, const char *bucket, const char *key,
                     const struct st_put *opt, char id[ST_UPLOAD_ID]);
/* 0 if upload `id` of bucket/key exists, else -ENOENT. */
int st_upload_exists(struct st *st, const char *bucket, const char *key,
                     const char *id);
/* Stores len bytes as part `number` of upload `id` of bucket/key,
 * replacing an earlier part of that number. Durable when it returns 0;
 * `out` (optional) gets the part's metadata. */
int st_part_put(struct st *st, const char *bucket, const char *key,
                const char *id, int number, const void *data, size_t len,
                struct st_part *out);
/* Calls cb for the parts of the upload numbered above `after`, in order,
 * until cb returns non-zero. Returns how many calls, or -ENOENT. */
int st_part_list(struct st *st, const char *bucket, const char *key,
                 const char *id, int after,
                 int (*cb)(const struct st_part *part, void *arg), void *arg);

/* Which uploads of a bucket to walk: keys that start with `prefix`, in
 * byte order of key, then uploads of one key in order of creation. The
 * walk starts after key `key_marker`, or with `id_marker` too, after that
 * upload of that key (an unknown id_marker counts as absent). */
struct st_upload_query {
    const char *bucket;
    const char *prefix;     /* NULL or "" for all */
    const char *key_marker; /* NULL or "" for the start */
    const char *id_marker;  /* NULL for none */
};

/* Calls cb for each upload the query selects until cb returns non-zero.
 * Returns how many calls, or -ENOENT without the bucket. */
int st_upload_list(struct st *st, const struct st_upload_query *q,
                   int (*cb)(const struct st_upload *up, void *arg), void *arg);

/* Forgets upload `id` of bucket/key and removes its parts. */
int st_upload_abort(struct st *st, const char *bucket, const char *key,
                    const char *id);

/* One part the client chose for the object. */
struct st_part_ref {
    int number;
    const char *etag; /* hex MD5 as ListParts gives it, without quotes */
};

/* A completion: the parts in ascending order of number, each but the last
 * at least min_part bytes. */
struct st_complete {
    const struct st_part_ref *parts;
    size_t n;
    uint64_t min_part;
    const struct st_put *opt; /* depth; event and content type are set
                                 here; may be NULL */
    int bad_part;             /* out: the part an error is about */
};

/* Assembles the parts into the object bucket/key, forgets the upload and
 * removes all its parts (also those not chosen). Durable when it returns
 * 0; `out` (optional) gets the object's metadata (st_object_clear it),
 * `events` (optional) the number of events enqueued. Besides the errors
 * above: -EINVAL: no parts, or more than ST_PART_MAX; -EDOM: numbers not
 * ascending; -ENXIO: a part that was never sent or whose ETag differs;
 * -EMSGSIZE: a part other than the last is smaller than min_part;
 * -EAGAIN: a part was replaced while the object was assembled (nothing
 * changed, the client may try again). */
int st_upload_complete(struct st *st, const char *bucket, const char *key,
                       const char *id, struct st_complete *c,
                       struct st_object *out, int *events);

#endif /* MAYFLY_STORE_MULTIPART_H */
