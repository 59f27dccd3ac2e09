// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel half of `fusetrace record --bpf` (loader: ftrec-bpf.c).
 *
 * Sees what the daemon's own syscalls move through /dev/fuse, whatever the
 * daemon is written in: read/readv and write/writev on a /dev/fuse fd, and
 * splice in both directions (libfuse receives requests with splice).  Only
 * processes in `procs` (the daemon and everything it forks) are looked at,
 * so no other FUSE daemon of the machine ends up in the capture.
 *
 * A message goes to the ring buffer as chunks of at most CHUNK bytes, each
 * with the whole header, all reserved by one program run (so a thread's
 * chunks are consecutive in the ring).  A chunk that does not fit counts the
 * message as lost for its connection; the loader drops the partial message.
 * Wakeups are batched: only a ring filling up wakes the loader, which
 * otherwise polls on a timer (a wakeup per message cost a third of the
 * throughput).
 *
 * Spliced data lives in pipe pages, which have no user address: they are
 * read through the kernel's direct map, whose base the loader calibrates
 * at start-up (calibrate_vmsplice below).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "ftrec-bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* /dev/fuse is char 10:229; the kernel's dev_t is major << 20 | minor. */
#define FUSE_RDEV ((10u << 20) | 229u)
#define MAX_IOV 16
#define MAX_SEGS 64

const volatile __u32 snaplen = 4096;  /* 0 = whole messages */
const volatile __u32 loader_tgid = 0;
/* Also follow every process of this cgroup (v2 id; 0: none). */
const volatile __u64 cgroup_id = 0;

/* Written by the loader after calibration (mmapped .bss). */
__u64 direct_map_base = 0;   /* virtual address of pfn 0 */
__u64 vmemmap_base = 0;      /* struct page of pfn 0 */
__u64 page_struct_size = 0;
__u64 calib_magic = 0;
__s32 calib_fd = 0;          /* the loader's pipe */
/* Set by the program during calibration. */
__u64 calib_page = 0;
__u64 calib_task = 0;

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16384);
    __type(key, __u32);   /* tgid (and, harmlessly, tids of threads) */
    __type(value, __u8);
} procs SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 16 << 20);  /* resized by the loader */
} rb SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, __u32);   /* connection (fuse_conn dev) */
    __type(value, __u64); /* messages lost */
} lost SEC(".maps");

/* What a syscall's entry leaves for its exit. */
struct pending {
    __u64 ts;
    __u64 ubuf;      /* buffer or iovec array */
    __u64 pipe;      /* struct pipe_inode_info * for splice */
    __u32 kind;      /* K_* */
    __u32 iovcnt;
    __u32 conn;
    __u32 head;      /* pipe head at splice entry */
    __u64 count;
    __u64 bino;      /* BACKING_OPEN: the backing file's inode and dev */
    __u32 bdev;
};

enum { K_READ = 1, K_READV, K_WRITE, K_WRITEV, K_SPLICE_IN, K_SPLICE_OUT, K_BACKING_OPEN, K_BACKING_CLOSE };

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16384);
    __type(key, __u32);   /* tid */
    __type(value, struct pending);
} pend SEC(".maps");

struct chunk {
    struct ftrec_ev h;
    __u8 data[FTREC_CHUNK];
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct chunk);
} scratch SEC(".maps");

static __always_inline int tracked(void) {
    if (cgroup_id && bpf_get_current_cgroup_id() == cgroup_id) return 1;
    __u32 tgid = bpf_get_current_pid_tgid() >> 32;
    return bpf_map_lookup_elem(&procs, &tgid) != NULL;
}

static __always_inline struct file *file_of(int fd) {
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
    if (!fdt || fd < 0) return NULL;
    unsigned int max = BPF_CORE_READ(fdt, max_fds);
    if ((unsigned int)fd >= max) return NULL;
    struct file **fds = BPF_CORE_READ(fdt, fd);
    struct file *f = NULL;
    bpf_probe_read_kernel(&f, sizeof f, &fds[fd]);
    return f;
}

/* The connection of a /dev/fuse file (fuse_conn dev, as named under
 * /sys/fs/fuse/connections), 0 before mount; -1 when not /dev/fuse. */
static __always_inline long fuse_conn_of(struct file *f) {
    if (!f) return -1;
    if (BPF_CORE_READ(f, f_inode, i_rdev) != FUSE_RDEV) return -1;
    struct fuse_dev *fud = BPF_CORE_READ(f, private_data);
    if (!fud) return 0;
    return BPF_CORE_READ(fud, fc, dev);
}

static __always_inline struct pipe_inode_info *pipe_of(struct file *f) {
    if (!f) return NULL;
    return BPF_CORE_READ(f, f_inode, i_pipe);
}

static __always_inline void count_lost(__u32 conn) {
    __u64 one = 1, *v = bpf_map_lookup_elem(&lost, &conn);
    if (v) __sync_fetch_and_add(v, 1);
    else bpf_map_update_elem(&lost, &conn, &one, BPF_NOEXIST);
}

/* Walks the message's source, segment by segment, one chunk per step. */
struct emit_ctx {
    struct chunk *c;
    __u64 src;        /* user iovec array / user buffer / pipe bufs */
    __u32 kind;       /* K_* (what src is) */
    __u32 nseg;
    __u32 seg;        /* current segment */
    __u32 segpos;     /* bytes of it done */
    __u32 seglen;
    __u64 segaddr;
    __u32 ring_mask;  /* pipe ring */
    __u32 caplen;
    __u32 off;
    int failed;
};

static __always_inline int load_seg(struct emit_ctx *e) {
    if (e->seg >= e->nseg) return -1;
    if (e->kind == K_READV || e->kind == K_WRITEV) {
        struct iovec iov;
        if (bpf_probe_read_user(&iov, sizeof iov, (void *)(e->src + (__u64)e->seg * sizeof iov)))
            return -1;
        e->segaddr = (__u64)iov.iov_base;
        e->seglen = iov.iov_len > 0xffffffffull ? 0xffffffffu : (__u32)iov.iov_len;
    } else if (e->kind == K_SPLICE_IN || e->kind == K_SPLICE_OUT) {
        struct pipe_buffer *b = (struct pipe_buffer *)e->src + (e->seg & e->ring_mask);
        __u64 page = (__u64)BPF_CORE_READ(b, page);
        __u32 offset = BPF_CORE_READ(b, offset);
        if (!page_struct_size || page < vmemmap_base) return -1;
        __u64 pfn = (page - vmemmap_base) / page_struct_size;
        e->segaddr = direct_map_base + pfn * 4096 + offset;
        e->seglen = BPF_CORE_READ(b, len);
    } else {
        e->segaddr = e->src;
        e->seglen = e->caplen;
    }
    e->segpos = 0;
    return 0;
}

static long emit_step(__u32 i, void *arg) {
    struct emit_ctx *e = arg;
    if (e->off >= e->caplen) return 1;
    if (e->segpos >= e->seglen) {  /* next segment: one step each, no inner loop */
        e->seg++;
        if (e->seg > e->nseg || load_seg(e)) {
            e->failed = 1;
            return 1;
        }
        return 0;
    }
    __u64 n = e->caplen - e->off;
    if (n > e->seglen - e->segpos) n = e->seglen - e->segpos;
    /* The verifier must see the bound on the register the helpers get. */
    barrier_var(n);
    if (n > FTREC_CHUNK) n = FTREC_CHUNK;
    barrier_var(n);
    struct chunk *c = e->c;
    void *from = (void *)(e->segaddr + e->segpos);
    long r = (e->kind == K_SPLICE_IN || e->kind == K_SPLICE_OUT)
                 ? bpf_probe_read_kernel(c->data, n, from)
                 : bpf_probe_read_user(c->data, n, from);
    if (r) {
        e->failed = 1;
        return 1;
    }
    c->h.off = e->off;
    c->h.n = n;
    /* Wake the loader only when the ring is a quarter full. */
    __u64 avail = bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA);
    __u64 size = bpf_ringbuf_query(&rb, BPF_RB_RING_SIZE);
    __u64 flags = avail > size / 4 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
    /* A new connection's INIT wakes the loader at once: it names the mount
     * and samples the queue while the mount is there (a short run may be over
     * before the next timer). */
    if (e->off == 0 && c->h.dir == 1 && n >= 8 && *(__u32 *)(c->data + 4) == 26 /* FUSE_INIT */)
        flags = BPF_RB_FORCE_WAKEUP;
    if (bpf_ringbuf_output(&rb, c, sizeof(c->h) + n, flags)) {
        e->failed = 1;
        return 1;
    }
    e->off += n;
    e->segpos += n;
    return 0;
}

/* Sends one message: `len` bytes in all, from `src` as `kind` says. */
static __always_inline void emit(struct pending *p, __u32 dir, __u64 len, int err, __u64 src,
                                 __u32 nseg, __u32 first_seg, __u32 ring_mask) {
    __u32 zero = 0;
    struct chunk *c = bpf_map_lookup_elem(&scratch, &zero);
    if (!c) return;
    __u64 id = bpf_get_current_pid_tgid();
    __u32 cap = len > 0xffffffffull ? 0xffffffffu : (__u32)len;
    if (snaplen && cap > snaplen) cap = snaplen;
    c->h.ts = p->ts;
    c->h.pid = id >> 32;
    c->h.tid = (__u32)id;
    c->h.conn = p->conn;
    c->h.dir = dir;
    c->h.err = err;
    c->h.len = len > 0xffffffffull ? 0xffffffffu : (__u32)len;
    c->h.caplen = cap;
    c->h.off = 0;
    c->h.n = 0;
    c->h.src = FTREC_SRC_SYSCALL;
    struct emit_ctx e = {
        .c = c, .src = src, .kind = p->kind, .nseg = nseg, .seg = first_seg,
        .ring_mask = ring_mask, .caplen = cap,
    };
    if (p->kind == K_SPLICE_IN || p->kind == K_SPLICE_OUT) e.nseg = first_seg + nseg;
    if (load_seg(&e)) {
        count_lost(p->conn);
        return;
    }
    if (cap == 0) {
        if (bpf_ringbuf_output(&rb, c, sizeof(c->h), BPF_RB_NO_WAKEUP)) count_lost(p->conn);
        return;
    }
    bpf_loop((cap + FTREC_CHUNK - 1) / FTREC_CHUNK + MAX_SEGS, emit_step, &e, 0);
    if (e.failed || e.off < cap) count_lost(p->conn);
}

static __always_inline void note_daemon_conn(long conn);

static __always_inline void enter_rw(int fd, __u64 buf, __u64 count, __u32 kind) {
    if (!tracked()) return;
    long conn = fuse_conn_of(file_of(fd));
    if (conn < 0) return;
    note_daemon_conn(conn);
    struct pending p = { .ts = bpf_ktime_get_ns(), .ubuf = buf, .kind = kind, .conn = conn, .count = count };
    if (kind == K_READV || kind == K_WRITEV) p.iovcnt = count > MAX_IOV ? MAX_IOV : count;
    __u32 tid = (__u32)bpf_get_current_pid_tgid();
    bpf_map_update_elem(&pend, &tid, &p, BPF_ANY);
}

/*
 * A call with no entry: the thread was already in it when recording began.
 * Attached to a running daemon (--pid), its idle workers sit blocked in read
 * or splice on /dev/fuse, so the first request each of them takes would be
 * lost (and its reply orphaned).  The call's arguments are still in the
 * registers the thread saved on entry.  A splice is taken only when the pipe
 * holds just what the call added (libfuse drains its pipe before the next
 * splice); anything else is counted lost rather than guessed.
 */
static __always_inline int pending_at_exit(__u32 kind, long ret, struct pending *q) {
    if (ret <= 0 || !tracked()) return 0;
    struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
    if (!regs) return 0;
    int fd = (int)PT_REGS_PARM1_CORE_SYSCALL(regs);
    long conn = fuse_conn_of(file_of(fd));
    if (conn < 0) return 0;
    note_daemon_conn(conn);
    __builtin_memset(q, 0, sizeof *q);
    q->ts = bpf_ktime_get_ns();
    q->kind = kind;
    q->conn = conn;
    if (kind != K_SPLICE_IN) {
        q->ubuf = PT_REGS_PARM2_CORE_SYSCALL(regs);
        q->count = PT_REGS_PARM3_CORE_SYSCALL(regs);
        if (kind == K_READV || kind == K_WRITEV) q->iovcnt = q->count > MAX_IOV ? MAX_IOV : q->count;
        return 1;
    }
    struct pipe_inode_info *pipe = pipe_of(file_of((int)PT_REGS_PARM3_CORE_SYSCALL(regs)));
    if (!pipe) return 0;
    __u32 head = BPF_CORE_READ(pipe, head), tail = BPF_CORE_READ(pipe, tail);
    __u32 ring = BPF_CORE_READ(pipe, ring_size);
    struct pipe_buffer *bufs = BPF_CORE_READ(pipe, bufs);
    __u64 held = 0;
    if (ring && !(ring & (ring - 1)) && head - tail <= MAX_IOV) {
        for (__u32 i = 0; i < MAX_IOV; i++) {
            if (i >= head - tail) break;
            held += BPF_CORE_READ(bufs + ((tail + i) & (ring - 1)), len);
        }
    }
    if (held != (__u64)ret) {
        count_lost(conn);
        return 0;
    }
    q->pipe = (__u64)pipe;
    q->head = tail;
    return 1;
}

static __always_inline void exit_rw(long ret, __u32 kind) {
    __u32 tid = (__u32)bpf_get_current_pid_tgid();
    struct pending *p = bpf_map_lookup_elem(&pend, &tid);
    struct pending q;
    if (p) {
        q = *p;
        bpf_map_delete_elem(&pend, &tid);
    } else if (!pending_at_exit(kind, ret, &q)) {
        return;
    }
    switch (q.kind) {
    case K_READ:
    case K_READV:
        if (ret <= 0) return;  /* nothing received (EINTR, ENOENT, ENODEV) */
        q.ts = bpf_ktime_get_ns();
        emit(&q, 1, ret, 0, q.ubuf, q.kind == K_READV ? q.iovcnt : 1, 0, 0);
        break;
    case K_WRITE:
    case K_WRITEV: {
        /* The message is what was offered; a failed write is kept, flagged. */
        __u64 len = q.count;
        if (q.kind == K_WRITEV) {
            len = 0;
            for (int i = 0; i < MAX_IOV; i++) {
                if (i >= q.iovcnt) break;
                struct iovec iov;
                if (bpf_probe_read_user(&iov, sizeof iov, (void *)(q.ubuf + i * sizeof iov))) break;
                len += iov.iov_len;
            }
        }
        emit(&q, 2, len, ret < 0 ? (int)-ret : 0, q.ubuf, q.kind == K_WRITEV ? q.iovcnt : 1, 0, 0);
        break;
    }
    case K_SPLICE_IN: {
        if (ret <= 0) return;
        q.ts = bpf_ktime_get_ns();
        struct pipe_inode_info *pipe = (void *)q.pipe;
        __u32 head = BPF_CORE_READ(pipe, head);
        __u32 ring = BPF_CORE_READ(pipe, ring_size);
        struct pipe_buffer *bufs = BPF_CORE_READ(pipe, bufs);
        if (!ring || (ring & (ring - 1))) return;
        emit(&q, 1, ret, 0, (__u64)bufs, head - q.head, q.head, ring - 1);
        break;
    }
    }
}

SEC("tracepoint/syscalls/sys_enter_read")
int enter_read(struct trace_event_raw_sys_enter *ctx) {
    enter_rw(ctx->args[0], ctx->args[1], ctx->args[2], K_READ);
    return 0;
}
SEC("tracepoint/syscalls/sys_enter_readv")
int enter_readv(struct trace_event_raw_sys_enter *ctx) {
    enter_rw(ctx->args[0], ctx->args[1], ctx->args[2], K_READV);
    return 0;
}
SEC("tracepoint/syscalls/sys_enter_write")
int enter_write(struct trace_event_raw_sys_enter *ctx) {
    enter_rw(ctx->args[0], ctx->args[1], ctx->args[2], K_WRITE);
    return 0;
}
SEC("tracepoint/syscalls/sys_enter_writev")
int enter_writev(struct trace_event_raw_sys_enter *ctx) {
    enter_rw(ctx->args[0], ctx->args[1], ctx->args[2], K_WRITEV);
    return 0;
}

SEC("tracepoint/syscalls/sys_exit_read")
int exit_read(struct trace_event_raw_sys_exit *ctx) { exit_rw(ctx->ret, K_READ); return 0; }
SEC("tracepoint/syscalls/sys_exit_readv")
int exit_readv(struct trace_event_raw_sys_exit *ctx) { exit_rw(ctx->ret, K_READV); return 0; }
SEC("tracepoint/syscalls/sys_exit_write")
int exit_write(struct trace_event_raw_sys_exit *ctx) { exit_rw(ctx->ret, K_WRITE); return 0; }
SEC("tracepoint/syscalls/sys_exit_writev")
int exit_writev(struct trace_event_raw_sys_exit *ctx) { exit_rw(ctx->ret, K_WRITEV); return 0; }

/*
 * splice(fd_in, off_in, fd_out, off_out, len, flags).  From /dev/fuse into a
 * pipe: the request is in the buffers the call added, read at its exit.
 * From a pipe into /dev/fuse: the reply is in the pipe's first buffers, read
 * at entry, before the kernel consumes them.
 */
/* Passthrough backing-file ioctls (<linux/fuse.h>: FUSE_DEV_IOC_MAGIC 229,
 * _IOW(229, 1, struct fuse_backing_map) and _IOW(229, 2, uint32_t)). */
#define FUSE_IOC_BACKING_OPEN 0x4010e501u
#define FUSE_IOC_BACKING_CLOSE 0x4004e502u

SEC("tracepoint/syscalls/sys_enter_ioctl")
int enter_ioctl(struct trace_event_raw_sys_enter *ctx) {
    __u32 cmd = (__u32)ctx->args[1];
    if (cmd != FUSE_IOC_BACKING_OPEN && cmd != FUSE_IOC_BACKING_CLOSE) return 0;
    if (!tracked()) return 0;
    long conn = fuse_conn_of(file_of((int)ctx->args[0]));
    if (conn < 0) return 0;
    /* The argument is user memory: read it now, the daemon may reuse it. */
    __u32 arg[2] = {0, 0};
    if (cmd == FUSE_IOC_BACKING_OPEN) {
        if (bpf_probe_read_user(arg, 8, (void *)ctx->args[2])) return 0;
    } else if (bpf_probe_read_user(arg, 4, (void *)ctx->args[2])) {
        return 0;
    }
    /* ubuf: the fd (open) or id (close) passed in; count: the map's flags. */
    struct pending p = {
        .kind = cmd == FUSE_IOC_BACKING_OPEN ? K_BACKING_OPEN : K_BACKING_CLOSE,
        .conn = conn, .ubuf = arg[0], .count = arg[1],
    };
    if (cmd == FUSE_IOC_BACKING_OPEN) {
        struct file *bf = file_of((int)arg[0]);
        if (bf) {
            p.bino = BPF_CORE_READ(bf, f_inode, i_ino);
            p.bdev = BPF_CORE_READ(bf, f_inode, i_sb, s_dev);
        }
    }
    __u32 tid = (__u32)bpf_get_current_pid_tgid();
    bpf_map_update_elem(&pend, &tid, &p, BPF_ANY);
    return 0;
}

SEC("tracepoint/syscalls/sys_exit_ioctl")
int exit_ioctl(struct trace_event_raw_sys_exit *ctx) {
    __u32 tid = (__u32)bpf_get_current_pid_tgid();
    struct pending *p = bpf_map_lookup_elem(&pend, &tid);
    if (!p) return 0;
    struct pending q = *p;
    if (q.kind != K_BACKING_OPEN && q.kind != K_BACKING_CLOSE) return 0;
    bpf_map_delete_elem(&pend, &tid);
    __u64 id = bpf_get_current_pid_tgid();
    struct ftrec_backing_ev b = {
        .h = {
            .ts = bpf_ktime_get_ns(), .pid = id >> 32, .tid = (__u32)id, .conn = q.conn,
            .dir = q.kind == K_BACKING_OPEN ? 1 : 2, .err = (__s32)ctx->ret,
            .len = (__u32)q.ubuf, .off = (__u32)q.count, .src = FTREC_SRC_BACKING,
        },
        .ino = q.bino, .dev = q.bdev,
    };
    if (bpf_ringbuf_output(&rb, &b, sizeof b, 0)) count_lost(q.conn);
    return 0;
}

SEC("tracepoint/syscalls/sys_enter_splice")
int enter_splice(struct trace_event_raw_sys_enter *ctx) {
    if (!tracked()) return 0;
    struct file *fin = file_of(ctx->args[0]);
    struct file *fout = file_of(ctx->args[2]);
    long cin = fuse_conn_of(fin);
    if (cin >= 0) {
        note_daemon_conn(cin);
        struct pipe_inode_info *pipe = pipe_of(fout);
        if (!pipe) return 0;
        struct pending p = { .ts = 0, .pipe = (__u64)pipe, .kind = K_SPLICE_IN, .conn = cin };
        p.head = BPF_CORE_READ(pipe, head);
        __u32 tid = (__u32)bpf_get_current_pid_tgid();
        bpf_map_update_elem(&pend, &tid, &p, BPF_ANY);
        return 0;
    }
    long cout = fuse_conn_of(fout);
    if (cout < 0) return 0;
    note_daemon_conn(cout);
    struct pipe_inode_info *pipe = pipe_of(fin);
    if (!pipe) return 0;
    __u32 head = BPF_CORE_READ(pipe, head), tail = BPF_CORE_READ(pipe, tail);
    __u32 ring = BPF_CORE_READ(pipe, ring_size);
    struct pipe_buffer *bufs = BPF_CORE_READ(pipe, bufs);
    if (!ring || (ring & (ring - 1))) return 0;
    /* The message length is in its header; the pipe may hold more. */
    struct pending p = { .ts = bpf_ktime_get_ns(), .kind = K_SPLICE_OUT, .conn = cout };
    __u64 len = ctx->args[4];
    struct emit_ctx e = { .src = (__u64)bufs, .kind = K_SPLICE_OUT, .nseg = head, .seg = tail, .ring_mask = ring - 1 };
    if (!load_seg(&e) && e.seglen >= 4) {
        __u32 hlen = 0;
        if (!bpf_probe_read_kernel(&hlen, 4, (void *)e.segaddr) && hlen && hlen < len) len = hlen;
    }
    emit(&p, 2, len, 0, (__u64)bufs, head - tail, tail, ring - 1);
    return 0;
}

SEC("tracepoint/syscalls/sys_exit_splice")
int exit_splice(struct trace_event_raw_sys_exit *ctx) { exit_rw(ctx->ret, K_SPLICE_IN); return 0; }

/*
 * Calibration: the loader vmsplices a page whose pfn it read from
 * /proc/self/pagemap; here we learn that page's struct page.  The direct map
 * base is then found by the loader's second step (calibrate_probe).
 */
SEC("tracepoint/syscalls/sys_exit_vmsplice")
int calibrate_vmsplice(struct trace_event_raw_sys_exit *ctx) {
    __u32 tgid = bpf_get_current_pid_tgid() >> 32;
    if (tgid != loader_tgid || calib_page || ctx->ret <= 0) return 0;
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    struct pipe_inode_info *pipe = pipe_of(file_of(calib_fd));
    if (!pipe) return 0;
    __u32 head = BPF_CORE_READ(pipe, head);
    __u32 ring = BPF_CORE_READ(pipe, ring_size);
    struct pipe_buffer *bufs = BPF_CORE_READ(pipe, bufs);
    if (!ring || (ring & (ring - 1))) return 0;
    struct pipe_buffer *b = bufs + ((head - 1) & (ring - 1));
    calib_page = (__u64)BPF_CORE_READ(b, page);
    calib_task = (__u64)t;
    page_struct_size = bpf_core_type_size(struct page);
    return 0;
}

/*
 * Second step: the loader sets vmemmap_base (from the page and its pfn) and
 * a candidate direct_map_base, then calls getppid(); this checks whether
 * the magic is where the candidate says.
 */
__u64 probe_addr = 0;
__u64 probe_hit = 0;

SEC("tracepoint/syscalls/sys_enter_getppid")
int calibrate_probe(void *ctx) {
    __u32 tgid = bpf_get_current_pid_tgid() >> 32;
    if (tgid != loader_tgid || !probe_addr) return 0;
    __u64 v = 0;
    if (!bpf_probe_read_kernel(&v, sizeof v, (void *)probe_addr) &&
        v == calib_magic)
        probe_hit = probe_addr;
    probe_addr = 0;
    return 0;
}

/* The daemon's children (a daemon that forks into the background). */
SEC("tracepoint/sched/sched_process_fork")
int on_fork(struct trace_event_raw_sched_process_fork *ctx) {
    if (!tracked()) return 0;
    __u32 child = ctx->child_pid;
    __u8 one = 1;
    bpf_map_update_elem(&procs, &child, &one, BPF_ANY);
    return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int on_exit(void *ctx) {
    __u64 id = bpf_get_current_pid_tgid();
    __u32 tid = (__u32)id;
    /* Threads were added by tid at clone; a process goes with its main thread. */
    bpf_map_delete_elem(&procs, &tid);
    bpf_map_delete_elem(&pend, &tid);
    return 0;
}

/*
 * FUSE over io_uring.  Once a connection's ring is ready, its requests and
 * replies cross no syscall seen above (only INIT, FORGET, INTERRUPT and
 * notifications still use /dev/fuse).  The kernel's fuse tracepoints see
 * every request's struct fuse_req, so for the daemon's connections (those
 * whose /dev/fuse the syscall hooks saw) the messages that go over the ring
 * are rebuilt from it: the request at fuse_request_send (in the requester,
 * when queued: the daemon's own read time is not visible), the reply at
 * fuse_request_end.  A request that went through /dev/fuse is never
 * rebuilt, so nothing is recorded twice.
 *
 * A rebuilt message (header, the argument structs, then data pages: WRITE
 * payload, READ reply, read through the direct map when the pipe-page
 * calibration found it) goes to the ring buffer in chunks like the others,
 * up to the snap length and REBUILT_MAX.  What cannot be read is cut
 * (caplen < len), never made up: the last chunk carries the caplen reached,
 * which the loader takes when it is below the one announced.
 */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, __u32);   /* fuse_conn dev */
    __type(value, __u8);
} daemon_conns SEC(".maps");

static __always_inline void note_daemon_conn(long conn) {
    __u32 k = conn;
    __u8 one = 1;
    if (conn > 0 && !bpf_map_lookup_elem(&daemon_conns, &k)) bpf_map_update_elem(&daemon_conns, &k, &one, BPF_ANY);
}

#define PUT_STEP 4096  /* a per-CPU value stays under 32 KiB */
#define REBUILT_MAX (4u << 20)

struct rebuilt {
    struct ftrec_ev h;
    __u8 data[FTREC_CHUNK + 2 * PUT_STEP];  /* the verifier sees off < CHUNK, n < 2 * PUT_STEP */
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct rebuilt);
} rscratch SEC(".maps");

/* Kernels without io_uring support lack these fields. */
struct fuse_req___ring { void *ring_queue; } __attribute__((preserve_access_index));
struct fuse_conn___ring { struct fuse_ring *ring; } __attribute__((preserve_access_index));

/* The connection of req when it is the followed daemon's and goes over the
 * ring; 0 otherwise.  At the end, req->ring_queue tells; at send it is not
 * set yet, and the ring's readiness tells: the kernel switches the queue's
 * operations to the ring before it marks the ring ready, so a request sent
 * to /dev/fuse is never taken for a ring one (requests sent in that short
 * window are missed; their replies show as orphans). */
static __always_inline __u32 ring_conn(const struct fuse_req *req, int at_end) {
    struct fuse_conn *fc = BPF_CORE_READ(req, fm, fc);
    if (!fc) return 0;
    __u32 dev = BPF_CORE_READ(fc, dev);
    if (!dev || !bpf_map_lookup_elem(&daemon_conns, &dev)) return 0;
    if (!bpf_core_field_exists(struct fuse_req___ring, ring_queue) ||
        !bpf_core_field_exists(struct fuse_conn___ring, ring))
        return 0;
    if (BPF_CORE_READ((struct fuse_req___ring *)req, ring_queue)) return dev;
    if (at_end) return 0;
    struct fuse_ring *ring = BPF_CORE_READ((struct fuse_conn___ring *)fc, ring);
    return ring && BPF_CORE_READ(ring, ready) ? dev : 0;
}

/* Walks a message's arguments (then a page argument's folios), one step
 * per bpf_loop iteration: a whole copy unrolled is too much for the verifier. */
struct rebuild_ctx {
    struct rebuilt *r;
    struct fuse_args *args;
    const __u8 *argv;   /* in_args or out_args: {unsigned size; void *value} */
    __u32 nargs, seg;   /* arguments, the next one */
    int pages;          /* the last argument is in pages */
    __u32 off, cap;     /* bytes of the message done, to do */
    __u32 base;         /* message offset of r->data[0] (earlier chunks sent) */
    int failed;         /* a chunk did not fit in the ring */
    __u64 addr;         /* where the current piece's next bytes are */
    __u32 left;         /* bytes of the current piece still to copy */
    __u32 pleft;        /* bytes of the page argument beyond the current piece */
    __u32 folio, nf;
    struct folio **folios;
    struct fuse_folio_desc *descs;
    int in_pages;
};

#define MAX_FOLIOS 256

static long rebuild_step(__u32 i, void *arg) {
    struct rebuild_ctx *x = arg;
    if (x->off >= x->cap) return 1;
    if (!x->left) {
        if (x->in_pages) {  /* the next folio of the page argument */
            if (!x->pleft || x->folio >= x->nf || x->folio >= MAX_FOLIOS) return 1;
            __u64 folio = 0;
            struct fuse_folio_desc d = {};
            if (bpf_probe_read_kernel(&folio, sizeof folio, &x->folios[x->folio]) ||
                bpf_probe_read_kernel(&d, sizeof d, &x->descs[x->folio]) || folio < vmemmap_base)
                return 1;
            x->folio++;
            __u64 pfn = (folio - vmemmap_base) / page_struct_size;
            x->addr = direct_map_base + pfn * 4096 + d.offset;
            x->left = d.length < x->pleft ? d.length : x->pleft;
            x->pleft -= x->left;
            return 0;
        }
        if (x->seg >= x->nargs) return 1;
        struct { unsigned int size; __u64 value; } a;
        if (bpf_probe_read_kernel(&a, sizeof a, x->argv + (__u64)(x->seg & 3) * sizeof a)) return 1;
        x->seg++;
        if (x->seg == x->nargs && x->pages) {
            /* Pages are read through the direct map, known only after calibration. */
            if (!page_struct_size) return 1;
            struct fuse_args_pages *ap = (struct fuse_args_pages *)x->args;
            x->folios = BPF_CORE_READ(ap, folios);
            x->descs = BPF_CORE_READ(ap, descs);
            x->nf = BPF_CORE_READ(ap, num_folios);
            x->in_pages = 1;
            x->pleft = a.size;
            return 0;
        }
        if (a.size && !a.value) return 1;  /* nothing to read: cut here */
        x->addr = a.value;
        x->left = a.size;
        return 0;
    }
    if (x->off - x->base >= FTREC_CHUNK) {  /* a full chunk: send it, go on */
        struct rebuilt *r = x->r;
        r->h.off = x->base;
        r->h.n = FTREC_CHUNK;
        if (bpf_ringbuf_output(&rb, r, sizeof(r->h) + FTREC_CHUNK, BPF_RB_NO_WAKEUP)) {
            x->failed = 1;
            return 1;
        }
        x->base += FTREC_CHUNK;
        return 0;
    }
    __u32 o = x->off - x->base, n = x->left;
    if (n > x->cap - x->off) n = x->cap - x->off;
    if (n > FTREC_CHUNK - o) n = FTREC_CHUNK - o;
    if (o >= FTREC_CHUNK) return 1;
    if (n > PUT_STEP) n = PUT_STEP;
    /* Masks (no-ops here) the verifier cannot lose, unlike the checks. */
    barrier_var(o);
    o &= FTREC_CHUNK - 1;
    barrier_var(n);
    n &= 2 * PUT_STEP - 1;
    if (bpf_probe_read_kernel(x->r->data + o, n, (void *)x->addr)) return 1;
    x->off += n;
    x->addr += n;
    x->left -= n;
    return 0;
}

/* Rebuilds req's request (send) or reply (end) and sends it. */
static __always_inline void rebuild(const struct fuse_req *req, __u32 conn, int reply) {
    __u32 zero = 0;
    struct rebuilt *r = bpf_map_lookup_elem(&rscratch, &zero);
    struct fuse_args *args = BPF_CORE_READ(req, args);
    if (!r || !args) return;
    __u64 id = bpf_get_current_pid_tgid();
    r->h.ts = bpf_ktime_get_ns();
    /* A request is queued by whoever asked (an application, a kworker): no
     * daemon thread to name (pid 0).  A reply is committed by a daemon
     * thread.  The tid keeps a thread's chunks together in the loader. */
    int own = reply && tracked();
    r->h.pid = own ? id >> 32 : 0;
    r->h.tid = (__u32)id;
    r->h.conn = conn;
    r->h.dir = reply ? 2 : 1;
    r->h.err = 0;
    r->h.off = 0;
    r->h.src = reply ? FTREC_SRC_REQUEST_END : FTREC_SRC_REQUEST_SEND;
    __u32 len, hdr, nargs;
    int pages;
    if (!reply) {
        struct fuse_in_header h;
        if (bpf_probe_read_kernel(&h, sizeof h, &req->in.h)) return;
        nargs = BPF_CORE_READ(args, in_numargs);
        pages = BPF_CORE_READ_BITFIELD_PROBED(args, in_pages);
        len = sizeof h;
        for (int i = 0; i < 4; i++)
            if (i < nargs) len += BPF_CORE_READ(args, in_args[i].size);
        h.len = len;
        __builtin_memcpy(r->data, &h, sizeof h);
        hdr = sizeof h;
    } else {
        struct fuse_out_header h;
        h.error = BPF_CORE_READ(req, out.h.error);
        h.unique = BPF_CORE_READ(req, in.h.unique);
        nargs = h.error ? 0 : BPF_CORE_READ(args, out_numargs);
        pages = BPF_CORE_READ_BITFIELD_PROBED(args, out_pages);
        len = sizeof h;
        for (int i = 0; i < 2; i++)
            if (i < nargs) len += BPF_CORE_READ(args, out_args[i].size);
        h.len = len;
        __builtin_memcpy(r->data, &h, sizeof h);
        hdr = sizeof h;
    }
    __u32 cap = len;
    if (snaplen && cap > snaplen) cap = snaplen;
    if (cap > REBUILT_MAX) cap = REBUILT_MAX;
    r->h.len = len;
    r->h.caplen = cap;
    struct rebuild_ctx x = {
        .r = r, .args = args, .nargs = nargs > 4 ? 4 : nargs, .pages = pages,
        .off = hdr < cap ? hdr : cap, .cap = cap,
        .argv = reply ? (const __u8 *)&args->out_args[0] : (const __u8 *)&args->in_args[0],
    };
    /* Steps: copies of up to PUT_STEP, plus one per argument, folio and chunk. */
    bpf_loop(cap / PUT_STEP + 2 * (cap / FTREC_CHUNK) + 2 * MAX_FOLIOS + 16, rebuild_step, &x, 0);
    if (x.failed) {
        count_lost(conn);
        return;
    }
    /* The last chunk; its caplen is what was reached (the loader takes it). */
    __u64 n = x.off - x.base;
    if (n > FTREC_CHUNK) n = FTREC_CHUNK;
    r->h.caplen = x.off;
    r->h.off = x.base;
    r->h.n = n;
    __u64 size = sizeof(r->h) + n;
    barrier_var(size);
    size &= 2 * FTREC_CHUNK - 1;  /* a no-op the verifier cannot lose */
    if (bpf_ringbuf_output(&rb, r, size, BPF_RB_NO_WAKEUP)) count_lost(conn);
}

SEC("tp_btf/fuse_request_send")
int BPF_PROG(on_request_send, const struct fuse_req *req) {
    __u32 conn = ring_conn(req, 0);
    if (conn) rebuild(req, conn, 0);
    return 0;
}

SEC("tp_btf/fuse_request_end")
int BPF_PROG(on_request_end, const struct fuse_req *req) {
    __u32 conn = ring_conn(req, 1);
    if (conn) rebuild(req, conn, 1);
    return 0;
}
