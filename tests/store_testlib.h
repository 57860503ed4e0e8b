/* store_testlib.h: a helper for the store's tests (include after
 * testlib.h). */
#ifndef MAYFLY_STORE_TESTLIB_H
#define MAYFLY_STORE_TESTLIB_H

#include <sqlite3.h>
#include <stdio.h>

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
