/* triggers.c: builds and checks the object triggers of a function. */
#include "gateway/triggers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/objects.h"

#define OOM "out of memory"

static json_t *tr_list(json_t *cfg)
{
    json_t *t = json_object_get(cfg, "triggers");

    if (!t && json_object_set_new(cfg, "triggers", json_array()) == 0)
        t = json_object_get(cfg, "triggers");
    return json_is_array(t) ? t : NULL;
}

const char *gw_triggers_add_object(json_t *cfg, const char *spec)
{
    const char *slash = strchr(spec, '/');
    const char *colon = strrchr(slash ? slash : spec, ':');
    size_t blen = strcspn(spec, "/:");
    char bucket[ST_BUCKET_MAX + 1];
    json_t *t, *all = tr_list(cfg);
    char *prefix;

    if (!all)
        return OOM;
    if (json_array_size(all) >= GW_TRIGGERS_MAX)
        return "too many object triggers (64 at most)";
    if (blen > ST_BUCKET_MAX)
        return "the bucket name of an object trigger is too long";
    snprintf(bucket, sizeof(bucket), "%.*s", (int)blen, spec);
    if (!st_bucket_name_valid(bucket))
        return "an object trigger is BUCKET[/PREFIX][:SUFFIX], BUCKET of "
               "3 to 63 a-z, 0-9, '.' and '-'";
    prefix = slash ? strndup(slash + 1, colon ? (size_t)(colon - slash - 1)
                                              : strlen(slash + 1))
                   : strdup("");
    if (!prefix)
        return OOM;
    t = json_pack("{s:s, s:s, s:s, s:s, s:[s]}", "kind", "object", "bucket",
                  bucket, "prefix", prefix, "suffix", colon ? colon + 1 : "",
                  "events", "put");
    free(prefix);
    return t && json_array_append_new(all, t) == 0 ? NULL : OOM;
}

/* "put,delete" as a JSON list, or NULL if it is not one. */
static json_t *tr_events(const char *list)
{
    int put = 0, del = 0;
    const char *p = list;
    json_t *a;
    size_t n;

    while (*p) {
        n = strcspn(p, ",");
        if (n == 3 && strncmp(p, "put", 3) == 0)
            put = 1;
        else if (n == 6 && strncmp(p, "delete", 6) == 0)
            del = 1;
        else
            return NULL;
        p += n + (p[n] == ',');
    }
    if (!put && !del)
        return NULL;
    a = json_array();
    if (put)
        json_array_append_new(a, json_string("put"));
    if (del)
        json_array_append_new(a, json_string("delete"));
    return a;
}

const char *gw_triggers_set_events(json_t *cfg, const char *list)
{
    json_t *all = json_object_get(cfg, "triggers"), *ev;
    size_t n = json_array_size(all);

    if (n == 0)
        return "events are given after the object trigger they are for";
    ev = tr_events(list);
    if (!ev)
        return "events are a list of put and delete, like put,delete";
    return json_object_set_new(json_array_get(all, n - 1), "events", ev) ? OOM
                                                                         : NULL;
}

static const char *tr_check_one(json_t *t)
{
    const char *kind = json_string_value(json_object_get(t, "kind"));
    const char *b = json_string_value(json_object_get(t, "bucket"));
    json_t *ev = json_object_get(t, "events"), *v;
    size_t i;

    if (!json_is_object(t) || !kind || strcmp(kind, "object") != 0)
        return "a trigger is an object with \"kind\": \"object\"";
    if (!b || !st_bucket_name_valid(b))
        return "a trigger's \"bucket\" must be a valid bucket name";
    if ((json_object_get(t, "prefix") &&
         !json_is_string(json_object_get(t, "prefix"))) ||
        (json_object_get(t, "suffix") &&
         !json_is_string(json_object_get(t, "suffix"))))
        return "a trigger's \"prefix\" and \"suffix\" are strings";
    if (!ev)
        return json_object_set_new(t, "events", json_pack("[s]", "put")) ? OOM
                                                                         : NULL;
    if (!json_is_array(ev) || json_array_size(ev) == 0)
        return "a trigger's \"events\" is a list of \"put\", \"delete\"";
    json_array_foreach(ev, i, v)
    {
        const char *s = json_string_value(v);

        if (!s || (strcmp(s, "put") != 0 && strcmp(s, "delete") != 0))
            return "a trigger's \"events\" is a list of \"put\", \"delete\"";
    }
    return NULL;
}

const char *gw_triggers_check(json_t *cfg)
{
    json_t *all = json_object_get(cfg, "triggers"), *t;
    const char *bad;
    size_t i;

    if (!all)
        return NULL;
    if (!json_is_array(all) || json_array_size(all) > GW_TRIGGERS_MAX)
        return "\"triggers\" is a list of at most 64 object triggers";
    json_array_foreach(all, i, t)
    {
        bad = tr_check_one(t);
        if (bad)
            return bad;
    }
    return NULL;
}
