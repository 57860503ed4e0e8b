/* pool.c: blank VMs made ahead of demand, used VMs destroyed afterwards.
 *
 * Creating a VM (~300 us here) and destroying one (~500 us, mostly closing
 * the VM fd) both stay off the request's critical path: a maker thread
 * keeps `target` blank VMs ready and a reaper thread destroys used ones.
 * A VM runs exactly one invocation.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <time.h>

#include "vmm/vmm_int.h"

/* A lane unused this long is closed, its VMs destroyed. */
#define LANE_IDLE_NS (30ULL * 1000000000ULL)

/* Past this many VMs awaiting destruction, callers destroy their own, so a
 * slow reaper slows the callers instead of piling up file descriptors. */
#define MAX_GRAVES 64

static void bury_locked(struct vmm_pool *p, struct vmm_vm *list)
{
    while (list) {
        struct vmm_vm *next = list->next;

        list->next = p->graveyard;
        p->graveyard = list;
        p->graves++;
        list = next;
    }
    pthread_cond_signal(&p->dead);
}

/* Closes lane l; returns the image reference it held, for the caller to
 * put outside the lock. */
static struct vmm_image *close_lane(struct vmm_pool *p, struct vmm_lane *l)
{
    struct vmm_image *img = l->img;

    bury_locked(p, l->ready);
    memset(l, 0, sizeof(*l));
    return img;
}

/* The lane most in need of a VM, or NULL if all are full. Idle lanes are
 * closed on the way. */
static struct vmm_lane *neediest(struct vmm_pool *p, uint64_t now,
                                 struct vmm_image **drop)
{
    struct vmm_lane *best = NULL;

    for (unsigned i = 0; i < VMM_MAX_LANES; i++) {
        struct vmm_lane *l = &p->lanes[i];

        if (!l->img)
            continue;
        if (now - l->used_ns > LANE_IDLE_NS && !*drop) {
            *drop = close_lane(p, l);
            continue;
        }
        if (l->depth < p->target && (!best || l->depth < best->depth))
            best = l;
    }
    return best;
}

static void add_ready(struct vmm_pool *p, struct vmm_lane *l, struct vmm_vm *vm)
{
    struct vmm_vm **list = l ? &l->ready : &p->ready;

    vm->next = *list;
    *list = vm;
    if (l)
        l->depth++;
    else
        p->depth++;
    pthread_cond_broadcast(&p->have);
}

/* Makes one VM, primed for img if set. Called without the lock. */
static int make_vm(struct vmm *vmm, struct vmm_image *img, struct vmm_vm **out)
{
    int rc = vmm_vm_create(&vmm->kvm, img, out);

    if (rc == 0)
        atomic_fetch_add(&vmm->created, 1);
    return rc;
}

/* The pool's threads yield the CPU to the workers that serve requests:
 * on a small machine a refill must not delay an invocation. */
static void lower_priority(void)
{
    setpriority(PRIO_PROCESS, (id_t)gettid(), 10);
}

static void *maker_main(void *arg)
{
    struct vmm *vmm = arg;
    struct vmm_pool *p = &vmm->pool;

    pthread_setname_np(pthread_self(), "vmm-maker");
    lower_priority();
    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        struct vmm_image *drop = NULL, *img = NULL;
        struct vmm_lane *lane = neediest(p, vmm_now_ns(), &drop);
        struct vmm_vm *vm;
        int rc;

        if (!lane && p->depth >= p->target && !drop) {
            struct timespec ts;

            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 1;
            pthread_cond_timedwait(&p->need, &p->lock, &ts);
            continue;
        }
        /* Blank VMs first while there are none: they serve every image. */
        if (lane && p->depth > 0) {
            img = lane->img;
            vmm_image_get(img);
        }
        pthread_mutex_unlock(&p->lock);
        vmm_image_put(drop);
        rc = (lane || p->depth < p->target) ? make_vm(vmm, img, &vm) : 1;
        if (rc < 0)
            nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
        pthread_mutex_lock(&p->lock);
        p->error = rc < 0 ? rc : 0;
        if (rc == 0) {
            struct vmm_lane *l = NULL;

            for (unsigned i = 0; img && vm->primed && i < VMM_MAX_LANES; i++)
                if (p->lanes[i].img == img)
                    l = &p->lanes[i];
            if (img && vm->primed && !l)
                bury_locked(p, vm); /* its lane closed meanwhile */
            else
                add_ready(p, l, vm);
        }
        if (img) {
            pthread_mutex_unlock(&p->lock);
            vmm_image_put(img);
            pthread_mutex_lock(&p->lock);
        }
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static void destroy_list(struct vmm *vmm, struct vmm_vm *vm)
{
    while (vm) {
        struct vmm_vm *next = vm->next;

        vmm_vm_destroy(vm);
        atomic_fetch_add(&vmm->destroyed, 1);
        vm = next;
    }
}

static void *reaper_main(void *arg)
{
    struct vmm *vmm = arg;
    struct vmm_pool *p = &vmm->pool;

    pthread_setname_np(pthread_self(), "vmm-reaper");
    lower_priority();
    pthread_mutex_lock(&p->lock);
    for (;;) {
        struct vmm_vm *list = p->graveyard;

        if (!list) {
            if (p->stop)
                break;
            pthread_cond_wait(&p->dead, &p->lock);
            continue;
        }
        p->graveyard = NULL;
        p->graves = 0;
        pthread_mutex_unlock(&p->lock);
        destroy_list(vmm, list);
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int vmm_pool_start(struct vmm *vmm, unsigned target)
{
    struct vmm_pool *p = &vmm->pool;
    int rc;

    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->need, NULL);
    pthread_cond_init(&p->have, NULL);
    pthread_cond_init(&p->dead, NULL);
    p->target = target;
    rc = pthread_create(&p->maker, NULL, maker_main, vmm);
    if (rc)
        return -rc;
    rc = pthread_create(&p->reaper, NULL, reaper_main, vmm);
    if (rc) {
        pthread_mutex_lock(&p->lock);
        p->stop = 1;
        pthread_cond_signal(&p->need);
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->maker, NULL);
        return -rc;
    }
    return 0;
}

void vmm_pool_stop(struct vmm *vmm)
{
    struct vmm_pool *p = &vmm->pool;

    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_broadcast(&p->need);
    pthread_cond_broadcast(&p->dead);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->maker, NULL);
    pthread_join(p->reaper, NULL);
    for (unsigned i = 0; i < VMM_MAX_LANES; i++) {
        struct vmm_image *img = p->lanes[i].img;

        if (img) {
            destroy_list(vmm, p->lanes[i].ready);
            memset(&p->lanes[i], 0, sizeof(p->lanes[i]));
            vmm_image_put(img);
        }
    }
    destroy_list(vmm, p->ready);
    destroy_list(vmm, p->graveyard);
    p->ready = p->graveyard = NULL;
    p->depth = 0;
}

/* Finds img's lane, opening one (in place of the least recently used)
 * if it has none. Returns an image reference to put, if one was evicted. */
static struct vmm_lane *lane_for(struct vmm_pool *p, struct vmm_image *img,
                                 struct vmm_image **drop)
{
    struct vmm_lane *lru = &p->lanes[0];

    for (unsigned i = 0; i < VMM_MAX_LANES; i++) {
        struct vmm_lane *l = &p->lanes[i];

        if (l->img == img)
            return l;
        if (!l->img || (lru->img && l->used_ns < lru->used_ns))
            lru = l;
    }
    if (lru->img)
        *drop = close_lane(p, lru);
    vmm_image_get(img);
    lru->img = img;
    return lru;
}

/* Takers wait for the maker rather than create VMs beside it: creation
 * serialises on KVM's global lock, so two at once only slow both. Only a
 * maker that keeps failing makes the taker try for itself. Without `wait`,
 * returns -EAGAIN at once when no VM is ready. */
int vmm_pool_take(struct vmm *vmm, struct vmm_image *img, int wait,
                  struct vmm_vm **out)
{
    struct vmm_pool *p = &vmm->pool;
    struct vmm_image *drop = NULL;
    struct vmm_lane *lane;
    struct vmm_vm *vm = NULL;
    int rc;

    pthread_mutex_lock(&p->lock);
    lane = lane_for(p, img, &drop);
    lane->used_ns = vmm_now_ns();
    while (wait && !lane->ready && !p->ready && !p->error && !p->stop &&
           lane->img == img)
        pthread_cond_wait(&p->have, &p->lock);
    if (lane->img == img && lane->ready) {
        vm = lane->ready;
        lane->ready = vm->next;
        lane->depth--;
    } else if (p->ready) {
        vm = p->ready;
        p->ready = vm->next;
        p->depth--;
    }
    /* Waking the maker costs the caller a cross-CPU wake-up; a taker that
     * may not wait leaves it to vmm_pool_bury, after its answer. */
    if (wait)
        pthread_cond_signal(&p->need);
    pthread_mutex_unlock(&p->lock);
    vmm_image_put(drop);
    if (vm) {
        vm->next = NULL;
        *out = vm;
        return 0;
    }
    if (!wait)
        return -EAGAIN;
    rc = make_vm(vmm, NULL, out);
    return rc;
}

void vmm_pool_bury(struct vmm *vmm, struct vmm_vm *vm)
{
    struct vmm_pool *p = &vmm->pool;
    int full;

    pthread_mutex_lock(&p->lock);
    full = p->graves >= MAX_GRAVES;
    if (!full) {
        vm->next = p->graveyard;
        p->graveyard = vm;
        p->graves++;
        pthread_cond_signal(&p->dead);
    }
    pthread_cond_signal(&p->need); /* see vmm_pool_take */
    pthread_mutex_unlock(&p->lock);
    if (full)
        destroy_list(vmm, vm);
}
