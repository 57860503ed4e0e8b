/* mayfly_abi.h: the whole contract between the VMM (host) and a guest image.
 *
 * This is the only header that both vmm/ and guest/ include. It is
 * self-contained C99 and describes memory layout, the boot page, and the
 * hypercalls. MF_ABI_VERSION changes whenever any of it changes; the VMM
 * refuses images built for another version (the image says which version it
 * speaks in its ".note.mayfly" ELF note).
 *
 * Life of a guest:
 *   1. The VMM builds guest memory: page tables, GDT/IDT/TSS, the boot page
 *      and the request, and the image's PT_LOAD segments. The vCPU starts in
 *      64-bit long mode at CPL 3, RIP = ELF entry,
 *      RSP = MF_STACK_TOP, RDI = MF_BOOT_GPA.
 *   2. The guest runs; it reads the request from memory and writes its
 *      response, logs and timestamps into the boot page and its own memory.
 *   3. It ends with one hypercall: `out %eax, $MF_PORT_DONE`.
 *
 * Every value the guest writes is untrusted: the host validates each address
 * and length against guest memory before it reads a byte.
 */
#ifndef MAYFLY_ABI_H
#define MAYFLY_ABI_H

#include <stdint.h>

#define MF_ABI_VERSION 1u
#define MF_BOOT_MAGIC 0x796c66796167616dULL /* "mayflyag" little-endian */

/* ---- Guest-physical layout (identity-mapped: GVA == GPA) ---------------- */
#define MF_PAGE_SIZE 0x1000u
/* 0x0000            unmapped: NULL dereferences fault */
#define MF_BOOT_GPA 0x1000u   /* struct mf_boot, user read/write */
#define MF_SYS_GPA 0x2000u    /* GDT, TSS, IDT, fault stubs: supervisor */
#define MF_FSTACK_GPA 0x3000u /* ring-0 stack for fault delivery */
#define MF_PML4_GPA 0x4000u   /* PML4, PDPT, PD, then page tables */
/* ...                page tables, then unmapped up to MF_STUB_GPA */
#define MF_STUB_GPA 0x1e000u  /* host-owned warm-up code: user read/exec */
#define MF_GUARD_GPA 0x1f000u /* unmapped: stack overflow faults */
#define MF_STACK_GPA 0x20000u /* user stack, grows down from MF_STACK_TOP */
#define MF_STACK_TOP 0x40000u
#define MF_IMAGE_MIN 0x100000u /* lowest address a PT_LOAD may use */

#define MF_MEM_MIN (2u << 20) /* guest memory: multiple of 2 MiB */
#define MF_MEM_MAX (1024u << 20)

/* GDT selectors the VMM installs (flat, 64-bit). */
#define MF_SEL_KCODE 0x08
#define MF_SEL_KDATA 0x10
#define MF_SEL_UDATA 0x1b /* 0x18 | RPL 3 */
#define MF_SEL_UCODE 0x23 /* 0x20 | RPL 3 */
#define MF_SEL_TSS 0x28

/* The TSS (in the system page) carries an I/O permission bitmap that opens
 * ports [0, MF_IO_PORTS) to CPL 3; an `out` to one of them exits to the
 * host, which rejects any port it does not know. Higher ports fault. */
#define MF_IO_PORTS 0x1000u
#define MF_SYS_TSS_OFF 0x800u
#define MF_SYS_TSS_LIMIT (104u + MF_IO_PORTS / 8u)

/* ---- Hypercalls: port I/O ------------------------------------------------
 * `out %eax, $port`: the port names the call, EAX is the guest-physical
 * address of its argument block (or 0). The host answers in the block.
 */
#define MF_PORT_DONE 0x0500u      /* EAX: MF_BOOT_GPA; response is in mf_boot */
#define MF_PORT_ABORT 0x0501u     /* EAX: GPA of a NUL-terminated reason */
#define MF_PORT_FAULT 0x0502u     /* from the fault stubs; EAX: vector */
#define MF_PORT_OBJ_READ 0x0510u  /* EAX: GPA of struct mf_obj_io */
#define MF_PORT_OBJ_WRITE 0x0511u /* EAX: GPA of struct mf_obj_io */

/* Ports QEMU's microvm offers, used only when the image boots under QEMU. */
#define MF_QEMU_DEBUGCON_PORT 0xe9u
#define MF_QEMU_EXIT_PORT 0xf4u

/* A (guest-physical address, length) pair. */
struct mf_span {
    uint64_t gpa;
    uint64_t len;
};

/* Headers and environment are packed as "name\0value\0name\0value\0...";
 * `count` is the number of pairs. */
struct mf_kv {
    uint64_t gpa;
    uint64_t len;
    uint64_t count;
};

/* Milestones the guest stamps with RDTSC (0 if not reached). */
struct mf_stamps {
    uint64_t start; /* first instruction of crt0 */
    uint64_t main;  /* just before the function's handler */
    uint64_t done;  /* just before the done hypercall */
};

/* Trigger kinds in mf_boot.trigger. */
#define MF_TRIGGER_HTTP 1u
#define MF_TRIGGER_OBJECT 2u

/* The boot page. Host fills the "in" part before the first instruction; the
 * guest fills the "out" part before MF_PORT_DONE. */
struct mf_boot {
    /* in: host -> guest */
    uint64_t magic;
    uint32_t abi_version;
    uint32_t trigger;
    uint64_t mem_size;   /* bytes of guest memory */
    uint64_t heap_start; /* free memory the guest may use ... */
    uint64_t heap_end;   /* ... up to here (exclusive) */
    uint64_t tsc_khz;    /* 0 if unknown */
    uint64_t wall_ns;    /* Unix time in ns at tsc_base */
    uint64_t tsc_base;
    uint8_t entropy[32];
    struct mf_span method;
    struct mf_span path;
    struct mf_span query; /* without the '?' */
    struct mf_kv headers; /* names lower-case */
    struct mf_span body;
    struct mf_kv env;
    struct mf_span event; /* trigger event JSON (object triggers), or 0 */

    /* out: guest -> host */
    struct mf_stamps stamps;
    uint32_t status;        /* HTTP status, 100..599 */
    uint32_t log_truncated; /* non-zero: guest dropped log lines */
    struct mf_kv resp_headers;
    struct mf_span resp_body;
    struct mf_span log; /* log lines, each ending in '\n' */
};

/* Argument block of MF_PORT_OBJ_READ / MF_PORT_OBJ_WRITE. READ reads the
 * object that triggered the invocation (bucket/key are ignored) from
 * `offset` into buf; WRITE stores buf as a whole object at bucket/key.
 * The host sets `result`: bytes read (READ), or 0, or a negative errno. */
struct mf_obj_io {
    struct mf_span bucket;
    struct mf_span key;
    struct mf_span buf;
    uint64_t offset;
    int64_t result;
};

/* ELF note that marks an image as a Mayfly guest (name "Mayfly",
 * type MF_NOTE_TYPE, desc: uint32_t ABI version). */
#define MF_NOTE_NAME "Mayfly"
#define MF_NOTE_TYPE 0x4d46u

#endif /* MAYFLY_ABI_H */
