# vmm: the in-process KVM VMM, linked into fnd, fnctl, tests and benches.
VMM_SRCS := vmm/vmm.c vmm/run.c vmm/pool.c vmm/kvm.c vmm/template.c \
	vmm/elf.c vmm/gpa.c
VMM_OBJS := $(VMM_SRCS:%.c=$(B)/%.o)
VMM_LIBS := -lpthread -lrt
