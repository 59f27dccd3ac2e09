/*
 * host-machine.h: the machine a capture was recorded on, for its SHB's
 * shb_hardware, for both recorders (ftrec.c, ftrec-bpf.c).  open(2) flags
 * travel in FUSE requests as the kernel numbers them, and architectures
 * number O_DIRECT, O_DIRECTORY, O_NOFOLLOW and O_LARGEFILE differently, so
 * the analysis needs the kernel's machine.  /proc/sys/kernel/arch is the
 * kernel's own; uname(2) is the fallback, which an emulator (qemu-user) or a
 * personality may answer with another machine than the kernel's.
 */
#ifndef FTREC_HOST_MACHINE_H
#define FTREC_HOST_MACHINE_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

/* Raw syscalls: the capture library hooks open and read. */
static inline void host_machine(char *o, size_t n) {
    o[0] = '\0';
    int f = (int)syscall(SYS_openat, AT_FDCWD, "/proc/sys/kernel/arch", O_RDONLY | O_CLOEXEC);
    if (f >= 0) {
        ssize_t k = syscall(SYS_read, f, o, n - 1);
        syscall(SYS_close, f);
        o[k > 0 ? k : 0] = '\0';
        o[strcspn(o, "\n")] = '\0';
    }
    if (o[0]) return;
    struct utsname u;
    if (uname(&u) == 0) snprintf(o, n, "%.*s", (int)(n - 1), u.machine);
}

#endif
