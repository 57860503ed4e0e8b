/* gpa.c: the one checked conversion from guest-physical to host addresses. */
#include "vmm/vmm_int.h"

void *vmm_gpa_ptr(const struct vmm_mem *mem, gpa_t gpa, uint64_t len)
{
    if (gpa > mem->size || len > mem->size - gpa)
        return NULL;
    return mem->base + gpa;
}
