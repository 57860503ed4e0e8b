/* test_store.c: the store's contract, exercised in a throwaway data folder. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store.h"
#include "tests/testlib.h"

/* SHA-256 of "abc" and of the empty string (FIPS 180-2 examples). */
#define SHA_ABC                                                                \
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA_EMPTY                                                              \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static int user_version(const char *dir, int set)
{
    char path[300], sql[64];
    sqlite3 *db;
    sqlite3_stmt *s;
    int v = -1;

    snprintf(path, sizeof(path), "%s/mayfly.db", dir);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        goto close_db;
    if (set >= 0) {
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", set);
        sqlite3_exec(db, sql, NULL, NULL, NULL);
    }
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) !=
        SQLITE_OK)
        goto close_db;
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
close_db:
    sqlite3_close(db);
    return v;
}

static int put_str(struct st *st, const char *text, char sha[ST_SHA_HEX])
{
    return st_image_put(st, text, strlen(text), sha);
}

static int deploy(struct st *st, const char *name, const char *sha,
                  const char *config, int64_t *version)
{
    struct st_function fn = {0};
    int rc;

    snprintf(fn.name, sizeof(fn.name), "%s", name);
    snprintf(fn.image_sha, sizeof(fn.image_sha), "%s", sha);
    fn.memory_mib = 16;
    fn.timeout_ms = 1000;
    fn.config_json = (char *)config;
    rc = st_function_deploy(st, &fn);
    if (version)
        *version = fn.version;
    return rc;
}

static int test_open_creates_folder(void)
{
    char dir[300], path[320], sha[ST_SHA_HEX];
    struct st *st = NULL;
    struct stat sb;
    FILE *f;
    int ok = -1;

    snprintf(dir, sizeof(dir), "%s/a/b/data", tl_root);
    CHECK_RC(st_open(&st, dir), 0);
    CHECK(strcmp(st_dir(st), dir) == 0, "st_dir is %s", st_dir(st));
    CHECK(stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode), "no folder %s", dir);
    CHECK((sb.st_mode & 0777) == 0700, "mode %o, want 700", sb.st_mode & 0777);
    snprintf(path, sizeof(path), "%s/images", dir);
    CHECK(stat(path, &sb) == 0 && S_ISDIR(sb.st_mode), "no images/");
    CHECK_RC(put_str(st, "abc", sha), 0);
    st_close(st);
    st = NULL;
    CHECK(user_version(dir, -1) == 5, "user_version %d, want 5",
          user_version(dir, -1));

    /* An existing folder opens again; a file in its place does not. */
    CHECK_RC(st_open(&st, dir), 0);
    st_close(st);
    st = NULL;
    snprintf(path, sizeof(path), "%s/file", tl_root);
    f = fopen(path, "w");
    CHECK(f != NULL, "fopen %s", path);
    fclose(f);
    CHECK_RC(st_open(&st, path), -ENOTDIR);
    CHECK_RC(st_open(&st, ""), -EINVAL);
    ok = 0;
out:
    st_close(st);
    return ok;
}

static int test_open_refuses_newer_schema(void)
{
    const char *dir = tl_case_dir("newer");
    struct st *st = NULL;
    int ok = -1;

    CHECK_RC(st_open(&st, dir), 0);
    st_close(st);
    st = NULL;
    CHECK(user_version(dir, 99) == 99, "could not set user_version");
    CHECK_RC(st_open(&st, dir), -EPROTO);
    ok = 0;
out:
    st_close(st);
    return ok;
}

/* Counts the entries of dir other than "." and "..". */
static int count_entries(const char *dir)
{
    struct dirent *e;
    DIR *d;
    int n = 0;

    d = opendir(dir);
    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static int test_image_round_trip(void)
{
    const char *dir = tl_case_dir("image");
    char sha[ST_SHA_HEX], sha2[ST_SHA_HEX], images[300];
    struct st *st = NULL;
    unsigned char *big = NULL;
    void *data = NULL;
    size_t len = 0, i, big_len = 3u << 20;
    int ok = -1;

    CHECK_RC(st_open(&st, dir), 0);
    CHECK_RC(put_str(st, "abc", sha), 0);
    CHECK(strcmp(sha, SHA_ABC) == 0, "sha of abc is %s", sha);
    CHECK_RC(st_image_get(st, sha, &data, &len), 0);
    CHECK(len == 3 && memcmp(data, "abc", 3) == 0, "got %zu bytes", len);
    free(data);
    data = NULL;

    /* The same content again is the same file. */
    CHECK_RC(put_str(st, "abc", sha2), 0);
    CHECK(strcmp(sha, sha2) == 0, "second sha %s", sha2);

    CHECK_RC(st_image_put(st, NULL, 0, sha), 0);
    CHECK(strcmp(sha, SHA_EMPTY) == 0, "sha of nothing is %s", sha);
    CHECK_RC(st_image_get(st, sha, &data, &len), 0);
    CHECK(len == 0 && data != NULL, "empty image: len %zu", len);
    free(data);
    data = NULL;

    big = malloc(big_len);
    CHECK(big != NULL, "malloc");
    for (i = 0; i < big_len; i++)
        big[i] = (unsigned char)(i * 2654435761u >> 13);
    CHECK_RC(st_image_put(st, big, big_len, sha), 0);
    CHECK_RC(st_image_get(st, sha, &data, &len), 0);
    CHECK(len == big_len && memcmp(data, big, len) == 0,
          "big image differs (%zu bytes)", len);

    /* Three images and no temp file left behind. */
    snprintf(images, sizeof(images), "%s/images", dir);
    CHECK(count_entries(images) == 3, "%d entries in images/",
          count_entries(images));
    ok = 0;
out:
    free(data);
    free(big);
    st_close(st);
    return ok;
}

static int test_image_bad_sha(void)
{
    static const char *const bad[] = {
        "../mayfly.db",
        "",
        "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015adx",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a/",
        "../../../../../../../../../../../../../../../../../../../etc/pass",
        "ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    };
    const char *dir = tl_case_dir("badsha");
    struct st *st = NULL;
    void *data = NULL;
    size_t len = 0, i;
    int ok = -1;

    CHECK_RC(st_open(&st, dir), 0);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = st_image_get(st, bad[i], &data, &len);

        CHECK(rc == -EINVAL, "sha \"%s\" gave %d", bad[i], rc);
    }
    CHECK_RC(st_image_get(st, NULL, &data, &len), -EINVAL);
    CHECK_RC(st_image_get(st, SHA_ABC, &data, &len), -ENOENT);
    ok = 0;
out:
    st_close(st);
    return ok;
}

static int test_deploy_get(void)
{
    const char *dir = tl_case_dir("deploy");
    char sha1[ST_SHA_HEX], sha2[ST_SHA_HEX];
    struct st_function fn = {0};
    struct st *st = NULL;
    int64_t v = 0;
    int ok = -1;

    CHECK_RC(st_open(&st, dir), 0);
    CHECK_RC(put_str(st, "image one", sha1), 0);
    CHECK_RC(put_str(st, "image two", sha2), 0);

    CHECK_RC(deploy(st, "hello", sha1, "{\"env\":{}}", &v), 0);
    CHECK(v == 1, "first version %lld", (long long)v);
    CHECK_RC(st_function_get(st, "hello", 0, &fn), 0);
    CHECK(fn.version == 1 && strcmp(fn.name, "hello") == 0 &&
              strcmp(fn.image_sha, sha1) == 0 && fn.memory_mib == 16 &&
              fn.timeout_ms == 1000 && fn.created_ms > 1600000000000LL,
          "v1 fields: %s %lld %s", fn.name, (long long)fn.version,
          fn.image_sha);
    CHECK(fn.config_json && strcmp(fn.config_json, "{\"env\":{}}") == 0,
          "config_json %s", fn.config_json ? fn.config_json : "NULL");
    st_function_clear(&fn);

    CHECK_RC(deploy(st, "hello", sha2, NULL, &v), 0);
    CHECK(v == 2, "second version %lld", (long long)v);
    CHECK_RC(st_function_get(st, "hello", 0, &fn), 0);
    CHECK(fn.version == 2 && strcmp(fn.image_sha, sha2) == 0 &&
              fn.config_json == NULL,
          "active is v%lld", (long long)fn.version);
    CHECK_RC(st_function_get(st, "hello", 1, &fn), 0);
    CHECK(fn.version == 1 && strcmp(fn.image_sha, sha1) == 0,
          "get v1 gave v%lld", (long long)fn.version);
    st_function_clear(&fn);

    CHECK_RC(st_function_get(st, "hello", 3, &fn), -ENOENT);
    CHECK_RC(st_function_get(st, "nobody", 0, &fn), -ENOENT);
    CHECK_RC(st_function_get(st, "hello", -1, &fn), -EINVAL);
    ok = 0;
out:
    st_function_clear(&fn);
    st_close(st);
    return ok;
}

static int test_deploy_rejects(void)
{
    static const char *const bad[] = {
        "", "-a", "_a", "A", "hello World", "a/b", "..", "a.b", "caf\xc3\xa9",
    };
    static const char *const good[] = {
        "a",
        "0",
        "a-b_c9",
        "x--",
        "a12345678901234567890123456789012345678901234567890123456789012",
    };
    const char *dir = tl_case_dir("names");
    char sha[ST_SHA_HEX];
    struct st_function fn;
    struct st *st = NULL;
    size_t i;
    int ok = -1;

    CHECK_RC(st_open(&st, dir), 0);
    CHECK_RC(put_str(st, "abc", sha), 0);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = deploy(st, bad[i], sha, NULL, NULL);

        CHECK(rc == -EINVAL, "name \"%s\" gave %d", bad[i], rc);
    }
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        int rc = deploy(st, good[i], sha, NULL, NULL);

        CHECK(rc == 0, "name \"%s\" gave %d", good[i], rc);
    }
    /* 64 characters fill the field and leave no room for the NUL. */
    memset(&fn, 0, sizeof(fn));
    memset(fn.name, 'a', sizeof(fn.name));
    memcpy(fn.image_sha, sha, sizeof(fn.image_sha));
    CHECK_RC(st_function_deploy(st, &fn), -EINVAL);

    CHECK_RC(deploy(st, "ok", "../../etc/passwd", NULL, NULL), -EINVAL);
    CHECK_RC(deploy(st, "ok", SHA_EMPTY, NULL, NULL), -ENOENT);
    CHECK_RC(st_function_deploy(st, NULL), -EINVAL);
    ok = 0;
out:
    st_close(st);
    return ok;
}

struct seen {
    int n;
    int64_t version[16];
    char name[16][ST_NAME_MAX + 1];
    int stop_after;
};

static int collect(const struct st_function *fn, void *arg)
{
    struct seen *seen = arg;

    if (seen->n < 16) {
        seen->version[seen->n] = fn->version;
        snprintf(seen->name[seen->n], sizeof(seen->name[0]), "%s", fn->name);
    }
    seen->n++;
    return seen->stop_after && seen->n >= seen->stop_after ? 7 : 0;
}

static int test_versions_activate(void)
{
    const char *dir = tl_case_dir("versions");
    char sha[ST_SHA_HEX];
    struct st_function fn = {0};
    struct seen seen = {0};
    struct st *st = NULL;
    int i, ok = -1;

    CHECK_RC(st_open(&st, dir), 0);
    CHECK_RC(put_str(st, "abc", sha), 0);
    for (i = 0; i < 3; i++)
        CHECK_RC(deploy(st, "fn", sha, NULL, NULL), 0);
    CHECK_RC(st_function_versions(st, "fn", collect, &seen), 0);
    CHECK(seen.n == 3 && seen.version[0] == 1 && seen.version[1] == 2 &&
              seen.version[2] == 3,
          "versions: n=%d", seen.n);

    CHECK_RC(st_function_activate(st, "fn", 1), 0);
    CHECK_RC(st_function_get(st, "fn", 0, &fn), 0);
    CHECK(fn.version == 1, "active v%lld after activate 1",
          (long long)fn.version);
    st_function_clear(&fn);

    CHECK_RC(st_function_activate(st, "fn", 9), -ENOENT);
    CHECK_RC(st_function_activate(st, "nobody", 1), -ENOENT);
    CHECK_RC(st_function_activate(st, "fn", 0), -EINVAL);
    CHECK_RC(st_function_get(st, "fn", 0, &fn), 0);
    CHECK(fn.version == 1, "failed activate changed active to v%lld",
          (long long)fn.version);

    /* A new deploy becomes active even when an older one was chosen. */
    CHECK_RC(deploy(st, "fn", sha, NULL, NULL), 0);
    CHECK_RC(st_function_get(st, "fn", 0, &fn), 0);
    CHECK(fn.version == 4, "active v%lld after deploy", (long long)fn.version);
    CHECK_RC(st_function_versions(st, "nobody", collect, &seen), -ENOENT);
    ok = 0;
out:
    st_function_clear(&fn);
    st_close(st);
    return ok;
}

static int test_list_delete(void)
{
    const char *dir = tl_case_dir("list");
    char sha[ST_SHA_HEX];
    struct st_function fn = {0};
    struct seen seen = {0};
    struct st *st = NULL;
    int64_t v = 0;
    int ok = -1;

    CHECK_RC(st_open(&st, dir), 0);
    CHECK_RC(put_str(st, "abc", sha), 0);
    CHECK_RC(st_function_list(st, collect, &seen), 0);
    CHECK(seen.n == 0, "empty store lists %d", seen.n);

    CHECK_RC(deploy(st, "b", sha, NULL, NULL), 0);
    CHECK_RC(deploy(st, "a", sha, NULL, NULL), 0);
    CHECK_RC(deploy(st, "c", sha, NULL, NULL), 0);
    CHECK_RC(deploy(st, "a", sha, NULL, NULL), 0);
    CHECK_RC(st_function_list(st, collect, &seen), 0);
    CHECK(seen.n == 3 && strcmp(seen.name[0], "a") == 0 &&
              strcmp(seen.name[1], "b") == 0 &&
              strcmp(seen.name[2], "c") == 0 && seen.version[0] == 2,
          "list: n=%d first %s v%lld", seen.n, seen.name[0],
          (long long)seen.version[0]);

    memset(&seen, 0, sizeof(seen));
    seen.stop_after = 1;
    CHECK_RC(st_function_list(st, collect, &seen), 7);
    CHECK(seen.n == 1, "walk went on after a stop: %d", seen.n);

    CHECK_RC(st_function_delete(st, "a"), 0);
    CHECK_RC(st_function_get(st, "a", 0, &fn), -ENOENT);
    CHECK_RC(st_function_get(st, "a", 1, &fn), -ENOENT);
    CHECK_RC(st_function_versions(st, "a", collect, &seen), -ENOENT);
    CHECK_RC(st_function_delete(st, "a"), -ENOENT);
    CHECK_RC(st_function_activate(st, "a", 1), -ENOENT);
    memset(&seen, 0, sizeof(seen));
    CHECK_RC(st_function_list(st, collect, &seen), 0);
    CHECK(seen.n == 2 && strcmp(seen.name[0], "b") == 0,
          "after delete: n=%d first %s", seen.n, seen.name[0]);

    /* Version numbers are never reused, the log may still name them. */
    CHECK_RC(deploy(st, "a", sha, NULL, &v), 0);
    CHECK(v == 3, "redeploy after delete is v%lld", (long long)v);
    ok = 0;
out:
    st_function_clear(&fn);
    st_close(st);
    return ok;
}

static void make_inv(struct st_invocation *inv, const char *fn, int i)
{
    memset(inv, 0, sizeof(*inv));
    snprintf(inv->request_id, sizeof(inv->request_id), "req-%s-%d", fn, i);
    snprintf(inv->function, sizeof(inv->function), "%s", fn);
    inv->version = 1;
    inv->started_ms = 1700000000000LL + i;
    inv->status = 200;
    inv->t_wait = 1;
    inv->t_load = 2;
    inv->t_enter = 3;
    inv->t_start = 4;
    inv->t_run = 5;
    inv->t_done = 6;
    inv->t_total = (uint64_t)i;
}

struct inv_seen {
    int n;
    char first[40];
    char last[40];
    int has_fields;
};

static int collect_inv(const struct st_invocation *inv, void *arg)
{
    struct inv_seen *seen = arg;

    if (seen->n == 0)
        snprintf(seen->first, sizeof(seen->first), "%s", inv->request_id);
    snprintf(seen->last, sizeof(seen->last), "%s", inv->request_id);
    if (strcmp(inv->request_id, "req-full-0") == 0)
        seen->has_fields =
            inv->status == 502 && inv->error &&
            strcmp(inv->error, "guest crashed") == 0 && inv->trigger_json &&
            strcmp(inv->trigger_json, "{\"http\":1}") == 0 && inv->log &&
            strcmp(inv->log, "line 1\nline 2\n") == 0 && inv->version == 7 &&
            inv->t_wait == 1 && inv->t_done == 6 &&
            inv->t_total == UINT64_C(5000000000) &&
            inv->started_ms == 1700000000000LL;
    seen->n++;
    return 0;
}

static int test_invocations_order(void)
{
    const char *dir = tl_case_dir("inv");
    struct st_invocation inv[4];
    struct inv_seen seen = {0};
    struct st *st = NULL;
    int ok = -1;

    CHECK_RC(st_open(&st, dir), 0);
    make_inv(&inv[0], "full", 0);
    inv[0].version = 7;
    inv[0].status = 502;
    inv[0].error = "guest crashed";
    inv[0].trigger_json = "{\"http\":1}";
    inv[0].log = "line 1\nline 2\n";
    inv[0].t_total = UINT64_C(5000000000);
    make_inv(&inv[1], "a", 1);
    make_inv(&inv[2], "b", 2);
    make_inv(&inv[3], "a", 3);
    CHECK_RC(st_invocations_add(st, inv, 4), 0);
    make_inv(&inv[0], "a", 4);
    CHECK_RC(st_invocations_add(st, inv, 1), 0);
    CHECK_RC(st_invocations_add(st, inv, 0), 0);

    CHECK_RC(st_invocations_recent(st, "a", 10, collect_inv, &seen), 0);
    CHECK(seen.n == 3 && strcmp(seen.first, "req-a-4") == 0 &&
              strcmp(seen.last, "req-a-1") == 0,
          "a: n=%d first %s last %s", seen.n, seen.first, seen.last);

    memset(&seen, 0, sizeof(seen));
    CHECK_RC(st_invocations_recent(st, NULL, 100, collect_inv, &seen), 0);
    CHECK(seen.n == 5 && strcmp(seen.first, "req-a-4") == 0 &&
              strcmp(seen.last, "req-full-0") == 0 && seen.has_fields,
          "all: n=%d first %s last %s fields %d", seen.n, seen.first, seen.last,
          seen.has_fields);

    memset(&seen, 0, sizeof(seen));
    CHECK_RC(st_invocations_recent(st, NULL, 2, collect_inv, &seen), 0);
    CHECK(seen.n == 2 && strcmp(seen.last, "req-a-3") == 0,
          "limit 2: n=%d last %s", seen.n, seen.last);
    CHECK_RC(st_invocations_recent(st, "zzz", 5, collect_inv, &seen), 0);
    CHECK_RC(st_invocations_recent(st, NULL, -1, collect_inv, &seen), -EINVAL);
    ok = 0;
out:
    st_close(st);
    return ok;
}

static int test_invocations_retention(void)
{
    const char *dir = tl_case_dir("retention");
    size_t n = ST_INVOCATIONS_KEEP + 5, i;
    struct st_invocation *inv = NULL, one;
    struct inv_seen seen = {0};
    struct st *st = NULL;
    char want[40];
    int ok = -1;

    CHECK_RC(st_open(&st, dir), 0);
    inv = calloc(n + 3, sizeof(*inv));
    CHECK(inv != NULL, "calloc");
    for (i = 0; i < n; i++)
        make_inv(&inv[i], "f", (int)i);
    for (i = 0; i < 3; i++)
        make_inv(&inv[n + i], "g", (int)i);
    CHECK_RC(st_invocations_add(st, inv, n + 3), 0);

    CHECK_RC(st_invocations_recent(st, "f", 5000, collect_inv, &seen), 0);
    snprintf(want, sizeof(want), "req-f-%zu", n - 1);
    CHECK(seen.n == ST_INVOCATIONS_KEEP && strcmp(seen.first, want) == 0 &&
              strcmp(seen.last, "req-f-5") == 0,
          "f after one batch: n=%d first %s last %s", seen.n, seen.first,
          seen.last);
    memset(&seen, 0, sizeof(seen));
    CHECK_RC(st_invocations_recent(st, "g", 5000, collect_inv, &seen), 0);
    CHECK(seen.n == 3, "g has %d records, want 3", seen.n);

    for (i = 0; i < 10; i++) {
        make_inv(&one, "f", (int)(n + i));
        CHECK_RC(st_invocations_add(st, &one, 1), 0);
    }
    memset(&seen, 0, sizeof(seen));
    CHECK_RC(st_invocations_recent(st, "f", 5000, collect_inv, &seen), 0);
    CHECK(seen.n == ST_INVOCATIONS_KEEP && strcmp(seen.last, "req-f-15") == 0,
          "f after ten more: n=%d last %s", seen.n, seen.last);
    ok = 0;
out:
    free(inv);
    st_close(st);
    return ok;
}

static int test_reopen_persists(void)
{
    const char *dir = tl_case_dir("reopen");
    char sha[ST_SHA_HEX];
    struct st_function fn = {0};
    struct st_invocation inv;
    struct inv_seen seen = {0};
    struct st *st = NULL;
    void *data = NULL;
    size_t len = 0;
    int ok = -1;

    CHECK_RC(st_open(&st, dir), 0);
    CHECK_RC(put_str(st, "persist me", sha), 0);
    CHECK_RC(deploy(st, "keep", sha, "{\"k\":1}", NULL), 0);
    CHECK_RC(deploy(st, "keep", sha, NULL, NULL), 0);
    CHECK_RC(st_function_activate(st, "keep", 1), 0);
    make_inv(&inv, "keep", 1);
    CHECK_RC(st_invocations_add(st, &inv, 1), 0);
    st_close(st);
    st = NULL;

    CHECK_RC(st_open(&st, dir), 0);
    CHECK(user_version(dir, -1) == 5, "user_version %d after reopen",
          user_version(dir, -1));
    CHECK_RC(st_function_get(st, "keep", 0, &fn), 0);
    CHECK(fn.version == 1 && fn.config_json &&
              strcmp(fn.config_json, "{\"k\":1}") == 0,
          "after reopen active v%lld", (long long)fn.version);
    CHECK_RC(st_image_get(st, fn.image_sha, &data, &len), 0);
    CHECK(len == 10 && memcmp(data, "persist me", 10) == 0,
          "image after reopen: %zu bytes", len);
    CHECK_RC(st_invocations_recent(st, "keep", 10, collect_inv, &seen), 0);
    CHECK(seen.n == 1 && strcmp(seen.first, "req-keep-1") == 0,
          "invocations after reopen: %d", seen.n);
    ok = 0;
out:
    free(data);
    st_function_clear(&fn);
    st_close(st);
    return ok;
}

static const struct tl_case cases[] = {
    {"store_open_creates_folder", test_open_creates_folder},
    {"store_open_refuses_newer_schema", test_open_refuses_newer_schema},
    {"store_image_round_trip", test_image_round_trip},
    {"store_image_bad_sha", test_image_bad_sha},
    {"store_deploy_get", test_deploy_get},
    {"store_deploy_rejects", test_deploy_rejects},
    {"store_versions_activate", test_versions_activate},
    {"store_list_delete", test_list_delete},
    {"store_invocations_order", test_invocations_order},
    {"store_invocations_retention", test_invocations_retention},
    {"store_reopen_persists", test_reopen_persists},
};

int main(void)
{
    int rc;

    if (tl_root_make("store") < 0)
        return 1;
    rc = tl_run_all(cases, sizeof(cases) / sizeof(cases[0]));
    tl_root_remove();
    return rc;
}
