/*
 * mountinfo.h: the FUSE mounts of a /proc/<pid>/mountinfo line (proc(5)),
 * for both recorders (ftrec.c, ftrec-bpf.c): each names a connection's
 * interface after its mount point, found by the mount's device, which is
 * the FUSE connection's number (/sys/fs/fuse/connections/<N>, N =
 * major << 20 | minor).
 */
#ifndef FTREC_MOUNTINFO_H
#define FTREC_MOUNTINFO_H

#include <stdio.h>
#include <string.h>

struct fuse_mount_row {
    unsigned major, minor; /* the mount's device */
    char *point;           /* its mount point, unescaped, inside the line */
};

/* Parses one line (NUL-terminated, no newline), in place.  Returns 1 for a
 * FUSE mount (type fuse, fuseblk, or either with a .subtype), 0 for any
 * other line.  A line is "ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...]
 * - TYPE SOURCE SUPEROPTIONS"; the kernel writes a space, tab, newline or
 * backslash of a path as \ooo (octal). */
static inline int mountinfo_fuse_row(char *line, struct fuse_mount_row *r) {
    char *f[5], *p = line;
    for (int i = 0; i < 5; i++) {
        f[i] = p;
        p = strchr(p, ' ');
        if (!p) return 0;
        *p++ = '\0';
    }
    char *type = strstr(p, " - "); /* after OPTIONS, never empty */
    if (!type) return 0;
    type += 3;
    size_t tl = strcspn(type, " ");
    size_t base = strncmp(type, "fuseblk", 7) == 0 ? 7 : strncmp(type, "fuse", 4) == 0 ? 4 : 0;
    if (!base || (tl != base && type[base] != '.')) return 0;
    char tail;
    if (sscanf(f[2], "%u:%u%c", &r->major, &r->minor, &tail) != 2) return 0;
    char *o = f[4];
    for (const char *s = f[4]; *s; o++) {
        if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
            *o = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
            s += 4;
        } else {
            *o = *s++;
        }
    }
    *o = '\0';
    r->point = f[4];
    return 1;
}

#endif
