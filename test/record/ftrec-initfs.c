/*
 * ftrec-initfs: a tiny raw FUSE daemon (no libfuse) for the recorder's
 * "traffic the capture cannot see" warnings.  It mounts MNT, answers INIT
 * asking for FUSE_PASSTHROUGH (and FUSE_OVER_IO_URING, which this kernel
 * does not offer unless fuse.enable_uring=1), serves one regular file "f",
 * and answers OPEN with FOPEN_PASSTHROUGH (backing id 0, so the kernel
 * refuses the open: the reply still crosses /dev/fuse, which is all the
 * recorder looks at).  Exits 0 when unmounted.
 *
 *   ftrec-initfs [-d] [-b] [-x [-s] [-c FILE]] MNT
 *   ftrec-initfs -k|-K MS MNT
 *   ftrec-initfs -F FD [-c FILE]
 *
 * -d: a plain daemon that gives up root before its first request, as
 *     davfs2's mount.davfs does: it opens /dev/fuse and mounts as root, then
 *     becomes uid/gid 65534 (no supplementary groups) and only then reads
 *     INIT; it asks for neither passthrough nor io_uring, and OPEN is a plain
 *     open.
 * -x: after mounting (and -d), runs itself as `ftrec-initfs -F FD` (execl),
 *     as mount.fuse3 -o drop_privileges runs a daemon with /dev/fd/N.
 * -F FD: serves the /dev/fuse fd FD it was given, mounted already (plain,
 *     as -d).
 * -s: (with -x) runs it through `/bin/sh -c`, as mount.fuse3 does (dash
 *     vforks the command and waits for it).
 * -c FILE: (with -x, passed on to -F) before serving, closes every fd above
 *     2 but FD with close_range(2) as a raw syscall (what a preloaded
 *     library cannot see), then opens FILE and puts it on every number from
 *     3 to 1023 but FD (dup2): a program that closes the fds it inherited and
 *     reuses their numbers.
 * -b: after mounting, goes to the background: the parent exits 0, the child
 *     (new session, stdin, stdout and stderr on /dev/null: davfs2 closes
 *     stderr) serves.
 * -k: opens /dev/fuse and forks a child that mounts it (mount(2)) and
 *     exits; this process serves the fd once the child's mount returned,
 *     plain (as -d, root kept), and never hears where it was mounted:
 *     glusterfs's way.
 * -K MS: as -k, but the child mounts with the new mount API: the kernel
 *     sends INIT at fsconfig(FSCONFIG_CMD_CREATE), this process reads it
 *     then, and the child attaches the mount (move_mount) MS milliseconds
 *     later: INIT is read before the mount is listed in mountinfo.
 *
 * Layouts are written by offset (fuse-protocol.md §3) because Debian's
 * <linux/fuse.h> (7.38) predates the passthrough fields.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static unsigned char buf[(1 << 20) + 8192];
static int serve(int fd, int drop);
static unsigned char out[4096];

static uint32_t g32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t g64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static void p16(unsigned char *p, uint16_t v) { memcpy(p, &v, 2); }
static void p32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void p64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }

static void reply(int fd, uint64_t unique, int32_t error, size_t body) {
    size_t len = 16 + (error ? 0 : body);
    p32(out, (uint32_t)len);
    memcpy(out + 4, &error, 4);
    p64(out + 8, unique);
    if (write(fd, out, len) < 0 && errno != ENOENT) perror("ftrec-initfs: write");
}

/* fuse_attr (88 bytes) at p. */
static void attr(unsigned char *p, uint64_t ino) {
    memset(p, 0, 88);
    p64(p, ino);                                  /* ino */
    p32(p + 60, ino == 1 ? 040755 : 0100644);     /* mode */
    p32(p + 64, 1);                               /* nlink */
    p32(p + 80, 4096);                            /* blksize */
}

/* -c: every fd above 2 but keep closed behind the library's back, FILE on their numbers. */
static int close_and_reuse(int keep, const char *file) {
    if (keep > 3 && syscall(SYS_close_range, 3, keep - 1, 0) != 0) { perror("close_range"); return 3; }
    if (syscall(SYS_close_range, keep + 1, ~0U, 0) != 0) { perror("close_range"); return 3; }
    int f = open(file, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (f < 0) { perror(file); return 3; }
    for (int n = 3; n < 1024; n++)
        if (n != keep && n != f && dup2(f, n) != n) { perror("dup2"); return 3; }
    return 0;
}

/* -k's child: mount(2), as glusterfs's forked child does. */
static int mount_child(const char *mnt, const char *opts, int ready) {
    if (mount("ftrec-initfs", mnt, "fuse", MS_NOSUID | MS_NODEV, opts) != 0) { perror("mount"); return 3; }
    return write(ready, "", 1) == 1 ? 0 : 3;
}

/* -K's child: the new mount API, attached ms milliseconds after the kernel
 * sent INIT (at FSCONFIG_CMD_CREATE). */
static int fsmount_child(const char *mnt, int fd, int ms, int ready) {
    char n[16];
    snprintf(n, sizeof n, "%d", fd);
    int fs = fsopen("fuse", FSOPEN_CLOEXEC);
    if (fs < 0) { perror("fsopen"); return 3; }
    if (fsconfig(fs, FSCONFIG_SET_STRING, "fd", n, 0) != 0 || fsconfig(fs, FSCONFIG_SET_STRING, "rootmode", "40000", 0) != 0 ||
        fsconfig(fs, FSCONFIG_SET_STRING, "user_id", "0", 0) != 0 || fsconfig(fs, FSCONFIG_SET_STRING, "group_id", "0", 0) != 0 ||
        fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) != 0) { perror("fsconfig"); return 3; }
    if (write(ready, "", 1) != 1) return 3;
    int m = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
    if (m < 0) { perror("fsmount"); return 3; }
    usleep((useconds_t)ms * 1000);
    if (move_mount(m, "", AT_FDCWD, mnt, MOVE_MOUNT_F_EMPTY_PATH) != 0) { perror("move_mount"); return 3; }
    return 0;
}

int main(int argc, char **argv) {
    int drop = 0, background = 0, reexec = 0, shell = 0, by_child = 0, attach_ms = -1, a = 1;
    const char *reuse = NULL;
    if ((argc == 3 || (argc == 5 && !strcmp(argv[3], "-c"))) && !strcmp(argv[1], "-F")) {
        int fd = atoi(argv[2]);
        if (argc == 5 && close_and_reuse(fd, argv[4]) != 0) return 3;
        return serve(fd, 1);
    }
    for (; a < argc && argv[a][0] == '-'; a++) {
        if (!strcmp(argv[a], "-d")) drop = 1;
        else if (!strcmp(argv[a], "-b")) background = 1;
        else if (!strcmp(argv[a], "-x")) reexec = 1;
        else if (!strcmp(argv[a], "-s")) shell = 1;
        else if (!strcmp(argv[a], "-c") && a + 1 < argc) reuse = argv[++a];
        else if (!strcmp(argv[a], "-k")) by_child = 1;
        else if (!strcmp(argv[a], "-K") && a + 1 < argc) by_child = 1, attach_ms = atoi(argv[++a]);
        else return 2;
    }
    if (argc - a != 1) return 2;
    const char *mnt = argv[a];
    int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (fd < 0) { perror("open /dev/fuse"); return 3; }
    char opts[128];
    snprintf(opts, sizeof opts, "fd=%d,rootmode=40000,user_id=0,group_id=0", fd);
    if (by_child) {
        /* The child says when the fd has a connection (before that, reading
         * it fails with EPERM): glusterfs's reader starts after its child's
         * mount(2) returned. */
        int ready[2];
        char b;
        if (pipe(ready) != 0) { perror("pipe"); return 3; }
        pid_t p = fork();
        if (p < 0) { perror("fork"); return 3; }
        if (p == 0) exit(attach_ms < 0 ? mount_child(mnt, opts, ready[1]) : fsmount_child(mnt, fd, attach_ms, ready[1]));
        close(ready[1]);
        if (read(ready[0], &b, 1) != 1) return 3;
        close(ready[0]);
        return serve(fd, 1);
    }
    if (mount("ftrec-initfs", mnt, "fuse", MS_NOSUID | MS_NODEV, opts) != 0) { perror("mount"); return 3; }
    if (background) {
        pid_t p = fork();
        if (p < 0) { perror("fork"); return 3; }
        if (p > 0) exit(0);
        setsid();
        int nul = open("/dev/null", O_RDWR);
        if (nul >= 0) { dup2(nul, 0); dup2(nul, 1); dup2(nul, 2); close(nul); }
    }
    if (drop) {
        if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0) { perror("giving up root"); return 5; }
        if (getuid() != 65534 || geteuid() != 65534 || setuid(0) == 0) return 5;
    }
    if (reexec) {
        char n[16];
        snprintf(n, sizeof n, "%d", fd);
        if (fcntl(fd, F_SETFD, 0) != 0) { perror("fcntl"); return 3; }
        if (shell) {
            char self[4096], cmd[8192];
            ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
            if (k < 0) { perror("readlink"); return 3; }
            self[k] = '\0';
            snprintf(cmd, sizeof cmd, "'%s' -F %s%s%s%s", self, n, reuse ? " -c '" : "", reuse ? reuse : "", reuse ? "'" : "");
            execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        } else if (reuse) execl("/proc/self/exe", "ftrec-initfs", "-F", n, "-c", reuse, (char *)NULL);
        else execl("/proc/self/exe", "ftrec-initfs", "-F", n, (char *)NULL);
        perror("exec");
        return 3;
    }
    return serve(fd, drop);
}

/* Serves fd until unmounted; plain: no passthrough nor io_uring asked for. */
static int serve(int fd, int drop) {
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return errno == ENODEV ? 0 : 4;
        }
        if (n < 40) continue;
        uint32_t op = g32(buf + 4);
        uint64_t unique = g64(buf + 8);
        uint64_t nodeid = g64(buf + 16);
        memset(out, 0, sizeof out);
        unsigned char *b = out + 16;
        switch (op) {
        case 26: { /* INIT */
            uint32_t minor = g32(buf + 44), flags = g32(buf + 52);
            p32(b, 7);
            p32(b + 4, minor);
            p32(b + 8, 131072);                   /* max_readahead */
            p32(b + 12, (flags & (1u << 30)));    /* flags: INIT_EXT when offered */
            p32(b + 20, 131072);                  /* max_write */
            if (!drop) p32(b + 32, (1u << 5) | (1u << 9)); /* flags2: PASSTHROUGH, OVER_IO_URING */
            p32(b + 36, 1);                       /* max_stack_depth */
            reply(fd, unique, 0, 64);
            break;
        }
        case 1: /* LOOKUP */
            if (strcmp((char *)buf + 40, "f") != 0) { reply(fd, unique, -ENOENT, 0); break; }
            p64(b, 2);                            /* nodeid */
            attr(b + 40, 2);
            reply(fd, unique, 0, 128);
            break;
        case 3: /* GETATTR */
            attr(b + 16, nodeid);
            reply(fd, unique, 0, 104);
            break;
        case 14: /* OPEN */
            p64(b, 1);                            /* fh */
            if (!drop) p32(b + 8, 1u << 7);       /* FOPEN_PASSTHROUGH */
            p32(b + 12, 0);                       /* backing_id */
            reply(fd, unique, 0, 16);
            break;
        case 27: /* OPENDIR */
            reply(fd, unique, 0, 16);
            break;
        case 2: case 42: case 36: /* FORGET, BATCH_FORGET, INTERRUPT: no reply */
            break;
        case 18: case 29: case 25: case 38: /* RELEASE, RELEASEDIR, FLUSH, DESTROY */
            reply(fd, unique, 0, 0);
            break;
        default:
            reply(fd, unique, -ENOSYS, 0);
        }
        (void)p16;
    }
}
