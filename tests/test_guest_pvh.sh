#!/usr/bin/env bash
# test_guest_pvh.sh: the image fnd runs also boots under QEMU's microvm
# through its PVH entry (guest/rt/mf_pvh.c), answers the built-in request
# ("ada") on the debug console and exits through isa-debug-exit, whose
# status 1 means "answered, status below 400". Under KVM and under TCG.
set -u
cd "$(dirname "$0")/.."
image=build/functions/hello.elf
qemu=$(command -v qemu-system-x86_64 || true)

boot() { # accel cpu
    timeout 60 "$qemu" -M microvm,x-option-roms=off,pit=off,pic=off,rtc=off,isa-serial=off,acpi=off \
        -m 32M -nodefaults -no-user-config -display none -no-reboot \
        -chardev stdio,id=con -device isa-debugcon,iobase=0xe9,chardev=con \
        -device isa-debug-exit,iobase=0xf4,iosize=4 \
        -accel "$1" -cpu "$2" -kernel "$image" </dev/null 2>/tmp/pvh.$$.err
}

check() { # name accel cpu
    local out rc
    out=$(boot "$2" "$3")
    rc=$?
    if [ "$rc" -eq 1 ] && [ "$out" = "hello, ada" ]; then
        echo "PASS $1"
    else
        echo "FAIL $1: exit $rc, console '$out', $(head -c 200 /tmp/pvh.$$.err)"
    fi
}

if [ -z "$qemu" ]; then
    echo "SKIP guest_pvh_tcg: qemu-system-x86_64 not installed"
    echo "SKIP guest_pvh_kvm: qemu-system-x86_64 not installed"
    exit 0
fi
if [ ! -f "$image" ]; then
    echo "FAIL guest_pvh_image: $image not built"
    exit 1
fi
check guest_pvh_tcg tcg qemu64
if [ -w /dev/kvm ]; then
    # -pni: this host's KVM offers no SSE3, and QEMU warns when asked.
    check guest_pvh_kvm kvm qemu64,-pni
else
    echo "SKIP guest_pvh_kvm: /dev/kvm not usable"
fi
rm -f /tmp/pvh.$$.err
