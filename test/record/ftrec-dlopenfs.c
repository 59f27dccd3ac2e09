/*
 * ftrec-dlopenfs: a libfuse 3 daemon that reaches libfuse the way a Python
 * extension module does (pyfuse3 under `borg mount`): the program loads a
 * module with dlopen(RTLD_LOCAL), and the module is linked with libfuse, so
 * libfuse is loaded outside the global symbol scope while the module's calls
 * still go to the preloaded recorder's fuse_session_mount first. The module
 * mounts MNT with no operations (libfuse answers INIT and ENOSYS to the
 * rest) and serves until unmounted.
 *
 *   cc -shared -fPIC -DMODULE -o MODULE ftrec-dlopenfs.c $(pkg-config fuse3 --cflags --libs)
 *   cc -o ftrec-dlopenfs ftrec-dlopenfs.c -ldl
 *   ftrec-dlopenfs MODULE MNT     exit 0 when unmounted, 3 when the mount failed
 */
#ifdef MODULE
#define FUSE_USE_VERSION 31
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <string.h>

int serve(const char *argv0, const char *mnt);
int serve(const char *argv0, const char *mnt) {
    char *av[] = { (char *)argv0, NULL };
    struct fuse_args args = FUSE_ARGS_INIT(1, av);
    struct fuse_lowlevel_ops ops;
    memset(&ops, 0, sizeof ops);
    struct fuse_session *se = fuse_session_new(&args, &ops, sizeof ops, NULL);
    if (!se) return 2;
    if (fuse_session_mount(se, mnt) != 0) { perror("ftrec-dlopenfs: fuse_session_mount"); return 3; }
    int r = fuse_session_loop(se);
    fuse_session_unmount(se);
    fuse_session_destroy(se);
    return r < 0 ? 1 : 0;
}
#else
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: ftrec-dlopenfs MODULE MNT\n"); return 2; }
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) { fprintf(stderr, "ftrec-dlopenfs: %s\n", dlerror()); return 2; }
    int (*serve)(const char *, const char *);
    *(void **)&serve = dlsym(h, "serve");
    if (!serve) { fprintf(stderr, "ftrec-dlopenfs: %s\n", dlerror()); return 2; }
    return serve(argv[0], argv[2]);
}
#endif
