/*
 * ftrec-splicefs: a tiny raw FUSE daemon (no libfuse) that receives every
 * request with splice(/dev/fuse -> pipe) and then gets the bytes out of the
 * pipe in a different way for each request, cycling through:
 *
 *   0  read(2) of the whole request (libfuse's small requests)
 *   1  read(2) of the 40-byte header, then of the rest (libfuse's large WRITE
 *      reads its header and leaves the payload in the pipe)
 *   2  splice(pipe -> second pipe), then read(2) of that pipe
 *   3  tee(2) into a second pipe, read of the copy, reply, and only then a
 *      read(2) of the original (the reply goes out before the pipe is read)
 *   4  tee + read of the copy, then close(2) of the pipe unread, a new pipe
 *   5  dup(2) of the read end and readv(2) through the dup, then a new pipe
 *
 * It serves one regular file "f" (direct I/O, WRITEs answered as done) and
 * appends every request it received, whole, to LOG as {u32 len; bytes}, so a
 * test can compare the capture with what the daemon really got.  Exits 0
 * when unmounted.
 *
 *   ftrec-splicefs MNT LOG
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/uio.h>
#include <unistd.h>

#define BUFSZ ((1 << 20) + 4096)
static unsigned char buf[BUFSZ];
static unsigned char out[4096];
static int fd, logfd, pr = -1, pw = -1;

static uint32_t g32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t g64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static void p32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void p64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }

static void die(const char *what) {
    perror(what);
    exit(5);
}

static void new_pipe(void) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) die("pipe2");
    if (fcntl(p[1], F_SETPIPE_SZ, 1 << 20) < 0) die("F_SETPIPE_SZ");
    pr = p[0];
    pw = p[1];
}

/* Reads exactly n bytes from f into b. */
static void read_full(int f, unsigned char *b, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(f, b + got, n - got);
        if (r <= 0) die("read pipe");
        got += (size_t)r;
    }
}

static void reply(uint64_t unique, int32_t error, size_t body) {
    size_t len = 16 + (error ? 0 : body);
    p32(out, (uint32_t)len);
    memcpy(out + 4, &error, 4);
    p64(out + 8, unique);
    if (write(fd, out, len) < 0 && errno != ENOENT) perror("ftrec-splicefs: write");
}

static void attr(unsigned char *p, uint64_t ino) {
    memset(p, 0, 88);
    p64(p, ino);
    p32(p + 60, ino == 1 ? 040755 : 0100644);
    p32(p + 64, 1);
    p32(p + 80, 4096);
}

/* Answers the request in buf (FORGETs and INTERRUPTs get no reply). */
static void serve(void) {
    uint32_t op = g32(buf + 4);
    uint64_t unique = g64(buf + 8), nodeid = g64(buf + 16);
    memset(out, 0, sizeof out);
    unsigned char *b = out + 16;
    switch (op) {
    case 26: { /* INIT */
        p32(b, 7);
        p32(b + 4, g32(buf + 44));
        p32(b + 8, 131072);
        p32(b + 20, 131072); /* max_write */
        reply(unique, 0, 64);
        break;
    }
    case 1: /* LOOKUP */
        if (strcmp((char *)buf + 40, "f") != 0) { reply(unique, -ENOENT, 0); break; }
        p64(b, 2);
        attr(b + 40, 2);
        reply(unique, 0, 128);
        break;
    case 3: /* GETATTR */
        attr(b + 16, nodeid);
        reply(unique, 0, 104);
        break;
    case 4: /* SETATTR */
        attr(b + 16, nodeid);
        reply(unique, 0, 104);
        break;
    case 14: case 27: /* OPEN, OPENDIR */
        p64(b, 1);
        p32(b + 8, op == 14 ? 1u : 0u); /* FOPEN_DIRECT_IO */
        reply(unique, 0, 16);
        break;
    case 16: /* WRITE */
        p32(b, g32(buf + 40 + 16));
        reply(unique, 0, 8);
        break;
    case 2: case 42: case 36: /* FORGET, BATCH_FORGET, INTERRUPT */
        break;
    case 18: case 29: case 25: case 38: /* RELEASE, RELEASEDIR, FLUSH, DESTROY */
        reply(unique, 0, 0);
        break;
    default:
        reply(unique, -ENOSYS, 0);
    }
}

static int answered_early;

/* Gets the n-byte request spliced into the pipe into buf, mode by mode. */
static void take(size_t n, unsigned mode) {
    int q[2];
    switch (mode) {
    case 0:
        read_full(pr, buf, n);
        break;
    case 1:
        read_full(pr, buf, 40);
        read_full(pr, buf + 40, n - 40);
        break;
    case 2:
        if (pipe2(q, O_CLOEXEC) != 0) die("pipe2");
        if (fcntl(q[1], F_SETPIPE_SZ, 1 << 20) < 0) die("F_SETPIPE_SZ");
        if (splice(pr, NULL, q[1], NULL, n, 0) != (ssize_t)n) die("splice pipe");
        read_full(q[0], buf, n);
        close(q[0]);
        close(q[1]);
        break;
    case 3: case 4:
        if (pipe2(q, O_CLOEXEC) != 0) die("pipe2");
        if (fcntl(q[1], F_SETPIPE_SZ, 1 << 20) < 0) die("F_SETPIPE_SZ");
        if (tee(pr, q[1], n, 0) != (ssize_t)n) die("tee");
        read_full(q[0], buf, n);
        close(q[0]);
        close(q[1]);
        if (mode == 3) {
            serve(); /* the reply leaves before the pipe is read */
            answered_early = 1;
            static unsigned char sink[BUFSZ];
            read_full(pr, sink, n);
        } else {
            close(pr);
            close(pw);
            new_pipe();
        }
        break;
    case 5: {
        int d = dup(pr);
        if (d < 0) die("dup");
        size_t got = 0;
        while (got < n) {
            struct iovec v[2] = {{buf + got, 16}, {buf + got + 16, n - got > 16 ? n - got - 16 : 0}};
            ssize_t r = readv(d, v, 2);
            if (r <= 0) die("readv");
            got += (size_t)r;
        }
        close(d);
        close(pr);
        close(pw);
        new_pipe();
        break;
    }
    }
}

int main(int argc, char **argv) {
    if (argc != 3) return 2;
    fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (fd < 0) { perror("open /dev/fuse"); return 3; }
    logfd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (logfd < 0) { perror("open log"); return 3; }
    char opts[128];
    snprintf(opts, sizeof opts, "fd=%d,rootmode=40000,user_id=0,group_id=0", fd);
    if (mount("ftrec-splicefs", argv[1], "fuse", MS_NOSUID | MS_NODEV, opts) != 0) { perror("mount"); return 3; }
    new_pipe();
    for (unsigned k = 0;; k++) {
        ssize_t n = splice(fd, NULL, pw, NULL, BUFSZ, 0);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == ENOENT) { k--; continue; }
            return errno == ENODEV ? 0 : 4;
        }
        if (n < 40) die("short splice");
        answered_early = 0;
        take((size_t)n, k % 6);
        uint32_t len = (uint32_t)n;
        if (write(logfd, &len, 4) != 4 || write(logfd, buf, (size_t)n) != n) die("write log");
        if (!answered_early) serve();
    }
}
