/* s3event.h: S3 bucket-notification JSON, both ways: the event a function
 * receives, and the notifications other stores send to the webhook.
 *
 * Outgoing: {"Records": [one record]} in the shape AWS S3 uses (eventName
 * "ObjectCreated:Put", the key URL-encoded with '+' for spaces, size, eTag,
 * sequencer). An event that came through the webhook is handed on as its
 * sender wrote the record.
 *
 * Incoming: AWS S3 (keys URL-encoded, '+' for spaces), MinIO (the same,
 * with "s3:" before event names and an outer EventName/Key wrapper) and
 * Ceph RGW (eventSource "ceph:s3": keys as they are). A test event
 * ("Event": "s3:TestEvent", no Records) parses to zero records.
 *
 * Errors: NULL or a negative errno; parse errors come with a reason for a
 * 400. Thread-safe. Nothing is logged.
 */
#ifndef MAYFLY_GW_S3EVENT_H
#define MAYFLY_GW_S3EVENT_H

#include <stddef.h>

#include "store/objects.h"

/* The notification for one event, NUL-terminated, malloc'd; *len (if not
 * NULL) gets its length. */
char *gw_s3event_json(const struct st_event *ev, size_t *len);

/* Keys in notifications: RFC 3986 unreserved characters and '/' stay,
 * spaces become '+', everything else %XX. Decoding takes '+' back to a
 * space. Both return malloc'd strings or NULL. */
char *gw_s3event_key_encode(const char *key);
char *gw_s3event_key_decode(const char *s);

/* Records of one incoming notification, ready for st_events_enqueue. */
struct gw_s3event_batch {
    struct st_event_in *in;
    size_t n;
    int test;    /* a test event: nothing to route */
    void *owned; /* strings the records point into */
};

/* Parses body; returns 0, -EINVAL with the reason in err, or -ENOMEM. */
int gw_s3event_parse(const char *body, size_t len, struct gw_s3event_batch *b,
                     char *err, size_t errlen);
void gw_s3event_batch_free(struct gw_s3event_batch *b);

#endif /* MAYFLY_GW_S3EVENT_H */
