/* store.c: opens the data folder and its database, migrates the schema. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store_int.h"

#define ST_DB_NAME "mayfly.db"
#define ST_IMAGES_NAME "images"
#define ST_OBJECTS_NAME "objects"
#define ST_UPLOADS_NAME "uploads"
#define ST_BUSY_TIMEOUT_MS 5000

/* Schema migrations: entry i takes user_version i to i + 1. Append only;
 * a released entry never changes. */
static const char *const st_migrations[] = {
    /* v1: functions, their versions and the invocations log. A head row
     * outlives the function's deletion so that a later deploy of the same
     * name never reuses a version number the log already mentions. */
    "CREATE TABLE functions ("
    "  name TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  image_sha TEXT NOT NULL,"
    "  memory_mib INTEGER NOT NULL,"
    "  timeout_ms INTEGER NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  config_json TEXT,"
    "  PRIMARY KEY (name, version));"
    "CREATE TABLE function_heads ("
    "  name TEXT PRIMARY KEY,"
    "  last_version INTEGER NOT NULL,"
    "  active_version INTEGER);"
    /* AUTOINCREMENT keeps ids growing even if the newest rows go, so
     * "ORDER BY id" stays "in order of arrival". */
    "CREATE TABLE invocations ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  request_id TEXT NOT NULL,"
    "  function TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  started_ms INTEGER NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  error TEXT,"
    "  trigger_json TEXT,"
    "  log TEXT,"
    "  t_wait INTEGER NOT NULL,"
    "  t_load INTEGER NOT NULL,"
    "  t_enter INTEGER NOT NULL,"
    "  t_start INTEGER NOT NULL,"
    "  t_run INTEGER NOT NULL,"
    "  t_done INTEGER NOT NULL,"
    "  t_total INTEGER NOT NULL);"
    "CREATE INDEX invocations_function ON invocations (function, id);",
    /* v2: the object store and the event queue (store/objects.h). Keys
     * compare as bytes (BINARY), which is S3's UTF-8 order. An event
     * names its function and copies what it needs of the object, so it
     * outlives both; `body` pins the body file it refers to. */
    "CREATE TABLE buckets ("
    "  name TEXT PRIMARY KEY,"
    "  created_ms INTEGER NOT NULL);"
    "CREATE TABLE objects ("
    "  bucket TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  body TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  etag TEXT NOT NULL,"
    "  content_type TEXT,"
    "  modified_ms INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  PRIMARY KEY (bucket, key)) WITHOUT ROWID;"
    "CREATE INDEX objects_body ON objects (body);"
    "CREATE TABLE counters ("
    "  name TEXT PRIMARY KEY,"
    "  value INTEGER NOT NULL);"
    "INSERT INTO counters VALUES ('object_seq', 0);"
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  function TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  bucket TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  etag TEXT NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  body TEXT,"
    "  record_json TEXT,"
    "  time_ms INTEGER NOT NULL,"
    "  depth INTEGER NOT NULL,"
    "  state INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL,"
    "  due_ms INTEGER NOT NULL,"
    "  last_error TEXT);"
    "CREATE INDEX events_due ON events (state, due_ms);"
    "CREATE INDEX events_body ON events (body) WHERE body IS NOT NULL;",
    /* v3: multipart uploads (store/multipart.h). An upload's parts are
     * files in its folder uploads/<id>/, named by `body`. */
    "CREATE TABLE uploads ("
    "  id TEXT PRIMARY KEY,"
    "  bucket TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  content_type TEXT,"
    "  created_ms INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX uploads_key ON uploads (bucket, key, created_ms, id);"
    "CREATE TABLE upload_parts ("
    "  upload TEXT NOT NULL,"
    "  number INTEGER NOT NULL,"
    "  body TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  etag TEXT NOT NULL,"
    "  modified_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (upload, number)) WITHOUT ROWID;",
    /* v4: object tags (store/objects.h): one row per tagged object, the
     * tag set as the client's x-amz-tagging form; an upload keeps the
     * tags its object will get. */
    "CREATE TABLE object_tags ("
    "  bucket TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  tags TEXT NOT NULL,"
    "  PRIMARY KEY (bucket, key)) WITHOUT ROWID;"
    "ALTER TABLE uploads ADD COLUMN tags TEXT;",
    /* v5: object metadata (store/objects.h): the headers an object was
     * written with besides its content type, one text per object; an
     * upload keeps the metadata its object will get. */
    "ALTER TABLE objects ADD COLUMN meta TEXT;"
    "ALTER TABLE uploads ADD COLUMN meta TEXT;",
};

#define ST_SCHEMA_VERSION                                                      \
    ((int)(sizeof(st_migrations) / sizeof(st_migrations[0])))

/* Statements before ST_FN_HEAD_BUMP touch no table, so they are prepared
 * before the migrations run; the rest after. */
static const char *const st_sql[ST_NSTMT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SYNC_FULL] = "PRAGMA synchronous = FULL",
    [ST_SYNC_NORMAL] = "PRAGMA synchronous = NORMAL",
    [ST_FN_HEAD_BUMP] =
        "INSERT INTO function_heads (name, last_version, active_version)"
        " VALUES (?1, 1, 1) ON CONFLICT (name) DO UPDATE SET"
        " last_version = last_version + 1,"
        " active_version = last_version + 1"
        " RETURNING last_version",
    [ST_FN_INSERT] =
        "INSERT INTO functions (name, version, image_sha, memory_mib,"
        " timeout_ms, created_ms, config_json)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_FN_GET_ACTIVE] =
        ST_FN_SELECT " JOIN function_heads h"
                     " ON f.name = h.name AND f.version = h.active_version"
                     " WHERE h.name = ?1",
    [ST_FN_GET_VERSION] = ST_FN_SELECT " WHERE f.name = ?1 AND f.version = ?2",
    [ST_INV_INSERT] =
        "INSERT INTO invocations (request_id, function, version,"
        " started_ms, status, error, trigger_json, log, t_wait, t_load,"
        " t_enter, t_start, t_run, t_done, t_total)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
        " ?14, ?15)",
    /* The id of the newest record past the limit, found through the
     * (function, id) index; it and everything older of that function go. */
    [ST_INV_PRUNE] = "DELETE FROM invocations WHERE function = ?1 AND id <="
                     " (SELECT id FROM invocations WHERE function = ?1"
                     "  ORDER BY id DESC LIMIT 1 OFFSET ?2)",
};

int st__err(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK: return 0;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return -EBUSY;
    case SQLITE_NOMEM: return -ENOMEM;
    case SQLITE_READONLY: return -EROFS;
    case SQLITE_FULL: return -ENOSPC;
    case SQLITE_PERM:
    case SQLITE_AUTH: return -EACCES;
    case SQLITE_CONSTRAINT: return -EEXIST;
    case SQLITE_TOOBIG: return -E2BIG;
    case SQLITE_INTERRUPT: return -EINTR;
    case SQLITE_MISUSE:
    case SQLITE_RANGE: return -EINVAL;
    default: return -EIO;
    }
}

sqlite3_stmt *st__stmt(struct st *st, enum st_stmt id)
{
    sqlite3_stmt *s = st->stmt[id];

    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return s;
}

int st__step_done(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);

    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : st__err(rc);
}

int st__exec(struct st *st, enum st_stmt id)
{
    return st__step_done(st__stmt(st, id));
}

int st__walk(sqlite3_stmt *s, int (*row)(sqlite3_stmt *s, void *arg), void *arg)
{
    int rc, stop = 0;

    while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW)
        stop = row(s, arg);
    sqlite3_finalize(s);
    if (stop)
        return stop;
    return rc == SQLITE_DONE ? 0 : st__err(rc);
}

void st__copy_text(char *dst, size_t size, sqlite3_stmt *s, int col)
{
    const char *text = (const char *)sqlite3_column_text(s, col);

    snprintf(dst, size, "%s", text ? text : "");
}

/* Deploys must survive a power cut, while the invocations log can afford to
 * lose its last commits. In WAL mode synchronous=NORMAL syncs only at
 * checkpoints; FULL syncs the WAL at every commit, and with it every earlier
 * commit still in the WAL. The setting is per connection, so a durable
 * transaction switches to FULL for its own commit and back afterwards. */
int st__begin(struct st *st, bool durable)
{
    int rc;

    if (durable) {
        rc = st__exec(st, ST_SYNC_FULL);
        if (rc < 0)
            return rc;
    }
    rc = st__exec(st, ST_BEGIN);
    if (rc < 0) {
        if (durable)
            st__exec(st, ST_SYNC_NORMAL);
        return rc;
    }
    st->tx_durable = durable;
    return 0;
}

int st__commit(struct st *st)
{
    int rc = st__exec(st, ST_COMMIT);

    if (rc < 0) {
        st__rollback(st);
        return rc;
    }
    if (st->tx_durable)
        st__exec(st, ST_SYNC_NORMAL);
    st->tx_durable = false;
    return 0;
}

void st__rollback(struct st *st)
{
    /* sqlite may already have rolled back on its own (after a disk-full
     * or I/O error); a second ROLLBACK would only fail. */
    if (!sqlite3_get_autocommit(st->db))
        st__exec(st, ST_ROLLBACK);
    if (st->tx_durable)
        st__exec(st, ST_SYNC_NORMAL);
    st->tx_durable = false;
}

/* mkdir -p: creates each missing component of path with mode 0700. */
static int st_mkdir_p(const char *path)
{
    char *buf, *p;
    int rc = 0;

    buf = strdup(path);
    if (!buf)
        return -ENOMEM;
    for (p = buf + 1; rc == 0; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, 0700) < 0 && errno != EEXIST)
            rc = -errno;
        *p = c;
        if (c == '\0')
            break;
    }
    free(buf);
    return rc;
}

static int st_open_dirs(struct st *st)
{
    int rc;

    rc = st_mkdir_p(st->dir);
    if (rc < 0)
        return rc;
    st->dir_fd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (st->dir_fd < 0)
        return -errno;
    if (mkdirat(st->dir_fd, ST_IMAGES_NAME, 0700) < 0 && errno != EEXIST) {
        rc = -errno;
        goto close_dir;
    }
    st->images_fd =
        openat(st->dir_fd, ST_IMAGES_NAME, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (st->images_fd < 0) {
        rc = -errno;
        goto close_dir;
    }
    if (mkdirat(st->dir_fd, ST_OBJECTS_NAME, 0700) < 0 && errno != EEXIST) {
        rc = -errno;
        goto close_images;
    }
    st->objects_fd =
        openat(st->dir_fd, ST_OBJECTS_NAME, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (st->objects_fd < 0) {
        rc = -errno;
        goto close_images;
    }
    if (mkdirat(st->dir_fd, ST_UPLOADS_NAME, 0700) < 0 && errno != EEXIST) {
        rc = -errno;
        goto close_objects;
    }
    st->uploads_fd =
        openat(st->dir_fd, ST_UPLOADS_NAME, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (st->uploads_fd < 0) {
        rc = -errno;
        goto close_objects;
    }
    return 0;

close_objects:
    close(st->objects_fd);
    st->objects_fd = -1;
close_images:
    close(st->images_fd);
    st->images_fd = -1;
close_dir:
    close(st->dir_fd);
    st->dir_fd = -1;
    return rc;
}

/* Runs a statement that may return one row and checks its first column. */
static int st_pragma(sqlite3 *db, const char *sql, const char *want)
{
    sqlite3_stmt *s;
    const char *got;
    int rc;

    rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        return st__err(rc);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW && want) {
        got = (const char *)sqlite3_column_text(s, 0);
        rc = got && strcmp(got, want) == 0 ? SQLITE_DONE : SQLITE_CANTOPEN;
    } else if (rc == SQLITE_ROW) {
        rc = SQLITE_DONE;
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : st__err(rc);
}

static int st_open_db(struct st *st)
{
    char *path;
    int rc;

    if (asprintf(&path, "%s/%s", st->dir, ST_DB_NAME) < 0)
        return -ENOMEM;
    rc = sqlite3_open_v2(
        path, &st->db,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    free(path);
    if (rc != SQLITE_OK) {
        rc = st__err(rc);
        goto close_db;
    }
    rc = st__err(sqlite3_busy_timeout(st->db, ST_BUSY_TIMEOUT_MS));
    if (rc < 0)
        goto close_db;
    rc = st_pragma(st->db, "PRAGMA journal_mode = WAL", "wal");
    if (rc < 0)
        goto close_db;
    rc = st_pragma(st->db, "PRAGMA synchronous = NORMAL", NULL);
    if (rc < 0)
        goto close_db;
    return 0;

close_db:
    /* sqlite3_open_v2 hands back a handle even when it fails. */
    sqlite3_close(st->db);
    st->db = NULL;
    return rc;
}

static int st_prepare(struct st *st, int from, int to)
{
    int i, rc;

    for (i = from; i < to; i++) {
        rc = sqlite3_prepare_v3(st->db, st_sql[i], -1,
                                SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL);
        if (rc != SQLITE_OK)
            return st__err(rc);
    }
    return 0;
}

static void st_finalize(struct st *st)
{
    int i;

    for (i = 0; i < ST_NSTMT; i++) {
        sqlite3_finalize(st->stmt[i]);
        st->stmt[i] = NULL;
    }
}

static int st_user_version(struct st *st, int *version)
{
    sqlite3_stmt *s;
    int rc;

    rc = sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL);
    if (rc != SQLITE_OK)
        return st__err(rc);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? 0 : st__err(rc);
}

/* Brings the schema to ST_SCHEMA_VERSION in one durable transaction; the
 * version is read inside it, so two processes opening a fresh folder at
 * once migrate it once. A folder from a newer Mayfly is refused. */
static int st_migrate(struct st *st)
{
    char sql[64];
    int version = 0, rc;

    rc = st__begin(st, true);
    if (rc < 0)
        return rc;
    rc = st_user_version(st, &version);
    if (rc < 0)
        goto rollback;
    if (version > ST_SCHEMA_VERSION) {
        rc = -EPROTO;
        goto rollback;
    }
    if (version == ST_SCHEMA_VERSION)
        goto rollback; /* nothing to write */
    for (; version < ST_SCHEMA_VERSION; version++) {
        rc = sqlite3_exec(st->db, st_migrations[version], NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            rc = st__err(rc);
            goto rollback;
        }
    }
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version);
    rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        rc = st__err(rc);
        goto rollback;
    }
    return st__commit(st);

rollback:
    st__rollback(st);
    return rc;
}

int st_open(struct st **out, const char *dir)
{
    struct st *st;
    int rc;

    if (!out || !dir || !*dir)
        return -EINVAL;
    st = calloc(1, sizeof(*st));
    if (!st)
        return -ENOMEM;
    st->dir_fd = -1;
    st->images_fd = -1;
    st->objects_fd = -1;
    st->uploads_fd = -1;
    st->dir = strdup(dir);
    if (!st->dir) {
        rc = -ENOMEM;
        goto free_st;
    }

    rc = st_open_dirs(st);
    if (rc < 0)
        goto free_dir;
    rc = st_open_db(st);
    if (rc < 0)
        goto close_dirs;

    rc = st_prepare(st, 0, ST_FN_HEAD_BUMP);
    if (rc < 0)
        goto close_db;
    rc = st_migrate(st);
    if (rc < 0)
        goto close_db;
    rc = st_prepare(st, ST_FN_HEAD_BUMP, ST_NSTMT);
    if (rc < 0)
        goto close_db;

    *out = st;
    return 0;

close_db:
    st_finalize(st);
    sqlite3_close(st->db);
close_dirs:
    close(st->uploads_fd);
    close(st->objects_fd);
    close(st->images_fd);
    close(st->dir_fd);
free_dir:
    free(st->dir);
free_st:
    free(st);
    return rc;
}

void st_close(struct st *st)
{
    if (!st)
        return;
    st__obj_finalize(st);
    st_finalize(st);
    sqlite3_close(st->db);
    close(st->uploads_fd);
    close(st->objects_fd);
    close(st->images_fd);
    close(st->dir_fd);
    free(st->dir);
    free(st);
}

const char *st_dir(const struct st *st)
{
    return st->dir;
}
