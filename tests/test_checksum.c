/* test_checksum.c: the CRCs and S3 checksum values against known vectors. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gateway/checksum.h"
#include "tests/testlib.h"

static const char check_str[] = "123456789";

/* The "check" values of the CRC catalogues, and RFC 3720's CRC32C
 * examples (32 bytes of zeros, of 0xff, of 0..31). */
static int test_crc32_vectors(void)
{
    const char *fox = "The quick brown fox jumps over the lazy dog";

    CHECK(gw_crc32(0, check_str, 9) == 0xcbf43926u, "crc32 %08x",
          gw_crc32(0, check_str, 9));
    CHECK(gw_crc32(0, "", 0) == 0, "crc32 of nothing");
    CHECK(gw_crc32(0, fox, strlen(fox)) == 0x414fa339u, "crc32 fox %08x",
          gw_crc32(0, fox, strlen(fox)));
    return 0;
out:
    return -1;
}

static int test_crc32c_vectors(void)
{
    unsigned char buf[32];
    int i;

    CHECK(gw_crc32c(0, check_str, 9) == 0xe3069283u, "crc32c %08x",
          gw_crc32c(0, check_str, 9));
    memset(buf, 0, sizeof(buf));
    CHECK(gw_crc32c(0, buf, 32) == 0x8a9136aau, "zeros %08x",
          gw_crc32c(0, buf, 32));
    memset(buf, 0xff, sizeof(buf));
    CHECK(gw_crc32c(0, buf, 32) == 0x62a8ab43u, "ones %08x",
          gw_crc32c(0, buf, 32));
    for (i = 0; i < 32; i++)
        buf[i] = (unsigned char)i;
    CHECK(gw_crc32c(0, buf, 32) == 0x46dd794eu, "ascending %08x",
          gw_crc32c(0, buf, 32));
    return 0;
out:
    return -1;
}

static int test_crc64nvme_vector(void)
{
    CHECK(gw_crc64nvme(0, check_str, 9) == 0xae8b14860a799888ull,
          "crc64nvme %016llx",
          (unsigned long long)gw_crc64nvme(0, check_str, 9));
    return 0;
out:
    return -1;
}

/* Fed in pieces of every length from 1 to 17 (the byte loop and the
 * eight-byte loop, at every alignment), the CRCs are those of the whole. */
static int test_crc_pieces(void)
{
    unsigned char buf[1000];
    uint32_t a, b, whole_a, whole_b;
    size_t i, off, step, n;

    for (i = 0; i < sizeof(buf); i++)
        buf[i] = (unsigned char)(i * 7 + (i >> 3));
    whole_a = gw_crc32(0, buf, sizeof(buf));
    whole_b = gw_crc32c(0, buf, sizeof(buf));
    for (step = 1; step <= 17; step++) {
        a = b = 0;
        for (off = 0; off < sizeof(buf); off += n) {
            n = sizeof(buf) - off < step ? sizeof(buf) - off : step;
            a = gw_crc32(a, buf + off, n);
            b = gw_crc32c(b, buf + off, n);
        }
        CHECK(a == whole_a && b == whole_b, "pieces of %zu differ", step);
    }
    return 0;
out:
    return -1;
}

/* S3's form: base64 of the big-endian digest. */
static int test_b64(void)
{
    static const struct {
        enum gw_cksum_alg alg;
        const char *data, *b64;
    } v[] = {
        {GW_CKSUM_CRC32, "", "AAAAAA=="},
        {GW_CKSUM_CRC32, check_str, "y/Q5Jg=="},
        {GW_CKSUM_CRC32C, check_str, "4waSgw=="},
        {GW_CKSUM_CRC64NVME, check_str, "rosUhgp5mIg="},
        {GW_CKSUM_SHA1, "", "2jmj7l5rSw0yVb/vlWAYkK/YBwk="},
        {GW_CKSUM_SHA256, "", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
    };
    char out[GW_CKSUM_B64_MAX];
    size_t i;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        CHECK_RC(gw_cksum_b64(v[i].alg, v[i].data, strlen(v[i].data), out), 0);
        CHECK(strcmp(out, v[i].b64) == 0, "%s: %s, want %s",
              gw_cksum_name(v[i].alg), out, v[i].b64);
        CHECK_RC(
            gw_cksum_check(v[i].alg, v[i].data, strlen(v[i].data), v[i].b64),
            0);
    }
    return 0;
out:
    return -1;
}

/* A wrong value is a mismatch (1); a value of the wrong shape -EINVAL. */
static int test_check_negative(void)
{
    CHECK_RC(gw_cksum_check(GW_CKSUM_CRC32, check_str, 9, "y/Q5Jw=="), 1);
    CHECK_RC(gw_cksum_check(GW_CKSUM_CRC32, check_str, 8, "y/Q5Jg=="), 1);
    CHECK_RC(gw_cksum_check(GW_CKSUM_CRC32C, check_str, 9, "y/Q5Jg=="), 1);
    CHECK_RC(gw_cksum_check(GW_CKSUM_CRC32, check_str, 9, "y/Q5Jg"), -EINVAL);
    CHECK_RC(gw_cksum_check(GW_CKSUM_CRC32, check_str, 9, "y/Q5Jg=x"), -EINVAL);
    CHECK_RC(gw_cksum_check(GW_CKSUM_CRC32, check_str, 9, "y/Q*Jg=="), -EINVAL);
    CHECK_RC(gw_cksum_check(GW_CKSUM_SHA256, "", 0, "AAAAAA=="), -EINVAL);
    CHECK_RC(gw_cksum_check(GW_CKSUM_SHA1, "", 0, ""), -EINVAL);
    return 0;
out:
    return -1;
}

static int test_headers(void)
{
    int i;

    for (i = 0; i < GW_CKSUM_N; i++)
        CHECK(gw_cksum_from_header(gw_cksum_header(i)) == i, "alg %d", i);
    CHECK(gw_cksum_from_header("x-amz-checksum-md5") == -1, "md5");
    CHECK(gw_cksum_from_header("x-amz-checksum-crc3") == -1, "prefix");
    return 0;
out:
    return -1;
}

static const struct tl_case cases[] = {
    {"checksum_crc32_vectors", test_crc32_vectors},
    {"checksum_crc32c_vectors", test_crc32c_vectors},
    {"checksum_crc64nvme_vector", test_crc64nvme_vector},
    {"checksum_crc_pieces", test_crc_pieces},
    {"checksum_b64", test_b64},
    {"checksum_check_negative", test_check_negative},
    {"checksum_headers", test_headers},
};

int main(void)
{
    return tl_run_all(cases, sizeof(cases) / sizeof(cases[0]));
}
