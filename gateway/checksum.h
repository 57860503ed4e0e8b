/* checksum.h: the checksums S3 clients send with a body (x-amz-checksum-*).
 *
 * CRC32 (the zlib/Ethernet polynomial), CRC32C (Castagnoli), CRC64NVME,
 * SHA-1 and SHA-256. S3 carries each as the base64 of the big-endian
 * digest. The CRCs are computed here (slice-by-8 tables for the 32-bit
 * ones, built once on first use); SHA comes from libcrypto.
 *
 * Errors: functions return 0 or a negative errno and log nothing.
 * Thread-safe.
 */
#ifndef MAYFLY_GW_CHECKSUM_H
#define MAYFLY_GW_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

enum gw_cksum_alg {
    GW_CKSUM_CRC32,
    GW_CKSUM_CRC32C,
    GW_CKSUM_CRC64NVME,
    GW_CKSUM_SHA1,
    GW_CKSUM_SHA256,
    GW_CKSUM_N
};

#define GW_CKSUM_MAX 32     /* largest digest, in bytes (SHA-256) */
#define GW_CKSUM_B64_MAX 45 /* its base64 and a NUL */

/* The CRCs, continued from `crc` (0 to start): crc = f(crc, piece) over
 * the pieces gives the CRC of their concatenation. */
uint32_t gw_crc32(uint32_t crc, const void *data, size_t n);
uint32_t gw_crc32c(uint32_t crc, const void *data, size_t n);
uint64_t gw_crc64nvme(uint64_t crc, const void *data, size_t n);

/* The algorithm a lower-case header name stands for
 * ("x-amz-checksum-crc32" ...), or -1. */
int gw_cksum_from_header(const char *lname);
/* "x-amz-checksum-crc32" ... for an algorithm; "CRC32" ... as S3 names it
 * in messages. */
const char *gw_cksum_header(enum gw_cksum_alg alg);
const char *gw_cksum_name(enum gw_cksum_alg alg);

/* The base64 of the digest of n bytes into out. Returns 0 or -EIO. */
int gw_cksum_b64(enum gw_cksum_alg alg, const void *data, size_t n,
                 char out[GW_CKSUM_B64_MAX]);
/* Compares the digest of n bytes with b64, a client's value. Returns 0 if
 * they are the same, 1 if not, -EINVAL if b64 is not the base64 of a
 * digest of that algorithm, -EIO. */
int gw_cksum_check(enum gw_cksum_alg alg, const void *data, size_t n,
                   const char *b64);

#endif /* MAYFLY_GW_CHECKSUM_H */
