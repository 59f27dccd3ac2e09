/*
 * ftrec-initfs: a tiny raw FUSE daemon (no libfuse) for the recorder's
 * "traffic the capture cannot see" warnings.  It mounts MNT, answers INIT
 * asking for FUSE_PASSTHROUGH (and FUSE_OVER_IO_URING, which this kernel
 * does not offer unless fuse.enable_uring=1), serves one regular file "f",
 * and answers OPEN with FOPEN_PASSTHROUGH (backing id 0, so the kernel
 * refuses the open: the reply still crosses /dev/fuse, which is all the
 * recorder looks at).  Exits 0 when unmounted.
 *
 *   ftrec-initfs MNT
 *
 * Layouts are written by offset (fuse-protocol.md §3) because Debian's
 * <linux/fuse.h> (7.38) predates the passthrough fields.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned char buf[(1 << 20) + 8192];
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

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (fd < 0) { perror("open /dev/fuse"); return 3; }
    char opts[128];
    snprintf(opts, sizeof opts, "fd=%d,rootmode=40000,user_id=0,group_id=0", fd);
    if (mount("ftrec-initfs", argv[1], "fuse", MS_NOSUID | MS_NODEV, opts) != 0) { perror("mount"); return 3; }
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
            p32(b + 32, (1u << 5) | (1u << 9));   /* flags2: PASSTHROUGH, OVER_IO_URING */
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
            p32(b + 8, 1u << 7);                  /* FOPEN_PASSTHROUGH */
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
