/* store_testlib.h: helpers for the store's tests (include after
 * testlib.h). */
#ifndef MAYFLY_STORE_TESTLIB_H
#define MAYFLY_STORE_TESTLIB_H

#include <sqlite3.h>
#include <stdio.h>

#include "store/store.h"

/* Deploys function `name` with config `config`; the image is a
 * placeholder (the store does not look inside). */
static inline int tl_store_deploy(struct st *st, const char *name,
                                  const char *config)
{
    struct st_function fn = {0};
    int rc;

    snprintf(fn.name, sizeof(fn.name), "%s", name);
    rc = st_image_put(st, "img", 3, fn.image_sha);
    if (rc < 0)
        return rc;
    fn.memory_mib = 8;
    fn.timeout_ms = 1000;
    fn.config_json = (char *)config;
    return st_function_deploy(st, &fn);
}

/* Runs `sql` straight on the database of data folder `dir`, which no
 * store has open: to take its schema back to an older version, say.
 * Returns 0, or -1 with sqlite's message in err. */
static inline int tl_store_sql(const char *dir, const char *sql, char *err,
                               size_t errlen)
{
    char path[1024];
    sqlite3 *db = NULL;
    int rc;

    snprintf(path, sizeof(path), "%s/mayfly.db", dir);
    rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    snprintf(err, errlen, "%s", db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : -1;
}

#endif /* MAYFLY_STORE_TESTLIB_H */
