/* store_int.h: what the store's own files share; not for other modules.
 *
 * Internal helpers are named st__*. They return 0 or a negative errno, like
 * the public API, and leave sqlite error text to the connection.
 */
#ifndef MAYFLY_STORE_INT_H
#define MAYFLY_STORE_INT_H

#include <stdbool.h>
#include <sqlite3.h>

#include "store/objects.h"
#include "store/store.h"

/* Statements prepared once at st_open and reused. Walks that call back into
 * the caller prepare their own, so a callback that reads the store cannot
 * reset a statement in the middle of its step loop. */
enum st_stmt {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SYNC_FULL,
    ST_SYNC_NORMAL,
    ST_FN_HEAD_BUMP,
    ST_FN_INSERT,
    ST_FN_GET_ACTIVE,
    ST_FN_GET_VERSION,
    ST_INV_INSERT,
    ST_INV_PRUNE,
    ST_NSTMT
};

/* Statements of the object store and the event queue (objects.c,
 * events.c), prepared on first use. */
enum st_obj_stmt {
    ST_OBJ_BUCKET_GET,
    ST_OBJ_SEQ_NEXT,
    ST_OBJ_GET,
    ST_OBJ_UPSERT,
    ST_OBJ_DELETE,
    ST_OBJ_BODY_USED,
    ST_OBJ_LIST,
    ST_TAGS_GET,
    ST_TAGS_DEL,
    ST_TAGS_PUT,
    ST_EV_ROUTE,
    ST_EV_TAKE,
    ST_EV_DONE,
    ST_EV_RETRY,
    ST_OBJ_NSTMT
};

struct st {
    char *dir;
    int dir_fd;
    int images_fd;
    int objects_fd;
    int uploads_fd;
    sqlite3 *db;
    sqlite3_stmt *stmt[ST_NSTMT];
    sqlite3_stmt *obj_stmt[ST_OBJ_NSTMT];
    bool tx_durable; /* the open transaction restores NORMAL at its end */
};

/* The columns st_fn_from_row reads, in its order; f is the functions table. */
#define ST_FN_SELECT                                                           \
    "SELECT f.name, f.version, f.image_sha, f.memory_mib, f.timeout_ms,"       \
    " f.created_ms, f.config_json FROM functions f"

/* Returns the cached statement `id`, reset and with its bindings cleared. */
sqlite3_stmt *st__stmt(struct st *st, enum st_stmt id);
/* Maps a sqlite result code to a negative errno. */
int st__err(int rc);
/* Runs a bound statement that returns no rows to completion, resets it. */
int st__step_done(sqlite3_stmt *s);
/* The same for a cached statement without parameters. */
int st__exec(struct st *st, enum st_stmt id);
/* Steps s, a one-off statement the caller prepared and bound, calling
 * row(s, arg) for each row until one returns non-zero; finalizes s.
 * Returns 0 after the last row, that non-zero value, or a negative errno. */
int st__walk(sqlite3_stmt *s, int (*row)(sqlite3_stmt *s, void *arg),
             void *arg);

/* One write transaction (BEGIN IMMEDIATE). A durable one commits with
 * synchronous=FULL, so it is on disk when st__commit returns; otherwise it
 * may be lost on power failure (never torn), which suits the invocations log.
 * Every st__begin that succeeds ends in st__commit or st__rollback. */
int st__begin(struct st *st, bool durable);
int st__commit(struct st *st);
void st__rollback(struct st *st);

/* Copies text column col into dst, truncated to size, "" for NULL. */
void st__copy_text(char *dst, size_t size, sqlite3_stmt *s, int col);

/* Writes len bytes as dir_fd/name atomically: a hidden temp file, fsync,
 * rename, fsync of the folder. Replaces an existing name. */
int st__file_put(int dir_fd, const char *name, const void *data, size_t len);
/* The same in steps, for a file written piece by piece: st__tmp_open makes
 * a fresh hidden ".tmp-*" file in dir_fd (its name to tmp) and returns its
 * descriptor; st__write_all writes to it; st__tmp_commit fsyncs and closes
 * fd and renames tmp to name, or on failure closes fd and removes tmp. A
 * caller that gives up before the commit closes fd and unlinks tmp. */
#define ST_TMP_NAME 24
int st__tmp_open(int dir_fd, char tmp[ST_TMP_NAME]);
int st__write_all(int fd, const void *data, size_t len);
int st__tmp_commit(int dir_fd, int fd, const char *tmp, const char *name);

/* The object store's cached statement `id`, prepared on first use, reset
 * and with its bindings cleared; NULL if it cannot be prepared. */
sqlite3_stmt *st__obj_stmt(struct st *st, enum st_obj_stmt id);
/* Finalizes those statements (st_close). */
void st__obj_finalize(struct st *st);
int64_t st__now_ms(void);

/* Inside a write transaction: enqueues one event for every active function
 * whose object trigger matches ev (ev->id, state, attempts are ignored).
 * Adds the number enqueued to *queued. */
int st__events_route(struct st *st, const struct st_event *ev, int *queued);
/* Inside a write transaction: true (1) if an object or an event still
 * refers to body file `body`, 0 if not, or a negative errno. */
int st__body_used(struct st *st, const char *body);
/* After the commit that dropped the last reference: removes the file. */
void st__body_unlink(struct st *st, const char *body);

/* Inside a write transaction: makes o (body file written, seq not yet
 * set) the object o->bucket/o->key and enqueues its events, as
 * st_object_put does; the replaced version's body, if now unused, goes to
 * `drop` for st__body_unlink after the commit. -ENOENT without the
 * bucket. */
int st__obj_write(struct st *st, struct st_object *o, const struct st_put *opt,
                  int *events, char drop[ST_BODY_ID]);
/* Body, upload and part ids: 32 random lowercase hex digits, never
 * reused. st__id_valid is true for exactly that shape, which is also what
 * makes an id safe as a file name. */
int st__id_new(char id[ST_BODY_ID]);
bool st__id_valid(const char *s);

/* The MD5 of len bytes as 32 lowercase hex digits. */
int st__md5_hex(const void *data, size_t len, char out[ST_ETAG_HEX]);

/* Multipart uploads (multipart.c). Inside the transaction that deletes
 * `bucket`: forgets its uploads; *ids gets their ids (malloc'd, *n of
 * them, ST_UPLOAD_ID bytes apart) for st__uploads_remove after the
 * commit, which removes their folders and frees *ids. */
int st__uploads_drop(struct st *st, const char *bucket, char **ids, size_t *n);
void st__uploads_remove(struct st *st, char *ids, size_t n);
/* st_objects_sweep's half for uploads/: removes folders of uploads that
 * are gone, part files no row names and temp files. Returns how many. */
int st__uploads_sweep(struct st *st);
/* Removes the temp files of image writes a crash cut short; returns how
 * many. */
int st__images_sweep(struct st *st);
/* Calls fn for each name in folder fd except "." and ".." until it returns
 * a negative errno; adds up its positive returns. Takes fd over. */
int st__dir_each(int fd, int (*fn)(int dir, const char *name, void *arg),
                 void *arg);

/* True if s is exactly 64 lowercase hex digits. */
bool st__sha_valid(const char *s);
/* Writes n bytes as 2n lowercase hex digits and a NUL to out. */
void st__hex(const unsigned char *in, size_t n, char *out);
/* 0 if images/<sha> exists, -ENOENT if not; sha must be valid. */
int st__image_exists(struct st *st, const char *sha);

#endif /* MAYFLY_STORE_INT_H */
