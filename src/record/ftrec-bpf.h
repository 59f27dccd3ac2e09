/* What the kernel half of `fusetrace record --bpf` hands to its loader. */
#ifndef FTREC_BPF_H
#define FTREC_BPF_H

/* Bytes of message per ring-buffer record. */
#define FTREC_CHUNK 16384

/* One chunk of one message; every chunk repeats the header. */
struct ftrec_ev {
    __u64 ts;      /* CLOCK_MONOTONIC ns of the daemon's syscall */
    __u32 pid, tid;
    __u32 conn;    /* fuse_conn dev (the /sys/fs/fuse/connections name) */
    __u32 dir;     /* 1 kernel -> daemon, 2 daemon -> kernel */
    __s32 err;     /* errno of a failed write, else 0 */
    __u32 len;     /* the whole message */
    __u32 caplen;  /* bytes kept (snap length) */
    __u32 off;     /* where this chunk's bytes start in the message */
    __u32 n;       /* bytes of this chunk */
    __u32 src;     /* FTREC_SRC_*: how the message was seen */
};

/* How a message was seen: a syscall on /dev/fuse carried it, or it was
 * rebuilt from the kernel's struct fuse_req at a fuse tracepoint (FUSE over
 * io_uring, whose messages cross no syscall the program sees). */
#define FTREC_SRC_SYSCALL 0
#define FTREC_SRC_REQUEST_SEND 1
#define FTREC_SRC_REQUEST_END 2
/* Not a message: a passthrough backing-file ioctl on /dev/fuse (no data).
 * dir = 1 FUSE_DEV_IOC_BACKING_OPEN, 2 _CLOSE; err = the result (backing id,
 * 0 or -errno); len = the fd (open) or id (close) passed in; off = the
 * fuse_backing_map flags (open). */
#define FTREC_SRC_BACKING 3

/* A FTREC_SRC_BACKING record: the backing file as the kernel named it when
 * the ioctl was made (the daemon may close its fd before the loader looks). */
struct ftrec_backing_ev {
    struct ftrec_ev h;
    __u64 ino;
    __u32 dev;     /* kernel dev_t: major << 20 | minor */
    __u32 pad;
};

#endif
