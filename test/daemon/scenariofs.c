/*
 * scenariofs: a small FUSE file system for fusetrace's tests and fixture
 * scripts. It speaks the raw protocol over /dev/fuse (no libfuse) and serves
 * a backing directory, so two instances over one backing directory are two
 * mounts over one store (the LKML stale-size case).
 *
 * What it lets a test choose that libfuse 3.14 cannot: FOPEN_DIRECT_IO and
 * FOPEN_PARALLEL_DIRECT_WRITES in OPEN/CREATE replies, attribute and entry
 * timeouts, INIT flags (ASYNC_DIO, WRITEBACK_CACHE), max_write, the reply
 * minor, and a delay before each WRITE reply so that concurrent writes are
 * in flight together for sure.
 *
 * Protocol notes followed here (docs/spec/fuse-protocol.md §1, §5.8):
 * one read(2) = one request, one write(2) = one whole reply, every reply on
 * the fd that read the request (there is only one fd), no reply to FORGET,
 * BATCH_FORGET or INTERRUPT, error replies are exactly 16 bytes. read(2) and
 * write(2) go through libc so that an LD_PRELOAD recorder sees them.
 *
 * attr.ino is the backing st_ino, so two mounts report the same number for
 * the same file; nodeids are per mount.
 *
 * Usage: scenariofs --backing DIR --mountpoint DIR [--threads N] [--direct-io]
 *   [--parallel-direct-writes] [--attr-timeout SEC] [--entry-timeout SEC]
 *   [--write-delay-ms MS] [--writeback] [--async-dio] [--max-write BYTES]
 *   [--minor N] [--write-barrier N] [--hold-getattr MARKER] [--name LABEL]
 *   [--security-ctx] [--verbose]
 * --security-ctx takes FUSE_SECURITY_CTX (flags2) at INIT: the kernel then
 * ends each CREATE, MKDIR, MKNOD and SYMLINK with a security-context
 * extension (total_extlen), which the handlers leave out of the body.
 * --hold-getattr MARKER takes the attributes for the first GETATTR of a
 * regular file at once, creates MARKER, and sends that reply only after
 * another GETATTR has been answered (or 10 s), and 200 ms more: attribute
 * replies out of order, the held one carrying the older size.
 * --write-barrier N holds each WRITE reply until N WRITEs are in flight
 * together (then releases them all), or until --write-delay-ms (default
 * 2000 ms) has passed: tests get a deterministic overlap when the kernel
 * allows one, and serialised writes still finish.
 * Runs in the foreground; exits 0 when the mount goes away (ENODEV), and
 * unmounts itself on SIGTERM/SIGINT.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* Opcodes newer than the 7.38 uapi header on Debian bookworm. */
#ifndef FUSE_COPY_FILE_RANGE_64
#define FUSE_COPY_FILE_RANGE_64 53
#endif

/* Compat sizes for old reply minors (fuse-protocol.md §4.1). */
#define COMPAT_ENTRY_OUT_SIZE 120
#define COMPAT_ATTR_OUT_SIZE 96
#define COMPAT_STATFS_SIZE 48
#define COMPAT_INIT_OUT_SIZE 8
#define COMPAT_22_INIT_OUT_SIZE 24

struct options {
  const char *backing;
  const char *mountpoint;
  const char *name;
  int threads;
  int direct_io;
  int parallel_direct_writes;
  double attr_timeout;
  double entry_timeout;
  long write_delay_ms;
  int write_barrier;
  int writeback;
  int async_dio;
  int security_ctx;
  uint32_t max_write;
  int minor; /* -1: the kernel's */
  const char *hold_getattr;
  int verbose;
};

static struct options opt = {
    .name = "scenariofs",
    .threads = 4,
    .attr_timeout = 1.0,
    .entry_timeout = 1.0,
    .max_write = 128 * 1024,
    .minor = -1,
};

static int fuse_fd = -1;
static int root_fd = -1;
static uint32_t proto_minor = 45; /* negotiated (set by INIT) */
static size_t bufsize;
static volatile int unmounting;

static void logmsg(const char *fmt, ...) {
  va_list ap;
  char line[512];
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (opt.verbose) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    fprintf(stderr, "%lld.%06ld scenariofs[%s]: %s\n", (long long)ts.tv_sec, ts.tv_nsec / 1000, opt.name, line);
  } else {
    fprintf(stderr, "scenariofs[%s]: %s\n", opt.name, line);
  }
}

static void die(const char *what) {
  logmsg("%s: %s", what, strerror(errno));
  exit(1);
}

/* ---------- inode table ---------- */

/* One per backing inode that the kernel knows (lookup count > 0). The
 * nodeid is the pointer value, as libfuse's passthrough_ll does; the root is
 * nodeid 1 and never forgotten. */
struct node {
  struct node *next; /* hash chain by (dev, ino) */
  int fd;            /* O_PATH fd of the backing file */
  dev_t dev;
  ino_t ino;
  uint64_t nlookup;
};

#define NBUCKETS 4096
static struct node *buckets[NBUCKETS];
static struct node root_node;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned bucket_of(dev_t dev, ino_t ino) { return (unsigned)((ino * 2654435761u) ^ dev) % NBUCKETS; }

static struct node *node_of(uint64_t nodeid) {
  if (nodeid == FUSE_ROOT_ID) return &root_node;
  return (struct node *)(uintptr_t)nodeid;
}

static uint64_t nodeid_of(struct node *n) {
  if (n == &root_node) return FUSE_ROOT_ID;
  return (uint64_t)(uintptr_t)n;
}

/* Takes ownership of fd: either stores it in a new node or closes it. */
static struct node *node_ref(int fd, const struct stat *st) {
  pthread_mutex_lock(&table_lock);
  if (st->st_ino == root_node.ino && st->st_dev == root_node.dev) {
    pthread_mutex_unlock(&table_lock);
    close(fd);
    return &root_node;
  }
  unsigned b = bucket_of(st->st_dev, st->st_ino);
  struct node *n;
  for (n = buckets[b]; n; n = n->next)
    if (n->ino == st->st_ino && n->dev == st->st_dev) break;
  if (n) {
    n->nlookup++;
    close(fd);
  } else {
    n = calloc(1, sizeof *n);
    if (!n) {
      pthread_mutex_unlock(&table_lock);
      close(fd);
      return NULL;
    }
    n->fd = fd;
    n->dev = st->st_dev;
    n->ino = st->st_ino;
    n->nlookup = 1;
    n->next = buckets[b];
    buckets[b] = n;
  }
  pthread_mutex_unlock(&table_lock);
  return n;
}

static void node_forget(uint64_t nodeid, uint64_t nlookup) {
  if (nodeid == FUSE_ROOT_ID || nodeid == 0) return;
  struct node *n = node_of(nodeid);
  pthread_mutex_lock(&table_lock);
  if (n->nlookup <= nlookup) {
    unsigned b = bucket_of(n->dev, n->ino);
    struct node **pp = &buckets[b];
    while (*pp && *pp != n) pp = &(*pp)->next;
    if (*pp) *pp = n->next;
    close(n->fd);
    free(n);
  } else {
    n->nlookup -= nlookup;
  }
  pthread_mutex_unlock(&table_lock);
}

static void procpath(char *buf, size_t len, int fd) { snprintf(buf, len, "/proc/self/fd/%d", fd); }

/* ---------- replies ---------- */

static int send_reply(uint64_t unique, int error, const void *body, size_t blen) {
  char stackbuf[512];
  size_t len = sizeof(struct fuse_out_header) + (error ? 0 : blen);
  char *buf = len <= sizeof stackbuf ? stackbuf : malloc(len);
  if (!buf) return -ENOMEM;
  struct fuse_out_header *oh = (struct fuse_out_header *)buf;
  oh->len = (uint32_t)len;
  oh->error = error;
  oh->unique = unique;
  if (!error && blen) memcpy(buf + sizeof *oh, body, blen);
  ssize_t w = write(fuse_fd, buf, len);
  int saved = errno;
  if (buf != stackbuf) free(buf);
  if (w < 0) {
    /* ENOENT: the request was interrupted and abandoned; nothing to do. */
    if (saved != ENOENT && opt.verbose) logmsg("write reply %llu: %s", (unsigned long long)unique, strerror(saved));
    return -saved;
  }
  return 0;
}

static int reply_err(uint64_t unique, int err) { return send_reply(unique, -err, NULL, 0); }

static void split_timeout(double t, uint64_t *sec, uint32_t *nsec) {
  if (t < 0) t = 0;
  *sec = (uint64_t)t;
  *nsec = (uint32_t)((t - (double)*sec) * 1e9);
}

static void fill_attr(struct fuse_attr *a, const struct stat *st) {
  memset(a, 0, sizeof *a);
  a->ino = st->st_ino;
  a->size = (uint64_t)st->st_size;
  a->blocks = (uint64_t)st->st_blocks;
  a->atime = (uint64_t)st->st_atim.tv_sec;
  a->mtime = (uint64_t)st->st_mtim.tv_sec;
  a->ctime = (uint64_t)st->st_ctim.tv_sec;
  a->atimensec = (uint32_t)st->st_atim.tv_nsec;
  a->mtimensec = (uint32_t)st->st_mtim.tv_nsec;
  a->ctimensec = (uint32_t)st->st_ctim.tv_nsec;
  a->mode = st->st_mode;
  a->nlink = (uint32_t)st->st_nlink;
  a->uid = st->st_uid;
  a->gid = st->st_gid;
  a->rdev = (uint32_t)st->st_rdev;
  a->blksize = (uint32_t)st->st_blksize;
}

static size_t entry_out_size(void) { return proto_minor < 9 ? COMPAT_ENTRY_OUT_SIZE : sizeof(struct fuse_entry_out); }
static size_t attr_out_size(void) { return proto_minor < 9 ? COMPAT_ATTR_OUT_SIZE : sizeof(struct fuse_attr_out); }

static void fill_entry(struct fuse_entry_out *e, struct node *n, const struct stat *st) {
  memset(e, 0, sizeof *e);
  e->nodeid = nodeid_of(n);
  split_timeout(opt.entry_timeout, &e->entry_valid, &e->entry_valid_nsec);
  split_timeout(opt.attr_timeout, &e->attr_valid, &e->attr_valid_nsec);
  fill_attr(&e->attr, st);
}

static int stat_node(struct node *n, struct stat *st) {
  return fstatat(n->fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int reply_attr(uint64_t unique, struct node *n) {
  struct stat st;
  int r = stat_node(n, &st);
  if (r) return reply_err(unique, -r);
  struct fuse_attr_out ao;
  memset(&ao, 0, sizeof ao);
  split_timeout(opt.attr_timeout, &ao.attr_valid, &ao.attr_valid_nsec);
  fill_attr(&ao.attr, &st);
  return send_reply(unique, 0, &ao, attr_out_size());
}

/* --hold-getattr: 0 nothing held yet, 1 holding, 2 done; GETATTR replies sent. */
static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hold_cond = PTHREAD_COND_INITIALIZER;
static int hold_state;
static unsigned long getattr_replies;

static void do_getattr(uint64_t unique, struct node *n) {
  if (opt.hold_getattr) {
    struct stat st;
    pthread_mutex_lock(&hold_lock);
    if (hold_state == 0 && stat_node(n, &st) == 0 && S_ISREG(st.st_mode)) {
      hold_state = 1;
      struct fuse_attr_out ao;
      memset(&ao, 0, sizeof ao);
      split_timeout(opt.attr_timeout, &ao.attr_valid, &ao.attr_valid_nsec);
      fill_attr(&ao.attr, &st);
      int m = open(opt.hold_getattr, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (m >= 0) close(m);
      unsigned long seen = getattr_replies;
      struct timespec deadline;
      clock_gettime(CLOCK_REALTIME, &deadline);
      deadline.tv_sec += 10;
      while (getattr_replies == seen)
        if (pthread_cond_timedwait(&hold_cond, &hold_lock, &deadline) == ETIMEDOUT) break;
      hold_state = 2;
      pthread_mutex_unlock(&hold_lock);
      /* Well after the other reply: the kernel applies attribute replies
       * when the waiting task runs, so two replies microseconds apart may be
       * applied in either order; 200 ms apart they are applied in order. */
      struct timespec later = {0, 200000000L};
      nanosleep(&later, NULL);
      send_reply(unique, 0, &ao, attr_out_size());
      return;
    }
    pthread_mutex_unlock(&hold_lock);
  }
  reply_attr(unique, n);
  if (opt.hold_getattr) {
    pthread_mutex_lock(&hold_lock);
    getattr_replies++;
    pthread_cond_broadcast(&hold_cond);
    pthread_mutex_unlock(&hold_lock);
  }
}

/* Looks name up in parent and takes a lookup reference; fills e. */
static int do_lookup_name(struct node *parent, const char *name, struct fuse_entry_out *e) {
  int fd = openat(parent->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -errno;
  struct stat st;
  if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
    int err = errno;
    close(fd);
    return -err;
  }
  struct node *n = node_ref(fd, &st);
  if (!n) return -ENOMEM;
  fill_entry(e, n, &st);
  return 0;
}

static int reply_entry_for(uint64_t unique, struct node *parent, const char *name) {
  struct fuse_entry_out e;
  int r = do_lookup_name(parent, name, &e);
  if (r) return reply_err(unique, -r);
  return send_reply(unique, 0, &e, entry_out_size());
}

/* ---------- open files ---------- */

struct dirh {
  DIR *dp;
  off_t pos;              /* telldir cookie of the next entry */
  struct dirent *pending; /* entry read but not yet returned */
};

static int backing_flags(uint32_t flags) {
  int f = (int)flags;
  /* The kernel gives us explicit offsets and does the direct I/O itself:
   * O_APPEND would make pwrite ignore the offset, O_DIRECT would demand
   * aligned buffers. O_NOFOLLOW (cp sets it) would refuse the
   * /proc/self/fd magic link we open through; the kernel already resolved
   * the name. */
  f &= ~(O_APPEND | O_DIRECT | O_CREAT | O_EXCL | O_NOCTTY | O_NOFOLLOW);
  if (opt.writeback && (f & O_ACCMODE) == O_WRONLY) f = (f & ~O_ACCMODE) | O_RDWR;
  return f | O_CLOEXEC;
}

static uint32_t fopen_flags(void) {
  uint32_t f = 0;
  if (opt.direct_io) f |= FOPEN_DIRECT_IO;
  if (opt.parallel_direct_writes) f |= FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES;
  return f;
}

/* ---------- request handlers ---------- */

struct req {
  struct fuse_in_header *ih;
  char *body;       /* after the header */
  size_t blen;      /* body length without extensions */
};

static const char *req_name(struct req *r, size_t off, size_t *next) {
  if (off >= r->blen) return NULL;
  size_t n = strnlen(r->body + off, r->blen - off);
  if (off + n >= r->blen) return NULL; /* no NUL */
  if (next) *next = off + n + 1;
  return r->body + off;
}

static void do_init(struct req *r) {
  struct fuse_init_in *in = (struct fuse_init_in *)r->body;
  if (r->blen < 8) {
    reply_err(r->ih->unique, EINVAL);
    return;
  }
  struct fuse_init_out out;
  memset(&out, 0, sizeof out);
  out.major = FUSE_KERNEL_VERSION;
  if (in->major != FUSE_KERNEL_VERSION) {
    /* Ask for our major; the kernel sends a new INIT or gives up. */
    send_reply(r->ih->unique, 0, &out, COMPAT_INIT_OUT_SIZE);
    return;
  }
  uint32_t kminor = in->minor;
  uint32_t minor = opt.minor >= 0 && (uint32_t)opt.minor < kminor ? (uint32_t)opt.minor : kminor;
  proto_minor = minor;
  uint32_t offered = r->blen >= 16 ? in->flags : 0;
  uint32_t want = FUSE_ASYNC_READ | FUSE_BIG_WRITES | FUSE_PARALLEL_DIROPS | FUSE_MAX_PAGES;
  if (opt.async_dio) want |= FUSE_ASYNC_DIO;
  if (opt.writeback) want |= FUSE_WRITEBACK_CACHE;
  /* flags2 (7.36) is read by each side only with FUSE_INIT_EXT in flags. */
  uint32_t offered2 = (offered & FUSE_INIT_EXT) && r->blen >= sizeof *in ? in->flags2 : 0;
  if (opt.security_ctx && (offered2 & (uint32_t)(FUSE_SECURITY_CTX >> 32))) {
    want |= FUSE_INIT_EXT;
    out.flags2 = (uint32_t)(FUSE_SECURITY_CTX >> 32);
  }
  out.minor = minor;
  out.max_readahead = r->blen >= 16 ? in->max_readahead : 0;
  out.flags = offered & want;
  out.max_background = 0;        /* kernel default (12) */
  out.congestion_threshold = 0;
  out.max_write = opt.max_write;
  out.time_gran = 1;
  uint32_t pages = (opt.max_write + 4095) / 4096;
  out.max_pages = (uint16_t)(pages > 256 ? 256 : pages < 32 ? 32 : pages);
  size_t len = minor < 5 ? COMPAT_INIT_OUT_SIZE : minor < 23 ? COMPAT_22_INIT_OUT_SIZE : sizeof out;
  if (opt.verbose)
    logmsg("INIT kernel 7.%u flags 0x%x flags2 0x%x -> reply 7.%u flags 0x%x flags2 0x%x max_write %u", kminor, offered,
           offered2, minor, out.flags, out.flags2, out.max_write);
  send_reply(r->ih->unique, 0, &out, len);
}

static void do_lookup(struct req *r, struct node *n) {
  const char *name = req_name(r, 0, NULL);
  if (!name) {
    reply_err(r->ih->unique, EINVAL);
    return;
  }
  reply_entry_for(r->ih->unique, n, name);
}

static void do_setattr(struct req *r, struct node *n) {
  struct fuse_setattr_in *in = (struct fuse_setattr_in *)r->body;
  if (r->blen < sizeof *in) {
    reply_err(r->ih->unique, EINVAL);
    return;
  }
  char path[64];
  procpath(path, sizeof path, n->fd);
  uint32_t v = in->valid;
  if (v & FATTR_MODE) {
    if (chmod(path, in->mode & 07777) < 0) goto fail;
  }
  if (v & (FATTR_UID | FATTR_GID)) {
    uid_t uid = (v & FATTR_UID) ? in->uid : (uid_t)-1;
    gid_t gid = (v & FATTR_GID) ? in->gid : (gid_t)-1;
    if (fchownat(n->fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) goto fail;
  }
  if (v & FATTR_SIZE) {
    int done = 0;
    if (v & FATTR_FH) {
      if (ftruncate((int)in->fh, (off_t)in->size) == 0) done = 1;
      else if (errno != EBADF && errno != EINVAL) goto fail;
    }
    if (!done && truncate(path, (off_t)in->size) < 0) goto fail;
  }
  if (v & (FATTR_ATIME | FATTR_MTIME)) {
    struct timespec ts[2];
    ts[0].tv_sec = 0;
    ts[0].tv_nsec = UTIME_OMIT;
    ts[1] = ts[0];
    if (v & FATTR_ATIME_NOW) ts[0].tv_nsec = UTIME_NOW;
    else if (v & FATTR_ATIME) {
      ts[0].tv_sec = (time_t)in->atime;
      ts[0].tv_nsec = in->atimensec;
    }
    if (v & FATTR_MTIME_NOW) ts[1].tv_nsec = UTIME_NOW;
    else if (v & FATTR_MTIME) {
      ts[1].tv_sec = (time_t)in->mtime;
      ts[1].tv_nsec = in->mtimensec;
    }
    if (utimensat(AT_FDCWD, path, ts, 0) < 0) goto fail;
  }
  reply_attr(r->ih->unique, n);
  return;
fail:
  reply_err(r->ih->unique, errno);
}

static void do_open(struct req *r, struct node *n) {
  struct fuse_open_in *in = (struct fuse_open_in *)r->body;
  if (r->blen < sizeof *in) {
    reply_err(r->ih->unique, EINVAL);
    return;
  }
  char path[64];
  procpath(path, sizeof path, n->fd);
  int fd = open(path, backing_flags(in->flags));
  if (fd < 0) {
    reply_err(r->ih->unique, errno);
    return;
  }
  struct fuse_open_out out;
  memset(&out, 0, sizeof out);
  out.fh = (uint64_t)fd;
  out.open_flags = fopen_flags();
  if (send_reply(r->ih->unique, 0, &out, sizeof out) < 0) close(fd);
}

static void do_create(struct req *r, struct node *parent) {
  struct fuse_create_in *in = (struct fuse_create_in *)r->body;
  size_t inlen = proto_minor < 12 ? sizeof(struct fuse_open_in) : sizeof *in;
  const char *name = r->blen > inlen ? req_name(r, inlen, NULL) : NULL;
  if (!name) {
    reply_err(r->ih->unique, EINVAL);
    return;
  }
  mode_t mode = proto_minor < 12 ? 0644 : (in->mode & 07777);
  int fd = openat(parent->fd, name, backing_flags(in->flags) | O_CREAT, mode);
  if (fd < 0) {
    reply_err(r->ih->unique, errno);
    return;
  }
  struct {
    struct fuse_entry_out e;
    struct fuse_open_out o;
  } out;
  memset(&out, 0, sizeof out);
  int err = do_lookup_name(parent, name, &out.e);
  if (err) {
    close(fd);
    reply_err(r->ih->unique, -err);
    return;
  }
  out.o.fh = (uint64_t)fd;
  out.o.open_flags = fopen_flags();
  /* With a compat entry_out the open_out follows it directly. */
  char buf[sizeof out];
  size_t es = entry_out_size();
  memcpy(buf, &out.e, es);
  memcpy(buf + es, &out.o, sizeof out.o);
  if (send_reply(r->ih->unique, 0, buf, es + sizeof out.o) < 0) close(fd);
}

static void do_read(struct req *r) {
  struct fuse_read_in *in = (struct fuse_read_in *)r->body;
  if (r->blen < 24) {
    reply_err(r->ih->unique, EINVAL);
    return;
  }
  size_t len = sizeof(struct fuse_out_header) + in->size;
  char *buf = malloc(len);
  if (!buf) {
    reply_err(r->ih->unique, ENOMEM);
    return;
  }
  ssize_t got = pread((int)in->fh, buf + sizeof(struct fuse_out_header), in->size, (off_t)in->offset);
  if (got < 0) {
    int err = errno;
    free(buf);
    reply_err(r->ih->unique, err);
    return;
  }
  struct fuse_out_header *oh = (struct fuse_out_header *)buf;
  oh->len = (uint32_t)(sizeof *oh + (size_t)got);
  oh->error = 0;
  oh->unique = r->ih->unique;
  if (write(fuse_fd, buf, oh->len) < 0 && errno != ENOENT && opt.verbose) logmsg("write READ reply: %s", strerror(errno));
  free(buf);
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

/* --write-barrier state: WRITEs received and not yet answered, and a
 * generation that moves each time the barrier opens. */
static pthread_mutex_t barrier_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t barrier_cond = PTHREAD_COND_INITIALIZER;
static int barrier_waiting;
static unsigned long barrier_gen;

static void write_barrier_wait(void) {
  long ms = opt.write_delay_ms > 0 ? opt.write_delay_ms : 2000;
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += ms / 1000;
  deadline.tv_nsec += (ms % 1000) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&barrier_lock);
  unsigned long gen = barrier_gen;
  if (++barrier_waiting >= opt.write_barrier) {
    barrier_waiting = 0;
    barrier_gen++;
    pthread_cond_broadcast(&barrier_cond);
  } else {
    while (barrier_gen == gen) {
      if (pthread_cond_timedwait(&barrier_cond, &barrier_lock, &deadline) == ETIMEDOUT) {
        if (barrier_gen == gen) barrier_waiting--;
        break;
      }
    }
  }
  pthread_mutex_unlock(&barrier_lock);
}

static void do_write(struct req *r) {
  struct fuse_write_in *in = (struct fuse_write_in *)r->body;
  size_t hdr = proto_minor < 9 ? 24 : sizeof *in;
  if (r->blen < hdr || r->blen - hdr < in->size) {
    reply_err(r->ih->unique, EINVAL);
    return;
  }
  ssize_t w = pwrite((int)in->fh, r->body + hdr, in->size, (off_t)in->offset);
  int err = errno;
  if (opt.write_barrier > 1) write_barrier_wait();
  else if (opt.write_delay_ms > 0) sleep_ms(opt.write_delay_ms);
  if (w < 0) {
    reply_err(r->ih->unique, err);
    return;
  }
  struct fuse_write_out out = {.size = (uint32_t)w};
  if (opt.verbose)
    logmsg("WRITE reply unique %llu offset %llu size %zd", (unsigned long long)r->ih->unique,
           (unsigned long long)in->offset, w);
  send_reply(r->ih->unique, 0, &out, sizeof out);
}

static void do_mkdir(struct req *r, struct node *parent) {
  struct fuse_mkdir_in *in = (struct fuse_mkdir_in *)r->body;
  const char *name = r->blen > sizeof *in ? req_name(r, sizeof *in, NULL) : NULL;
  if (!name) {
    reply_err(r->ih->unique, EINVAL);
    return;
  }
  if (mkdirat(parent->fd, name, in->mode & 07777) < 0) {
    reply_err(r->ih->unique, errno);
    return;
  }
  reply_entry_for(r->ih->unique, parent, name);
}

static void do_symlink(struct req *r, struct node *parent) {
  size_t next;
  const char *name = req_name(r, 0, &next);
  const char *target = name ? req_name(r, next, NULL) : NULL;
  if (!target) {
    reply_err(r->ih->unique, EINVAL);
    return;
  }
  if (symlinkat(target, parent->fd, name) < 0) {
    reply_err(r->ih->unique, errno);
    return;
  }
  reply_entry_for(r->ih->unique, parent, name);
}

static void do_link(struct req *r, struct node *newparent) {
  struct fuse_link_in *in = (struct fuse_link_in *)r->body;
  const char *name = r->blen > sizeof *in ? req_name(r, sizeof *in, NULL) : NULL;
  if (!name) {
    reply_err(r->ih->unique, EINVAL);
    return;
  }
  char path[64];
  procpath(path, sizeof path, node_of(in->oldnodeid)->fd);
  if (linkat(AT_FDCWD, path, newparent->fd, name, AT_SYMLINK_FOLLOW) < 0) {
    reply_err(r->ih->unique, errno);
    return;
  }
  reply_entry_for(r->ih->unique, newparent, name);
}

static void do_readlink(struct req *r, struct node *n) {
  char buf[PATH_MAX + 1];
  ssize_t len = readlinkat(n->fd, "", buf, sizeof buf - 1);
  if (len < 0) {
    reply_err(r->ih->unique, errno);
    return;
  }
  send_reply(r->ih->unique, 0, buf, (size_t)len);
}

static void do_unlink(struct req *r, struct node *parent, int flags) {
  const char *name = req_name(r, 0, NULL);
  if (!name) {
    reply_err(r->ih->unique, EINVAL);
    return;
  }
  reply_err(r->ih->unique, unlinkat(parent->fd, name, flags) < 0 ? errno : 0);
}

static void do_rename(struct req *r, struct node *parent, int v2) {
  uint64_t newdir;
  uint32_t flags = 0;
  size_t hdr;
  if (v2) {
    struct fuse_rename2_in *in = (struct fuse_rename2_in *)r->body;
    hdr = sizeof *in;
    if (r->blen < hdr) goto inval;
    newdir = in->newdir;
    flags = in->flags;
  } else {
    struct fuse_rename_in *in = (struct fuse_rename_in *)r->body;
    hdr = sizeof *in;
    if (r->blen < hdr) goto inval;
    newdir = in->newdir;
  }
  size_t next;
  const char *oldname = req_name(r, hdr, &next);
  const char *newname = oldname ? req_name(r, next, NULL) : NULL;
  if (!newname) goto inval;
  int rc = renameat2(parent->fd, oldname, node_of(newdir)->fd, newname, flags);
  reply_err(r->ih->unique, rc < 0 ? errno : 0);
  return;
inval:
  reply_err(r->ih->unique, EINVAL);
}

static void do_opendir(struct req *r, struct node *n) {
  int fd = openat(n->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    reply_err(r->ih->unique, errno);
    return;
  }
  struct dirh *d = calloc(1, sizeof *d);
  if (!d || !(d->dp = fdopendir(fd))) {
    int err = d ? errno : ENOMEM;
    free(d);
    close(fd);
    reply_err(r->ih->unique, err);
    return;
  }
  struct fuse_open_out out;
  memset(&out, 0, sizeof out);
  out.fh = (uint64_t)(uintptr_t)d;
  if (send_reply(r->ih->unique, 0, &out, sizeof out) < 0) {
    closedir(d->dp);
    free(d);
  }
}

static void do_readdir(struct req *r) {
  struct fuse_read_in *in = (struct fuse_read_in *)r->body;
  if (r->blen < 24) {
    reply_err(r->ih->unique, EINVAL);
    return;
  }
  struct dirh *d = (struct dirh *)(uintptr_t)in->fh;
  size_t cap = in->size;
  char *buf = malloc(sizeof(struct fuse_out_header) + cap);
  if (!buf) {
    reply_err(r->ih->unique, ENOMEM);
    return;
  }
  if ((off_t)in->offset != d->pos) {
    seekdir(d->dp, (long)in->offset);
    d->pos = (off_t)in->offset;
    d->pending = NULL;
  }
  size_t used = 0;
  char *out = buf + sizeof(struct fuse_out_header);
  for (;;) {
    struct dirent *de = d->pending;
    if (!de) {
      errno = 0;
      de = readdir(d->dp);
      if (!de) break;
    }
    size_t namelen = strlen(de->d_name);
    size_t reclen = FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + namelen);
    if (used + reclen > cap) {
      d->pending = de;
      break;
    }
    d->pending = NULL;
    struct fuse_dirent *fd = (struct fuse_dirent *)(out + used);
    memset(fd, 0, reclen);
    fd->ino = de->d_ino;
    fd->off = (uint64_t)telldir(d->dp);
    fd->namelen = (uint32_t)namelen;
    fd->type = de->d_type;
    memcpy(fd->name, de->d_name, namelen);
    d->pos = (off_t)fd->off;
    used += reclen;
  }
  struct fuse_out_header *oh = (struct fuse_out_header *)buf;
  oh->len = (uint32_t)(sizeof *oh + used);
  oh->error = 0;
  oh->unique = r->ih->unique;
  if (write(fuse_fd, buf, oh->len) < 0 && errno != ENOENT && opt.verbose) logmsg("write READDIR reply: %s", strerror(errno));
  free(buf);
}

static void do_statfs(struct req *r) {
  struct statvfs sv;
  if (fstatvfs(root_fd, &sv) < 0) {
    reply_err(r->ih->unique, errno);
    return;
  }
  struct fuse_statfs_out out;
  memset(&out, 0, sizeof out);
  out.st.blocks = sv.f_blocks;
  out.st.bfree = sv.f_bfree;
  out.st.bavail = sv.f_bavail;
  out.st.files = sv.f_files;
  out.st.ffree = sv.f_ffree;
  out.st.bsize = (uint32_t)sv.f_bsize;
  out.st.namelen = (uint32_t)sv.f_namemax;
  out.st.frsize = (uint32_t)sv.f_frsize;
  send_reply(r->ih->unique, 0, &out, proto_minor < 4 ? COMPAT_STATFS_SIZE : sizeof out);
}

static void do_fsync(struct req *r, int isdir) {
  struct fuse_fsync_in *in = (struct fuse_fsync_in *)r->body;
  if (r->blen < sizeof *in) {
    reply_err(r->ih->unique, EINVAL);
    return;
  }
  int fd = isdir ? dirfd(((struct dirh *)(uintptr_t)in->fh)->dp) : (int)in->fh;
  int rc = (in->fsync_flags & 1) ? fdatasync(fd) : fsync(fd);
  reply_err(r->ih->unique, rc < 0 ? errno : 0);
}

static void do_forget(struct req *r) {
  struct fuse_forget_in *in = (struct fuse_forget_in *)r->body;
  if (r->blen >= sizeof *in) node_forget(r->ih->nodeid, in->nlookup);
}

static void do_batch_forget(struct req *r) {
  struct fuse_batch_forget_in *in = (struct fuse_batch_forget_in *)r->body;
  if (r->blen < sizeof *in) return;
  struct fuse_forget_one *one = (struct fuse_forget_one *)(r->body + sizeof *in);
  size_t max = (r->blen - sizeof *in) / sizeof *one;
  for (size_t i = 0; i < in->count && i < max; i++) node_forget(one[i].nodeid, one[i].nlookup);
}

static void dispatch(struct req *r) {
  struct fuse_in_header *ih = r->ih;
  struct node *n = ih->nodeid ? node_of(ih->nodeid) : NULL;
  switch (ih->opcode) {
  case FUSE_INIT: do_init(r); break;
  case FUSE_DESTROY: reply_err(ih->unique, 0); break;
  case FUSE_LOOKUP: do_lookup(r, n); break;
  case FUSE_FORGET: do_forget(r); break;
  case FUSE_BATCH_FORGET: do_batch_forget(r); break;
  case FUSE_GETATTR: do_getattr(ih->unique, n); break;
  case FUSE_SETATTR: do_setattr(r, n); break;
  case FUSE_OPEN: do_open(r, n); break;
  case FUSE_CREATE: do_create(r, n); break;
  case FUSE_READ: do_read(r); break;
  case FUSE_WRITE: do_write(r); break;
  case FUSE_FLUSH: reply_err(ih->unique, 0); break;
  case FUSE_RELEASE: {
    struct fuse_release_in *in = (struct fuse_release_in *)r->body;
    if (r->blen >= 8) close((int)in->fh);
    reply_err(ih->unique, 0);
    break;
  }
  case FUSE_FSYNC: do_fsync(r, 0); break;
  case FUSE_FSYNCDIR: do_fsync(r, 1); break;
  case FUSE_UNLINK: do_unlink(r, n, 0); break;
  case FUSE_RMDIR: do_unlink(r, n, AT_REMOVEDIR); break;
  case FUSE_MKDIR: do_mkdir(r, n); break;
  case FUSE_SYMLINK: do_symlink(r, n); break;
  case FUSE_LINK: do_link(r, n); break;
  case FUSE_READLINK: do_readlink(r, n); break;
  case FUSE_RENAME: do_rename(r, n, 0); break;
  case FUSE_RENAME2: do_rename(r, n, 1); break;
  case FUSE_OPENDIR: do_opendir(r, n); break;
  case FUSE_READDIR: do_readdir(r); break;
  case FUSE_RELEASEDIR: {
    struct fuse_release_in *in = (struct fuse_release_in *)r->body;
    struct dirh *d = r->blen >= 8 ? (struct dirh *)(uintptr_t)in->fh : NULL;
    if (d) {
      closedir(d->dp);
      free(d);
    }
    reply_err(ih->unique, 0);
    break;
  }
  case FUSE_STATFS: do_statfs(r); break;
  case FUSE_ACCESS: reply_err(ih->unique, 0); break; /* root; the kernel checks modes */
  case FUSE_INTERRUPT: break;                          /* ignored: the original still gets its reply */
  case FUSE_NOTIFY_REPLY: break;                       /* never answered */
  default: reply_err(ih->unique, ENOSYS); break;
  }
}

/* ---------- threads, mount, signals ---------- */

static void *reader(void *arg) {
  (void)arg;
  char *buf = malloc(bufsize);
  if (!buf) die("malloc");
  for (;;) {
    ssize_t n = read(fuse_fd, buf, bufsize);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == ENOENT) continue;
      if (errno == ENODEV) break; /* unmounted: normal end of the session */
      logmsg("read /dev/fuse: %s", strerror(errno));
      break;
    }
    if ((size_t)n < sizeof(struct fuse_in_header)) {
      logmsg("short read %zd", n);
      continue;
    }
    struct req r;
    r.ih = (struct fuse_in_header *)buf;
    r.body = buf + sizeof *r.ih;
    size_t ext = (size_t)(proto_minor >= 38 ? ((uint16_t *)buf)[18] : 0) * 8; /* total_extlen */
    size_t blen = (size_t)n - sizeof *r.ih;
    r.blen = ext <= blen ? blen - ext : blen;
    if (opt.verbose) logmsg("op %u unique %llu nodeid %llu len %zd", r.ih->opcode, (unsigned long long)r.ih->unique,
                            (unsigned long long)r.ih->nodeid, n);
    dispatch(&r);
  }
  free(buf);
  return NULL;
}

/* The fusectl connection number of our mount (the minor of its st_dev),
 * read from mountinfo so that the mount itself is not touched. */
static int conn_number(void) {
  FILE *f = fopen("/proc/self/mountinfo", "r");
  if (!f) return -1;
  char line[4096];
  int found = -1;
  while (fgets(line, sizeof line, f)) {
    unsigned maj, min;
    char mp[PATH_MAX];
    if (sscanf(line, "%*u %*u %u:%u %*s %4095s", &maj, &min, mp) == 3 && strcmp(mp, opt.mountpoint) == 0 && maj == 0)
      found = (int)min;
  }
  fclose(f);
  return found;
}

static void *signal_thread(void *arg) {
  sigset_t *set = arg;
  int sig;
  if (sigwait(set, &sig) != 0) return NULL;
  unmounting = 1;
  logmsg("signal %d: unmounting %s", sig, opt.mountpoint);
  int conn = conn_number();
  if (umount2(opt.mountpoint, 0) < 0) {
    logmsg("umount %s: %s; detaching", opt.mountpoint, strerror(errno));
    umount2(opt.mountpoint, MNT_DETACH);
  }
  /* Open files keep a detached connection alive; give them a moment, then
   * abort the connection (fusectl, when mounted) so that the readers see
   * ENODEV; failing that, exit: closing the last /dev/fuse fd aborts it. */
  sleep_ms(2000);
  if (conn >= 0) {
    char path[128];
    snprintf(path, sizeof path, "/sys/fs/fuse/connections/%d/abort", conn);
    int fd = open(path, O_WRONLY);
    if (fd >= 0) {
      if (write(fd, "1", 1) < 0) {
      }
      close(fd);
      sleep_ms(500);
    }
  }
  logmsg("connection still in use after unmount; exiting (the kernel aborts it)");
  exit(0);
}

static void do_mount(void) {
  char data[512];
  snprintf(data, sizeof data, "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", fuse_fd);
  unsigned long flags = MS_NOSUID | MS_NODEV;
  if (mount(opt.name, opt.mountpoint, "fuse.scenariofs", flags, data) == 0) return;
  if (errno == ENODEV || errno == EINVAL) {
    if (mount(opt.name, opt.mountpoint, "fuse", flags, data) == 0) return;
  }
  die("mount");
}

static void usage(void) {
  fprintf(stderr,
          "usage: scenariofs --backing DIR --mountpoint DIR [--threads N] [--direct-io]\n"
          "  [--parallel-direct-writes] [--attr-timeout SEC] [--entry-timeout SEC]\n"
          "  [--write-delay-ms MS] [--writeback] [--async-dio] [--max-write BYTES]\n"
          "  [--minor N] [--write-barrier N] [--hold-getattr MARKER] [--name LABEL] [--security-ctx] [--verbose]\n");
  exit(2);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
#define NEXT() (i + 1 < argc ? argv[++i] : (usage(), (char *)NULL))
    if (!strcmp(a, "--backing")) opt.backing = NEXT();
    else if (!strcmp(a, "--mountpoint")) opt.mountpoint = NEXT();
    else if (!strcmp(a, "--threads")) opt.threads = atoi(NEXT());
    else if (!strcmp(a, "--direct-io")) opt.direct_io = 1;
    else if (!strcmp(a, "--parallel-direct-writes")) opt.parallel_direct_writes = 1;
    else if (!strcmp(a, "--attr-timeout")) opt.attr_timeout = atof(NEXT());
    else if (!strcmp(a, "--entry-timeout")) opt.entry_timeout = atof(NEXT());
    else if (!strcmp(a, "--write-delay-ms")) opt.write_delay_ms = atol(NEXT());
    else if (!strcmp(a, "--write-barrier")) opt.write_barrier = atoi(NEXT());
    else if (!strcmp(a, "--writeback")) opt.writeback = 1;
    else if (!strcmp(a, "--async-dio")) opt.async_dio = 1;
    else if (!strcmp(a, "--security-ctx")) opt.security_ctx = 1;
    else if (!strcmp(a, "--max-write")) opt.max_write = (uint32_t)strtoul(NEXT(), NULL, 0);
    else if (!strcmp(a, "--minor")) opt.minor = atoi(NEXT());
    else if (!strcmp(a, "--hold-getattr")) opt.hold_getattr = NEXT();
    else if (!strcmp(a, "--name")) opt.name = NEXT();
    else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) opt.verbose = 1;
    else if (!strcmp(a, "--help") || !strcmp(a, "-h")) usage();
    else {
      fprintf(stderr, "scenariofs: unknown argument %s\n", a);
      usage();
    }
#undef NEXT
  }
  if (!opt.backing || !opt.mountpoint) usage();
  if (opt.threads < 1) opt.threads = 1;
  if (opt.max_write < 4096) opt.max_write = 4096;
  if (opt.max_write > 1024 * 1024) opt.max_write = 1024 * 1024;
  bufsize = (opt.max_write + 80 > 8192 ? opt.max_write + 80 : 8192) + 4096;

  char *mp = realpath(opt.mountpoint, NULL);
  if (!mp) die(opt.mountpoint);
  opt.mountpoint = mp;
  umask(0);

  root_fd = open(opt.backing, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) die(opt.backing);
  struct stat st;
  if (fstat(root_fd, &st) < 0) die("fstat backing");
  root_node.fd = root_fd;
  root_node.dev = st.st_dev;
  root_node.ino = st.st_ino;
  root_node.nlookup = 1;

  fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fuse_fd < 0) die("/dev/fuse");

  /* SIGTERM/SIGINT go to the signal thread only. */
  static sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  do_mount();
  logmsg("mounted %s on %s (threads %d%s%s%s%s%s, attr %.3gs, entry %.3gs, write delay %ld ms, max_write %u)",
         opt.backing, opt.mountpoint, opt.threads, opt.direct_io ? ", direct-io" : "",
         opt.parallel_direct_writes ? ", parallel-direct-writes" : "", opt.writeback ? ", writeback" : "",
         opt.async_dio ? ", async-dio" : "", opt.minor >= 0 ? ", minor set" : "", opt.attr_timeout, opt.entry_timeout,
         opt.write_delay_ms, opt.max_write);

  pthread_t sigt;
  pthread_create(&sigt, NULL, signal_thread, &set);
  pthread_detach(sigt);

  pthread_t *tids = calloc((size_t)opt.threads, sizeof *tids);
  if (!tids) die("calloc");
  for (int i = 0; i < opt.threads; i++)
    if (pthread_create(&tids[i], NULL, reader, NULL) != 0) die("pthread_create");
  for (int i = 0; i < opt.threads; i++) pthread_join(tids[i], NULL);
  logmsg("session ended%s", unmounting ? " (signal)" : "");
  return 0;
}
