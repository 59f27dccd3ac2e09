/*
 * ftrec-bpf: the loader of `fusetrace record --bpf` (kernel half:
 * ftrec-bpf.bpf.c).  Loads the CO-RE program, follows one daemon (started
 * here, or attached by pid) and everything it forks, and writes the
 * messages its syscalls move through /dev/fuse as pcapng
 * (docs/spec/capture-format.md §1): one interface per connection,
 * timestamps of the daemon's own syscalls, its pid/tid, losses in the ISB.
 *
 *   ftrec-bpf -o OUT [--snaplen N] [--label L] [--ring-mb N] [-q] (--pid PID | --cgroup DIR | -- CMD ARGS...)
 *
 * Exit: the command's exit code (or 0 with --pid); 2 when the program
 * cannot be loaded (not root, no BPF) or the arguments are wrong.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "ftrec-bpf.h"
#include "ftrec-bpf.skel.h"
#include "host-machine.h"
#include "mountinfo.h"

/* The package version, given by scripts/build-native.mjs. */
#ifndef FTREC_VERSION
#define FTREC_VERSION "0.0.0"
#endif
#define RECORDER_NAME "fusetrace-record-bpf " FTREC_VERSION
#define MAX_CONNS 64

static const char *out_path;
static FILE *out;
static uint32_t snaplen = 4096;
static const char *label;
static int quiet;
static int64_t mono_to_real;
static volatile sig_atomic_t signals;
static pid_t child = -1;
static int child_status = -1;

struct conn {
    uint32_t dev;
    int iface;
    uint64_t recv, lost, first_ns, last_ns;
};
static struct conn conns[MAX_CONNS];
static int nconns;
static uint64_t total_msgs;

/* A message being put together from its chunks, per thread. */
struct partial {
    uint32_t tid;
    struct ftrec_ev h;
    uint32_t have;
    uint8_t *buf;
    uint32_t cap;
};
#define NPART 1024
static struct partial parts[NPART];

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static uint32_t pad4(uint32_t n) { return (n + 3u) & ~3u; }
static uint32_t put_opt(uint8_t *p, uint16_t code, const void *v, uint16_t len) {
    put16(p, code);
    put16(p + 2, len);
    memcpy(p + 4, v, len);
    memset(p + 4 + len, 0, pad4(len) - len);
    return 4 + pad4(len);
}

static void write_block(const void *b, size_t n) {
    if (fwrite(b, 1, n, out) != n) {
        fprintf(stderr, "fusetrace: error: cannot write %s: %s\n", out_path, strerror(errno));
        exit(2);
    }
}

static void write_shb(void) {
    uint8_t b[1024], *p = b + 24;
    struct utsname u;
    char os[300], comment[200], machine[64];
    host_machine(machine, sizeof machine);
    if (uname(&u) == 0) snprintf(os, sizeof os, "%s %s", u.sysname, u.release);
    else snprintf(os, sizeof os, "Linux");
    snprintf(comment, sizeof comment, "recorded with eBPF syscall tracepoints (fusetrace record --bpf); snaplen=%u", snaplen);
    p += put_opt(p, 1, comment, strlen(comment));
    if (machine[0]) p += put_opt(p, 2, machine, strlen(machine));
    p += put_opt(p, 3, os, strlen(os));
    p += put_opt(p, 4, RECORDER_NAME, strlen(RECORDER_NAME));
    put32(p, 0);
    p += 4;
    uint32_t len = (uint32_t)(p - b) + 4;
    put32(b, 0x0A0D0D0A);
    put32(b + 4, len);
    put32(b + 8, 0x1A2B3C4D);
    put16(b + 12, 1);
    put16(b + 14, 0);
    memset(b + 16, 0xff, 8);
    put32(p, len);
    write_block(b, len);
}

/* The mount point of connection `dev` as process `pid` sees it: the first
 * FUSE mount of that device in its mountinfo (a bind mount comes after the
 * mount it copies). */
static void mountpoint_of(uint32_t dev, pid_t pid, char *o, size_t n) {
    char path[64];
    o[0] = 0;
    snprintf(path, sizeof path, "/proc/%d/mountinfo", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) f = fopen("/proc/self/mountinfo", "r");
    if (!f) return;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] == '\n') line[len - 1] = 0;
        struct fuse_mount_row r;
        if (mountinfo_fuse_row(line, &r) && r.major == dev >> 20 && r.minor == (dev & 0xfffff)) {
            snprintf(o, n, "%s", r.point);
            break;
        }
    }
    free(line);
    fclose(f);
}

static void comm_of(pid_t pid, char *o, size_t n) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
    o[0] = 0;
    FILE *f = fopen(path, "r");
    if (f) {
        if (fgets(o, (int)n, f)) o[strcspn(o, "\n")] = 0;
        fclose(f);
    }
    if (!o[0]) snprintf(o, n, "?");
}

static void sample_queue(int i);

static struct conn *conn_of(uint32_t dev, pid_t pid) {
    for (int i = 0; i < nconns; i++)
        if (conns[i].dev == dev) return &conns[i];
    if (nconns == MAX_CONNS) return NULL;
    struct conn *c = &conns[nconns];
    memset(c, 0, sizeof *c);
    c->dev = dev;
    c->iface = nconns++;
    char mnt[1024] = "", comm[64], name[1100], desc[1400];
    /* The daemon may take its INIT before mount(2) has returned (and the
     * mount shows): a connection's first message waits for it a moment.
     * Also under --label, which names the interface: the description still
     * says where the mount is. */
    for (int i = 0; i < 40; i++) {
        mountpoint_of(dev, pid, mnt, sizeof mnt);
        if (mnt[0] || !dev) break;
        usleep(10000);
    }
    comm_of(pid, comm, sizeof comm);
    if (label) snprintf(name, sizeof name, "fuse:%s", label);
    else snprintf(name, sizeof name, "fuse:%s", mnt[0] ? mnt : comm);
    snprintf(desc, sizeof desc, "mountpoint=%s daemon=%s pid=%d conn=%u snaplen=%u recorder=%s",
             mnt[0] ? mnt : "?", comm, (int)pid, dev, snaplen, RECORDER_NAME);
    uint8_t b[3000], *p = b + 16;
    uint8_t tsresol = 9;
    p += put_opt(p, 2, name, strlen(name));
    p += put_opt(p, 3, desc, strlen(desc));
    p += put_opt(p, 9, &tsresol, 1);
    put32(p, 0);
    p += 4;
    uint32_t len = (uint32_t)(p - b) + 4;
    put32(b, 1);
    put32(b + 4, len);
    put16(b + 8, 147);
    put16(b + 10, 0);
    put32(b + 12, snaplen);
    put32(p, len);
    write_block(b, len);
    sample_queue(c->iface); /* the first sample, while the mount is surely there */
    return c;
}

/* The opt_comment of a message: a failed write's errno, or how it was rebuilt
 * (capture-format.md, "Rebuilt messages"). */
static int epb_comment(const struct ftrec_ev *h, char *o, size_t n) {
    if (h->err) return snprintf(o, n, "errno=%d", h->err);
    if (h->src == FTREC_SRC_REQUEST_SEND) return snprintf(o, n, "rebuilt from fuse_request_send");
    if (h->src == FTREC_SRC_REQUEST_END) return snprintf(o, n, "rebuilt from fuse_request_end");
    return 0;
}

static void write_epb(const struct ftrec_ev *h, const uint8_t *data) {
    struct conn *c = conn_of(h->conn, h->pid);
    if (!c) return;
    uint64_t ts = h->ts + mono_to_real;
    char comment[48];
    int clen = epb_comment(h, comment, sizeof comment);
    /* A rebuilt request has no daemon thread (pid 0): no pid/tid option. */
    uint32_t total = 28 + pad4(h->caplen) + 8 + (h->pid ? 12 : 0) + (clen ? 4 + pad4(clen) : 0) + 4 + 4;
    uint8_t hdr[28], tail[96], *p = tail;
    put32(hdr, 6);
    put32(hdr + 4, total);
    put32(hdr + 8, (uint32_t)c->iface);
    put32(hdr + 12, (uint32_t)(ts >> 32));
    put32(hdr + 16, (uint32_t)ts);
    put32(hdr + 20, h->caplen);
    put32(hdr + 24, h->len);
    write_block(hdr, 28);
    if (h->caplen) write_block(data, h->caplen);
    static const uint8_t zeros[4];
    if (pad4(h->caplen) != h->caplen) write_block(zeros, pad4(h->caplen) - h->caplen);
    uint32_t flags = h->dir | (h->err ? (1u << 16) : 0);
    p += put_opt(p, 2, &flags, 4);
    uint32_t pt[2] = {h->pid, h->tid};
    if (h->pid) p += put_opt(p, 8, pt, 8);
    if (clen) p += put_opt(p, 1, comment, (uint16_t)clen);
    put32(p, 0);
    p += 4;
    put32(p, total);
    p += 4;
    write_block(tail, (size_t)(p - tail));
    c->recv++;
    if (!c->first_ns) c->first_ns = ts;
    c->last_ns = ts;
    total_msgs++;
}

static void write_isb(struct conn *c, uint64_t end) {
    uint8_t b[128], *p = b + 20;
    uint32_t t[2];
    uint64_t start = c->first_ns ? c->first_ns : end;
    t[0] = (uint32_t)(start >> 32); t[1] = (uint32_t)start;
    p += put_opt(p, 2, t, 8);
    t[0] = (uint32_t)(end >> 32); t[1] = (uint32_t)end;
    p += put_opt(p, 3, t, 8);
    p += put_opt(p, 4, &c->recv, 8);
    p += put_opt(p, 5, &c->lost, 8);
    put32(p, 0);
    p += 4;
    uint32_t len = (uint32_t)(p - b) + 4;
    put32(b, 5);
    put32(b + 4, len);
    put32(b + 8, (uint32_t)c->iface);
    put32(b + 12, (uint32_t)(end >> 32));
    put32(b + 16, (uint32_t)end);
    put32(p, len);
    write_block(b, len);
}

/*
 * FUSE over io_uring: its messages are rebuilt at the kernel's fuse
 * tracepoints (ftrec-bpf.bpf.c).  A kernel without them (before 6.15) still
 * records everything else: the programs are then not loaded.  Returns whether
 * they will be.
 */
static int rebuild_ring_messages(struct ftrec_bpf *skel) {
    struct btf *vmlinux = btf__load_vmlinux_btf();
    int have = vmlinux && btf__find_by_name_kind(vmlinux, "btf_trace_fuse_request_send", BTF_KIND_TYPEDEF) > 0 &&
               btf__find_by_name_kind(vmlinux, "btf_trace_fuse_request_end", BTF_KIND_TYPEDEF) > 0;
    btf__free(vmlinux);
    bpf_program__set_autoload(skel->progs.on_request_send, have);
    bpf_program__set_autoload(skel->progs.on_request_end, have);
    return have;
}

static int64_t clock_ns(clockid_t id);
static int fusectl_fd = -1;  /* /sys/fs/fuse/connections, for the queue state */

/*
 * Queue state (capture-format.md §1, "Queue state"): a Custom Block whenever
 * a connection's waiting / max_background / congestion_threshold in fusectl
 * changed since the last 100 ms sample.
 */
static int read_ctl(uint32_t dev, const char *name, uint32_t *v) {
    char path[64], buf[32];
    snprintf(path, sizeof path, "%u/%s", dev, name);
    int fd = openat(fusectl_fd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    *v = (uint32_t)strtoul(buf, NULL, 10);
    return 0;
}

struct qstate { uint32_t waiting, max_bg, cong; int have; };
static struct qstate qlast[MAX_CONNS];
static uint64_t queue_blocks;

/* Writes conn i's queue state when it changed since its last block. */
static void sample_queue(int i) {
    struct conn *c = &conns[i];
    struct qstate q = {0, 0, 0, 1};
    if (fusectl_fd < 0 || !c->dev || read_ctl(c->dev, "waiting", &q.waiting) ||
        read_ctl(c->dev, "max_background", &q.max_bg) || read_ctl(c->dev, "congestion_threshold", &q.cong))
        return;
    if (qlast[i].have && qlast[i].waiting == q.waiting && qlast[i].max_bg == q.max_bg && qlast[i].cong == q.cong)
        return;
    qlast[i] = q;
    uint64_t ts = (uint64_t)clock_ns(CLOCK_REALTIME);
    uint8_t b[56];
    put32(b, 0x40000BAD);
    put32(b + 4, sizeof b);
    put32(b + 8, 0);                     /* PEN: none (see capture-format.md) */
    memcpy(b + 12, "ftqueue1", 8);
    put32(b + 20, (uint32_t)c->iface);
    put32(b + 24, (uint32_t)(ts >> 32));
    put32(b + 28, (uint32_t)ts);
    put32(b + 32, q.waiting);
    put32(b + 36, q.max_bg);
    put32(b + 40, q.cong);
    put32(b + 44, 0);
    put32(b + 48, 0);
    put32(b + 52, sizeof b);
    write_block(b, sizeof b);
    queue_blocks++;
}

static void sample_queues(void) {
    for (int i = 0; i < nconns; i++) sample_queue(i);
}

/*
 * A passthrough backing-file ioctl (capture-format.md §1, "Passthrough
 * backing files"), the same block the LD_PRELOAD library writes. The program
 * gives the backing file's inode and dev; its path comes from the daemon's fd
 * through /proc now, kept only while that fd is still the same file (the
 * daemon may have closed or reused it since): best effort.
 */
static void write_backing(const struct ftrec_backing_ev *be) {
    const struct ftrec_ev *h = &be->h;
    struct conn *c = conn_of(h->conn, h->pid);
    if (!c) return;
    uint64_t ts = h->ts + mono_to_real;
    char path[PATH_MAX];
    ssize_t plen = 0;
    uint64_t dev = 0, ino = 0;
    if (h->dir == 1 && be->ino) {
        char link[64];
        struct stat st;
        ino = be->ino;
        dev = (uint64_t)makedev(be->dev >> 20, be->dev & 0xfffff);
        snprintf(link, sizeof link, "/proc/%u/fd/%d", h->pid, (int)h->len);
        if (stat(link, &st) == 0 && (uint64_t)st.st_ino == ino) {
            dev = (uint64_t)st.st_dev; /* as stat(2) says it, like the LD_PRELOAD library */
            plen = readlink(link, path, sizeof path);
        }
        if (plen < 0) plen = 0;
    }
    uint32_t total = 80 + pad4((uint32_t)plen);
    uint8_t b[80 + PATH_MAX + 4];
    memset(b, 0, total);
    put32(b, 0x40000BAD);
    put32(b + 4, total);
    put32(b + 8, 0); /* PEN: none, the tag says whose block it is */
    memcpy(b + 12, "ftbackg1", 8);
    put32(b + 20, (uint32_t)c->iface);
    put32(b + 24, (uint32_t)(ts >> 32));
    put32(b + 28, (uint32_t)ts);
    put32(b + 32, h->dir);
    put32(b + 36, (uint32_t)h->err);
    put32(b + 40, h->len);
    put32(b + 44, h->off);
    put32(b + 48, h->pid);
    put32(b + 52, h->tid);
    memcpy(b + 56, &dev, 8);
    memcpy(b + 64, &ino, 8);
    put32(b + 72, (uint32_t)plen);
    memcpy(b + 76, path, (size_t)plen);
    put32(b + total - 4, total);
    write_block(b, total);
}

static void lose_partial(struct partial *pt) {
    struct conn *c = conn_of(pt->h.conn, pt->h.pid);
    if (c) c->lost++;
    pt->tid = 0;
}

static int on_chunk(void *ctx, void *data, size_t size) {
    (void)ctx;
    if (size < sizeof(struct ftrec_ev)) return 0;
    const struct ftrec_ev *h = data;
    const uint8_t *bytes = (const uint8_t *)data + sizeof *h;
    if (h->n > size - sizeof *h) return 0;
    if (h->src == FTREC_SRC_BACKING) {
        if (size >= sizeof(struct ftrec_backing_ev)) write_backing(data);
        return 0;
    }
    if (h->off == 0 && h->n == h->caplen) {  /* the common case: one chunk */
        write_epb(h, bytes);
        return 0;
    }
    struct partial *pt = &parts[h->tid % NPART];
    if (h->off == 0) {
        if (pt->tid) lose_partial(pt);
        if (pt->cap < h->caplen) {
            uint8_t *nb = realloc(pt->buf, h->caplen);
            if (!nb) {
                struct conn *c = conn_of(h->conn, h->pid);
                if (c) c->lost++;
                return 0;
            }
            pt->buf = nb;
            pt->cap = h->caplen;
        }
        pt->tid = h->tid;
        pt->h = *h;
        pt->have = 0;
    } else if (pt->tid != h->tid || pt->have != h->off) {
        /* The start was lost (counted by the program) or the slot is another's. */
        if (pt->tid == h->tid) lose_partial(pt);
        return 0;
    }
    /* A rebuilt message's last chunk says how far the program could read. */
    if (h->caplen < pt->h.caplen) pt->h.caplen = h->caplen;
    if (h->n > pt->cap - pt->have) {  /* never from the program; kept out of the buffer's end anyway */
        lose_partial(pt);
        return 0;
    }
    memcpy(pt->buf + pt->have, bytes, h->n);
    pt->have += h->n;
    if (pt->have >= pt->h.caplen) {
        write_epb(&pt->h, pt->buf);
        pt->tid = 0;
    }
    return 0;
}

static volatile sig_atomic_t last_sig;
static void on_signal(int sig) {
    signals++;
    last_sig = sig;
}

static int64_t clock_ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Is pid a live (not zombie) process? */
static int alive(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *rp = strrchr(buf, ')');
    return rp && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X';
}

/* Does any followed process still run? */
static int any_alive(int procs_fd) {
    uint32_t key, next;
    int have = bpf_map_get_next_key(procs_fd, NULL, &next) == 0;
    while (have) {
        key = next;
        if (alive((pid_t)key)) return 1;
        have = bpf_map_get_next_key(procs_fd, &key, &next) == 0;
    }
    return 0;
}

/* Adds pid and its descendants (a running daemon's workers) to the map. */
static void follow_tree(int procs_fd, pid_t root) {
    uint8_t one = 1;
    uint32_t k = (uint32_t)root;
    bpf_map_update_elem(procs_fd, &k, &one, BPF_ANY);
    for (int round = 0; round < 8; round++) {
        int added = 0;
        DIR *d = opendir("/proc");
        if (!d) return;
        struct dirent *e;
        while ((e = readdir(d))) {
            char *end;
            long pid = strtol(e->d_name, &end, 10);
            if (*end || pid <= 0) continue;
            char path[64], buf[512];
            snprintf(path, sizeof path, "/proc/%ld/stat", pid);
            FILE *f = fopen(path, "r");
            if (!f) continue;
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            fclose(f);
            buf[n] = 0;
            char *rp = strrchr(buf, ')');
            int ppid;
            char st;
            if (!rp || sscanf(rp + 2, "%c %d", &st, &ppid) != 2) continue;
            uint32_t pk = (uint32_t)ppid, ck = (uint32_t)pid;
            uint8_t v;
            if (bpf_map_lookup_elem(procs_fd, &pk, &v) == 0 && bpf_map_lookup_elem(procs_fd, &ck, &v) != 0) {
                bpf_map_update_elem(procs_fd, &ck, &one, BPF_ANY);
                added++;
            }
        }
        closedir(d);
        if (!added) break;
    }
}

/*
 * Spliced messages sit in pipe pages, reachable only through the direct
 * map, whose base (and that of the struct page array) is randomized and has
 * no kallsyms entry.  A page of ours whose pfn pagemap tells is vmspliced
 * into a pipe: the program notes its struct page (giving the array's base);
 * then candidate direct-map bases below our task_struct (which lives in
 * the direct map, 1 GiB aligned) are probed for the page's magic.
 */
static int calibrate(struct ftrec_bpf *skel) {
    long pagesz = sysconf(_SC_PAGESIZE);
    if (pagesz != 4096) return -1;
    uint64_t *pg = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pg == MAP_FAILED) return -1;
    uint64_t magic = ((uint64_t)clock_ns(CLOCK_MONOTONIC) * 0x9E3779B97F4A7C15ull) ^ 0x66757365747261ull ^ (uint64_t)getpid();
    for (int i = 0; i < 512; i++) pg[i] = magic;
    mlock(pg, 4096);
    int rc = -1, pfd[2] = {-1, -1};
    int pm = open("/proc/self/pagemap", O_RDONLY);
    uint64_t ent = 0;
    if (pm < 0 || pread(pm, &ent, 8, (off_t)((uintptr_t)pg / 4096) * 8) != 8) goto out;
    uint64_t pfn = ent & ((1ull << 55) - 1);
    if (!(ent >> 63) || !pfn) goto out;  /* not present, or pfns hidden (not root) */
    if (pipe(pfd)) goto out;
    skel->bss->calib_magic = magic;
    skel->bss->calib_fd = pfd[1];
    struct iovec iov = {pg, 4096};
    if (vmsplice(pfd[1], &iov, 1, 0) != 4096 || !skel->bss->calib_page) goto out;
    uint64_t psz = skel->bss->page_struct_size;
    if (!psz) goto out;
    uint64_t vmemmap = skel->bss->calib_page - pfn * psz;
    uint64_t top = skel->bss->calib_task & ~((1ull << 30) - 1);
    for (uint64_t k = 0; k < 4096; k++) {
        uint64_t base = top - (k << 30);
        skel->bss->probe_hit = 0;
        skel->bss->probe_addr = base + pfn * 4096;
        syscall(SYS_getppid);
        if (skel->bss->probe_hit) {
            skel->bss->vmemmap_base = vmemmap;
            skel->bss->direct_map_base = base;
            rc = 0;
            break;
        }
    }
out:
    skel->bss->probe_addr = 0;
    if (rc) skel->bss->page_struct_size = 0; /* splice then counts as lost */
    if (pm >= 0) close(pm);
    if (pfd[0] >= 0) close(pfd[0]);
    if (pfd[1] >= 0) close(pfd[1]);
    munmap(pg, 4096);
    return rc;
}

/*
 * Attaching to a tracepoint reads its id from tracefs.  When tracefs is not
 * mounted, it is mounted in a mount namespace of our own for the attach
 * only, so the machine's mounts are left as they were.  Returns the fd of
 * the namespace to go back to, or -1 when nothing was changed.
 */
static int cwd_fd = -1;
#define FUSECTL "/sys/fs/fuse/connections"
static int enter_tracefs_ns(void) {
    /* fusectl is not mounted in many containers either: same treatment, and
     * the directory stays open (and readable) after going back. */
    int have_fusectl = 0;
    DIR *d = opendir(FUSECTL);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            if (e->d_name[0] != '.') have_fusectl = 1;
        closedir(d);
    }
    int have_tracefs = access("/sys/kernel/tracing/events/syscalls", F_OK) == 0 ||
                       access("/sys/kernel/debug/tracing/events/syscalls", F_OK) == 0;
    if (have_fusectl || access("/sys/fs/fuse/connections", F_OK) != 0)
        fusectl_fd = open(FUSECTL, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (have_tracefs && fusectl_fd >= 0) return -1;
    int ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
    cwd_fd = open(".", O_PATH | O_CLOEXEC);
    if (ns < 0 || cwd_fd < 0 || unshare(CLONE_NEWNS) != 0) goto fail;
    if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
        (!have_tracefs && mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) != 0)) {
        setns(ns, CLONE_NEWNS);
        goto fail;
    }
    if (fusectl_fd < 0 && mount("fusectl", FUSECTL, "fusectl", 0, NULL) == 0)
        fusectl_fd = open(FUSECTL, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return ns;
fail:
    if (ns >= 0) close(ns);
    if (cwd_fd >= 0) close(cwd_fd);
    cwd_fd = -1;
    return -1;
}
static void leave_tracefs_ns(int ns) {
    if (ns < 0) return;
    if (setns(ns, CLONE_NEWNS) != 0) {
        fprintf(stderr, "fusetrace: error: cannot return to the original mount namespace: %s\n", strerror(errno));
        exit(2);
    }
    if (fchdir(cwd_fd) != 0) { /* the directory went away: paths were absolute anyway */ }
    close(ns);
    close(cwd_fd);
}

static int libbpf_quiet(enum libbpf_print_level lvl, const char *fmt, va_list ap) {
    if (getenv("FUSETRACE_BPF_DEBUG") || lvl == LIBBPF_WARN) return vfprintf(stderr, fmt, ap);
    return 0;
}

static void usage(const char *why) {
    fprintf(stderr, "fusetrace: error: %s\n  usage: ftrec-bpf -o OUT [--snaplen N] [--label L] [--ring-mb N] [-q] (--pid PID | --cgroup DIR | -- CMD ARGS...)\n", why);
    exit(2);
}

int main(int argc, char **argv) {
    pid_t attach = 0;
    const char *cgroup = NULL;
    unsigned ring_mb = 64;
    char **cmd = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            cmd = argv + i + 1;
            break;
        }
        if (!strcmp(a, "-o") && i + 1 < argc) out_path = argv[++i];
        else if (!strcmp(a, "--snaplen") && i + 1 < argc) snaplen = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(a, "--label") && i + 1 < argc) label = argv[++i];
        else if (!strcmp(a, "--ring-mb") && i + 1 < argc) ring_mb = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(a, "--pid") && i + 1 < argc) attach = (pid_t)strtol(argv[++i], NULL, 10);
        else if (!strcmp(a, "--cgroup") && i + 1 < argc) cgroup = argv[++i];
        else if (!strcmp(a, "-q")) quiet = 1;
        else usage("unknown argument");
    }
    if (!out_path) usage("-o OUT is required");
    if ((attach > 0) + (cmd && cmd[0]) + (cgroup != NULL) != 1) usage("give one of --pid PID, --cgroup DIR or a command after --");
    uint64_t cgroup_id = 0;
    if (cgroup) {
        /* A cgroup v2 directory's inode number is the id the kernel reports. */
        struct stat st;
        struct statfs sf;
        if (stat(cgroup, &st) != 0 || !S_ISDIR(st.st_mode) || statfs(cgroup, &sf) != 0 || sf.f_type != 0x63677270 /* CGROUP2_SUPER_MAGIC */) {
            fprintf(stderr, "fusetrace: error: --cgroup %s: not a cgroup v2 directory\n", cgroup);
            return 2;
        }
        cgroup_id = (uint64_t)st.st_ino;
    }
    if (attach > 0 && !alive(attach)) {
        fprintf(stderr, "fusetrace: error: --pid %d: no such process\n", (int)attach);
        return 2;
    }
    if (ring_mb < 1 || (ring_mb & (ring_mb - 1))) usage("--ring-mb must be a power of two");
    if (snaplen && snaplen < 256) snaplen = 256;

    /* Run by `fusetrace record` in a process group of its own: if that dies
     * (SIGKILL), stop as on Ctrl-C rather than record on unattended. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    libbpf_set_print(libbpf_quiet);
    struct ftrec_bpf *skel = ftrec_bpf__open();
    if (!skel) {
        fprintf(stderr, "fusetrace: error: cannot open the BPF program: %s\n", strerror(errno));
        return 2;
    }
    skel->rodata->snaplen = snaplen;
    skel->rodata->loader_tgid = (uint32_t)getpid();
    skel->rodata->cgroup_id = cgroup_id;
    bpf_map__set_max_entries(skel->maps.rb, ring_mb << 20);
    int uring = rebuild_ring_messages(skel);
    int err = ftrec_bpf__load(skel);
    if (!err) {
        int ns = enter_tracefs_ns();
        err = ftrec_bpf__attach(skel);
        leave_tracefs_ns(ns);
    }
    if (err) {
        int e = errno ? errno : -err;
        if (geteuid() != 0 && (e == EPERM || e == EACCES))
            fprintf(stderr, "fusetrace: error: loading the BPF program was refused (%s): record --bpf needs root "
                            "(CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN for tracepoints)\n", strerror(e));
        else
            fprintf(stderr, "fusetrace: error: the kernel refused the BPF program (%s): it needs BPF, BTF "
                            "(/sys/kernel/btf/vmlinux), ring buffers, bpf_loop and syscall tracepoints (Linux 5.17+); "
                            "FUSETRACE_BPF_DEBUG=1 shows the verifier log\n", strerror(e));
        fprintf(stderr, "  hint: run as root, or record without --bpf (LD_PRELOAD library) or with --strace\n");
        ftrec_bpf__destroy(skel);
        return 2;
    }
    if (calibrate(skel) != 0 && !quiet)
        fprintf(stderr, "fusetrace: warning: the pipe-page calibration failed: messages received with splice(2) will be counted as lost%s\n",
                uring ? ", rebuilt FUSE-over-io_uring messages keep no data pages" : "");

    out = fopen(out_path, "w");
    if (!out) {
        fprintf(stderr, "fusetrace: error: cannot create %s: %s\n", out_path, strerror(errno));
        return 2;
    }
    setvbuf(out, NULL, _IOFBF, 1 << 20);
    mono_to_real = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
    write_shb();

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int procs_fd = bpf_map__fd(skel->maps.procs);
    if (cmd) {
        /* The daemon and the daemon it forks into the background are reaped here. */
        prctl(PR_SET_CHILD_SUBREAPER, 1);
        int go[2];
        if (pipe2(go, O_CLOEXEC)) return 2;
        child = fork();
        if (child < 0) {
            fprintf(stderr, "fusetrace: error: fork: %s\n", strerror(errno));
            return 2;
        }
        if (child == 0) {
            char c;
            close(go[1]);
            signal(SIGPIPE, SIG_DFL);
            if (read(go[0], &c, 1) != 1) _exit(127);
            execvp(cmd[0], cmd);
            fprintf(stderr, "fusetrace: error: cannot run %s: %s\n", cmd[0], strerror(errno));
            _exit(127);
        }
        close(go[0]);
        uint8_t one = 1;
        uint32_t k = (uint32_t)child;
        bpf_map_update_elem(procs_fd, &k, &one, BPF_ANY);
        if (write(go[1], "x", 1) != 1) return 2;
        close(go[1]);
    } else if (attach > 0) {
        follow_tree(procs_fd, attach);
    }
    char snaplen_s[16];
    snprintf(snaplen_s, sizeof snaplen_s, "%u", snaplen);
    if (!quiet)
        fprintf(stderr, "fusetrace: recording %s %d with eBPF into %s (snaplen %s)\n",
                cmd ? "the daemon started as pid" : cgroup ? "cgroup id" : "pid", cmd ? (int)child : cgroup ? (int)cgroup_id : (int)attach, out_path,
                snaplen ? snaplen_s : "unlimited");

    struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(skel->maps.rb), on_chunk, NULL, NULL);
    if (!rb) {
        fprintf(stderr, "fusetrace: error: cannot open the ring buffer: %s\n", strerror(errno));
        return 2;
    }
    int64_t last_check = 0, deadline = 0;
    for (;;) {
        /* Wakeups come only when the ring fills up: the timer drains the rest. */
        int n = ring_buffer__poll(rb, 100);
        if (n < 0 && n != -EINTR) break;
        ring_buffer__consume(rb);
        int64_t now = clock_ns(CLOCK_MONOTONIC);
        if (now - last_check < 100000000) continue;
        last_check = now;
        sample_queues();
        fflush(out);
        int st;
        pid_t w;
        while ((w = waitpid(-1, &st, WNOHANG)) > 0)
            if (w == child) child_status = st;
        if (signals && !cmd) break;              /* --pid, --cgroup: stop recording, leave the daemon */
        if (signals && !deadline) {
            /* The daemon started here is asked to stop (and to unmount); one
             * that went to the background is left running, unrecorded. */
            if (child_status >= 0) break;
            kill(child, last_sig);
            deadline = now + 10000000000ll;
        }
        if (signals > 1 || (deadline && now > deadline)) break;
        if (!cgroup && !any_alive(procs_fd)) break; /* a cgroup: until interrupted */
    }
    ring_buffer__consume(rb);
    ring_buffer__free(rb);

    int lost_fd = bpf_map__fd(skel->maps.lost);
    uint32_t key, next;
    int have = bpf_map_get_next_key(lost_fd, NULL, &next) == 0;
    while (have) {
        key = next;
        uint64_t v = 0;
        if (bpf_map_lookup_elem(lost_fd, &key, &v) == 0 && v) {
            struct conn *c = conn_of(key, attach > 0 ? attach : child);
            if (c) c->lost += v;
        }
        have = bpf_map_get_next_key(lost_fd, &key, &next) == 0;
    }
    for (int i = 0; i < NPART; i++)
        if (parts[i].tid) lose_partial(&parts[i]);
    uint64_t end = (uint64_t)clock_ns(CLOCK_REALTIME), lost = 0;
    for (int i = 0; i < nconns; i++) {
        write_isb(&conns[i], end);
        lost += conns[i].lost;
    }
    if (nconns == 0) unlink(out_path); /* nothing seen: no file, as without --bpf */
    if (fclose(out) != 0) {
        fprintf(stderr, "fusetrace: error: cannot write %s: %s\n", out_path, strerror(errno));
        return 2;
    }
    ftrec_bpf__destroy(skel);
    if (lost)
        fprintf(stderr, "fusetrace: warning: %llu message%s could not be recorded (ring buffer full); "
                        "a smaller --snaplen or a larger ring helps\n",
                (unsigned long long)lost, lost == 1 ? "" : "s");
    if (!cmd) return 0;
    if (child_status < 0) {
        /* Recording stopped while the command runs (second signal). */
        return 128 + SIGINT;
    }
    if (WIFSIGNALED(child_status)) return 128 + WTERMSIG(child_status);
    return WEXITSTATUS(child_status);
}
