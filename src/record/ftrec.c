/*
 * ftrec.c: LD_PRELOAD capture library of `fusetrace record`.
 *
 * Loaded into a FUSE daemon, it records every message the daemon reads from
 * or writes to a /dev/fuse file descriptor into a pcapng file laid out as
 * docs/spec/capture-format.md ("FUSE over pcapng") says:
 * one SHB, one IDB per FUSE connection (LinkType 147, if_tsresol 9), one EPB
 * per message (direction in epb_flags, bit 16 + "errno=N" for a failed write,
 * epb_processid_threadid), one ISB per interface at exit.
 *
 * Configuration (environment):
 *   FUSETRACE_OUT      output file (default /tmp/fusetrace-<pid>.pcapng)
 *   FUSETRACE_SNAPLEN  bytes kept per message; default 4096, 0 = whole
 *                      messages, values below 256 are raised to 256 so every
 *                      header and fixed argument struct survives
 *   FUSETRACE_LABEL    interface label: if_name "fuse:<label>" (default: the
 *                      mount point when known, else the daemon's name)
 *   FUSETRACE_QUIET    when set, no notes on stderr (warnings still)
 *   FUSETRACE_CAPTURE_FD  set by the library itself, for the image it execs
 *                      only: the capture it hands over, and the mount points
 *                      of the /dev/fuse fds it inherits ("the capture across
 *                      exec" below)
 *
 * Which syscalls carry messages.  libfuse 3.14 receives requests with read(2)
 * or, when the file system implements write_buf (passthrough_ll does) and the
 * connection negotiated SPLICE_READ, with splice(/dev/fuse -> pipe); it then
 * read(2)s the header (or the whole small message) from the pipe, and for a
 * WRITE may splice the payload straight from the pipe into the backing file,
 * so the payload never reaches user memory.  Replies go out with writev(2),
 * or with vmsplice(header -> pipe) + splice(file -> pipe) +
 * splice(pipe -> /dev/fuse) when SPLICE_WRITE is in use.  We hook read,
 * readv, write, writev and splice (pread/pwrite fail with ESPIPE on
 * /dev/fuse, so no daemon uses them).
 *
 * How a splice is captured.  splice(fuse -> pipe) returns n: the n bytes of
 * the request now sit at the head of the pipe (empty before: libfuse
 * discards a pipe that kept leftovers).  libfuse then read(2)s the pipe
 * itself: the whole request when it is small (n < 40 + 40 + page size), the
 * 80-byte header of a larger WRITE whose payload it splices on.  So when we
 * know the pipe's read end (pipes made with pipe()/pipe2() while we were
 * loaded: we pair the ends), the splice hook only notes the request
 * (pend[read end]: time, tid, connection, length) and the read hook records
 * it from the daemon's own buffer: no syscall of ours.  When the daemon read
 * less than the snap length (a large WRITE's header), the rest is at the
 * head of the pipe then, and we tee(2) it into a private per-thread pipe and
 * read the copy back.  A noted request is also taken with tee, from the
 * head of the pipe, before anything else can move it: a splice out of that
 * pipe, close/dup2 over its read end, fork, exit, a second request spliced
 * into the same pipe, and any outbound message of its connection (a request's
 * block precedes its reply's, whatever path the daemon's bytes took).  A
 * dup'ed pipe end, a pipe inherited over fork or made before we were loaded,
 * and fds >= PEND_MAX take the tee path at the splice, as before: tee needs
 * the pipe's read end while the daemon gave us its write end, so we open
 * /proc/self/fd/<write end> O_RDONLY, which on Linux opens a second read end
 * of the same pipe (cached per fd, closed when the daemon closes the write
 * end).  Either way the bytes taken must start with the request's own len
 * (= the splice result), else the message counts as dropped: never the
 * wrong bytes.  The payload pages are shared by tee, not copied.  For
 * splice(pipe -> fuse) the daemon gives the read end: we tee before the
 * real splice moves the bytes away.
 *
 * When the file is opened.  As soon as the process gets a /dev/fuse fd: it
 * opens /dev/fuse (a path under /dev/ or named "fuse": fstat), receives one
 * (recvmsg, from fusermount3) or mounts with one (mount "fd=N",
 * fuse_session_mount); any other way, at its first message.  The SHB is
 * written then, an IDB at the interface's first message.  So the file is
 * created with the identity the process had when it got the fd: a daemon
 * that opens /dev/fuse and mounts as root, then gives up root before its
 * first request (davfs2's mount.davfs), still writes it through the open fd.
 * A process that never sends a message leaves a file with only its SHB,
 * which `fusetrace record` counts as nothing recorded.  One that sends the
 * fd over a socket before anything was recorded (fusermount3 run by a root
 * daemon) gives the file back first: release_unused_output().  One that
 * execs hands the open capture to the new image instead (a mount helper
 * running the daemon with /dev/fd/N, maybe after giving up root): see
 * "the capture across exec" below.
 *
 * Threads and processes.  Blocks are appended to one buffer under a mutex
 * and written with O_APPEND in whole blocks, so no message is torn or lost
 * under many threads.  Before fork() the buffer is flushed (pthread_atfork),
 * so a daemon that forks into the background (started without -f) keeps
 * appending to the same file from the child without duplicates; interface
 * numbers are allocated under a process-shared lock in shared memory so
 * parent and child never give two IDBs the same number.  The output fd is
 * close-on-exec but for the exec of an image that holds it alone (or of
 * the forked child of a pass-through image): carry_begin(); a helper
 * program exec'd by a forked child of the daemon loads this library
 * again but opens the file only if it gets a /dev/fuse fd itself, and then
 * writes its own section after the others' (the file is free: its recorders
 * ended) or, when a live recorder holds it (flock), <out>.<pid> instead:
 * two writers of one section would corrupt the interface numbering.  An
 * image finding the file free with only section headers in it (an earlier
 * image opened /dev/fuse and exec'd) writes in their place; a later image
 * that recorded nothing, nor its forked children, cuts its header-only
 * section off at exit.
 *
 * Exit.  A destructor (exit(), return from main) flushes and writes the
 * ISBs.  SIGINT/SIGTERM/SIGHUP: our handler stays installed (sigaction and
 * signal are hooked so the daemon's handlers are chained, not replacing
 * ours); when the daemon has a handler we just call it (libfuse then leaves
 * its loop and exits normally through the destructor); when the signal would
 * kill the daemon we flush, write the ISBs and re-raise it with SIG_DFL.
 * SIGKILL loses what is still buffered (at most ~1 s of messages: the buffer
 * is flushed at least once a second while messages flow); the counts in
 * FUSETRACE_STATUS let `fusetrace record` close the file and count them.
 *
 * Write errors (disk full).  The whole blocks that reached the file stay, the
 * file is cut back to the last of them, and nothing more is written but the
 * closing ISBs: the daemon goes on, later messages count as dropped.
 *
 * Not visible (stderr warning when the capture shows them in use): requests
 * served through FUSE over io_uring (INIT flags2 bit 9), READ/WRITE on files
 * opened with FOPEN_PASSTHROUGH, virtiofs (no /dev/fuse at all), statically
 * linked daemons and daemons doing raw syscalls (Go): use `record --strace`.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <alloca.h>
#include <limits.h>
#include <link.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "host-machine.h"
#include "mountinfo.h"

/* The package version, given by scripts/build-native.mjs. */
#ifndef FTREC_VERSION
#define FTREC_VERSION "0.0.0"
#endif
#define RECORDER_NAME "fusetrace-record " FTREC_VERSION

#define FUSE_MAJOR 10
#define FUSE_MINOR 229
/* _IOR(229, 0, uint32_t), from <linux/fuse.h>. */
#define FTREC_IOC_CLONE 0x8004e500UL
#define FTREC_IOC_BACKING_OPEN 0x4010e501UL  /* _IOW(229, 1, struct fuse_backing_map) */
#define FTREC_IOC_BACKING_CLOSE 0x4004e502UL /* _IOW(229, 2, uint32_t) */

#define MAXFD (1 << 20)     /* fds tracked in the tables below */
#define MAXCONN 256         /* FUSE connections per process */
#define BUFCAP (4u << 20)   /* output buffer */
#define FLUSH_NS 1000000000ull
#define DEFAULT_SNAPLEN 4096u
#define MIN_SNAPLEN 256u

#define DIR_IN 1u
#define DIR_OUT 2u
#define VIA_SPLICE 4u  /* or'ed into dir by the splice hook: counted, not written */
#define VIA_READ 8u    /* with VIA_SPLICE: taken from the daemon's read of its pipe */

/* FUSE opcodes and flags we look at (fuse.h, Linux 6.18). */
#define FUSE_OPEN 14
#define FUSE_INIT 26
#define FUSE_OPENDIR 27
#define FUSE_CREATE 35
#define FUSE_INIT_EXT_BIT (1u << 30)
#define FUSE_PASSTHROUGH_BIT2 (1u << 5)  /* bit 37 */
#define FUSE_OVER_IO_URING_BIT2 (1u << 9) /* bit 41 */
#define FOPEN_PASSTHROUGH (1u << 7)

/* ------------------------------------------------------------------ */
/* real functions                                                      */

typedef ssize_t (*read_fn)(int, void *, size_t);
typedef ssize_t (*readchk_fn)(int, void *, size_t, size_t);
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*readv_fn)(int, const struct iovec *, int);
typedef ssize_t (*splice_fn)(int, loff_t *, int, loff_t *, size_t, unsigned int);
typedef int (*close_fn)(int);
typedef int (*pipe_fn)(int *);
typedef int (*pipe2_fn)(int *, int);
typedef int (*dup_fn)(int);
typedef int (*dup2_fn)(int, int);
typedef int (*dup3_fn)(int, int, int);
typedef int (*ioctl_fn)(int, unsigned long, ...);
typedef int (*fcntl_fn)(int, int, ...);
typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*open2_fn)(const char *, int);
typedef ssize_t (*recvmsg_fn)(int, struct msghdr *, int);
typedef ssize_t (*sendmsg_fn)(int, const struct msghdr *, int);
typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*fexecve_fn)(int, char *const[], char *const[]);
typedef int (*mount_fn)(const char *, const char *, const char *, unsigned long, const void *);
typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
typedef int (*fsm_fn)(void *, const char *);
typedef int (*fsfd_fn)(void *);

static read_fn real_read;
static readchk_fn real_read_chk;
static write_fn real_write;
static readv_fn real_readv;
static readv_fn real_writev;
static splice_fn real_splice;
static close_fn real_close;
static pipe_fn real_pipe;
static pipe2_fn real_pipe2;
static dup_fn real_dup;
static dup2_fn real_dup2;
static dup3_fn real_dup3;
static ioctl_fn real_ioctl;
static fcntl_fn real_fcntl;
static fcntl_fn real_fcntl64;
static open_fn real_open;
static open_fn real_open64;
static openat_fn real_openat;
static openat_fn real_openat64;
static open2_fn real_open_2;
static open2_fn real_open64_2;
static recvmsg_fn real_recvmsg;
static sendmsg_fn real_sendmsg;
static execve_fn real_execve, real_execvpe;
static fexecve_fn real_fexecve;
static mount_fn real_mount;
static sigaction_fn real_sigaction;
static fsm_fn real_fuse_session_mount;

#define RESOLVE(var, name)                                   \
    do {                                                     \
        if (!(var)) *(void **)(&(var)) = dlsym(RTLD_NEXT, name); \
    } while (0)

/* ------------------------------------------------------------------ */
/* state                                                               */

/* fdtab[fd]: 0 = not classified yet, -1 = not /dev/fuse, k > 0 = FUSE
 * connection k.  Reset on close/dup2/open/recvmsg of that number. */
static int32_t fdtab[MAXFD];
/* piperd[fd]: our extra read end (+1) of the pipe whose write end is fd. */
static int32_t piperd[MAXFD];
static unsigned int max_fd_seen;

/* Deferred capture of spliced requests (see "How a splice is captured").
 * For pipes made with pipe()/pipe2() while we were loaded, rd_of[w] = read
 * end + 1 of the pipe whose write end is w, and wr_of[r] = write end + 1.
 * pend[r] is the request spliced into that pipe and not captured yet. */
#define PEND_MAX 65536      /* pipe fds above this use the tee path */
#define PEND_LIST 1024
enum { PEND_EMPTY = 0, PEND_WAITING = 1, PEND_CLAIMED = 2 };
struct pend {
    int state;          /* PEND_*, changed with atomics */
    int ci;             /* connection */
    pid_t tid;          /* thread that spliced */
    uint32_t orig;      /* splice result = the request's length */
    uint64_t ts;        /* when the splice returned */
    int listed;         /* fd is in pend_list */
};
static struct pend pend[PEND_MAX];
static int32_t rd_of[PEND_MAX], wr_of[PEND_MAX];
static int pend_list[PEND_LIST];
static int pend_list_n;     /* grows only; guarded by pend_mu */
static int npend;           /* entries not EMPTY (atomic) */
static unsigned max_pipe_fd;
static pthread_mutex_t pend_mu = PTHREAD_MUTEX_INITIALIZER;
/* ownfd[fd]: the recorder's own fd (output, private pipes, extra pipe read
 * ends).  They live at high numbers (OWN_FD_BASE and up, when the limit
 * allows) and the close family never closes them for the daemon: a daemon
 * that closes "all its fds" would otherwise make us write into whatever
 * file takes the number next. */
static uint8_t ownfd[MAXFD];
static unsigned int max_own_fd;
#define OWN_FD_BASE 900

/* Moves a new fd of ours up to OWN_FD_BASE or above and marks it ours. */
static int own_fd(int fd) {
    if (fd < 0) return fd;
    if (fd < OWN_FD_BASE) {
        int hi = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, OWN_FD_BASE);
        if (hi >= 0) {
            syscall(SYS_close, fd);
            fd = hi;
        }
    }
    if ((unsigned)fd < MAXFD) {
        ownfd[fd] = 1;
        if ((unsigned)fd > max_own_fd) max_own_fd = (unsigned)fd;
    }
    return fd;
}

static void close_own(int fd) {
    if (fd < 0) return;
    if ((unsigned)fd < MAXFD) ownfd[fd] = 0;
    syscall(SYS_close, fd);
}

struct conn {
    int iface;          /* pcapng interface id, -1 before the IDB */
    int fd;             /* fd it was first seen on */
    char mnt[PATH_MAX]; /* mount point, "" when unknown */
    dev_t mnt_dev;      /* the mount's device (the FUSE connection), 0 when unknown */
    int mnt_asked;      /* mount_at_first_message() has run (atomic) */
    uint64_t recv, drop, first_ns, last_ns;
    uint64_t spliced_in, spliced_out; /* of recv: taken with splice(2) */
    uint64_t spliced_in_read; /* of spliced_in: bytes from the daemon's read of its pipe */
    uint64_t init_unique;
    uint32_t init_offered2;  /* flags2 of the INIT request (what the kernel offers) */
    int init_done;      /* INIT answered; the next append flushes once */
    int passthrough;    /* INIT negotiated FUSE_PASSTHROUGH */
    uint64_t open_unique[64];
    uint32_t open_op[64];
    unsigned open_next;
};
static struct conn conns[MAXCONN + 1];
static int nconns;
static pthread_mutex_t conn_mu = PTHREAD_MUTEX_INITIALIZER;
/* One connection's first-message lookup at a time (it may wait). */
static pthread_mutex_t first_mnt_mu = PTHREAD_MUTEX_INITIALIZER;

/* Mount points the image before exec knew for /dev/fuse fds this image
 * inherited (a mount helper running the daemon with /dev/fd/N names only
 * the fd): each goes to the connection of its fd when this image first uses
 * the fd, and is carried on by an image that only passes the fd through
 * (a shell).  fd -1: a free slot.  See "the capture across exec". */
#define CARRY_MOUNTS 8
struct handed_mount {
    int fd;
    dev_t dev;
    char path[PATH_MAX];
};
static struct handed_mount handed_mounts[CARRY_MOUNTS] = {[0 ... CARRY_MOUNTS - 1] = {.fd = -1}};
static int nhanded_mounts; /* slots in use: most processes have none, and close() looks no further */
/* CARRY_ENV's largest value: the capture's fields and path, and the mounts. */
#define CARRY_VAR_MAX (PATH_MAX + 192 + CARRY_MOUNTS * (PATH_MAX + 64))
static int is_fuse_dev(int fd);
static dev_t fdinfo_conn(int fd);
static int find_fuse_mount(dev_t dev, const char *point, dev_t *dev_out, char *out, size_t n);
static int fd_mount_arg(const char *mnt);
static void mount_at_first_message(int ci);

/* fd's slot, or with fd -1 a free one; NULL when there is none (under
 * conn_mu, or before threads: the constructor). */
static struct handed_mount *handed_mount_of(int fd) {
    for (int i = 0; i < CARRY_MOUNTS; i++)
        if (handed_mounts[i].fd == fd) return &handed_mounts[i];
    return NULL;
}

/* Shared between a process and the children it forks. */
struct shared {
    pthread_mutex_t mu;     /* process-shared: IDB numbering */
    uint32_t next_iface;
    uint32_t users;         /* processes writing this section: its opener and forked children
                             * (each leaves it at exit or exec) */
    uint32_t handed;        /* a forked child exec'd and took the capture with it (carry_begin) */
};
static struct shared *shm;

/* Shared with `fusetrace record` through the file FUSETRACE_STATUS (mapped
 * by the session's first image and the children it forks): what was
 * recorded and lost per interface of that image's section.  A daemon killed
 * by SIGKILL never writes its last buffer nor its ISBs; record counts what
 * the file holds and takes the difference as lost (recording.md).  Layout
 * read by src/record/recorder-status.ts. */
#define STATUS_IFACES 64
struct status {
    char magic[8];                   /* "FTRSTAT1" */
    uint32_t ifaces;                 /* STATUS_IFACES */
    int32_t write_errno;             /* first failed write of the capture, 0 if none */
    uint64_t recv[STATUS_IFACES];    /* messages put into a block (written or still buffered) */
    uint64_t drop[STATUS_IFACES];    /* messages lost */
    uint64_t drop_noiface;           /* lost before their interface was written */
};
static struct status *status;

/* Writer.  Two buffers: threads append to `buf` under mu; the thread that
 * fills it swaps in the other one and writes the full one after releasing
 * mu, holding wmu, so the other daemon threads go on appending while the
 * 4 MiB write(2) runs (under one lock for both, every thread stalled for
 * each write).
 * Lock order: mu, then wmu; wmu is taken only while holding mu, so taking
 * both waits for a write in progress and keeps the file in append order. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static volatile pid_t mu_owner;      /* tid holding mu, for signal handler */
static pthread_mutex_t wmu = PTHREAD_MUTEX_INITIALIZER;
static char *bufs[2];
static char *buf;                    /* bufs[0] or bufs[1]: the one appended to */
static volatile size_t buflen;       /* bytes of whole blocks, some maybe still being copied */
/* Copies into bufs[i] reserved under mu and still running outside it: a
 * message's bytes past its first COPY_HEAD are copied after mu is released,
 * so that a 4 KiB payload does not keep the other threads waiting.  With
 * both changes whole-message recording kept 99-115% of passthrough_ll's
 * fio IOPS, against 82-91% with the flush fix alone (docs/recording.md).
 * A buffer is written only when its count is 0. */
static unsigned inflight[2];
#define COPY_HEAD 256u
/* This thread's unfinished copy, for a fatal signal that interrupts it. */
struct tail_copy {
    char *dst;
    const struct iovec *iov;
    int iovcnt;
    size_t skip, len;
    unsigned *count;
};
static __thread struct tail_copy *volatile my_copy;
static int outfd = -1;
static int out_failed;
/* A write of the capture failed (disk full, I/O error): the file was cut
 * back to its last whole block and nothing more is written but the ISBs. */
static int out_broken;
static off_t good_end;               /* end of the last whole block written */
static off_t section_start;          /* where this image's section (its SHB) begins */
/* The capture's identity (fstat of outfd when opened or adopted). */
static dev_t out_dev;
static ino_t out_ino;
/* outfd was handed over by the image before exec (adopt_capture): the
 * program may not know it holds it, and may close or reuse its number. */
static int out_adopted;
/* The adopted fd no longer is the capture (the program closed it, or put
 * another file in its place): nothing is written through it any more. */
static int out_lost;
/* The process that opened or adopted the capture (not a forked child). */
static pid_t opener_pid;
static int closed;
static uint64_t last_flush_ns;

static char out_path[PATH_MAX];
/* The first process image of a recording session (no FUSETRACE_SESSION in
 * its environment): it alone truncates the output; later images (a daemon
 * started by a shell, a helper exec'd by the daemon) append a new section. */
static int root_image;
static char label[256];
static uint32_t snaplen = DEFAULT_SNAPLEN;
static int quiet;
static pid_t mypid;
static __thread pid_t mytid;
static int warned_uring, warned_passthrough, warned_bigfd, warned_write;
static uint64_t backing_blocks; /* passthrough backing-file blocks written */

/* Per-thread private pipe for tee captures, and a scratch buffer. */
static __thread int priv_r = -1, priv_w = -1;
static __thread size_t priv_sz;
static __thread char *scratch;
static __thread size_t scratch_sz;
static pthread_key_t thread_key;

/* Signals we keep a handler on, and the daemon's own dispositions. */
static const int our_sigs[] = {SIGINT, SIGTERM, SIGHUP};
static struct sigaction daemon_act[NSIG];
static int have_handler[NSIG];

/* ------------------------------------------------------------------ */
/* helpers                                                             */

static pid_t get_tid(void) {
    if (!mytid) mytid = (pid_t)syscall(SYS_gettid);
    return mytid;
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Writes all of b to fd with the raw syscall (bypasses our own hook);
 * *done (when given) gets the bytes written, also on failure. */
static int write_all_n(int fd, const void *b, size_t n, size_t *done) {
    const char *p = b;
    if (done) *done = 0;
    while (n > 0) {
        ssize_t r = syscall(SYS_write, fd, p, n);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += r;
        n -= (size_t)r;
        if (done) *done += (size_t)r;
    }
    return 0;
}

static int write_all(int fd, const void *b, size_t n) { return write_all_n(fd, b, n, NULL); }

static void note(const char *fmt, ...) {
    char m[768];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= sizeof m) n = sizeof m - 1;
    (void)write_all(2, m, (size_t)n);
}

static uint32_t pad4(uint32_t n) { return (n + 3u) & ~3u; }

static void put32(char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put16(char *p, uint16_t v) { memcpy(p, &v, 2); }
static uint32_t get32(const char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const char *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* Appends one option TLV at p; returns the bytes used. */
static uint32_t put_opt(char *p, uint16_t code, const void *val, uint16_t len) {
    put16(p, code);
    put16(p + 2, len);
    memcpy(p + 4, val, len);
    memset(p + 4 + len, 0, pad4(len) - len);
    return 4 + pad4(len);
}

static uint32_t opt_size(size_t len) { return 4 + pad4((uint32_t)len); }

/* ------------------------------------------------------------------ */
/* init                                                                */

static void resolve_all(void) {
    RESOLVE(real_read, "read");
    RESOLVE(real_read_chk, "__read_chk");
    RESOLVE(real_write, "write");
    RESOLVE(real_readv, "readv");
    RESOLVE(real_writev, "writev");
    RESOLVE(real_splice, "splice");
    RESOLVE(real_close, "close");
    RESOLVE(real_pipe, "pipe");
    RESOLVE(real_pipe2, "pipe2");
    RESOLVE(real_dup, "dup");
    RESOLVE(real_dup2, "dup2");
    RESOLVE(real_dup3, "dup3");
    RESOLVE(real_ioctl, "ioctl");
    RESOLVE(real_fcntl, "fcntl");
    RESOLVE(real_fcntl64, "fcntl64");
    RESOLVE(real_open, "open");
    RESOLVE(real_open64, "open64");
    RESOLVE(real_openat, "openat");
    RESOLVE(real_openat64, "openat64");
    RESOLVE(real_open_2, "__open_2");
    RESOLVE(real_open64_2, "__open64_2");
    RESOLVE(real_recvmsg, "recvmsg");
    RESOLVE(real_sendmsg, "sendmsg");
    RESOLVE(real_execve, "execve");
    RESOLVE(real_execvpe, "execvpe");
    RESOLVE(real_fexecve, "fexecve");
    RESOLVE(real_mount, "mount");
    RESOLVE(real_sigaction, "sigaction");
}

static void on_signal(int sig, siginfo_t *si, void *uc);
static void settle_conn(int ci);
static void settle_fd(int fd);
static void drop_pending(int fd);
static void unpair_pipe(int fd);
static void unpair_all(void);
static void forget_fd(int fd);
static void flush_locked(void);
static void thread_gone(void *p);
static void find_self(void);
static void adopt_capture(void);
static void write_isbs_locked(const char *why);

static void atfork_prepare(void) {
    /* Requests waiting in pipes are taken now: after the fork either process
     * may read those pipes. */
    settle_conn(0);
    pthread_mutex_lock(&conn_mu);
    pthread_mutex_lock(&mu);
    mu_owner = get_tid();
    /* The child must not inherit unwritten blocks: it would write them again. */
    flush_locked();
    /* Counted before the fork, so that a parent exiting at once never sees
     * itself the last user of the section (a failed fork leaves it counted:
     * the section is then never cut, see ftrec_fini). */
    if (shm && outfd >= 0) __atomic_add_fetch(&shm->users, 1, __ATOMIC_ACQ_REL);
}

static void atfork_parent(void) {
    unpair_all(); /* the pipes are shared with the child now: tee path */
    mu_owner = 0;
    pthread_mutex_unlock(&mu);
    pthread_mutex_unlock(&conn_mu);
}

static void atfork_child(void) {
    pthread_mutex_init(&mu, NULL);
    pthread_mutex_init(&wmu, NULL);
    pthread_mutex_init(&conn_mu, NULL);
    pthread_mutex_init(&first_mnt_mu, NULL);
    mu_owner = 0;
    mypid = getpid();
    mytid = 0;
    pthread_mutex_init(&pend_mu, NULL);
    unpair_all();
    {
        int ln = pend_list_n;
        for (int k = 0; k < ln; k++) pend[pend_list[k]].state = PEND_EMPTY;
        npend = 0;
    }
    /* The private pipe is shared with the parent now: make our own. */
    close_own(priv_r);
    close_own(priv_w);
    priv_r = priv_w = -1;
    priv_sz = 0;
}

__attribute__((constructor)) static void ftrec_init(void) {
    resolve_all();
    mypid = getpid();
    const char *s = getenv("FUSETRACE_SNAPLEN");
    if (s && *s) {
        char *end;
        unsigned long v = strtoul(s, &end, 10);
        if (*end == '\0') {
            if (v != 0 && v < MIN_SNAPLEN) v = MIN_SNAPLEN;
            if (v > 0x7fffffffUL) v = 0;
            snaplen = (uint32_t)v;
        }
    }
    s = getenv("FUSETRACE_LABEL");
    if (s) snprintf(label, sizeof label, "%s", s);
    quiet = getenv("FUSETRACE_QUIET") != NULL;
    s = getenv("FUSETRACE_OUT");
    char tmp[PATH_MAX];
    if (!s || !*s) {
        snprintf(tmp, sizeof tmp, "/tmp/fusetrace-%d.pcapng", (int)mypid);
        s = tmp;
    }
    /* Make it absolute now: daemons chdir("/") when they go to background. */
    if (s[0] == '/') {
        snprintf(out_path, sizeof out_path, "%s", s);
    } else {
        char cwd[PATH_MAX];
        if (getcwd(cwd, sizeof cwd)) {
            size_t cl = strlen(cwd), sl = strlen(s);
            if (cl + 1 + sl < sizeof out_path) {
                memcpy(out_path, cwd, cl);
                out_path[cl] = '/';
                memcpy(out_path + cl + 1, s, sl + 1);
            }
        } else {
            snprintf(out_path, sizeof out_path, "%s", s);
        }
    }
    if (!getenv("FUSETRACE_SESSION")) {
        char tok[64];
        root_image = 1;
        snprintf(tok, sizeof tok, "%d.%llu", (int)mypid, (unsigned long long)now_ns());
        setenv("FUSETRACE_SESSION", tok, 0);
    }
    pthread_key_create(&thread_key, thread_gone);
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
    find_self();
    adopt_capture();
    for (size_t i = 0; i < sizeof our_sigs / sizeof our_sigs[0]; i++) {
        int sig = our_sigs[i];
        struct sigaction cur;
        if (real_sigaction(sig, NULL, &cur) != 0) continue;
        daemon_act[sig] = cur;
        if (cur.sa_handler == SIG_IGN) continue; /* e.g. under nohup */
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_signal;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigemptyset(&sa.sa_mask);
        if (real_sigaction(sig, &sa, NULL) == 0) have_handler[sig] = 1;
    }
}

/* ------------------------------------------------------------------ */
/* pcapng blocks                                                       */

static void uname_sr(char *o, size_t n) {
    struct utsname u;
    if (uname(&u) == 0) snprintf(o, n, "%s %s", u.sysname, u.release);
    else snprintf(o, n, "Linux");
}

static size_t build_shb(char *b, size_t cap) {
    char os[256], comment[512], machine[64];
    uname_sr(os, sizeof os);
    host_machine(machine, sizeof machine);
    snprintf(comment, sizeof comment, "recorded by LD_PRELOAD libftrec.so; daemon=%s pid=%d snaplen=%u",
             program_invocation_short_name, (int)mypid, snaplen);
    uint32_t len = 24 + opt_size(strlen(comment)) + (machine[0] ? opt_size(strlen(machine)) : 0) + opt_size(strlen(os)) +
                   opt_size(strlen(RECORDER_NAME)) + 4 + 4;
    if (len > cap) return 0;
    char *p = b;
    put32(p, 0x0A0D0D0A);
    put32(p + 4, len);
    put32(p + 8, 0x1A2B3C4D);
    put16(p + 12, 1);
    put16(p + 14, 0);
    uint64_t sl = UINT64_MAX;
    memcpy(p + 16, &sl, 8);
    p += 24;
    p += put_opt(p, 1, comment, (uint16_t)strlen(comment));
    if (machine[0]) p += put_opt(p, 2, machine, (uint16_t)strlen(machine));
    p += put_opt(p, 3, os, (uint16_t)strlen(os));
    p += put_opt(p, 4, RECORDER_NAME, (uint16_t)strlen(RECORDER_NAME));
    put32(p, 0);
    p += 4;
    put32(p, len);
    return len;
}

static size_t build_idb(char *b, size_t cap, struct conn *c) {
    char name[600], desc[1024];
    if (label[0]) snprintf(name, sizeof name, "fuse:%s", label);
    else if (c->mnt[0]) snprintf(name, sizeof name, "fuse:%s", c->mnt);
    else snprintf(name, sizeof name, "fuse:%s", program_invocation_short_name);
    snprintf(desc, sizeof desc, "mountpoint=%s daemon=%s pid=%d fd=%d snaplen=%u recorder=%s",
             c->mnt[0] ? c->mnt : "?", program_invocation_short_name, (int)mypid, c->fd,
             snaplen, RECORDER_NAME);
    uint8_t tsresol = 9;
    uint32_t len = 16 + opt_size(strlen(name)) + opt_size(strlen(desc)) + opt_size(1) + 4 + 4;
    if (len > cap) return 0;
    char *p = b;
    put32(p, 1);
    put32(p + 4, len);
    put16(p + 8, 147);
    put16(p + 10, 0);
    put32(p + 12, snaplen);
    p += 16;
    p += put_opt(p, 2, name, (uint16_t)strlen(name));
    p += put_opt(p, 3, desc, (uint16_t)strlen(desc));
    p += put_opt(p, 9, &tsresol, 1);
    put32(p, 0);
    p += 4;
    put32(p, len);
    return len;
}

/* Counts n messages of c as lost.  Atomic: a thread writing a handed-off
 * buffer (finish_handoff, outside mu) counts its blocks lost when the write
 * fails, while other threads count messages under mu; a plain += lost one of
 * two such updates (an ISB that counted 250 received for 251 messages kept). */
static void add_drop(struct conn *c, uint64_t n) {
    __atomic_add_fetch(&c->drop, n, __ATOMIC_RELAXED);
    if (!status) return;
    if (c->iface >= 0 && c->iface < STATUS_IFACES) __atomic_add_fetch(&status->drop[c->iface], n, __ATOMIC_RELAXED);
    else __atomic_add_fetch(&status->drop_noiface, n, __ATOMIC_RELAXED);
}

static void add_recv(struct conn *c, int64_t n) {
    __atomic_add_fetch(&c->recv, (uint64_t)n, __ATOMIC_RELAXED);
    if (status && c->iface >= 0 && c->iface < STATUS_IFACES)
        __atomic_add_fetch(&status->recv[c->iface], (uint64_t)n, __ATOMIC_RELAXED);
}

/* Maps FUSETRACE_STATUS (the session's first image only: a later image
 * writes its own section, whose interfaces are numbered afresh).  Mapped
 * when the capture is opened, while the process still has the identity it
 * had when it got /dev/fuse (the file is root's); marked valid (magic) only
 * when the first interface is written, so that an image that recorded
 * nothing (and exec'd the daemon: a later image) leaves no counts that
 * would pass for that daemon's. */
static void map_status(void) {
    const char *p = getenv("FUSETRACE_STATUS");
    if (status || !root_image || !p || !*p) return;
    int fd = (int)syscall(SYS_openat, AT_FDCWD, p, O_RDWR | O_CLOEXEC);
    if (fd < 0) return;
    if (ftruncate(fd, sizeof(struct status)) == 0) {
        void *m = mmap(NULL, sizeof(struct status), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (m != MAP_FAILED) status = m;
    }
    syscall(SYS_close, fd);
}

static size_t build_isb(char *b, size_t cap, struct conn *c, uint64_t end, uint64_t extra_drop,
                        const char *why) {
    char comment[320];
    uint64_t drop = c->drop + extra_drop;
    int clen = snprintf(comment, sizeof comment,
                        "spliced_in=%llu spliced_out=%llu spliced_in_at_read=%llu; capture ended: %s%s",
                        (unsigned long long)c->spliced_in, (unsigned long long)c->spliced_out,
                        (unsigned long long)c->spliced_in_read, why,
                        out_broken ? "; writing the capture failed, later messages were not recorded" : "");
    if (clen < 0) clen = 0;
    if ((size_t)clen >= sizeof comment) clen = sizeof comment - 1;
    uint32_t len = 20 + opt_size((size_t)clen) + 12 + 12 + 12 + 12 + 4 + 4;
    if (len > cap) return 0;
    char *p = b;
    put32(p, 5);
    put32(p + 4, len);
    put32(p + 8, (uint32_t)c->iface);
    put32(p + 12, (uint32_t)(end >> 32));
    put32(p + 16, (uint32_t)end);
    p += 20;
    p += put_opt(p, 1, comment, (uint16_t)clen);
    uint32_t t[2];
    uint64_t start = c->first_ns ? c->first_ns : end;
    t[0] = (uint32_t)(start >> 32); t[1] = (uint32_t)start;
    p += put_opt(p, 2, t, 8);
    t[0] = (uint32_t)(end >> 32); t[1] = (uint32_t)end;
    p += put_opt(p, 3, t, 8);
    p += put_opt(p, 4, &c->recv, 8);
    p += put_opt(p, 5, &drop, 8);
    put32(p, 0);
    p += 4;
    put32(p, len);
    return len;
}

/* ------------------------------------------------------------------ */
/* output file                                                         */

/* 1 when the file at fd holds nothing but section headers: a process of
 * the session opened it when it got a /dev/fuse fd, then ended (or exec'd)
 * without a message. */
static int only_headers(int fd) {
    struct stat st, rst;
    if (syscall(SYS_fstat, fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) return 0;
    /* fd is write-only: read the same file through a second open. */
    int rfd = (int)syscall(SYS_openat, AT_FDCWD, out_path, O_RDONLY | O_CLOEXEC);
    if (rfd < 0) return 0;
    int ok = syscall(SYS_fstat, rfd, &rst) == 0 && rst.st_dev == st.st_dev && rst.st_ino == st.st_ino;
    off_t off = 0;
    for (int i = 0; ok && i < 64 && off < st.st_size; i++) {
        char h[12];
        uint32_t len;
        if (syscall(SYS_pread64, rfd, h, sizeof h, off) != (long)sizeof h) ok = 0;
        else if (len = get32(h + 4), get32(h) != 0x0A0D0D0A || get32(h + 8) != 0x1A2B3C4D || len < 28 ||
                 len % 4 || off + (off_t)len > st.st_size)
            ok = 0;
        else off += len;
    }
    syscall(SYS_close, rfd);
    return ok && off == st.st_size;
}

static int start_section(int fd);

/* Opens the output (under mu).  The first process image that records owns
 * FUSETRACE_OUT (exclusive flock for as long as it or a forked child keeps
 * it open); another image finding it held writes <out>.<pid>. */
static int open_output(void) {
    if (outfd >= 0) return 0;
    if (out_failed) return -1;
    int fd = (int)syscall(SYS_openat, AT_FDCWD, out_path,
                          O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int locked = 0;
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0) locked = 1;
    else if (fd >= 0) {
        syscall(SYS_close, fd);
        char alt[PATH_MAX];
        int n;
        const char *dot = strrchr(out_path, '.');
        const char *slash = strrchr(out_path, '/');
        if (dot && (!slash || dot > slash))
            n = snprintf(alt, sizeof alt, "%.*s.%d%s", (int)(dot - out_path), out_path, (int)mypid, dot);
        else
            n = snprintf(alt, sizeof alt, "%s.%d", out_path, (int)mypid);
        if (n < 0 || (size_t)n >= sizeof alt) {
            note("fusetrace-record: error: output path too long\n");
            out_failed = 1;
            return -1;
        }
        note("fusetrace-record: warning: %s is being written by another process; pid %d records into %s\n",
             out_path, (int)mypid, alt);
        snprintf(out_path, sizeof out_path, "%s", alt);
        fd = (int)syscall(SYS_openat, AT_FDCWD, out_path,
                          O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0) locked = 1;
    }
    if (fd < 0) {
        note("fusetrace-record: error: cannot open %s: %s; nothing will be recorded\n", out_path,
             strerror(errno));
        out_failed = 1;
        return -1;
    }
    fd = own_fd(fd); /* the flock belongs to the open file, so it moves along */
    /* The session's first image starts afresh (a stale file from an earlier
     * run); a later image of the session that finds the file free (an
     * earlier image ended) appends its own section: pcapng allows several. */
    if (root_image && ftruncate(fd, 0) != 0) { /* a FIFO or device: keep going */ }
    /* A later image holding the file alone replaces sections that are only
     * a header (an earlier image opened /dev/fuse and recorded nothing, e.g.
     * a mount helper that then exec'd the daemon): nothing is lost. */
    if (!root_image && locked && only_headers(fd) && ftruncate(fd, 0) != 0) { /* keep appending */ }
    return start_section(fd);
}

/* Starts this image's section in the open capture fd (ours already, own_fd):
 * buffers, the shared numbering, the SHB at the end of the file.  Under mu,
 * or in the constructor. */
static int start_section(int fd) {
    if (!bufs[0]) bufs[0] = malloc(BUFCAP);
    if (!bufs[1]) bufs[1] = malloc(BUFCAP);
    if (!buf && bufs[0] && bufs[1]) buf = bufs[0];
    if (!shm) {
        void *m = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (m != MAP_FAILED) {
            shm = m;
            pthread_mutexattr_t a;
            pthread_mutexattr_init(&a);
            pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
            pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
            pthread_mutex_init(&shm->mu, &a);
            shm->next_iface = 0;
            shm->users = 1;
            shm->handed = 0;
        }
    }
    if (!buf || !shm) {
        note("fusetrace-record: error: out of memory; nothing will be recorded\n");
        close_own(fd);
        out_failed = 1;
        return -1;
    }
    section_start = lseek(fd, 0, SEEK_END);
    char shb[2048];
    size_t shblen = build_shb(shb, sizeof shb);
    if (write_all(fd, shb, shblen) != 0) {
        note("fusetrace-record: error: cannot write %s: %s\n", out_path, strerror(errno));
        close_own(fd);
        out_failed = 1;
        return -1;
    }
    outfd = fd;
    opener_pid = mypid;
    good_end = lseek(fd, 0, SEEK_CUR);
    struct stat st;
    if (syscall(SYS_fstat, fd, &st) == 0) {
        out_dev = st.st_dev;
        out_ino = st.st_ino;
    }
    map_status();
    last_flush_ns = now_ns();
    if (!quiet) note("fusetrace-record: pid %d records /dev/fuse traffic into %s (snaplen %u)%s\n",
                     (int)mypid, out_path, snaplen, out_adopted ? ", handed over across exec" : "");
    return 0;
}

/* ------------------------------------------------------------------ */
/* the capture across exec                                             */

/* An image that holds the capture and execs gives the open file (its open
 * file description, with the flock) to the new image: FD_CLOEXEC is cleared
 * just before the exec (and set again if it fails), and CARRY_ENV, in the
 * environment given to the new image only, says which fd it is:
 * "fd,dev,ino,cut,end,root,m,<m mounts>path".  cut: where the new image's
 * section starts when the file is still `end` bytes long (the old image's
 * section, only a header, is replaced; else the old image wrote its ISBs and
 * cut = end); root: the old section was the session's first image's, at
 * offset 0 (so is the new one: it maps FUSETRACE_STATUS); path: the file
 * (FUSETRACE_OUT, or <out>.<pid>).  A mount is "fd,major,minor,length:point,":
 * a /dev/fuse fd the new image inherits and where its connection (that
 * device) is mounted, which a daemon run with /dev/fd/N never learns
 * (carried_mounts, handed_mount_holds). */
#define CARRY_ENV "FUSETRACE_CAPTURE_FD"

/* /proc/self/fdinfo/<fd> into b (cap bytes, NUL-terminated): its length,
 * -1 when it cannot be read, -2 when it cannot be opened (no /proc).
 * errno is left as it was: callers run inside the daemon's calls. */
static ssize_t read_fdinfo(int fd, char *b, size_t cap) {
    char p[64];
    snprintf(p, sizeof p, "/proc/self/fdinfo/%d", fd);
    return read_small_file(p, b, cap);
}

/* 1 when this open file description holds the flock: /proc/self/fdinfo
 * lists the locks that belong to the open file itself ("lock: ... FLOCK ...
 * WRITE"), not another open of the same file.  Without /proc: the lock can
 * be taken (weaker: nobody else holds it). */
static int holds_flock(int fd) {
    char b[4096];
    ssize_t n = read_fdinfo(fd, b, sizeof b);
    if (n == -2) return flock(fd, LOCK_EX | LOCK_NB) == 0;
    if (n <= 0) return 0;
    for (char *l = strstr(b, "lock:"); l; l = strstr(l + 5, "lock:")) {
        char *end = strchr(l, '\n');
        if (end) *end = '\0';
        int ok = strstr(l, "FLOCK") && strstr(l, "WRITE");
        if (end) *end = '\n';
        if (ok) return 1;
    }
    return 0;
}

/* A mount point handed over across exec is taken only for what it was:
 * its fd still a /dev/fuse fd open for reading and writing, whose
 * connection the kernel, when it names one (fdinfo_conn), says is the
 * mount's device, and a FUSE mount of that device at that path in this
 * process's mount namespace.  Anything else in the environment (stale, or
 * set by hand) names no connection. */
static int handed_mount_holds(const struct handed_mount *h) {
    long fl = syscall(SYS_fcntl, h->fd, F_GETFL);
    if (h->path[0] != '/' || !h->dev || fl < 0 || (fl & O_ACCMODE) != O_RDWR || !is_fuse_dev(h->fd)) return 0;
    dev_t conn = fdinfo_conn(h->fd);
    return (!conn || conn == h->dev) && find_fuse_mount(h->dev, h->path, NULL, NULL, 0);
}

/* At the start of an image (constructor): the capture handed over by the
 * image before exec, when CARRY_ENV names one.  It is adopted only when
 * the fd is still that open file: open, a regular file or a FIFO with the
 * same device and inode, write-only and appending, holding the flock;
 * otherwise (a program in between closed it or reused its number) this
 * image opens the capture as it would have without it (at its /dev/fuse fd
 * or first message).  The variable goes at once: it is for this image. */
static void adopt_capture(void) {
    const char *v = getenv(CARRY_ENV);
    if (!v) return;
    static char val[CARRY_VAR_MAX];
    snprintf(val, sizeof val, "%s", v);
    unsetenv(CARRY_ENV);
    int fd, root, nm, used = 0;
    unsigned long long dev, ino;
    long long cut, end;
    if (sscanf(val, "%d,%llu,%llu,%lld,%lld,%d,%d,%n", &fd, &dev, &ino, &cut, &end, &root, &nm, &used) != 7 ||
        !used || fd < 0 || fd >= MAXFD || nm < 0 || nm > CARRY_MOUNTS)
        return;
    const char *path = val + used;
    static struct handed_mount got[CARRY_MOUNTS];
    for (int i = 0; i < nm; i++) {
        unsigned mfd, ma, mi;
        size_t len;
        int u = 0;
        if (sscanf(path, "%u,%u,%u,%zu:%n", &mfd, &ma, &mi, &len, &u) != 4 || !u || mfd >= MAXFD ||
            len == 0 || len >= PATH_MAX || strnlen(path + u, len + 1) != len + 1 || path[u + len] != ',')
            return;
        got[i].fd = (int)mfd;
        got[i].dev = makedev(ma, mi);
        memcpy(got[i].path, path + u, len);
        got[i].path[len] = '\0';
        path += u + len + 1;
    }
    for (int i = 0; i < nm; i++) {
        if (handed_mount_holds(&got[i]) && !handed_mount_of(got[i].fd) && handed_mount_of(-1)) {
            *handed_mount_of(-1) = got[i];
            nhanded_mounts++;
            if ((unsigned)got[i].fd > max_fd_seen) max_fd_seen = (unsigned)got[i].fd; /* close_range forgets it */
        } else if (!quiet) {
            note("fusetrace-record: fd %d is no longer the FUSE connection mounted at %s that was handed over "
                 "across exec; pid %d names its connection as the program says\n", got[i].fd, got[i].path, (int)mypid);
        }
    }
    struct stat st;
    long fl = syscall(SYS_fcntl, fd, F_GETFL);
    int ok = fl >= 0 && syscall(SYS_fstat, fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode)) &&
             (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino &&
             (fl & O_ACCMODE) == O_WRONLY && (fl & O_APPEND) && holds_flock(fd);
    if (!ok) {
        if (!quiet)
            note("fusetrace-record: fd %d, the capture handed over across exec, is no longer it (closed or "
                 "reused before this program started); pid %d opens the capture itself\n", fd, (int)mypid);
        return;
    }
    syscall(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC);
    ownfd[fd] = 1;
    if ((unsigned)fd > max_own_fd) max_own_fd = (unsigned)fd;
    if (*path) snprintf(out_path, sizeof out_path, "%s", path);
    /* The old image's section, only its header: replaced by this one's. */
    if (S_ISREG(st.st_mode) && (long long)st.st_size == end && cut >= 0 && cut < end &&
        ftruncate(fd, (off_t)cut) != 0) { /* appended after it */ }
    root_image = root && S_ISREG(st.st_mode) && lseek(fd, 0, SEEK_END) == 0;
    out_adopted = 1;
    if (start_section(fd) != 0) out_adopted = 0;
}

/* 1 when outfd is no longer the capture it adopted (the program closed the
 * fd or put another file at its number, e.g. with a raw close_range and
 * dup2): checked before each write through it, so that nothing goes into
 * another file. */
static int adopted_fd_gone(void) {
    if (!out_adopted) return 0;
    if (out_lost) return 1;
    struct stat st;
    int e = errno;
    int gone = syscall(SYS_fstat, outfd, &st) != 0 || st.st_dev != out_dev || st.st_ino != out_ino;
    errno = e;
    return gone;
}

/* 1 when a forked child of this (pass-through) image exec'd and took the
 * capture along: this process writes nothing more through its copy. */
static int handed_away(void) {
    return shm && outfd >= 0 && __atomic_load_n(&shm->handed, __ATOMIC_ACQUIRE) != 0;
}

/* Gives up the adopted fd, which is not the capture any more: it is not
 * ours (not closed, not spared from the program's closes), and nothing is
 * written through it. */
static void lose_adopted_fd(void) {
    if (!out_lost) {
        int again = shm && __atomic_load_n(&shm->next_iface, __ATOMIC_ACQUIRE) == 0 && buflen == 0;
        if (!again || !quiet)
            note("fusetrace-record: %s: fd %d, the capture %s handed over across exec, was closed or replaced "
                 "by the program (pid %d); %s\n", again ? "note" : "warning", outfd, out_path, (int)mypid,
                 again ? "it opens the capture again" : "recording stops here, later messages are counted as lost");
    }
    out_lost = 1;
    if ((unsigned)outfd < MAXFD) ownfd[outfd] = 0;
}

static void block_our_sigs(sigset_t *old) {
    sigset_t block;
    sigemptyset(&block);
    for (size_t i = 0; i < sizeof our_sigs / sizeof our_sigs[0]; i++) sigaddset(&block, our_sigs[i]);
    pthread_sigmask(SIG_BLOCK, &block, old);
}

/* The messages in blocks b..b+n were not written: they are lost. */
static void lose_blocks(const char *b, size_t n) {
    for (size_t at = 0; at + 12 <= n;) {
        uint32_t type = get32(b + at), len = get32(b + at + 4);
        if (len < 12 || at + len > n) break;
        if (type == 6) {
            int iface = (int)get32(b + at + 8);
            for (int i = 1; i <= nconns; i++) {
                if (conns[i].iface != iface) continue;
                add_recv(&conns[i], -1);
                add_drop(&conns[i], 1);
                break;
            }
        }
        at += len;
    }
}

/* Appends whole blocks.  A failed write (disk full) may have left part of
 * them: the file is cut back to its last whole block, so that it stays
 * readable, and recording stops (the daemon goes on serving).  Returns 0 when
 * all was written. */
static int append_blocks(const char *b, size_t n) {
    if (adopted_fd_gone()) {
        lose_adopted_fd();
        out_broken = 1;
        lose_blocks(b, n);
        return -1;
    }
    if (out_broken) {
        lose_blocks(b, n);
        return -1;
    }
    size_t done;
    if (write_all_n(outfd, b, n, &done) == 0) {
        off_t end = lseek(outfd, 0, SEEK_CUR);
        if (end >= 0) good_end = end;
        return 0;
    }
    int e = errno;
    /* Keep the whole blocks that made it. */
    size_t keep = 0;
    while (keep + 12 <= done) {
        uint32_t len = get32(b + keep + 4);
        if (len < 12 || keep + len > done) break;
        keep += len;
    }
    good_end += (off_t)keep;
    if (ftruncate(outfd, good_end) != 0) { /* nothing better to do */ }
    out_broken = 1;
    lose_blocks(b + keep, n - keep);
    if (status && !status->write_errno) status->write_errno = e;
    if (!warned_write) {
        warned_write = 1;
        note("fusetrace-record: error: writing %s: %s; recording stops here (the daemon goes on), "
             "the messages from now on are counted as lost\n", out_path, strerror(e));
    }
    return -1;
}

static void write_blocks(const char *b, size_t n) { (void)append_blocks(b, n); }

static void copy_iov(char *d, const struct iovec *iov, int iovcnt, size_t skip, size_t len) {
    for (int i = 0; i < iovcnt && len > 0; i++) {
        size_t k = iov[i].iov_len;
        if (skip >= k) {
            skip -= k;
            continue;
        }
        k -= skip;
        if (k > len) k = len;
        memcpy(d, (const char *)iov[i].iov_base + skip, k);
        d += k;
        len -= k;
        skip = 0;
    }
}

static unsigned *inflight_of(const char *b) { return &inflight[b == bufs[0] ? 0 : 1]; }

/* Copies the rest of this thread's message, if any is left to copy. */
static void finish_tail(struct tail_copy *t) {
    if (!t->count) return;
    copy_iov(t->dst, t->iov, t->iovcnt, t->skip, t->len);
    my_copy = NULL;
    __atomic_sub_fetch(t->count, 1, __ATOMIC_RELEASE);
    t->count = NULL;
}

/* Waits until every copy into b is done (they need no lock to finish). */
static void wait_copies(const char *b) {
    unsigned *n = inflight_of(b);
    while (__atomic_load_n(n, __ATOMIC_ACQUIRE) != 0) sched_yield();
}

/* Writes the buffer now (under mu), after any write in progress.  Signals
 * we handle are blocked meanwhile, so that our handler never runs in this
 * thread between the write and the reset (it would write the same blocks
 * twice). */
static void flush_locked(void) {
    if (outfd < 0 || buflen == 0) return;
    sigset_t old;
    block_our_sigs(&old);
    pthread_mutex_lock(&wmu);
    wait_copies(buf);
    write_blocks(buf, buflen);
    buflen = 0;
    pthread_mutex_unlock(&wmu);
    last_flush_ns = now_ns();
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* What a thread took out of the way to write after releasing mu. */
struct handoff {
    const char *b;
    size_t n;
    sigset_t old;
};

/* Swaps buffers (under mu): the full one goes to h, to be written by
 * finish_handoff() once mu is released.  Waits for the previous handoff's
 * write first, so a burst faster than the disk still only ever has one
 * buffer in flight.  Our signals stay blocked until the write is done. */
static void swap_locked(struct handoff *h) {
    h->b = NULL;
    if (outfd < 0 || buflen == 0) return;
    block_our_sigs(&h->old);
    pthread_mutex_lock(&wmu);
    h->b = buf;
    h->n = buflen;
    buf = buf == bufs[0] ? bufs[1] : bufs[0];
    __atomic_store_n(&buflen, 0, __ATOMIC_RELEASE);
    last_flush_ns = now_ns();
}

static void finish_handoff(struct handoff *h) {
    if (!h->b) return;
    wait_copies(h->b);
    write_blocks(h->b, h->n);
    pthread_mutex_unlock(&wmu);
    pthread_sigmask(SIG_SETMASK, &h->old, NULL);
}

/* Gives c an interface (under mu): flushes our blocks, then numbers and
 * writes the IDB under the process-shared lock, so the IDB order in the file
 * is the numbering even when a forked child does the same at once. */
static int ensure_iface(struct conn *c) {
    if (c->iface >= 0) return 0;
    if (handed_away()) {
        /* A child took the capture across its exec: this process records
         * as a later image would, by the path (<out>.<pid> while it is held). */
        close_own(outfd);
        outfd = -1;
        out_adopted = 0;
        shm = NULL; /* the child's; this process numbers its own section */
        root_image = 0;
        if (status) { /* the counts are the first section's, the child's now */
            munmap(status, sizeof *status);
            status = NULL;
        }
        if (open_output() != 0) return -1;
    }
    if (adopted_fd_gone() && !out_lost && shm && __atomic_load_n(&shm->next_iface, __ATOMIC_ACQUIRE) == 0 &&
        buflen == 0) {
        /* Nothing but its section header went through the adopted fd, which
         * the program has closed or reused since: the capture is opened by
         * its path, as without the handover. */
        lose_adopted_fd();
        outfd = -1;
        out_adopted = 0;
        out_lost = 0;
        /* That file, holding only section headers (ours last), goes when
         * this process may remove it: it may be another user's (a helper
         * that was root), which this one could not open again. */
        int rfd = (int)syscall(SYS_openat, AT_FDCWD, out_path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (rfd >= 0 && syscall(SYS_fstat, rfd, &st) == 0 && st.st_dev == out_dev && st.st_ino == out_ino &&
            only_headers(rfd) && syscall(SYS_unlinkat, AT_FDCWD, out_path, 0) != 0) { /* opened as it is */ }
        if (rfd >= 0) syscall(SYS_close, rfd);
        if (open_output() != 0) return -1;
    }
    char idb[2048];
    size_t n = build_idb(idb, sizeof idb, c);
    flush_locked();
    int r = pthread_mutex_lock(&shm->mu);
    if (r == EOWNERDEAD) pthread_mutex_consistent(&shm->mu);
    int ok = append_blocks(idb, n) == 0;
    if (ok) c->iface = (int)shm->next_iface++;
    if (ok && status && memcmp(status->magic, "FTRSTAT1", 8) != 0) {
        status->ifaces = STATUS_IFACES;
        __atomic_thread_fence(__ATOMIC_RELEASE);
        memcpy(status->magic, "FTRSTAT1", 8);
    }
    pthread_mutex_unlock(&shm->mu);
    return ok ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* protocol watch: warn about traffic the capture cannot see           */

static void watch_in(struct conn *c, const char *m, size_t n) {
    if (n < 40) return;
    uint32_t op = get32(m + 4);
    uint64_t unique = get64(m + 8);
    if (op == FUSE_INIT) {
        c->init_unique = unique;
        uint32_t flags = n >= 56 ? get32(m + 52) : 0;
        c->init_offered2 = (n >= 60 && (flags & FUSE_INIT_EXT_BIT)) ? get32(m + 56) : 0;
    }
    else if (c->passthrough && (op == FUSE_OPEN || op == FUSE_CREATE || op == FUSE_OPENDIR)) {
        unsigned i = c->open_next++ % 64;
        c->open_unique[i] = unique;
        c->open_op[i] = op;
    }
}

static void watch_out(struct conn *c, const char *m, size_t n) {
    if (n < 16) return;
    int32_t error;
    memcpy(&error, m + 4, 4);
    uint64_t unique = get64(m + 8);
    if (error != 0 || unique == 0) return;
    if (unique == c->init_unique && n >= 16 + 16) {
        uint32_t flags = get32(m + 16 + 12);
        /* A bit counts when offered by the kernel and taken by the daemon. */
        uint32_t flags2 = (n >= 16 + 36 && (flags & FUSE_INIT_EXT_BIT)) ? get32(m + 16 + 32) : 0;
        flags2 &= c->init_offered2;
        if ((flags2 & FUSE_OVER_IO_URING_BIT2) && !warned_uring) {
            warned_uring = 1;
            note("fusetrace-record: warning: %s negotiated FUSE_OVER_IO_URING: requests it serves "
                 "through io_uring are NOT in the capture\n", program_invocation_short_name);
        }
        c->passthrough = (flags2 & FUSE_PASSTHROUGH_BIT2) != 0;
        c->init_done = 1; /* flush soon: the session has started */
        return;
    }
    if (!c->passthrough) return;
    for (unsigned i = 0; i < 64; i++) {
        if (c->open_unique[i] != unique || unique == 0) continue;
        size_t off = c->open_op[i] == FUSE_CREATE ? 16 + 128 + 8 : 16 + 8;
        c->open_unique[i] = 0;
        if (n >= off + 4 && (get32(m + off) & FOPEN_PASSTHROUGH) && !warned_passthrough) {
            warned_passthrough = 1;
            note("fusetrace-record: warning: %s opened a file with FOPEN_PASSTHROUGH: READ/WRITE on "
                 "passthrough files go to the backing file and are NOT in the capture\n",
                 program_invocation_short_name);
        }
        break;
    }
}

/* ------------------------------------------------------------------ */
/* recording                                                           */

/* Records one message: `have` bytes available in iov (already cut to what
 * we want to keep, at most snaplen), whole length `orig`.  err != 0 marks a
 * failed write(2) of an outbound message. */
static void record_iov_t(int ci, unsigned dir, const struct iovec *iov, int iovcnt, size_t have,
                         size_t orig, uint64_t ts, int err, pid_t tid) {
    struct conn *c = &conns[ci];
    int spliced = (dir & VIA_SPLICE) != 0;
    int at_read = (dir & VIA_READ) != 0;
    dir &= 3u;
    size_t cap = have;
    if (snaplen && cap > snaplen) cap = snaplen;
    if (cap > orig) cap = orig;
    char comment[32];
    int clen = 0;
    if (err) clen = snprintf(comment, sizeof comment, "errno=%d", err);
    uint32_t optlen = 8 + 12 + (clen ? opt_size((size_t)clen) : 0) + 4;
    size_t total = 28 + pad4((uint32_t)cap) + optlen + 4;

    struct handoff h;
    h.b = NULL;
    struct tail_copy tail;
    tail.count = NULL;
    if (__atomic_load_n(&c->iface, __ATOMIC_RELAXED) < 0) mount_at_first_message(ci);
    pthread_mutex_lock(&mu);
    mu_owner = get_tid();
    if (closed || open_output() != 0 || out_broken || ensure_iface(c) != 0) {
        add_drop(c, 1);
        goto out;
    }
    if (total > BUFCAP) flush_locked();
    else if (total > BUFCAP - buflen) swap_locked(&h);
    {
        /* A block bigger than the buffer (snaplen 0 and a huge message) is
         * built aside and written at once, still as one whole block. */
        char *big = total > BUFCAP ? malloc(total) : NULL;
        if (total > BUFCAP && !big) {
            add_drop(c, 1);
            goto out;
        }
        char *p = big ? big : buf + buflen;
        put32(p, 6);
        put32(p + 4, (uint32_t)total);
        put32(p + 8, (uint32_t)c->iface);
        put32(p + 12, (uint32_t)(ts >> 32));
        put32(p + 16, (uint32_t)ts);
        put32(p + 20, (uint32_t)cap);
        put32(p + 24, (uint32_t)orig);
        /* Headers now (the watch below reads them), the rest after mu. */
        size_t head = big || cap <= COPY_HEAD ? cap : COPY_HEAD;
        copy_iov(p + 28, iov, iovcnt, 0, head);
        memset(p + 28 + cap, 0, pad4((uint32_t)cap) - cap);
        char *d = p + 28 + pad4((uint32_t)cap);
        uint32_t flags = dir | (err ? (1u << 16) : 0);
        d += put_opt(d, 2, &flags, 4);
        uint32_t pt[2] = {(uint32_t)mypid, (uint32_t)(tid ? tid : get_tid())};
        d += put_opt(d, 8, pt, 8);
        if (clen) d += put_opt(d, 1, comment, (uint16_t)clen);
        put32(d, 0);
        put32(d + 4, (uint32_t)total);
        /* Watch the copy: it is contiguous. */
        if (dir == DIR_IN) watch_in(c, p + 28, head);
        else watch_out(c, p + 28, head);
        if (head < cap) {
            tail.dst = p + 28 + head;
            tail.iov = iov;
            tail.iovcnt = iovcnt;
            tail.skip = head;
            tail.len = cap - head;
            tail.count = inflight_of(buf);
            __atomic_add_fetch(tail.count, 1, __ATOMIC_ACQ_REL);
            my_copy = &tail;
        }
        /* Counted before a big block's write, whose failure takes it back (lose_blocks):
         * never a moment below zero in the shared status the record command shows. */
        add_recv(c, 1);
        if (big) {
            /* After flush_locked(): nothing in flight, nothing buffered. */
            sigset_t old;
            block_our_sigs(&old);
            write_blocks(big, total);
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            free(big);
        } else {
            /* Commit: a signal handler in this thread sees whole blocks only. */
            __atomic_store_n(&buflen, buflen + total, __ATOMIC_RELEASE);
        }
    }
    if (spliced) {
        if (dir == DIR_IN) c->spliced_in++;
        else c->spliced_out++;
        if (at_read) c->spliced_in_read++;
    }
    if (!c->first_ns) c->first_ns = ts;
    c->last_ns = ts;
    if (c->init_done == 1) {
        /* Make the INIT exchange visible at once (fusetrace record counts it). */
        c->init_done = 2;
        finish_tail(&tail); /* flush_locked() waits for it */
        flush_locked();
    } else if (!h.b && (ts > last_flush_ns + FLUSH_NS || ts + FLUSH_NS < last_flush_ns)) {
        /* Once a second while messages flow.  ts was taken before mu, so it
         * may be a little older than the last flush: only a clock stepped
         * back by more than the interval counts as "back" (taking any older
         * ts as a clock step made every thread that had queued on mu during
         * a flush flush again: thousands of small writes a second). */
        swap_locked(&h);
    }
out:
    mu_owner = 0;
    pthread_mutex_unlock(&mu);
    finish_tail(&tail);
    finish_handoff(&h);
}

static void record_iov(int ci, unsigned dir, const struct iovec *iov, int iovcnt, size_t have,
                       size_t orig, uint64_t ts, int err) {
    record_iov_t(ci, dir, iov, iovcnt, have, orig, ts, err, 0);
}

static void record_buf(int ci, unsigned dir, const void *b, size_t have, size_t orig, uint64_t ts,
                       int err) {
    struct iovec v = {(void *)b, have};
    record_iov(ci, dir, &v, 1, have, orig, ts, err);
}

/* ------------------------------------------------------------------ */
/* opening the capture when the process gets a /dev/fuse fd            */

static int is_fuse_dev(int fd) {
    struct stat st;
    int e = errno;
    int r = fd >= 0 && syscall(SYS_fstat, fd, &st) == 0 && S_ISCHR(st.st_mode) &&
            major(st.st_rdev) == FUSE_MAJOR && minor(st.st_rdev) == FUSE_MINOR;
    errno = e;
    return r;
}

/* The process just got a /dev/fuse fd (opened it, received it, mounted
 * with it): open the capture now, with the identity the process has now.
 * A daemon that opens /dev/fuse as root and gives up root before its first
 * request (davfs2's mount.davfs becomes the davfs2 user once mounted) could
 * not create it at its first message in a directory only root may write;
 * the open fd stays writable whatever the process becomes.  Only the file
 * and its SHB come now: an interface (IDB) is written at its first message,
 * when its mount point is known.  errno is kept. */
static void open_output_early(void) {
    if (__atomic_load_n(&outfd, __ATOMIC_RELAXED) >= 0 || out_failed || closed) return;
    int e = errno;
    pthread_mutex_lock(&mu);
    mu_owner = get_tid();
    if (!closed) (void)open_output();
    mu_owner = 0;
    pthread_mutex_unlock(&mu);
    errno = e;
}

/* fd was just opened from path: a /dev/fuse fd opens the capture.  Only a
 * path under /dev/ or named "fuse" is looked at (fstat), so that a daemon's
 * opens of its own files cost nothing more; any other way to /dev/fuse is
 * still recorded from its first message. */
static void note_open(int fd, const char *path, int fl) {
    if (fd < 0 || !path || (fl & O_PATH) || __atomic_load_n(&outfd, __ATOMIC_RELAXED) >= 0) return;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strncmp(path, "/dev/", 5) != 0 && strcmp(base, "fuse") != 0) return;
    if (is_fuse_dev(fd)) open_output_early();
}

/* The process hands its /dev/fuse fd on (sendmsg: fusermount3 to the daemon
 * that ran it) or is about to be replaced (exec: a mount helper running the
 * daemon with /dev/fd/N, maybe as another user): when neither it nor a
 * child it forked has recorded anything, it gives the capture back before
 * the other side looks for it, as if it had never opened it.  Its section,
 * only a header, is cut off; a file holding nothing else is removed (the
 * receiver creates it with its own identity) or, when this process may no
 * longer remove it (it gave up root, and the directory is not writable to it
 * or sticky), emptied: a receiver of another identity can then not open it
 * (docs/recording.md).  The lock goes with the fd.
 * The process may still record later: it then opens the file again as a
 * later image (it appends, never truncates). */
static void release_unused_output(void) {
    if (__atomic_load_n(&outfd, __ATOMIC_RELAXED) < 0 || closed || out_lost || handed_away()) return;
    int e = errno;
    /* A vfork child (about to exec) shares our memory, not our fds: what it
     * would release is its parent's. */
    if ((pid_t)syscall(SYS_getpid) != mypid) return;
    pthread_mutex_lock(&mu);
    mu_owner = get_tid();
    if (outfd >= 0 && !closed && buflen == 0 && shm &&
        __atomic_load_n(&shm->next_iface, __ATOMIC_ACQUIRE) == 0 &&
        __atomic_load_n(&shm->users, __ATOMIC_ACQUIRE) == 1 && lseek(outfd, 0, SEEK_END) == good_end) {
        struct stat mine, there;
        int gone = section_start == 0 && syscall(SYS_fstat, outfd, &mine) == 0 &&
                   syscall(SYS_newfstatat, AT_FDCWD, out_path, &there, 0) == 0 &&
                   mine.st_dev == there.st_dev && mine.st_ino == there.st_ino &&
                   syscall(SYS_unlinkat, AT_FDCWD, out_path, 0) == 0;
        /* Not removable (a process that gave up root before exec, in a
         * directory it may not write or a sticky one): emptied. */
        if (!gone && ftruncate(outfd, section_start) != 0) { /* the header stays */ }
        close_own(outfd);
        outfd = -1;
        root_image = 0;
        if (status) { /* counts of the section it never wrote */
            munmap(status, sizeof *status);
            status = NULL;
        }
    }
    mu_owner = 0;
    pthread_mutex_unlock(&mu);
    errno = e;
}

/* ------------------------------------------------------------------ */
/* fd classification                                                   */

static struct conn *new_conn_locked(int fd, int *idx) {
    if (nconns >= MAXCONN) return NULL;
    int k = ++nconns;
    struct conn *c = &conns[k];
    memset(c, 0, sizeof *c);
    c->iface = -1;
    c->fd = fd;
    struct handed_mount *h = fd >= 0 ? handed_mount_of(fd) : NULL;
    if (h) {
        snprintf(c->mnt, sizeof c->mnt, "%s", h->path);
        c->mnt_dev = h->dev;
        h->fd = -1;
        __atomic_sub_fetch(&nhanded_mounts, 1, __ATOMIC_RELAXED);
    }
    *idx = k;
    return c;
}

/* Returns the connection of fd, or 0 when fd is not /dev/fuse. */
static int classify(int fd) {
    struct stat st;
    if (syscall(SYS_fstat, fd, &st) != 0) return 0;
    if ((unsigned)fd > max_fd_seen) max_fd_seen = (unsigned)fd;
    if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != FUSE_MAJOR || minor(st.st_rdev) != FUSE_MINOR) {
        __atomic_store_n(&fdtab[fd], -1, __ATOMIC_RELAXED);
        return 0;
    }
    pthread_mutex_lock(&conn_mu);
    int v = fdtab[fd];
    if (v <= 0) {
        int k;
        if (new_conn_locked(fd, &k)) v = k;
        else v = 0;
        __atomic_store_n(&fdtab[fd], v ? v : -1, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&conn_mu);
    return v > 0 ? v : 0;
}

static inline int fuse_conn(int fd) {
    if ((unsigned)fd >= MAXFD) {
        if (fd >= 0 && !warned_bigfd) {
            warned_bigfd = 1;
            note("fusetrace-record: warning: fd %d is beyond the recorder's table; not recorded\n", fd);
        }
        return 0;
    }
    int v = __atomic_load_n(&fdtab[fd], __ATOMIC_RELAXED);
    if (v > 0) return v;
    if (v < 0) return 0;
    return classify(fd);
}

/* A mount point handed over for fd goes with it: dropped (to == -1) or,
 * for a copy of fd, given to `to` as well. */
static void move_handed_mount(int fd, int to) {
    if (!__atomic_load_n(&nhanded_mounts, __ATOMIC_RELAXED)) return;
    pthread_mutex_lock(&conn_mu);
    struct handed_mount *h = fd >= 0 ? handed_mount_of(fd) : NULL, *free_slot = handed_mount_of(-1);
    if (h && to < 0) {
        h->fd = -1;
        nhanded_mounts--;
    } else if (h && free_slot && !handed_mount_of(to)) {
        *free_slot = *h;
        free_slot->fd = to;
        nhanded_mounts++;
    }
    pthread_mutex_unlock(&conn_mu);
}

/* A vfork child shares our memory but has fds of its own: Python's
 * subprocess vforks, closes every fd it does not pass on (close_range) and
 * execs, and a daemon that runs helpers so (bup fuse runs git) would find its
 * /dev/fuse fd forgotten, each later message opening a new interface.  Its
 * closes, opens and dups must leave our tables alone.  A forked child runs
 * atfork_child, which sets mypid; a vfork child runs no atfork handler. */
static int in_vfork_child(void) {
    return mypid && (pid_t)syscall(SYS_getpid) != mypid;
}

/* fd now names something new (or nothing). */
static void forget_fd(int fd) {
    if ((unsigned)fd >= MAXFD || in_vfork_child()) return;
    move_handed_mount(fd, -1);
    drop_pending(fd);
    unpair_pipe(fd);
    __atomic_store_n(&fdtab[fd], 0, __ATOMIC_RELAXED);
    int r = __atomic_exchange_n(&piperd[fd], 0, __ATOMIC_RELAXED);
    if (r > 0) close_own(r - 1);
}

/* newfd became a copy of oldfd (dup family). */
static void copy_fd(int oldfd, int newfd) {
    if ((unsigned)newfd >= MAXFD || in_vfork_child()) return;
    forget_fd(newfd);
    if ((unsigned)newfd > max_fd_seen) max_fd_seen = (unsigned)newfd;
    /* A second fd on one end of a pipe: reads through it would escape the
     * deferred capture, so that pipe goes back to the tee path. */
    if ((unsigned)oldfd < PEND_MAX && (rd_of[oldfd] || wr_of[oldfd])) {
        settle_fd(oldfd);
        unpair_pipe(oldfd);
    }
    if ((unsigned)oldfd < MAXFD) {
        int v = __atomic_load_n(&fdtab[oldfd], __ATOMIC_RELAXED);
        if (v > 0) __atomic_store_n(&fdtab[newfd], v, __ATOMIC_RELAXED);
    }
    move_handed_mount(oldfd, newfd);
}

/* ------------------------------------------------------------------ */
/* mount points                                                        */

/* mountinfo (an open /proc/self/mountinfo), whole from its start
 * (malloc'd, NUL-terminated); NULL when it cannot be read. */
static char *read_mountinfo(int f) {
    if (lseek(f, 0, SEEK_SET) != 0) return NULL;
    size_t cap = 16384, n = 0;
    char *b = malloc(cap);
    while (b) {
        if (n + 1 == cap) {
            char *nb = cap < (64u << 20) ? realloc(b, cap * 2) : NULL;
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
        ssize_t k = syscall(SYS_read, f, b + n, cap - 1 - n);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            free(b);
            b = NULL;
        }
        if (k <= 0) break;
        n += (size_t)k;
    }
    if (b) b[n] = '\0';
    return b;
}

/* A FUSE mount listed in mi (mountinfo's text, cut up in place): with dev
 * (not 0), one of that device, the first listed (a bind mount is listed
 * after the mount it copies); with point, one at that path, the last listed
 * (the newest of mounts stacked on the path); with both, that very pair.
 * Returns 1 and gives its device and mount point (either pointer may be
 * NULL). */
static int fuse_mount_in(char *mi, dev_t dev, const char *point, dev_t *dev_out, char *out, size_t n) {
    int found = 0;
    for (char *line = mi, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        struct fuse_mount_row r;
        if (!mountinfo_fuse_row(line, &r)) continue;
        dev_t d = makedev(r.major, r.minor);
        if ((dev && d != dev) || (point && strcmp(r.point, point) != 0)) continue;
        found = 1;
        if (dev_out) *dev_out = d;
        if (out) snprintf(out, n, "%s", r.point);
        if (!point) break;
    }
    return found;
}

/* fuse_mount_in for this process's mount namespace now. */
static int find_fuse_mount(dev_t dev, const char *point, dev_t *dev_out, char *out, size_t n) {
    int e = errno;
    int f = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
    char *mi = f >= 0 ? read_mountinfo(f) : NULL;
    int found = mi && fuse_mount_in(mi, dev, point, dev_out, out, n);
    free(mi);
    if (f >= 0) syscall(SYS_close, f);
    errno = e;
    return found;
}

/* How long a connection's first message waits for the mount of its
 * connection to be listed (await_fuse_mount). */
#define MOUNT_WAIT_MS 500

/* The mount point of connection dev, waiting up to MOUNT_WAIT_MS for it to
 * be listed: the kernel sends INIT from inside mount(2), before the mount
 * is attached, so a daemon whose mount another process makes (glusterfs
 * mounts from a forked child) may read INIT first.  mountinfo signals
 * POLLPRI when the mount table changes (proc(5)), so this waits for changes,
 * not for time.  A mount that never comes into view (another mount
 * namespace, a detached fsmount(2), a mount waiting for the INIT reply)
 * costs the wait once and names nothing. */
static int await_fuse_mount(dev_t dev, char *out, size_t n) {
    int e = errno;
    int f = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
    int found = 0;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (f >= 0) {
        char *mi = read_mountinfo(f);
        int read_ok = mi != NULL;
        found = read_ok && fuse_mount_in(mi, dev, NULL, NULL, out, n);
        free(mi);
        if (found || !read_ok) break;
        clock_gettime(CLOCK_MONOTONIC, &t);
        long left = MOUNT_WAIT_MS - ((t.tv_sec - t0.tv_sec) * 1000L + (t.tv_nsec - t0.tv_nsec) / 1000000L);
        if (left <= 0) break;
        struct pollfd pf = {.fd = f, .events = POLLPRI};
        if (poll(&pf, 1, (int)left) < 0 && errno != EINTR) break;
    }
    if (f >= 0) syscall(SYS_close, f);
    errno = e;
    return found;
}

/* The FUSE connection of /dev/fuse fd as the kernel names it in
 * /proc/self/fdinfo/<fd> ("fuse_connection:", fusectl's number; Linux 6.18
 * shows it, older kernels do not), as the mount's device; 0 when it says
 * nothing (also before the fd is mounted). */
static dev_t fdinfo_conn(int fd) {
    char b[1024];
    if (read_fdinfo(fd, b, sizeof b) <= 0) return 0;
    const char *l = strstr(b, "\nfuse_connection:");
    if (!l) return 0;
    unsigned long v = strtoul(l + 17, NULL, 10);
    return v ? makedev(v >> 20, v & 0xfffff) : 0;
}

/* N when mnt is libfuse's "/dev/fd/N" (fuse_mnt_parse_fuse_fd, read the
 * same way): the daemon serves fd N, mounted by whoever ran it; -1 for a
 * path. */
static int fd_mount_arg(const char *mnt) {
    unsigned n;
    int len = 0;
    if (sscanf(mnt, "/dev/fd/%u%n", &n, &len) != 1 || (size_t)len != strlen(mnt) || n > INT_MAX) return -1;
    return (int)n;
}

/* The process mounted fd at mnt, or (libfuse's fuse_session_mount) says it
 * serves fd mounted at mnt. */
static void set_mountpoint(int fd, const char *mnt) {
    if (!mnt) return;
    int ci = fuse_conn(fd);
    if (!ci) return;
    /* A mount with an fd we did not see opened (inherited: a mount helper's
     * /dev/fd/N): the capture opens now, before the daemon serves. */
    open_output_early();
    char real[PATH_MAX];
    const char *m = mnt;
    dev_t dev = fdinfo_conn(fd);
    int by_fd = fd_mount_arg(mnt) >= 0;
    if (by_fd) {
        /* Not a path of the mount (realpath makes it /dev/fuse): the mount
         * point the image before exec handed over names the connection
         * already (new_conn_locked); else the kernel's connection number
         * finds it; else "/dev/fd/N" stays, what the daemon was told.  No
         * guessing among FUSE mounts: any of them may be another daemon's. */
        if (dev && find_fuse_mount(dev, NULL, NULL, real, sizeof real)) m = real;
    } else {
        if (realpath(mnt, real)) m = real;
        if (!dev) find_fuse_mount(0, m, &dev, NULL, 0);
    }
    pthread_mutex_lock(&conn_mu);
    struct conn *c = &conns[ci];
    if (!(by_fd && m == mnt && c->mnt[0])) {
        snprintf(c->mnt, sizeof c->mnt, "%s", m);
        c->mnt_dev = m == mnt && by_fd ? 0 : dev;
    }
    pthread_mutex_unlock(&conn_mu);
}

/* At connection ci's first message, when nothing named its mount point:
 * another process mounted it.  glusterfs opens /dev/fuse and mounts it from
 * a forked child; the child's library learns the path from its mount(2),
 * in memory of its own, and exits, so the serving process never hears of
 * it.  The kernel's connection number of the fd (fdinfo_conn, where it
 * names one) finds the mount; nothing else does: no guessing among the
 * machine's FUSE mounts.  Once per connection, before mu (it may wait:
 * await_fuse_mount), and never again on the message path. */
static void mount_at_first_message(int ci) {
    struct conn *c = &conns[ci];
    if (__atomic_load_n(&c->mnt_asked, __ATOMIC_ACQUIRE)) return;
    int e = errno;
    pthread_mutex_lock(&first_mnt_mu);
    if (!c->mnt_asked) {
        pthread_mutex_lock(&conn_mu);
        int fd = c->fd;
        /* c->fd may since have been closed, or be another connection's. */
        int ask = !c->mnt[0] && (unsigned)fd < MAXFD && __atomic_load_n(&fdtab[fd], __ATOMIC_RELAXED) == ci;
        pthread_mutex_unlock(&conn_mu);
        dev_t dev = ask ? fdinfo_conn(fd) : 0;
        char point[PATH_MAX];
        if (dev && await_fuse_mount(dev, point, sizeof point)) {
            pthread_mutex_lock(&conn_mu);
            if (!c->mnt[0]) {
                snprintf(c->mnt, sizeof c->mnt, "%s", point);
                c->mnt_dev = dev;
            }
            pthread_mutex_unlock(&conn_mu);
        }
        __atomic_store_n(&c->mnt_asked, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&first_mnt_mu);
    errno = e;
}

/* ------------------------------------------------------------------ */
/* splice capture                                                      */

static void thread_gone(void *p) {
    (void)p;
    close_own(priv_r);
    close_own(priv_w);
    priv_r = priv_w = -1;
    free(scratch);
    scratch = NULL;
    scratch_sz = 0;
}

static int ensure_priv(size_t want) {
    if (priv_r < 0) {
        int p[2];
        if (syscall(SYS_pipe2, p, O_CLOEXEC | O_NONBLOCK) != 0) return -1;
        priv_r = own_fd(p[0]);
        priv_w = own_fd(p[1]);
        priv_sz = (size_t)syscall(SYS_fcntl, priv_w, F_GETPIPE_SZ);
        pthread_setspecific(thread_key, (void *)1); /* so thread_gone runs */
    }
    /* tee copies pipe buffers, not bytes: a request spliced into a pipe is
     * a buffer with its header and arguments, then one per payload page (or
     * piece of a page when the payload is not page-aligned), so `want` bytes
     * may need up to want / 4096 + 3 buffers of our pipe. */
    size_t slots_bytes = want + 3 * 4096;
    if (slots_bytes > priv_sz) {
        int r = (int)syscall(SYS_fcntl, priv_w, F_SETPIPE_SZ,
                             (int)(slots_bytes < 0x40000000 ? slots_bytes : 0x40000000));
        if (r > 0) priv_sz = (size_t)r;
    }
    if (want + 4096 > scratch_sz) {
        size_t n = want + 4096;
        char *s = realloc(scratch, n);
        if (!s) return -1;
        scratch = s;
        scratch_sz = n;
    }
    return 0;
}

/* Copies up to `want` bytes from the head of the pipe readable at rfd into
 * the thread's scratch buffer without consuming them.  Returns the count. */
static size_t tee_into(int rfd, size_t skip, size_t want, size_t at);
static size_t tee_pipe(int rfd, size_t want) { return tee_into(rfd, 0, want, 0); }

/* A read end for the pipe whose write end is wfd (see the file comment). */
static int pipe_read_end(int wfd) {
    if ((unsigned)wfd >= MAXFD) return -1;
    int r = __atomic_load_n(&piperd[wfd], __ATOMIC_RELAXED);
    if (r > 0) return r - 1;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", wfd);
    int fd = own_fd((int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (fd < 0) return -1;
    int expect = 0;
    if (!__atomic_compare_exchange_n(&piperd[wfd], &expect, fd + 1, 0, __ATOMIC_RELAXED,
                                     __ATOMIC_RELAXED)) {
        close_own(fd);
        return expect - 1;
    }
    return fd;
}

static size_t keep_len(size_t n) { return (snaplen && n > snaplen) ? snaplen : n; }

/* Copies `want` bytes that follow the first `skip` bytes of the pipe
 * readable at rfd into scratch + at, without consuming them.  Returns the
 * count of wanted bytes copied. */
static size_t tee_into(int rfd, size_t skip, size_t want, size_t at) {
    if (ensure_priv(at + skip + want) != 0) return 0;
    ssize_t t = syscall(SYS_tee, rfd, priv_w, skip + want, SPLICE_F_NONBLOCK);
    if (t <= 0) return 0;
    size_t got = 0;
    while (got < (size_t)t) {
        ssize_t r = syscall(SYS_read, priv_r, scratch + at + got, (size_t)t - got);
        if (r <= 0) {
            if (r < 0 && errno == EINTR) continue;
            break;
        }
        got += (size_t)r;
    }
    /* Whatever the read left would spoil the next tee: drain it. */
    if (got < (size_t)t) {
        char sink[4096];
        while (syscall(SYS_read, priv_r, sink, sizeof sink) > 0) {}
    }
    if (got <= skip) return 0;
    if (skip) memmove(scratch + at, scratch + at + skip, got - skip);
    return got - skip;
}

static void count_drop(int ci) {
    pthread_mutex_lock(&mu);
    add_drop(&conns[ci], 1);
    pthread_mutex_unlock(&mu);
}

/* Takes pend[fd] from WAITING to CLAIMED; 1 when this thread got it. */
static int pend_claim(int fd) {
    int e = PEND_WAITING;
    return __atomic_compare_exchange_n(&pend[fd].state, &e, PEND_CLAIMED, 0, __ATOMIC_ACQ_REL,
                                       __ATOMIC_RELAXED);
}

static void pend_done(int fd) {
    __atomic_store_n(&pend[fd].state, PEND_EMPTY, __ATOMIC_RELEASE);
    __atomic_sub_fetch(&npend, 1, __ATOMIC_RELAXED);
}

/* Records a claimed pending request from the bytes `skip` bytes into the
 * pipe readable at rfd (tee), and empties the slot. */
static void settle_claimed(int rfd, size_t skip) {
    struct pend p = pend[rfd];
    size_t need = keep_len(p.orig);
    size_t got = tee_into(rfd, skip, need, 0);
    /* The message must start there: its own len is the splice result. */
    if (got >= 4 && get32(scratch) == p.orig)
        record_iov_t(p.ci, DIR_IN | VIA_SPLICE, &(struct iovec){scratch, got}, 1, got, p.orig, p.ts, 0,
                     p.tid);
    else
        count_drop(p.ci);
    pend_done(rfd);
}

/* The request waiting in the pipe read at fd is about to leave it by other
 * means than a read we see (close, splice out, fork, exit): take it now. */
static void settle_fd(int fd) {
    if ((unsigned)fd >= PEND_MAX) return;
    if (__atomic_load_n(&pend[fd].state, __ATOMIC_ACQUIRE) == PEND_EMPTY || in_vfork_child()) return;
    for (int i = 0; i < 100000; i++) {
        if (pend_claim(fd)) {
            settle_claimed(fd, 0);
            return;
        }
        /* CLAIMED: another thread is taking it; wait (briefly) until done. */
        if (__atomic_load_n(&pend[fd].state, __ATOMIC_ACQUIRE) == PEND_EMPTY) return;
        sched_yield();
    }
}

/* Every waiting request of connection ci (ci 0: of all), before an outbound
 * message of ci is recorded: a request's block precedes its reply's. */
static void settle_conn(int ci) {
    int n = __atomic_load_n(&pend_list_n, __ATOMIC_ACQUIRE);
    for (int k = 0; k < n; k++) {
        int fd = pend_list[k];
        if (__atomic_load_n(&pend[fd].state, __ATOMIC_ACQUIRE) != PEND_WAITING) continue;
        if (!pend_claim(fd)) continue;
        if (ci && pend[fd].ci != ci) {
            __atomic_store_n(&pend[fd].state, PEND_WAITING, __ATOMIC_RELEASE);
            continue;
        }
        settle_claimed(fd, 0);
    }
}

/* fd names something new: a request still waiting there is lost. */
static void drop_pending(int fd) {
    if ((unsigned)fd >= PEND_MAX) return;
    if (__atomic_load_n(&pend[fd].state, __ATOMIC_ACQUIRE) == PEND_EMPTY) return;
    if (!pend_claim(fd)) return;
    count_drop(pend[fd].ci);
    pend_done(fd);
}

/* The pipe of fd (either end) no longer takes deferred captures. */
static void unpair_pipe(int fd) {
    if ((unsigned)fd >= PEND_MAX) return;
    int w = __atomic_exchange_n(&wr_of[fd], 0, __ATOMIC_RELAXED);
    if (w > 0 && w - 1 < PEND_MAX) __atomic_compare_exchange_n(&rd_of[w - 1], &(int32_t){fd + 1}, 0, 0,
                                                               __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    int r = __atomic_exchange_n(&rd_of[fd], 0, __ATOMIC_RELAXED);
    if (r > 0 && r - 1 < PEND_MAX) __atomic_compare_exchange_n(&wr_of[r - 1], &(int32_t){fd + 1}, 0, 0,
                                                               __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

static void unpair_all(void) {
    unsigned top = max_pipe_fd < PEND_MAX ? max_pipe_fd : PEND_MAX - 1;
    for (unsigned fd = 0; fd <= top; fd++) {
        __atomic_store_n(&rd_of[fd], 0, __ATOMIC_RELAXED);
        __atomic_store_n(&wr_of[fd], 0, __ATOMIC_RELAXED);
    }
}

/* Puts fd (a read end) on the list settle_conn walks; 0 when full. */
static int pend_listed(int fd) {
    if (__atomic_load_n(&pend[fd].listed, __ATOMIC_ACQUIRE)) return 1;
    int ok = 0;
    pthread_mutex_lock(&pend_mu);
    if (pend[fd].listed) ok = 1;
    else if (pend_list_n < PEND_LIST) {
        pend_list[pend_list_n] = fd;
        __atomic_store_n(&pend_list_n, pend_list_n + 1, __ATOMIC_RELEASE);
        __atomic_store_n(&pend[fd].listed, 1, __ATOMIC_RELEASE);
        ok = 1;
    }
    pthread_mutex_unlock(&pend_mu);
    return ok;
}

/* splice(fuse -> wfd) returned r: leave the request in pend[] for the
 * daemon's read of the pipe when we know that pipe's read end and it holds
 * nothing else we wait for.  1 when deferred. */
static int defer_splice(int ci, int wfd, size_t r, uint64_t ts) {
    if ((unsigned)wfd >= PEND_MAX || r > UINT32_MAX || r < 4) return 0;
    int rfd = __atomic_load_n(&rd_of[wfd], __ATOMIC_RELAXED) - 1;
    if (rfd < 0 || rfd >= PEND_MAX) return 0;
    struct pend *p = &pend[rfd];
    int e = PEND_EMPTY;
    /* CLAIMED: another thread is reading or taking an earlier request of
     * this pipe; let it finish. */
    for (int i = 0; i < 100000; i++) {
        e = PEND_EMPTY;
        if (__atomic_compare_exchange_n(&p->state, &e, PEND_CLAIMED, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED) ||
            e != PEND_CLAIMED)
            break;
        sched_yield();
    }
    if (e != PEND_EMPTY) {
        /* An earlier request still sits unread at the head of this pipe:
         * take it now, then this one from behind it (tee path). */
        if (e == PEND_WAITING && pend_claim(rfd)) {
            size_t skip = pend[rfd].orig;
            settle_claimed(rfd, 0);
            size_t need = keep_len(r);
            size_t got = tee_into(rfd, skip, need, 0);
            if (got >= 4 && get32(scratch) == (uint32_t)r)
                record_buf(ci, DIR_IN | VIA_SPLICE, scratch, got, r, ts, 0);
            else
                count_drop(ci);
        } else {
            count_drop(ci); /* another thread is taking the head: position unknown */
        }
        return 1;
    }
    if (!pend_listed(rfd)) {
        __atomic_store_n(&p->state, PEND_EMPTY, __ATOMIC_RELEASE);
        return 0;
    }
    p->ci = ci;
    p->tid = get_tid();
    p->orig = (uint32_t)r;
    p->ts = ts;
    __atomic_add_fetch(&npend, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&p->state, PEND_WAITING, __ATOMIC_RELEASE);
    return 1;
}

/* The daemon read r > 0 bytes (into iov) from the pipe read end fd whose
 * pending request it claimed: record the request from those bytes, and
 * from the pipe (tee) the part of the snap length it left there. */
static void take_from_read(int fd, const struct iovec *iov, int cnt, size_t r) {
    struct pend p = pend[fd];
    size_t need = keep_len(p.orig);
    size_t have = r < need ? r : need;
    char head[4];
    size_t hn = 0;
    for (int i = 0; i < cnt && hn < 4 && hn < have; i++) {
        size_t k = iov[i].iov_len < 4 - hn ? iov[i].iov_len : 4 - hn;
        if (k > have - hn) k = have - hn;
        memcpy(head + hn, iov[i].iov_base, k);
        hn += k;
    }
    if (have >= need) {
        /* The usual case: all we keep passed through the daemon's buffer. */
        if (hn == 4 && get32(head) == p.orig)
            record_iov_t(p.ci, DIR_IN | VIA_SPLICE | VIA_READ, iov, cnt, need, p.orig, p.ts, 0, p.tid);
        else
            count_drop(p.ci);
        pend_done(fd);
        return;
    }
    /* It read less (libfuse reads only the 80-byte header of a large WRITE
     * and splices the payload on): the rest of the snap length is at the
     * head of the pipe now. */
    if (ensure_priv(need) != 0) {
        count_drop(p.ci);
        pend_done(fd);
        return;
    }
    size_t at = 0;
    for (int i = 0; i < cnt && at < have; i++) {
        size_t k = iov[i].iov_len < have - at ? iov[i].iov_len : have - at;
        memcpy(scratch + at, iov[i].iov_base, k);
        at += k;
    }
    size_t got = have + tee_into(fd, 0, need - have, have);
    if (got >= 4 && get32(scratch) == p.orig)
        record_iov_t(p.ci, DIR_IN | VIA_SPLICE | VIA_READ, &(struct iovec){scratch, got}, 1, got, p.orig,
                     p.ts, 0, p.tid);
    else
        count_drop(p.ci);
    pend_done(fd);
}

static inline int pend_busy(int fd) {
    return (unsigned)fd < PEND_MAX && __atomic_load_n(&pend[fd].state, __ATOMIC_RELAXED) != PEND_EMPTY;
}

/* Before the daemon reads fd (pend_busy): 1 when this thread claimed the
 * request waiting there.  While another thread is taking it with tee (an
 * outbound message of its connection), the read waits: it would pull the
 * bytes from under that tee. */
static int claim_for_read(int fd) {
    for (int i = 0; i < 100000; i++) {
        if (pend_claim(fd)) return 1;
        if (__atomic_load_n(&pend[fd].state, __ATOMIC_ACQUIRE) == PEND_EMPTY) return 0;
        sched_yield();
    }
    return 0;
}

/* Hooks pipe(2) and pipe2(2): pair the two ends. */
static void note_pipe(int *fds) {
    if (in_vfork_child()) return;
    forget_fd(fds[0]);
    forget_fd(fds[1]);
    if ((unsigned)fds[0] >= PEND_MAX || (unsigned)fds[1] >= PEND_MAX) return;
    unsigned hi = (unsigned)(fds[0] > fds[1] ? fds[0] : fds[1]);
    if (hi > max_pipe_fd) max_pipe_fd = hi;
    if (hi > max_fd_seen) max_fd_seen = hi;
    __atomic_store_n(&rd_of[fds[1]], fds[0] + 1, __ATOMIC_RELAXED);
    __atomic_store_n(&wr_of[fds[0]], fds[1] + 1, __ATOMIC_RELAXED);
}

int pipe(int fds[2]) {
    RESOLVE(real_pipe, "pipe");
    int r = real_pipe(fds);
    if (r == 0) note_pipe(fds);
    return r;
}

int pipe2(int fds[2], int fl) {
    RESOLVE(real_pipe2, "pipe2");
    int r = real_pipe2(fds, fl);
    if (r == 0) note_pipe(fds);
    return r;
}

/* ------------------------------------------------------------------ */
/* hooks: data                                                         */

/* A read of a pipe holding a spliced request we wait for. */
static ssize_t read_pending(int fd, void *b, size_t n, size_t blen, int chk) {
    if (!claim_for_read(fd)) return chk ? real_read_chk(fd, b, n, blen) : real_read(fd, b, n);
    ssize_t r = chk ? real_read_chk(fd, b, n, blen) : real_read(fd, b, n);
    int e = errno;
    if (r > 0) {
        struct iovec v = {b, (size_t)r};
        take_from_read(fd, &v, 1, (size_t)r);
    } else {
        __atomic_store_n(&pend[fd].state, PEND_WAITING, __ATOMIC_RELEASE);
    }
    errno = e;
    return r;
}

ssize_t read(int fd, void *b, size_t n) {
    RESOLVE(real_read, "read");
    int ci = fuse_conn(fd);
    if (!ci) return pend_busy(fd) ? read_pending(fd, b, n, 0, 0) : real_read(fd, b, n);
    ssize_t r = real_read(fd, b, n);
    if (r > 0) {
        int e = errno;
        record_buf(ci, DIR_IN, b, keep_len((size_t)r), (size_t)r, now_ns(), 0);
        errno = e;
    }
    return r;
}

ssize_t __read_chk(int fd, void *b, size_t n, size_t blen) {
    RESOLVE(real_read_chk, "__read_chk");
    int ci = fuse_conn(fd);
    if (!ci) return pend_busy(fd) ? read_pending(fd, b, n, blen, 1) : real_read_chk(fd, b, n, blen);
    ssize_t r = real_read_chk(fd, b, n, blen);
    if (r > 0) {
        int e = errno;
        record_buf(ci, DIR_IN, b, keep_len((size_t)r), (size_t)r, now_ns(), 0);
        errno = e;
    }
    return r;
}

ssize_t readv(int fd, const struct iovec *iov, int cnt) {
    RESOLVE(real_readv, "readv");
    int ci = fuse_conn(fd);
    if (!ci) {
        if (!pend_busy(fd) || !claim_for_read(fd)) return real_readv(fd, iov, cnt);
        ssize_t r = real_readv(fd, iov, cnt);
        int e = errno;
        if (r > 0) take_from_read(fd, iov, cnt, (size_t)r);
        else __atomic_store_n(&pend[fd].state, PEND_WAITING, __ATOMIC_RELEASE);
        errno = e;
        return r;
    }
    ssize_t r = real_readv(fd, iov, cnt);
    if (r > 0) {
        int e = errno;
        record_iov(ci, DIR_IN, iov, cnt, keep_len((size_t)r), (size_t)r, now_ns(), 0);
        errno = e;
    }
    return r;
}

ssize_t write(int fd, const void *b, size_t n) {
    RESOLVE(real_write, "write");
    int ci = fuse_conn(fd);
    if (!ci) return real_write(fd, b, n);
    if (__atomic_load_n(&npend, __ATOMIC_RELAXED)) settle_conn(ci);
    uint64_t ts = now_ns();
    ssize_t r = real_write(fd, b, n);
    int e = errno;
    record_buf(ci, DIR_OUT, b, keep_len(n), n, ts, r < 0 ? e : 0);
    errno = e;
    return r;
}

ssize_t writev(int fd, const struct iovec *iov, int cnt) {
    RESOLVE(real_writev, "writev");
    int ci = fuse_conn(fd);
    if (!ci) return real_writev(fd, iov, cnt);
    if (__atomic_load_n(&npend, __ATOMIC_RELAXED)) settle_conn(ci);
    uint64_t ts = now_ns();
    size_t n = 0;
    for (int i = 0; i < cnt; i++) n += iov[i].iov_len;
    ssize_t r = real_writev(fd, iov, cnt);
    int e = errno;
    record_iov(ci, DIR_OUT, iov, cnt, keep_len(n), n, ts, r < 0 ? e : 0);
    errno = e;
    return r;
}

ssize_t splice(int fd_in, loff_t *off_in, int fd_out, loff_t *off_out, size_t len,
               unsigned int flags) {
    RESOLVE(real_splice, "splice");
    /* Bytes leaving a pipe that holds a request we wait for: take it first. */
    if (pend_busy(fd_in)) settle_fd(fd_in);
    int ci_in = fuse_conn(fd_in);
    int ci_out = ci_in ? 0 : fuse_conn(fd_out);
    if (!ci_in && !ci_out) return real_splice(fd_in, off_in, fd_out, off_out, len, flags);
    if (ci_in) {
        /* Request: /dev/fuse -> pipe. */
        ssize_t r = real_splice(fd_in, off_in, fd_out, off_out, len, flags);
        if (r > 0) {
            int e = errno;
            uint64_t ts = now_ns();
            if (defer_splice(ci_in, fd_out, (size_t)r, ts)) {
                errno = e;
                return r;
            }
            int rfd = pipe_read_end(fd_out);
            size_t got = rfd >= 0 ? tee_pipe(rfd, keep_len((size_t)r)) : 0;
            if (got > 0) {
                record_buf(ci_in, DIR_IN | VIA_SPLICE, scratch, got, (size_t)r, ts, 0);
            } else {
                count_drop(ci_in);
            }
            errno = e;
        }
        return r;
    }
    /* Reply: pipe -> /dev/fuse.  Copy before the bytes leave the pipe. */
    if (__atomic_load_n(&npend, __ATOMIC_RELAXED)) settle_conn(ci_out);
    uint64_t ts = now_ns();
    size_t got = tee_pipe(fd_in, keep_len(len));
    ssize_t r = real_splice(fd_in, off_in, fd_out, off_out, len, flags);
    int e = errno;
    if (got > 0) {
        size_t orig = r > 0 ? (size_t)r : len;
        record_buf(ci_out, DIR_OUT | VIA_SPLICE, scratch, got, orig, ts, r < 0 ? e : 0);
    } else {
        count_drop(ci_out);
    }
    errno = e;
    return r;
}

/* ------------------------------------------------------------------ */
/* hooks: fd bookkeeping                                               */

int close(int fd) {
    RESOLVE(real_close, "close");
    if ((unsigned)fd < MAXFD && ownfd[fd]) return 0; /* ours: pretend */
    settle_fd(fd);
    forget_fd(fd);
    return real_close(fd);
}

/* close_range over [first, last] except our own fds. */
static int close_range_sparing(unsigned int first, unsigned int last, int flags) {
    unsigned lo = first;
    int r = 0, ours = !in_vfork_child();
    if (ours && !(flags & 4 /* CLOSE_RANGE_CLOEXEC */)) {
        int ln = __atomic_load_n(&pend_list_n, __ATOMIC_ACQUIRE);
        for (int k = 0; k < ln; k++)
            if ((unsigned)pend_list[k] >= first && (unsigned)pend_list[k] <= last) settle_fd(pend_list[k]);
    }
    unsigned top = last < max_own_fd ? last : max_own_fd;
    for (unsigned fd = first; fd <= top && fd >= first; fd++) {
        if (!ownfd[fd]) continue;
        if (fd > lo && syscall(SYS_close_range, lo, fd - 1, flags) != 0) r = -1;
        lo = fd + 1;
        if (fd == UINT32_MAX) return r;
    }
    if (lo <= last && syscall(SYS_close_range, lo, last, flags) != 0) r = -1;
    if (ours && !(flags & 4 /* CLOSE_RANGE_CLOEXEC */)) {
        unsigned hi = last < max_fd_seen ? last : max_fd_seen;
        for (unsigned fd = first; fd <= hi && fd < MAXFD; fd++)
            if (!ownfd[fd]) forget_fd((int)fd);
    }
    return r;
}

int close_range(unsigned int first, unsigned int last, int flags) {
    return close_range_sparing(first, last, flags);
}

void closefrom(int lowfd) {
    if (lowfd < 0) lowfd = 0;
    if (close_range_sparing((unsigned)lowfd, ~0U, 0) == 0) return;
    /* Old kernel without close_range: close one by one. */
    for (int fd = lowfd; fd < (int)max_fd_seen + 1024 && fd < MAXFD; fd++) close(fd);
}

int dup(int oldfd) {
    RESOLVE(real_dup, "dup");
    int r = real_dup(oldfd);
    if (r >= 0) copy_fd(oldfd, r);
    return r;
}

int dup2(int oldfd, int newfd) {
    RESOLVE(real_dup2, "dup2");
    if (oldfd != newfd) settle_fd(newfd);
    int r = real_dup2(oldfd, newfd);
    if (r >= 0 && oldfd != newfd) copy_fd(oldfd, r);
    return r;
}

int dup3(int oldfd, int newfd, int fl) {
    RESOLVE(real_dup3, "dup3");
    if (oldfd != newfd) settle_fd(newfd);
    int r = real_dup3(oldfd, newfd, fl);
    if (r >= 0) copy_fd(oldfd, r);
    return r;
}

static int fcntl_common(fcntl_fn fn, int fd, int cmd, void *arg) {
    int r = fn(fd, cmd, arg);
    if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)) copy_fd(fd, r);
    return r;
}

int fcntl(int fd, int cmd, ...) {
    RESOLVE(real_fcntl, "fcntl");
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return fcntl_common(real_fcntl, fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...) {
    RESOLVE(real_fcntl64, "fcntl64");
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return fcntl_common(real_fcntl64 ? real_fcntl64 : real_fcntl, fd, cmd, arg);
}

/*
 * A passthrough backing-file ioctl on conn ci (capture-format.md §1,
 * "Passthrough backing files"): one Custom Block, appended like a message.
 * For an open, the backing file's identity is taken from its fd (fstat and
 * /proc/self/fd) before the daemon can close it.
 */
static void record_backing(int ci, int op, int result, int arg, uint32_t flags, int backing_fd) {
    uint64_t ts = now_ns();
    char path[PATH_MAX];
    ssize_t plen = 0;
    struct stat st;
    uint64_t dev = 0, ino = 0;
    if (op == 1 && backing_fd >= 0) {
        char link[64];
        snprintf(link, sizeof link, "/proc/self/fd/%d", backing_fd);
        plen = readlink(link, path, sizeof path);
        if (plen < 0) plen = 0;
        if (fstat(backing_fd, &st) == 0) {
            dev = (uint64_t)st.st_dev;
            ino = (uint64_t)st.st_ino;
        }
    }
    uint32_t total = 80 + pad4((uint32_t)plen);
    char b[80 + PATH_MAX + 4];
    memset(b, 0, total);
    put32(b, 0x40000BAD);
    put32(b + 4, total);
    put32(b + 8, 0); /* PEN: none, the tag says whose block it is */
    memcpy(b + 12, "ftbackg1", 8);
    put32(b + 24, (uint32_t)(ts >> 32));
    put32(b + 28, (uint32_t)ts);
    put32(b + 32, (uint32_t)op);
    put32(b + 36, (uint32_t)result);
    put32(b + 40, (uint32_t)arg);
    put32(b + 44, flags);
    put32(b + 48, (uint32_t)mypid);
    put32(b + 52, (uint32_t)get_tid());
    memcpy(b + 56, &dev, 8);
    memcpy(b + 64, &ino, 8);
    put32(b + 72, (uint32_t)plen);
    memcpy(b + 76, path, (size_t)plen);
    put32(b + total - 4, total);

    struct conn *c = &conns[ci];
    struct handoff h;
    h.b = NULL;
    pthread_mutex_lock(&mu);
    mu_owner = get_tid();
    if (!closed && open_output() == 0 && !out_broken && ensure_iface(c) == 0) {
        put32(b + 20, (uint32_t)c->iface);
        if (total > BUFCAP - buflen) swap_locked(&h);
        memcpy(buf + buflen, b, total);
        __atomic_store_n(&buflen, buflen + total, __ATOMIC_RELEASE);
        backing_blocks++;
    }
    mu_owner = 0;
    pthread_mutex_unlock(&mu);
    finish_handoff(&h);
}

int ioctl(int fd, unsigned long req, ...) {
    RESOLVE(real_ioctl, "ioctl");
    va_list ap;
    va_start(ap, req);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    int r = real_ioctl(fd, req, arg);
    if ((req == FTREC_IOC_BACKING_OPEN || req == FTREC_IOC_BACKING_CLOSE) && arg) {
        int e = errno;
        int ci = fuse_conn(fd);
        if (ci) {
            int32_t a0;
            memcpy(&a0, arg, 4);
            uint32_t flags = 0;
            if (req == FTREC_IOC_BACKING_OPEN) memcpy(&flags, (const char *)arg + 4, 4);
            int op = req == FTREC_IOC_BACKING_OPEN ? 1 : 2;
            record_backing(ci, op, r < 0 ? -e : r, a0, flags, op == 1 ? a0 : -1);
        }
        errno = e;
    }
    if (r == 0 && req == FTREC_IOC_CLONE && arg && (unsigned)fd < MAXFD) {
        /* The clone joins its origin's connection (one interface). */
        uint32_t orig;
        memcpy(&orig, arg, 4);
        int ci = fuse_conn((int)orig);
        if (ci) __atomic_store_n(&fdtab[fd], ci, __ATOMIC_RELAXED);
    }
    return r;
}

#define OPEN_HOOK(name, realvar)                                  \
    int name(const char *path, int fl, ...) {                     \
        RESOLVE(realvar, #name);                                  \
        mode_t mode = 0;                                          \
        if (fl & (O_CREAT | __O_TMPFILE)) {                       \
            va_list ap;                                           \
            va_start(ap, fl);                                     \
            mode = va_arg(ap, mode_t);                            \
            va_end(ap);                                           \
        }                                                         \
        int r = realvar(path, fl, mode);                          \
        if (r >= 0) {                                             \
            forget_fd(r);                                         \
            note_open(r, path, fl);                               \
        }                                                         \
        return r;                                                 \
    }
OPEN_HOOK(open, real_open)
OPEN_HOOK(open64, real_open64)

#define OPENAT_HOOK(name, realvar)                                \
    int name(int dfd, const char *path, int fl, ...) {            \
        RESOLVE(realvar, #name);                                  \
        mode_t mode = 0;                                          \
        if (fl & (O_CREAT | __O_TMPFILE)) {                       \
            va_list ap;                                           \
            va_start(ap, fl);                                     \
            mode = va_arg(ap, mode_t);                            \
            va_end(ap);                                           \
        }                                                         \
        int r = realvar(dfd, path, fl, mode);                     \
        if (r >= 0) {                                             \
            forget_fd(r);                                         \
            note_open(r, path, fl);                               \
        }                                                         \
        return r;                                                 \
    }
OPENAT_HOOK(openat, real_openat)
OPENAT_HOOK(openat64, real_openat64)

int __open_2(const char *path, int fl) {
    RESOLVE(real_open_2, "__open_2");
    int r = real_open_2(path, fl);
    if (r >= 0) {
        forget_fd(r);
        note_open(r, path, fl);
    }
    return r;
}

int __open64_2(const char *path, int fl) {
    RESOLVE(real_open64_2, "__open64_2");
    int r = real_open64_2(path, fl);
    if (r >= 0) {
        forget_fd(r);
        note_open(r, path, fl);
    }
    return r;
}

/* fusermount3 hands the /dev/fuse fd over a socket. */
ssize_t recvmsg(int fd, struct msghdr *msg, int fl) {
    RESOLVE(real_recvmsg, "recvmsg");
    ssize_t r = real_recvmsg(fd, msg, fl);
    if (r >= 0 && msg && msg->msg_controllen) {
        for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
            size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            int *fds = (int *)CMSG_DATA(c);
            for (size_t i = 0; i < k; i++) {
                int f;
                memcpy(&f, fds + i, sizeof f);
                forget_fd(f);
                if (is_fuse_dev(f)) open_output_early();
            }
        }
    }
    return r;
}

/* fusermount3 hands the fd over: release the capture it opened for it. */
ssize_t sendmsg(int fd, const struct msghdr *msg, int fl) {
    RESOLVE(real_sendmsg, "sendmsg");
    if (outfd >= 0 && msg && msg->msg_controllen) {
        for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
            size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            const int *fds = (const int *)CMSG_DATA(c);
            for (size_t i = 0; i < k; i++) {
                int f;
                memcpy(&f, fds + i, sizeof f);
                if (is_fuse_dev(f)) release_unused_output();
            }
        }
    }
    return real_sendmsg(fd, msg, fl);
}

/* ------------------------------------------------------------------ */
/* exec: the capture goes on into the new image                        */

/* Our own path (dladdr), to tell whether a new image will load us. */
static char self_base[256];

static void find_self(void) {
    Dl_info di;
    if (dladdr((void *)find_self, &di) && di.dli_fname) {
        const char *b = strrchr(di.dli_fname, '/');
        snprintf(self_base, sizeof self_base, "%s", b ? b + 1 : di.dli_fname);
    }
}

/* 1 when the environment env (what the new image gets) preloads this
 * library: a program exec'd without it (LD_PRELOAD taken out) would hold
 * the capture without knowing it. */
static int env_preloads_us(char *const env[]) {
    if (!env || !self_base[0]) return 0;
    size_t bl = strlen(self_base);
    for (size_t i = 0; env[i]; i++) {
        if (strncmp(env[i], "LD_PRELOAD=", 11) != 0) continue;
        for (const char *p = env[i] + 11; *p;) {
            size_t n = strcspn(p, " :");
            const char *slash = NULL;
            for (const char *q = p; q < p + n; q++) if (*q == '/') slash = q;
            const char *b = slash ? slash + 1 : p;
            if ((size_t)(p + n - b) == bl && memcmp(b, self_base, bl) == 0) return 1;
            p += n;
            while (*p == ' ' || *p == ':') p++;
        }
    }
    return 0;
}

/* Secure execution (AT_SECURE) for this process exec'ing st: the effective
 * ids would differ from the real ones. */
static int setid_file(const struct stat *st) {
    if (getuid() != geteuid() || getgid() != getegid()) return 1;
    return S_ISREG(st->st_mode) && (((st->st_mode & S_ISUID) && st->st_uid != getuid()) ||
                                    ((st->st_mode & S_ISGID) && st->st_gid != getgid()));
}

/* 1 when the program to exec runs set-user-ID or set-group-ID to another
 * identity: the loader ignores LD_PRELOAD there (secure execution).
 * file: a path, or a name looked up in PATH when `search` (execvp);
 * fd >= 0: fexecve's. */
static int setid_target(const char *file, int search, int fd) {
    struct stat st;
    if (fd >= 0) return syscall(SYS_fstat, fd, &st) == 0 && setid_file(&st);
    if (!file || !*file) return 0;
    if (!search || strchr(file, '/'))
        return syscall(SYS_newfstatat, AT_FDCWD, file, &st, 0) == 0 && setid_file(&st);
    const char *p = getenv("PATH");
    if (!p) p = "/bin:/usr/bin";
    for (;;) {
        const char *c = strchr(p, ':');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        char full[PATH_MAX];
        if (snprintf(full, sizeof full, "%.*s/%s", (int)(n ? n : 1), n ? p : ".", file) < (int)sizeof full &&
            syscall(SYS_newfstatat, AT_FDCWD, full, &st, 0) == 0 && S_ISREG(st.st_mode) &&
            syscall(SYS_faccessat, AT_FDCWD, full, X_OK, 0) == 0)
            return setid_file(&st);
        if (!c) return 0;
        p = c + 1;
    }
}

static int is_carry_var(const char *v) {
    size_t l = sizeof CARRY_ENV - 1;
    return strncmp(v, CARRY_ENV, l) == 0 && v[l] == '=';
}

/* env without CARRY_ENV, plus `add` when given (malloc'd array, NULL when
 * out of memory). */
static char **env_with(char *const env[], const char *add) {
    size_t n = 0;
    if (env) while (env[n]) n++;
    char **e = malloc((n + 2) * sizeof *e);
    if (!e) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!is_carry_var(env[i])) e[k++] = env[i];
    if (add) e[k++] = (char *)add;
    e[k] = NULL;
    return e;
}

/* An exec in progress (carry_begin .. carry_end). */
struct carry {
    size_t mapped;     /* env is an mmap of this size (vfork child), not malloc'd */
    int held;          /* mu held: nothing is written meanwhile */
    int cleared;       /* FD_CLOEXEC cleared on outfd */
    off_t isb_from;    /* ISBs written at the exec from there, -1 if none */
    int uncounted;     /* left shm->users */
    int handed;        /* set shm->handed (a forked child taking the capture) */
    char **env;        /* malloc'd environment, or NULL */
};
static char carry_var[CARRY_VAR_MAX];

/* The image's section is only its header and this image never used
 * /dev/fuse: a pass-through image (a shell between a mount helper and the
 * daemon) that was handed the capture.  Its forked child may take it along. */
static int pass_through(void) {
    return out_adopted && !out_lost && !closed && nconns == 0 && shm && buflen == 0 &&
           __atomic_load_n(&shm->next_iface, __ATOMIC_ACQUIRE) == 0 &&
           __atomic_load_n(&shm->handed, __ATOMIC_ACQUIRE) == 0;
}

/* Appends to o (room for CARRY_MOUNTS entries) the mount points the new
 * image will need: those of /dev/fuse fds it inherits (open, not
 * close-on-exec) whose mount this image made or learned, or was handed and
 * has not used (a shell passing the fd on).  Returns how many. */
static int carried_mounts(char *o, size_t room) {
    int k = 0;
    size_t at = 0;
    unsigned top = max_fd_seen;
    for (int i = 0; i < CARRY_MOUNTS; i++)
        if (handed_mounts[i].fd >= 0 && (unsigned)handed_mounts[i].fd > top) top = (unsigned)handed_mounts[i].fd;
    for (unsigned fd = 0; fd <= top && fd < MAXFD && k < CARRY_MOUNTS; fd++) {
        const char *path = NULL;
        dev_t dev = 0;
        int v = __atomic_load_n(&fdtab[fd], __ATOMIC_RELAXED);
        struct handed_mount *h;
        if (v > 0 && conns[v].mnt_dev && conns[v].mnt[0] == '/' && fd_mount_arg(conns[v].mnt) < 0) {
            path = conns[v].mnt;
            dev = conns[v].mnt_dev;
        } else if (v <= 0 && (h = handed_mount_of((int)fd))) {
            path = h->path;
            dev = h->dev;
        }
        long fl = path ? syscall(SYS_fcntl, fd, F_GETFD) : -1;
        if (fl < 0 || (fl & FD_CLOEXEC)) continue;
        int n = snprintf(o + at, room - at, "%u,%u,%u,%zu:%s,", fd, major(dev), minor(dev), strlen(path), path);
        if (n < 0 || (size_t)n >= room - at) break;
        at += (size_t)n;
        k++;
    }
    o[at] = '\0';
    return k;
}

/* CARRY_ENV's value for the new image (in carry_var). */
static int carry_value(off_t cut, off_t end, int root) {
    static char mounts[CARRY_MOUNTS * (PATH_MAX + 64)]; /* static as carry_var: not on a thread's stack */
    int nm = carried_mounts(mounts, sizeof mounts);
    int n = snprintf(carry_var, sizeof carry_var, "%s=%d,%llu,%llu,%lld,%lld,%d,%d,%s%s", CARRY_ENV, outfd,
                     (unsigned long long)out_dev, (unsigned long long)out_ino, (long long)cut, (long long)end,
                     root, nm, mounts, out_path);
    return n > 0 && (size_t)n < sizeof carry_var ? 0 : -1;
}

/* The exec of a vfork child (dash runs `sh -c CMD`'s command so): it shares
 * its parent's memory, whose thread waits, but has its own fd table.  Only a
 * pass-through parent's capture goes along: the fd is made inheritable in the
 * child's table only, the environment built in memory of its own (mmap: not
 * the parent's malloc), and the parent told (shm->handed) that it writes no
 * more.  No lock is taken. */
static char *const *vfork_carry(char *const envp[], const char *file, int search, int exec_fd,
                                struct carry *c) {
    if (outfd < 0 || !pass_through() || adopted_fd_gone() || !env_preloads_us(envp) ||
        setid_target(file, search, exec_fd))
        return envp;
    off_t end = lseek(outfd, 0, SEEK_END);
    off_t cut = end == good_end ? section_start : end;
    if (carry_value(cut, end, root_image && cut == 0) != 0) return envp;
    size_t n = 0;
    while (envp && envp[n]) n++;
    size_t len = (n + 2) * sizeof(char *);
    void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return envp;
    char **env = m;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!is_carry_var(envp[i])) env[k++] = envp[i];
    env[k++] = carry_var;
    env[k] = NULL;
    if (syscall(SYS_fcntl, outfd, F_SETFD, 0) != 0) {
        munmap(m, len);
        return envp;
    }
    c->cleared = 1;
    c->env = env;
    c->mapped = len;
    __atomic_store_n(&shm->handed, 1, __ATOMIC_RELEASE);
    c->handed = 1;
    return env;
}

/* Before an exec: what the new image's environment is (envp, or a copy
 * with CARRY_ENV).  A process holding the capture alone (no forked child
 * still counted) hands it over when the new image loads this library:
 * buffered blocks are written, then either its section holds only its
 * header (a mount helper that opened /dev/fuse and runs the daemon with the
 * fd: the new image writes its section in its place) or it recorded and its
 * ISBs close its section (the new image appends its own: its interfaces
 * are numbered afresh).  mu stays held until the exec fails (carry_end) or
 * the image is gone.  A forked child takes it only from a pass-through
 * image (pass_through()), a vfork child likewise (vfork_carry()).
 * Otherwise the capture stays close-on-exec: it is given back when nothing
 * was recorded (release_unused_output), and this process stops counting as
 * one of its writers.  A posix_spawn child (not hooked: glibc execs inside
 * it) never takes it. */
static char *const *carry_begin(char *const envp[], const char *file, int search, int exec_fd,
                                struct carry *c) {
    memset(c, 0, sizeof *c);
    c->isb_from = -1;
    int e = errno;
    char *const *env = envp;
    int has_var = 0;
    if ((pid_t)syscall(SYS_getpid) != mypid) {
        env = vfork_carry(envp, file, search, exec_fd, c);
        errno = e;
        return env;
    }
    for (size_t i = 0; envp && envp[i]; i++) has_var |= is_carry_var(envp[i]);
    if (__atomic_load_n(&outfd, __ATOMIC_RELAXED) >= 0 && !closed) settle_conn(0);
    pthread_mutex_lock(&mu);
    mu_owner = get_tid();
    c->held = 1;
    if (outfd < 0 || closed || adopted_fd_gone() || handed_away()) goto plain;
    flush_locked(); /* its blocks would go with this image */
    /* A forked child of an image that was handed the capture and never
     * used /dev/fuse itself (a shell between a mount helper and the daemon:
     * `sh -c` forks the daemon and waits) takes the capture along, as long
     * as nothing was recorded into its section: its parent leaves it. */
    int passthru = mypid != opener_pid && pass_through();
    if (!shm || (__atomic_load_n(&shm->users, __ATOMIC_ACQUIRE) != 1 && !passthru) || out_broken ||
        !env_preloads_us(envp) || setid_target(file, search, exec_fd))
        goto give_back;
    {
        off_t end = lseek(outfd, 0, SEEK_END), cut;
        int root = 0;
        if (__atomic_load_n(&shm->next_iface, __ATOMIC_ACQUIRE) > 0) {
            c->isb_from = end;
            write_isbs_locked("the daemon exec'd a new program image, which records on in the next section");
            cut = end = lseek(outfd, 0, SEEK_END);
        } else {
            cut = end == good_end ? section_start : end;
            root = root_image && cut == 0;
        }
        if (carry_value(cut, end, root) != 0 || !(c->env = env_with(envp, carry_var)) ||
            syscall(SYS_fcntl, outfd, F_SETFD, 0) != 0) {
            free(c->env);
            c->env = NULL;
            if (c->isb_from >= 0 && ftruncate(outfd, c->isb_from) == 0) good_end = c->isb_from;
            c->isb_from = -1;
            goto give_back;
        }
        c->cleared = 1;
        if (__atomic_load_n(&shm->users, __ATOMIC_ACQUIRE) != 1) {
            __atomic_store_n(&shm->handed, 1, __ATOMIC_RELEASE);
            c->handed = 1;
        }
        errno = e;
        return c->env;
    }
give_back:
    mu_owner = 0;
    pthread_mutex_unlock(&mu);
    c->held = 0;
    release_unused_output();
    if (__atomic_load_n(&outfd, __ATOMIC_RELAXED) >= 0 && shm && !closed) {
        __atomic_sub_fetch(&shm->users, 1, __ATOMIC_ACQ_REL);
        c->uncounted = 1;
    }
    goto out;
plain:
    mu_owner = 0;
    pthread_mutex_unlock(&mu);
    c->held = 0;
out:
    if (has_var && (c->env = env_with(envp, NULL))) env = c->env;
    errno = e;
    return env;
}

/* After an exec that failed: this image goes on as it was. */
static void carry_end(struct carry *c) {
    int e = errno;
    if (c->cleared) syscall(SYS_fcntl, outfd, F_SETFD, FD_CLOEXEC);
    if (c->isb_from >= 0 && ftruncate(outfd, c->isb_from) == 0) good_end = c->isb_from;
    if (c->held) {
        mu_owner = 0;
        pthread_mutex_unlock(&mu);
    }
    if (c->uncounted) __atomic_add_fetch(&shm->users, 1, __ATOMIC_ACQ_REL);
    if (c->handed) __atomic_store_n(&shm->handed, 0, __ATOMIC_RELEASE);
    if (c->mapped) munmap(c->env, c->mapped);
    else free(c->env);
    errno = e;
}

/* The exec family (glibc's own execl*, execvp call execve inside libc, not
 * through these symbols: each is hooked). */
int execve(const char *path, char *const argv[], char *const envp[]) {
    RESOLVE(real_execve, "execve");
    struct carry c;
    char *const *env = carry_begin(envp, path, 0, -1, &c);
    int r = real_execve(path, argv, env);
    carry_end(&c);
    return r;
}

int execvpe(const char *file, char *const argv[], char *const envp[]) {
    RESOLVE(real_execvpe, "execvpe");
    struct carry c;
    char *const *env = carry_begin(envp, file, 1, -1, &c);
    int r = real_execvpe(file, argv, env);
    carry_end(&c);
    return r;
}

/* execv and execvp are execve and execvpe with the process's environment:
 * through the hooks above, so the capture is carried the one way. */
int execv(const char *path, char *const argv[]) {
    return execve(path, argv, environ);
}

int execvp(const char *file, char *const argv[]) {
    return execvpe(file, argv, environ);
}

int fexecve(int fd, char *const argv[], char *const envp[]) {
    RESOLVE(real_fexecve, "fexecve");
    if (!real_fexecve) { errno = ENOSYS; return -1; }
    struct carry c;
    char *const *env = carry_begin(envp, NULL, 0, fd, &c);
    int r = real_fexecve(fd, argv, env);
    carry_end(&c);
    return r;
}

/* execl, execlp, execle: their arguments (up to the NULL) as an array. */
/* As glibc's own: the list after arg0 always ends with a NULL. */
static size_t execl_count(va_list ap) {
    size_t n = 1;
    while (va_arg(ap, const char *)) n++;
    return n;
}

static void execl_fill(char **av, size_t n, const char *arg0, va_list ap) {
    av[0] = (char *)arg0;
    for (size_t i = 1; i < n; i++) av[i] = va_arg(ap, char *);
    av[n] = NULL;
}

/* Declares `av`, the arguments of a variadic exec call from `arg` up to its
 * NULL, with `ap` left after them (execle's envp comes next). A macro:
 * va_start and alloca belong to the calling function. */
#define EXECL_ARGV(av, arg, ap)                          \
    va_start(ap, arg);                                   \
    size_t av##_n = execl_count(ap);                     \
    va_end(ap);                                          \
    char **av = alloca((av##_n + 1) * sizeof *av);       \
    va_start(ap, arg);                                   \
    execl_fill(av, av##_n, arg, ap)

int execl(const char *path, const char *arg, ...) {
    va_list ap;
    EXECL_ARGV(av, arg, ap);
    va_end(ap);
    return execv(path, av);
}

int execlp(const char *file, const char *arg, ...) {
    va_list ap;
    EXECL_ARGV(av, arg, ap);
    va_end(ap);
    return execvp(file, av);
}

int execle(const char *path, const char *arg, ...) {
    va_list ap;
    EXECL_ARGV(av, arg, ap);
    (void)va_arg(ap, char *); /* the NULL that ends the arguments */
    char *const *envp = va_arg(ap, char *const *);
    va_end(ap);
    return execve(path, av, envp);
}

/* Root path of libfuse (and libfuse 2): mount(2) with "fd=N" in the data. */
int mount(const char *src, const char *target, const char *type, unsigned long fl,
          const void *data) {
    RESOLVE(real_mount, "mount");
    int r = real_mount(src, target, type, fl, data);
    if (r == 0 && type && strncmp(type, "fuse", 4) == 0 && data) {
        const char *s = data;
        const char *p = strstr(s, "fd=");
        while (p && p != s && p[-1] != ',') p = strstr(p + 1, "fd=");
        if (p) {
            int e = errno;
            set_mountpoint(atoi(p + 3), target);
            errno = e;
        }
    }
    return r;
}

struct loaded_objects { char **path; int n, cap; };

static int note_object(struct dl_phdr_info *info, size_t size, void *arg) {
    (void)size;
    struct loaded_objects *l = arg;
    if (!info->dlpi_name || !info->dlpi_name[0]) return 0;   /* the program itself */
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 64;
        char **p = realloc(l->path, (size_t)cap * sizeof *p);
        if (!p) return 1;
        l->path = p;
        l->cap = cap;
    }
    if ((l->path[l->n] = strdup(info->dlpi_name))) l->n++;
    return 0;
}

/* A libfuse function other than this library's `self`.  RTLD_NEXT finds it
 * when libfuse is in the global scope (linked, or loaded RTLD_GLOBAL).  A
 * libfuse loaded with RTLD_LOCAL (by a Python extension module: pyfuse3 under
 * borg mount) is not in that scope, yet its callers reach this library's
 * wrapper first: then each loaded object is asked.  dlopen is not called from
 * dl_iterate_phdr's callback, which holds the loader's lock. */
static void *libfuse_sym(const char *name, void *self) {
    void *s = dlsym(RTLD_NEXT, name);
    if (s) return s;
    struct loaded_objects l = { 0 };
    dl_iterate_phdr(note_object, &l);
    for (int i = 0; i < l.n; i++) {
        void *h = s ? NULL : dlopen(l.path[i], RTLD_LAZY | RTLD_NOLOAD);
        if (h) {
            void *f = dlsym(h, name);
            if (f && f != self) s = f;
            dlclose(h);
        }
        free(l.path[i]);
    }
    free(l.path);
    return s;
}

/* libfuse 3, any path (also fusermount3): learn the mount point. */
int fuse_session_mount(void *se, const char *mountpoint) {
    if (!real_fuse_session_mount)
        *(void **)(&real_fuse_session_mount) = libfuse_sym("fuse_session_mount", (void *)fuse_session_mount);
    if (!real_fuse_session_mount) { errno = ENOSYS; return -1; }
    int r = real_fuse_session_mount(se, mountpoint);
    if (r == 0) {
        fsfd_fn fdfn;
        *(void **)(&fdfn) = libfuse_sym("fuse_session_fd", NULL);
        if (fdfn) {
            int e = errno;
            set_mountpoint(fdfn(se), mountpoint);
            errno = e;
        }
    }
    return r;
}

/* ------------------------------------------------------------------ */
/* signals and exit                                                    */

static int is_our_sig(int sig) {
    return sig == SIGINT || sig == SIGTERM || sig == SIGHUP;
}

/* why: what ended the capture, for the ISB comment. */
static void write_isbs_locked(const char *why) {
    if (outfd < 0) return;
    uint64_t end = now_ns();
    char b[512];
    for (int i = 1; i <= nconns; i++) {
        if (conns[i].iface < 0) continue;
        /* Requests spliced into a pipe and not taken yet (only left when a
         * signal ends the daemon: exit takes them first) are lost. */
        uint64_t lost = 0;
        int ln = __atomic_load_n(&pend_list_n, __ATOMIC_ACQUIRE);
        for (int k = 0; k < ln; k++) {
            struct pend *p = &pend[pend_list[k]];
            if (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) != PEND_EMPTY && p->ci == i) lost++;
        }
        size_t n = build_isb(b, sizeof b, &conns[i], end, lost, why);
        /* After a failed write the disk may have room again for these. */
        int broken = out_broken;
        out_broken = 0;
        if (append_blocks(b, n) != 0) broken = 1;
        out_broken = broken;
    }
}

/* Called when a signal is about to kill the daemon: make the file whole. */
static void emergency_close(int sig) {
    pid_t self = get_tid();
    int locked = 0;
    if (mu_owner != self) {
        /* Another thread may be appending; appends are short. */
        for (int i = 0; i < 2000; i++) {
            if (pthread_mutex_trylock(&mu) == 0) { locked = 1; break; }
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
    }
    /* A copy this thread was making when the signal came: finish it here. */
    struct tail_copy *t = my_copy;
    if (t) finish_tail(t);
    if (!closed && outfd >= 0) {
        /* A buffer being written by another thread goes first (its writer
         * has our signals blocked, so it is not this thread). */
        int wlocked = 0;
        for (int i = 0; i < 2000; i++) {
            if (pthread_mutex_trylock(&wmu) == 0) { wlocked = 1; break; }
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
        /* Other threads' copies into buf finish without any lock. */
        for (int i = 0; i < 2000 && buf && __atomic_load_n(inflight_of(buf), __ATOMIC_ACQUIRE); i++) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
        size_t n = __atomic_load_n(&buflen, __ATOMIC_ACQUIRE);
        if (n) write_blocks(buf, n);
        if (wlocked) pthread_mutex_unlock(&wmu);
        buflen = 0;
        write_isbs_locked(sig == SIGINT ? "the daemon was killed by SIGINT"
                          : sig == SIGHUP ? "the daemon was killed by SIGHUP"
                                          : "the daemon was killed by SIGTERM");
        closed = 1;
    }
    if (locked) pthread_mutex_unlock(&mu);
}

static void on_signal(int sig, siginfo_t *si, void *uc) {
    int e = errno;
    struct sigaction d = daemon_act[sig];
    if (d.sa_flags & SA_RESETHAND) {
        daemon_act[sig].sa_handler = SIG_DFL;
        daemon_act[sig].sa_flags &= ~SA_SIGINFO;
    }
    if (d.sa_flags & SA_SIGINFO) {
        if (d.sa_sigaction) d.sa_sigaction(sig, si, uc);
    } else if (d.sa_handler == SIG_DFL) {
        emergency_close(sig);
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        real_sigaction(sig, &dfl, NULL);
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, sig);
        pthread_sigmask(SIG_UNBLOCK, &s, NULL);
        raise(sig);
    } else if (d.sa_handler != SIG_IGN) {
        d.sa_handler(sig);
    }
    errno = e;
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
    RESOLVE(real_sigaction, "sigaction");
    if (sig <= 0 || sig >= NSIG || !is_our_sig(sig) || !have_handler[sig])
        return real_sigaction(sig, act, old);
    struct sigaction prev = daemon_act[sig];
    if (act) {
        if (act->sa_handler == SIG_IGN) {
            /* Really ignore it, as the daemon asked. */
            if (real_sigaction(sig, act, NULL) != 0) return -1;
        } else {
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_sigaction = on_signal;
            sa.sa_mask = act->sa_mask;
            sa.sa_flags = SA_SIGINFO | (act->sa_flags & (SA_RESTART | SA_ONSTACK | SA_NODEFER));
            if (real_sigaction(sig, &sa, NULL) != 0) return -1;
        }
        daemon_act[sig] = *act;
    }
    if (old) *old = prev;
    return 0;
}

sighandler_t signal(int sig, sighandler_t h) {
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, &old) != 0) return SIG_ERR;
    return old.sa_handler;
}

__attribute__((destructor)) static void ftrec_fini(void) {
    settle_conn(0);
    pthread_mutex_lock(&mu);
    mu_owner = get_tid();
    if (!closed && outfd >= 0 && !handed_away()) {
        flush_locked();
        write_isbs_locked("the daemon exited");
        closed = 1;
        /* A later image that got a /dev/fuse fd (so opened the capture) and
         * sent nothing, nor did any process it forked (all gone now): its
         * section, only a header after an earlier image's, is cut off again.
         * Only when nothing was appended since (the end is still ours). */
        int last = shm && __atomic_sub_fetch(&shm->users, 1, __ATOMIC_ACQ_REL) == 0;
        if (!root_image && last && section_start > 0 && !adopted_fd_gone() &&
            __atomic_load_n(&shm->next_iface, __ATOMIC_ACQUIRE) == 0 &&
            lseek(outfd, 0, SEEK_END) == good_end && ftruncate(outfd, section_start) != 0) {
            /* the header stays: harmless */
        }
    }
    mu_owner = 0;
    pthread_mutex_unlock(&mu);
}
