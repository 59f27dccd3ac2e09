/*
 * host-machine.h: the machine a capture was recorded on, for its SHB's
 * shb_hardware, for both recorders (ftrec.c, ftrec-bpf.c), and the raw
 * reader of small /proc files it and the library's fdinfo lookups use.
 * open(2) flags travel in FUSE requests as the kernel numbers them, and architectures
 * number O_DIRECT, O_DIRECTORY, O_NOFOLLOW and O_LARGEFILE differently, so
 * the analysis needs the kernel's machine.  /proc/sys/kernel/arch is the
 * kernel's own; uname(2) is the fallback, which an emulator (qemu-user) or a
 * personality may answer with another machine than the kernel's.
 */
#ifndef FTREC_HOST_MACHINE_H
#define FTREC_HOST_MACHINE_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

/*
 * Reads a small file (a /proc one) into b, NUL-terminated, with raw
 * syscalls (the capture library hooks open and read) and errno as it was
 * (the daemon's own calls must not see the recorder's).  Returns its
 * length, -2 when it cannot be opened, -1 when it cannot be read.
 */
static inline ssize_t read_small_file(const char *path, char *b, size_t cap) {
    int e = errno;
    int f = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (f < 0) {
        errno = e;
        return -2;
    }
    ssize_t n = syscall(SYS_read, f, b, cap - 1);
    syscall(SYS_close, f);
    errno = e;
    if (n < 0) return -1;
    b[n] = '\0';
    return n;
}

static inline void host_machine(char *o, size_t n) {
    if (read_small_file("/proc/sys/kernel/arch", o, n) > 0) {
        o[strcspn(o, "\n")] = '\0';
        if (o[0]) return;
    }
    o[0] = '\0';
    int e = errno;
    struct utsname u;
    if (uname(&u) == 0) snprintf(o, n, "%.*s", (int)(n - 1), u.machine);
    errno = e;
}

#endif
