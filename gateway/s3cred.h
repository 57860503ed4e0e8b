/* s3cred.h: the S3 listener's access key, kept in the data folder.
 *
 * fnd makes one access key id and secret on its first start and keeps them
 * in <data>/s3-credentials (mode 0600), in the very form `fnctl
 * s3-credentials` prints:
 *   access_key_id: MF...
 *   secret_access_key: ...
 *
 * Errors: 0 or a negative errno; -ENOENT when there is no file yet,
 * -EINVAL when the file is not in that form. Nothing is logged.
 */
#ifndef MAYFLY_GW_S3CRED_H
#define MAYFLY_GW_S3CRED_H

#define GW_S3CRED_FILE "s3-credentials"
#define GW_S3CRED_ID_LEN 20
#define GW_S3CRED_SECRET_LEN 40

struct gw_s3cred {
    char access_key_id[GW_S3CRED_ID_LEN + 1];
    char secret[GW_S3CRED_SECRET_LEN + 1];
};

/* Reads the credentials of data folder `dir`. */
int gw_s3cred_load(const char *dir, struct gw_s3cred *c);
/* Reads them, or makes and stores new ones if there are none. Two
 * processes racing here end up with the same credentials. */
int gw_s3cred_ensure(const char *dir, struct gw_s3cred *c);

#endif /* MAYFLY_GW_S3CRED_H */
