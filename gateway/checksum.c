/* checksum.c: CRC32, CRC32C, CRC64NVME, SHA-1 and SHA-256 as S3 sends them. */
#include "gateway/checksum.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/* Reflected polynomials: CRC32 (IEEE 802.3), CRC32C (Castagnoli) and
 * CRC64 as NVMe defines it. */
#define CK_POLY_CRC32 0xedb88320u
#define CK_POLY_CRC32C 0x82f63b78u
#define CK_POLY_CRC64NVME 0x9a6c9329ac4bc9b5ull

static const struct {
    const char *header, *name;
    size_t len; /* digest bytes */
} ck_algs[GW_CKSUM_N] = {
    [GW_CKSUM_CRC32] = {"x-amz-checksum-crc32", "CRC32", 4},
    [GW_CKSUM_CRC32C] = {"x-amz-checksum-crc32c", "CRC32C", 4},
    [GW_CKSUM_CRC64NVME] = {"x-amz-checksum-crc64nvme", "CRC64NVME", 8},
    [GW_CKSUM_SHA1] = {"x-amz-checksum-sha1", "SHA1", 20},
    [GW_CKSUM_SHA256] = {"x-amz-checksum-sha256", "SHA256", 32},
};

/* Slice-by-8: t[0] is the byte-at-a-time table; t[k][b] is the CRC of
 * byte b followed by k zero bytes, so eight bytes fold in one step. */
static uint32_t ck_crc32_tab[8][256], ck_crc32c_tab[8][256];
static uint64_t ck_crc64_tab[256];
static pthread_once_t ck_once = PTHREAD_ONCE_INIT;

static void ck_tab32(uint32_t t[8][256], uint32_t poly)
{
    uint32_t c;
    int b, k, i;

    for (b = 0; b < 256; b++) {
        c = (uint32_t)b;
        for (i = 0; i < 8; i++)
            c = c & 1 ? c >> 1 ^ poly : c >> 1;
        t[0][b] = c;
    }
    for (b = 0; b < 256; b++)
        for (k = 1; k < 8; k++)
            t[k][b] = t[k - 1][b] >> 8 ^ t[0][t[k - 1][b] & 0xff];
}

static void ck_init(void)
{
    uint64_t c;
    int b, i;

    ck_tab32(ck_crc32_tab, CK_POLY_CRC32);
    ck_tab32(ck_crc32c_tab, CK_POLY_CRC32C);
    for (b = 0; b < 256; b++) {
        c = (uint64_t)b;
        for (i = 0; i < 8; i++)
            c = c & 1 ? c >> 1 ^ CK_POLY_CRC64NVME : c >> 1;
        ck_crc64_tab[b] = c;
    }
}

static uint32_t ck_crc32_run(uint32_t t[8][256], uint32_t crc,
                             const unsigned char *p, size_t n)
{
    uint32_t lo, hi;

    pthread_once(&ck_once, ck_init);
    crc = ~crc;
    for (; n >= 8; n -= 8, p += 8) {
        lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
                    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 |
             (uint32_t)p[7] << 24;
        crc = t[7][lo & 0xff] ^ t[6][lo >> 8 & 0xff] ^ t[5][lo >> 16 & 0xff] ^
              t[4][lo >> 24] ^ t[3][hi & 0xff] ^ t[2][hi >> 8 & 0xff] ^
              t[1][hi >> 16 & 0xff] ^ t[0][hi >> 24];
    }
    for (; n > 0; n--, p++)
        crc = crc >> 8 ^ t[0][(crc ^ *p) & 0xff];
    return ~crc;
}

uint32_t gw_crc32(uint32_t crc, const void *data, size_t n)
{
    return ck_crc32_run(ck_crc32_tab, crc, data, n);
}

uint32_t gw_crc32c(uint32_t crc, const void *data, size_t n)
{
    return ck_crc32_run(ck_crc32c_tab, crc, data, n);
}

uint64_t gw_crc64nvme(uint64_t crc, const void *data, size_t n)
{
    const unsigned char *p = data;

    pthread_once(&ck_once, ck_init);
    crc = ~crc;
    for (; n > 0; n--, p++)
        crc = crc >> 8 ^ ck_crc64_tab[(crc ^ *p) & 0xff];
    return ~crc;
}

int gw_cksum_from_header(const char *lname)
{
    int i;

    for (i = 0; i < GW_CKSUM_N; i++)
        if (strcmp(lname, ck_algs[i].header) == 0)
            return i;
    return -1;
}

const char *gw_cksum_header(enum gw_cksum_alg alg)
{
    return ck_algs[alg].header;
}

const char *gw_cksum_name(enum gw_cksum_alg alg)
{
    return ck_algs[alg].name;
}

static void ck_be(uint64_t v, size_t n, unsigned char *out)
{
    size_t i;

    for (i = 0; i < n; i++)
        out[i] = (unsigned char)(v >> 8 * (n - 1 - i));
}

static int ck_digest(enum gw_cksum_alg alg, const void *data, size_t n,
                     unsigned char out[GW_CKSUM_MAX])
{
    unsigned int len = 0;

    switch (alg) {
    case GW_CKSUM_CRC32: ck_be(gw_crc32(0, data, n), 4, out); return 0;
    case GW_CKSUM_CRC32C: ck_be(gw_crc32c(0, data, n), 4, out); return 0;
    case GW_CKSUM_CRC64NVME: ck_be(gw_crc64nvme(0, data, n), 8, out); return 0;
    case GW_CKSUM_SHA1:
        return EVP_Digest(data, n, out, &len, EVP_sha1(), NULL) ? 0 : -EIO;
    case GW_CKSUM_SHA256:
        return EVP_Digest(data, n, out, &len, EVP_sha256(), NULL) ? 0 : -EIO;
    default: return -EINVAL;
    }
}

int gw_cksum_b64(enum gw_cksum_alg alg, const void *data, size_t n,
                 char out[GW_CKSUM_B64_MAX])
{
    unsigned char md[GW_CKSUM_MAX];
    int rc = ck_digest(alg, data ? data : "", n, md);

    if (rc < 0)
        return rc;
    EVP_EncodeBlock((unsigned char *)out, md, (int)ck_algs[alg].len);
    return 0;
}

/* True if s is base64 of exactly `len` bytes, with its '=' padding. */
static int ck_b64_shape(const char *s, size_t len)
{
    size_t want = (len + 2) / 3 * 4, pad = (3 - len % 3) % 3, i;
    unsigned char dec[GW_CKSUM_B64_MAX];

    if (strlen(s) != want)
        return 0;
    for (i = want - pad; i < want; i++)
        if (s[i] != '=')
            return 0;
    return EVP_DecodeBlock(dec, (const unsigned char *)s, (int)want) ==
           (int)(want / 4 * 3);
}

int gw_cksum_check(enum gw_cksum_alg alg, const void *data, size_t n,
                   const char *b64)
{
    char mine[GW_CKSUM_B64_MAX];
    int rc;

    if ((unsigned)alg >= GW_CKSUM_N || !ck_b64_shape(b64, ck_algs[alg].len))
        return -EINVAL;
    rc = gw_cksum_b64(alg, data, n, mine);
    if (rc < 0)
        return rc;
    return strlen(mine) == strlen(b64) &&
                   CRYPTO_memcmp(mine, b64, strlen(mine)) == 0
               ? 0
               : 1;
}
