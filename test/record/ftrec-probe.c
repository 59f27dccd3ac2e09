/*
 * ftrec-probe: drives the capture library without a mount, for
 * test/record/recorder.test.ts.  A /dev/fuse fd that no mount uses refuses
 * every write(2) with EPERM, so each write is one outbound message the
 * library must record, flagged failed with errno=1: a cheap, deterministic
 * way to hammer the writer from many threads and processes.
 *
 *   ftrec-probe threads N M     N threads x M writes (write and writev mixed)
 *   ftrec-probe payload N M S   N threads x M writes of S bytes with a payload
 *                               pattern (pattern_at); then prints "syscw W secs T":
 *                               write syscalls of the process (its own N*M
 *                               included) and the seconds it took
 *   ftrec-probe flood N S PATH  N threads write S-byte messages until killed;
 *                               PATH is created once each thread has written
 *   ftrec-probe fork            1 write, fork, child 1 write + exit, parent 1 write
 *   ftrec-probe daemonize M     fork; parent _exit(0) at once; child M writes (like daemon(3))
 *   ftrec-probe sigterm M       M writes, then SIGTERM to itself (default action)
 *   ftrec-probe sigkill M       M writes, then SIGKILL to itself (nothing flushed)
 *   ftrec-probe handler M       handler for SIGTERM via signal(); M writes, raise, exit(0)
 *   ftrec-probe dup             write on fd, dup(fd), fcntl F_DUPFD, write on both
 *   ftrec-probe two             two /dev/fuse fds: two connections
 *   ftrec-probe big N           one writev of N bytes (snap length tests)
 *   ftrec-probe hold PATH       1 write, create PATH, wait for PATH.go, 1 write
 *   ftrec-probe vfork           1 write; vfork, and the child does what Python's
 *                               subprocess does: close_range of every fd >= 3, an
 *                               open (on the number of the /dev/fuse fd), exec
 *                               /bin/true; the parent waits, 1 write
 *   ftrec-probe closeall PATH   1 write, close every fd >= 3 (close loop, then
 *                               close_range), open PATH and a new /dev/fuse fd, 1 write
 *   ftrec-probe none            opens /dev/fuse (as every mode does), writes nothing, exits 0
 *   ftrec-probe wait PATH       writes nothing, waits until PATH exists, exits 0
 *   ftrec-probe env NAME        prints the value of the environment variable NAME
 *                               (or "(unset)"), writes nothing
 *   ftrec-probe exec MODE ...   opens /dev/fuse, writes nothing, then execs itself
 *                               as `ftrec-probe MODE ...` (a new process image)
 *   ftrec-probe wexec M MODE ... M writes, then execs itself as `ftrec-probe MODE ...`
 *   ftrec-probe fexec MODE ...  as exec, with fexecve(2) on /proc/self/exe opened
 * Every message is a fuse_out_header {len, error 0, unique} (+ padding).
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static int fd = -1;
static int per_thread;
static volatile sig_atomic_t got_term;

static void send_msg(int f, uint64_t unique, int use_writev) {
    unsigned char m[24];
    uint32_t len = sizeof m;
    int32_t err = 0;
    memset(m, 0, sizeof m);
    memcpy(m, &len, 4);
    memcpy(m + 4, &err, 4);
    memcpy(m + 8, &unique, 8);
    if (use_writev) {
        struct iovec v[2] = {{m, 16}, {m + 16, 8}};
        (void)writev(f, v, 2);
    } else {
        (void)write(f, m, sizeof m);
    }
}

static size_t msg_size;
static volatile int started;

/* Byte i of the message with this unique (i >= 16). */
static unsigned char pattern_at(uint64_t unique, size_t i) {
    return (unsigned char)((unique >> 32) * 7u + (unique >> 1) * 13u + i);
}

static void send_big(int f, uint64_t unique, unsigned char *m, int use_writev) {
    uint32_t len = (uint32_t)msg_size;
    int32_t err = 0;
    memcpy(m, &len, 4);
    memcpy(m + 4, &err, 4);
    memcpy(m + 8, &unique, 8);
    for (size_t i = 16; i < msg_size; i++) m[i] = pattern_at(unique, i);
    if (use_writev) {
        struct iovec v[3] = {{m, 16}, {m + 16, 100}, {m + 116, msg_size - 116}};
        (void)writev(f, v, 3);
    } else {
        (void)write(f, m, msg_size);
    }
}

static void *payload_worker(void *arg) {
    uint64_t t = (uint64_t)(uintptr_t)arg;
    unsigned char *m = malloc(msg_size);
    for (int i = 0; i < per_thread; i++) send_big(fd, (t << 32) | (uint64_t)(i + 1) << 1, m, i & 1);
    free(m);
    return NULL;
}

static void *flood_worker(void *arg) {
    uint64_t t = (uint64_t)(uintptr_t)arg;
    unsigned char *m = malloc(msg_size);
    for (uint64_t i = 1;; i++) {
        send_big(fd, (t << 32) | i << 1, m, (int)(i & 1));
        if (i == 100) __atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

static long syscw(void) {
    FILE *f = fopen("/proc/self/io", "r");
    char line[128];
    long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "syscw: %ld", &v) == 1) break;
    if (f) fclose(f);
    return v;
}

static void *worker(void *arg) {
    uint64_t t = (uint64_t)(uintptr_t)arg;
    for (int i = 0; i < per_thread; i++) send_msg(fd, (t << 32) | (uint64_t)(i + 1) << 1, i & 1);
    return NULL;
}

static void on_term(int sig) {
    (void)sig;
    got_term = 1;
}

static int open_fuse(void) {
    int f = open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (f < 0) {
        perror("open /dev/fuse");
        exit(3);
    }
    return f;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    const char *mode = argv[1];
    fd = open_fuse();
    if (!strcmp(mode, "none") && argc == 2) return 0;
    if (!strcmp(mode, "wait") && argc == 3) {
        while (access(argv[2], F_OK) != 0) usleep(10000);
        return 0;
    }
    if (!strcmp(mode, "env") && argc == 3) {
        const char *v = getenv(argv[2]);
        printf("%s\n", v ? v : "(unset)");
        return 0;
    }
    if (!strcmp(mode, "wexec") && argc >= 4) {
        int m = atoi(argv[2]);
        for (int i = 0; i < m; i++) send_msg(fd, (uint64_t)(i + 1) << 1, 0);
        execv("/proc/self/exe", argv + 2);
        perror("exec");
        return 3;
    }
    if (!strcmp(mode, "fexec") && argc >= 3) {
        int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (self >= 0) fexecve(self, argv + 1, environ);
        perror("fexecve");
        return 3;
    }
    if (!strcmp(mode, "exec") && argc >= 3) {
        execv("/proc/self/exe", argv + 1);
        perror("exec");
        return 3;
    }
    if (!strcmp(mode, "threads") && argc == 4) {
        int n = atoi(argv[2]);
        per_thread = atoi(argv[3]);
        pthread_t th[256];
        if (n > 256) n = 256;
        for (int i = 0; i < n; i++) pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)(i + 1));
        for (int i = 0; i < n; i++) pthread_join(th[i], NULL);
        return 0;
    }
    if (!strcmp(mode, "payload") && argc == 5) {
        int n = atoi(argv[2]);
        per_thread = atoi(argv[3]);
        msg_size = (size_t)atol(argv[4]);
        if (msg_size < 128) return 2;
        pthread_t th[256];
        if (n > 256) n = 256;
        struct timespec a, b;
        long w0 = syscw();
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (int i = 0; i < n; i++) pthread_create(&th[i], NULL, payload_worker, (void *)(uintptr_t)(i + 1));
        for (int i = 0; i < n; i++) pthread_join(th[i], NULL);
        clock_gettime(CLOCK_MONOTONIC, &b);
        long w1 = syscw();
        printf("syscw %ld secs %.3f\n", w1 - w0, (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
        return 0;
    }
    if (!strcmp(mode, "flood") && argc == 5) {
        int n = atoi(argv[2]);
        msg_size = (size_t)atol(argv[3]);
        if (msg_size < 128 || n > 256) return 2;
        pthread_t th[256];
        for (int i = 0; i < n; i++) pthread_create(&th[i], NULL, flood_worker, (void *)(uintptr_t)(i + 1));
        while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < n) usleep(1000);
        int m = open(argv[4], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (m >= 0) close(m);
        for (;;) pause();
    }
    if (!strcmp(mode, "fork")) {
        send_msg(fd, 2, 0);
        pid_t p = fork();
        if (p == 0) {
            send_msg(fd, 4, 0);
            exit(0);
        }
        int st;
        waitpid(p, &st, 0);
        send_msg(fd, 6, 0);
        return 0;
    }
    if (!strcmp(mode, "daemonize") && argc == 3) {
        int m = atoi(argv[2]);
        pid_t p = fork();
        if (p != 0) _exit(0);
        setsid();
        for (int i = 0; i < m; i++) send_msg(fd, (uint64_t)(i + 1) << 1, 0);
        return 0;
    }
    if (!strcmp(mode, "sigterm") && argc == 3) {
        int m = atoi(argv[2]);
        for (int i = 0; i < m; i++) send_msg(fd, (uint64_t)(i + 1) << 1, i & 1);
        kill(getpid(), SIGTERM);
        pause();
        return 0;
    }
    if (!strcmp(mode, "sigkill") && argc == 3) {
        int m = atoi(argv[2]);
        for (int i = 0; i < m; i++) send_msg(fd, (uint64_t)(i + 1) << 1, i & 1);
        kill(getpid(), SIGKILL);
        pause();
        return 0;
    }
    if (!strcmp(mode, "handler") && argc == 3) {
        int m = atoi(argv[2]);
        signal(SIGTERM, on_term);
        for (int i = 0; i < m; i++) send_msg(fd, (uint64_t)(i + 1) << 1, 0);
        raise(SIGTERM);
        if (!got_term) return 4;
        printf("handled\n");
        return 0;
    }
    if (!strcmp(mode, "dup")) {
        send_msg(fd, 2, 0);
        int d = dup(fd);
        send_msg(d, 4, 0);
        int d2 = fcntl(fd, F_DUPFD_CLOEXEC, 100);
        send_msg(d2, 6, 1);
        close(d);
        /* A new /dev/fuse fd may take the closed number: a new connection. */
        int f2 = open_fuse();
        send_msg(f2, 8, 0);
        return 0;
    }
    if (!strcmp(mode, "two")) {
        int f2 = open_fuse();
        send_msg(fd, 2, 0);
        send_msg(f2, 2, 0);
        send_msg(fd, 4, 0);
        return 0;
    }
    if (!strcmp(mode, "big") && argc == 3) {
        size_t n = (size_t)atol(argv[2]);
        unsigned char *b = calloc(1, n);
        uint32_t len = (uint32_t)n;
        uint64_t unique = 2;
        memcpy(b, &len, 4);
        memcpy(b + 8, &unique, 8);
        for (size_t i = 16; i < n; i++) b[i] = (unsigned char)i;
        struct iovec v[2] = {{b, 16}, {b + 16, n - 16}};
        (void)writev(fd, v, 2);
        free(b);
        return 0;
    }
    if (!strcmp(mode, "closeall") && argc == 3) {
        send_msg(fd, 2, 0);
        for (int i = 3; i < 4096; i++) close(i);
        close_range(3, ~0U, 0);
        int f = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int f2 = open_fuse();
        send_msg(f2, 4, 0);
        close(f);
        return 0;
    }
    if (!strcmp(mode, "vfork") && argc == 2) {
        send_msg(fd, 2, 0);
        pid_t p = vfork();
        if (p == 0) {
            close_range(3, ~0U, 0);
            if (open("/dev/null", O_RDONLY) < 0) _exit(126);
            execl("/bin/true", "true", (char *)NULL);
            _exit(127);
        }
        int st;
        if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0) return 4;
        send_msg(fd, 4, 0);
        return 0;
    }
    if (!strcmp(mode, "hold") && argc == 3) {
        char go[4096];
        snprintf(go, sizeof go, "%s.go", argv[2]);
        send_msg(fd, 2, 0);
        int m = open(argv[2], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (m >= 0) close(m);
        while (access(go, F_OK) != 0) usleep(10000);
        send_msg(fd, 4, 0);
        return 0;
    }
    return 2;
}
