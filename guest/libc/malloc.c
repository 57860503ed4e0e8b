/* malloc.c: the guest heap: boundary tags, coalescing, size-class lists. */
#define MF_LIBC_INTERNAL
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libc_internal.h"

/* Layout. Every block ("chunk") starts with a 16-byte header and its size
 * is a multiple of 16, so the memory handed out is 16-byte aligned. The low
 * bits of `head` say whether this chunk and the one before it are in use.
 * A free chunk keeps its list links in its body and writes its size into
 * the next chunk's prev_size, so that chunk can find it when it is freed.
 * Two free chunks are never neighbours. The tail of the heap that has never
 * been handed out is the top chunk: it is in no list, it grows when its
 * neighbour is freed, and it always keeps at least a header's worth of
 * room. Free chunks sit in lists by size class: class i holds sizes in
 * [2^(i+5), 2^(i+6)), the last class everything bigger. */
struct mh_chunk {
    size_t prev_size;      /* size of the previous chunk, if it is free */
    size_t head;           /* size | MH_INUSE | MH_PINUSE */
    struct mh_chunk *next; /* list links, only while free */
    struct mh_chunk *prev;
};

#define MH_HDR 16u
#define MH_MIN 32u /* header plus the two links */
#define MH_INUSE 1u
#define MH_PINUSE 2u
#define MH_FLAGS 15u
#define MH_NCLASS 32

static struct {
    char *base; /* first chunk; NULL: no heap */
    char *end;
    struct mh_chunk *top; /* NULL until the first chunk is handed out */
    struct mh_chunk *free[MH_NCLASS];
} mh;

static size_t mh_size(const struct mh_chunk *c)
{
    return c->head & ~(size_t)MH_FLAGS;
}

static struct mh_chunk *mh_at(struct mh_chunk *c, size_t off)
{
    return (struct mh_chunk *)((char *)c + off);
}

static void *mh_mem(struct mh_chunk *c)
{
    return (char *)c + MH_HDR;
}

static unsigned mh_class(size_t size)
{
    unsigned bit = 63u - (unsigned)__builtin_clzll(size);

    return bit - 5 < MH_NCLASS ? bit - 5 : MH_NCLASS - 1;
}

static void mh_link(struct mh_chunk *c)
{
    struct mh_chunk **list = &mh.free[mh_class(mh_size(c))];

    c->prev = NULL;
    c->next = *list;
    if (*list != NULL)
        (*list)->prev = c;
    *list = c;
}

static void mh_unlink(struct mh_chunk *c)
{
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        mh.free[mh_class(mh_size(c))] = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
}

/* Marks c free with the given size, tells its neighbour, files it. */
static void mh_put_free(struct mh_chunk *c, size_t size)
{
    struct mh_chunk *next = mh_at(c, size);

    c->head = size | (c->head & MH_PINUSE);
    next->prev_size = size;
    next->head &= ~(size_t)MH_PINUSE;
    mh_link(c);
}

/* Chunk size for a request of n bytes, or 0 if it cannot exist. */
static size_t mh_request(size_t n)
{
    size_t size;

    if (n > SIZE_MAX / 2)
        return 0;
    size = (n + MH_HDR + MH_FLAGS) & ~(size_t)MH_FLAGS;
    return size < MH_MIN ? MH_MIN : size;
}

MF__BOOT_PATH
void mf__heap_init(void *start, void *end)
{
    uintptr_t lo = ((uintptr_t)start + MH_FLAGS) & ~(uintptr_t)MH_FLAGS;
    uintptr_t hi = (uintptr_t)end & ~(uintptr_t)MH_FLAGS;

    memset(&mh, 0, sizeof(mh));
    if (end <= start || hi < lo || hi - lo < MH_MIN + MH_HDR)
        return;
    mh.base = (char *)lo;
    mh.end = (char *)hi;
}

/* The top chunk is written at the first allocation, not at start-up, so
 * that a function that never allocates never touches the heap's pages. */
static struct mh_chunk *mh_top(void)
{
    if (mh.top == NULL && mh.base != NULL) {
        mh.top = (struct mh_chunk *)mh.base;
        mh.top->head = (size_t)(mh.end - mh.base) | MH_PINUSE;
    }
    return mh.top;
}

/* Hands out the first size bytes of the free, unlisted chunk c; the rest
 * goes back to a list if it can hold a chunk. */
static void mh_use(struct mh_chunk *c, size_t size)
{
    size_t have = mh_size(c);
    struct mh_chunk *rest;

    if (have - size < MH_MIN) {
        c->head |= MH_INUSE;
        mh_at(c, have)->head |= MH_PINUSE;
        return;
    }
    c->head = size | MH_INUSE | (c->head & MH_PINUSE);
    rest = mh_at(c, size);
    rest->head = MH_PINUSE;
    mh_put_free(rest, have - size);
}

/* First fit in the size class of `size`; in any higher class the first
 * chunk fits. */
static struct mh_chunk *mh_from_lists(size_t size)
{
    struct mh_chunk *c;
    unsigned i;

    for (i = mh_class(size); i < MH_NCLASS; i++) {
        for (c = mh.free[i]; c != NULL; c = c->next) {
            if (mh_size(c) >= size) {
                mh_unlink(c);
                mh_use(c, size);
                return c;
            }
        }
    }
    return NULL;
}

static struct mh_chunk *mh_from_top(size_t size)
{
    struct mh_chunk *c = mh_top();
    size_t have;

    if (c == NULL || (have = mh_size(c)) < size + MH_HDR)
        return NULL;
    c->head = size | MH_INUSE | (c->head & MH_PINUSE);
    mh.top = mh_at(c, size);
    mh.top->head = (have - size) | MH_PINUSE;
    return c;
}

void *malloc(size_t n)
{
    size_t size = mh_request(n);
    struct mh_chunk *c = NULL;

    if (size != 0) {
        c = mh_from_lists(size);
        if (c == NULL)
            c = mh_from_top(size);
    }
    if (c == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    return mh_mem(c);
}

void *calloc(size_t nmemb, size_t size)
{
    void *p;

    if (size != 0 && nmemb > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    p = malloc(nmemb * size);
    if (p != NULL)
        memset(p, 0, nmemb * size);
    return p;
}

/* The chunk of a pointer from malloc; anything else ends the invocation,
 * since the heap can no longer be trusted. */
static struct mh_chunk *mh_owner(void *p)
{
    struct mh_chunk *c = (struct mh_chunk *)((char *)p - MH_HDR);

    if (((uintptr_t)p & MH_FLAGS) != 0 || mh.top == NULL ||
        (char *)c < mh.base || c >= mh.top || !(c->head & MH_INUSE))
        mf__abort("free/realloc: bad pointer or double free");
    return c;
}

void free(void *p)
{
    struct mh_chunk *c, *next;
    size_t size;

    if (p == NULL)
        return;
    c = mh_owner(p);
    size = mh_size(c);
    next = mh_at(c, size);
    c->head &= ~(size_t)MH_INUSE; /* a second free is caught even if c merges */
    if (!(c->head & MH_PINUSE)) {
        c = mh_at(c, 0 - c->prev_size);
        mh_unlink(c);
        size += mh_size(c);
    }
    if (next == mh.top) {
        c->head = (size + mh_size(next)) | (c->head & MH_PINUSE);
        mh.top = c;
        return;
    }
    if (!(next->head & MH_INUSE)) {
        mh_unlink(next);
        size += mh_size(next);
    }
    mh_put_free(c, size);
}

/* Gives back the part of the in-use chunk c beyond size, if that part can
 * stand as a chunk of its own. */
static void mh_shrink(struct mh_chunk *c, size_t size)
{
    size_t have = mh_size(c);
    struct mh_chunk *rest;

    if (have - size < MH_MIN)
        return;
    c->head = size | MH_INUSE | (c->head & MH_PINUSE);
    rest = mh_at(c, size);
    rest->head = (have - size) | MH_INUSE | MH_PINUSE;
    free(mh_mem(rest));
}

/* Grows the in-use chunk c to size into its free neighbour or the top;
 * returns 0 on success, -1 if the neighbour is in use or too small. */
static int mh_grow(struct mh_chunk *c, size_t size)
{
    size_t have = mh_size(c);
    struct mh_chunk *next = mh_at(c, have);
    size_t more = mh_size(next);

    if (next == mh.top) {
        if (have + more < size + MH_HDR)
            return -1;
        c->head = size | MH_INUSE | (c->head & MH_PINUSE);
        mh.top = mh_at(c, size);
        mh.top->head = (have + more - size) | MH_PINUSE;
        return 0;
    }
    if ((next->head & MH_INUSE) || have + more < size)
        return -1;
    mh_unlink(next);
    c->head = (have + more) | MH_INUSE | (c->head & MH_PINUSE);
    mh_at(c, have + more)->head |= MH_PINUSE;
    mh_shrink(c, size);
    return 0;
}

void *realloc(void *p, size_t n)
{
    size_t size = mh_request(n);
    struct mh_chunk *c;
    void *q;

    if (p == NULL)
        return malloc(n);
    c = mh_owner(p);
    if (size == 0) {
        errno = ENOMEM;
        return NULL;
    }
    if (mh_size(c) >= size) {
        mh_shrink(c, size);
        return p;
    }
    if (mh_grow(c, size) == 0)
        return p;
    q = malloc(n);
    if (q == NULL)
        return NULL;
    memcpy(q, p, mh_size(c) - MH_HDR);
    free(p);
    return q;
}
