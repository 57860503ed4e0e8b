/* pool.c: blank VMs made ahead of demand, used VMs destroyed afterwards.
 *
 * Creating a VM (~300 us here) and destroying one (~500 us, mostly closing
 * the VM fd) both stay off the request's critical path: a maker thread
 * keeps `target` blank VMs ready and a reaper thread destroys used ones.
 * A VM runs exactly one invocation.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "vmm/vmm_int.h"

/* Past this many VMs awaiting destruction, callers destroy their own, so a
 * slow reaper slows the callers instead of piling up file descriptors. */
#define MAX_GRAVES 64

static void *maker_main(void *arg)
{
    struct vmm *vmm = arg;
    struct vmm_pool *p = &vmm->pool;

    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        struct vmm_vm *vm;
        int rc;

        if (p->depth >= p->target) {
            pthread_cond_wait(&p->need, &p->lock);
            continue;
        }
        pthread_mutex_unlock(&p->lock);
        rc = vmm_vm_create(&vmm->kvm, &vm);
        if (rc == 0)
            atomic_fetch_add(&vmm->created, 1);
        else
            nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
        pthread_mutex_lock(&p->lock);
        p->error = rc;
        if (rc == 0) {
            vm->next = p->ready;
            p->ready = vm;
            p->depth++;
            pthread_cond_signal(&p->have);
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
    destroy_list(vmm, p->ready);
    destroy_list(vmm, p->graveyard);
    p->ready = p->graveyard = NULL;
    p->depth = 0;
}

/* Takers wait for the maker rather than create VMs beside it: creation
 * serialises on KVM's global lock, so two at once only slow both. Only a
 * maker that keeps failing makes the taker try for itself. */
int vmm_pool_take(struct vmm *vmm, struct vmm_vm **out)
{
    struct vmm_pool *p = &vmm->pool;
    struct vmm_vm *vm;
    int rc;

    pthread_mutex_lock(&p->lock);
    while (!p->ready && !p->error && !p->stop)
        pthread_cond_wait(&p->have, &p->lock);
    vm = p->ready;
    if (vm) {
        p->ready = vm->next;
        p->depth--;
    }
    pthread_cond_signal(&p->need);
    pthread_mutex_unlock(&p->lock);
    if (vm) {
        vm->next = NULL;
        *out = vm;
        return 0;
    }
    rc = vmm_vm_create(&vmm->kvm, out);
    if (rc == 0)
        atomic_fetch_add(&vmm->created, 1);
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
    pthread_mutex_unlock(&p->lock);
    if (full)
        destroy_list(vmm, vm);
}
