/**
 * open(2) flags as FUSE carries them (open_in/create_in/read_in/write_in/
 * release_in `flags`), FOPEN_* reply flags, FUSE_OPEN_*, RELEASE and FSYNC flags.
 * Sources: include/uapi/asm-generic/fcntl.h (x86-64 values; arm, arm64 and
 * powerpc number O_DIRECT/O_DIRECTORY/O_NOFOLLOW/O_LARGEFILE their own way:
 * `openFlagDialect`) and include/uapi/linux/fuse.h 7.45.
 */
import { flagMask, formatFlags, type EnumSet, type FlagDialect, type FlagSet } from '../layout.js';

/** open(2) flags other than the access mode (bits 0-1). x86-64 values. */
export const OPEN_FLAGS: FlagSet = {
  name: 'open_flags',
  source: 'include/uapi/asm-generic/fcntl.h, Linux 6.18, x86-64; bit 5 is the kernel-internal __FMODE_EXEC (include/linux/fs.h)',
  bits: [
    [5, '__FMODE_EXEC'],
    [6, 'O_CREAT'],
    [7, 'O_EXCL'],
    [8, 'O_NOCTTY'],
    [9, 'O_TRUNC'],
    [10, 'O_APPEND'],
    [11, 'O_NONBLOCK'],
    [12, 'O_DSYNC'],
    [13, 'FASYNC'],
    [14, 'O_DIRECT'],
    [15, 'O_LARGEFILE'],
    [16, 'O_DIRECTORY'],
    [17, 'O_NOFOLLOW'],
    [18, 'O_NOATIME'],
    [19, 'O_CLOEXEC'],
    [20, '__O_SYNC'],
    [21, 'O_PATH'],
    [22, '__O_TMPFILE'],
  ],
};

/** Access mode (flags & O_ACCMODE). */
export const O_ACCMODE: EnumSet = {
  name: 'accmode',
  source: 'include/uapi/asm-generic/fcntl.h, Linux 6.18',
  values: new Map([[0, 'O_RDONLY'], [1, 'O_WRONLY'], [2, 'O_RDWR'], [3, 'O_ACCMODE']]),
};

export const O_DIRECT = flagMask(OPEN_FLAGS, 'O_DIRECT');
export const O_TRUNC = flagMask(OPEN_FLAGS, 'O_TRUNC');

/**
 * open(2) flags travel in FUSE requests as the recording host's kernel
 * numbers them (file->f_flags). Architectures that number the four flags
 * asm-generic leaves to them (bits 14-17) otherwise: the machines
 * (shb_hardware, `uname -m`) of each, and their order of those bits. The
 * rest of the word is asm-generic's on these. x86, riscv, loongarch, s390
 * and the other asm-generic architectures use OPEN_FLAGS as it is
 * (`GENERIC_MACHINES`); mips, sparc, alpha and parisc move other flags too
 * (O_TRUNC, O_APPEND ...), which fusetrace does not know: `openFlagsKnown`.
 */
export const OPEN_FLAG_HOSTS: readonly {
  /** How their machine names (uname -m) begin. */
  prefixes: readonly string[];
  shown: string;
  source: string;
  bits14to17: readonly string[];
}[] = [
  {
    prefixes: ['aarch64', 'arm'],
    shown: 'aarch64, arm*',
    source: 'arch/arm64/include/uapi/asm/fcntl.h and arch/arm/include/uapi/asm/fcntl.h, Linux 6.18',
    bits14to17: ['O_DIRECTORY', 'O_NOFOLLOW', 'O_DIRECT', 'O_LARGEFILE'],
  },
  {
    prefixes: ['m68k'],
    shown: 'm68k',
    source: 'arch/m68k/include/uapi/asm/fcntl.h, Linux 6.18',
    bits14to17: ['O_DIRECTORY', 'O_NOFOLLOW', 'O_DIRECT', 'O_LARGEFILE'],
  },
  {
    prefixes: ['ppc', 'powerpc'],
    shown: 'ppc*, powerpc*',
    source: 'arch/powerpc/include/uapi/asm/fcntl.h, Linux 6.18',
    bits14to17: ['O_DIRECTORY', 'O_NOFOLLOW', 'O_LARGEFILE', 'O_DIRECT'],
  },
];

/** The index in OPEN_FLAG_HOSTS of the numbering of `machine`, or -1. */
function openFlagHost(machine: string): number {
  return OPEN_FLAG_HOSTS.findIndex((h) => h.prefixes.some((p) => machine.startsWith(p)));
}

/** Machines whose kernels number open(2) flags as asm-generic (OPEN_FLAGS). */
const GENERIC_MACHINES = /^(x86_64|amd64|i[3-6]86|x86|riscv(32|64)?|loongarch(32|64)?|s390x?|ia64|arc|csky|hexagon|microblaze|nios2|openrisc|or1k|sh|xtensa|um)/;

const DIALECTS: FlagDialect[] = OPEN_FLAG_HOSTS.map((h, i) => ({
  id: i + 1,
  of: OPEN_FLAGS,
  as: {
    name: OPEN_FLAGS.name,
    source: `${h.source}; the rest as ${OPEN_FLAGS.source}`,
    bits: OPEN_FLAGS.bits.map(([bit, name]) => (bit >= 14 && bit <= 17 ? [bit, h.bits14to17[bit - 14]!] as const : [bit, name] as const)),
  },
}));

/**
 * The numbering of open(2) flags of a capture recorded on `machine`
 * (shb_hardware): undefined for OPEN_FLAGS itself (asm-generic, and any
 * machine a capture does not name or fusetrace does not know).
 */
export function openFlagDialect(machine: string | undefined): FlagDialect | undefined {
  if (machine === undefined) return undefined;
  const i = openFlagHost(machine);
  return i < 0 ? undefined : DIALECTS[i];
}

/** False for a machine that numbers open(2) flags in a way fusetrace does not know (mips, sparc, alpha, parisc ...). */
export function openFlagsKnown(machine: string | undefined): boolean {
  return machine === undefined || machine === '' || GENERIC_MACHINES.test(machine) || openFlagHost(machine) >= 0;
}

/**
 * Each architecture's open(2) flag set, with the prefixes of its machine
 * names (the Wireshark dissector's `fuse.machine` preference picks one).
 */
export const OPEN_FLAG_DIALECTS: readonly { prefixes: readonly string[]; set: FlagSet }[] = DIALECTS.map((d, i) => ({ prefixes: OPEN_FLAG_HOSTS[i]!.prefixes, set: d.as }));

/** The open(2) flag sets: OPEN_FLAGS and each architecture's. */
export const OPEN_FLAG_SETS: ReadonlySet<FlagSet> = new Set([OPEN_FLAGS, ...DIALECTS.map((d) => d.as)]);

/** Bits 14-17 of an architecture's open(2) flags -> the same flags in OPEN_FLAGS's bits, for each of the 16 values. */
const TO_GENERIC = new Map<FlagDialect, Uint32Array>(DIALECTS.map((d) => {
  const t = new Uint32Array(16);
  for (let v = 0; v < 16; v++) {
    for (let i = 0; i < 4; i++) if ((v & (1 << i)) !== 0) t[v]! |= flagMask(OPEN_FLAGS, d.as.bits.find(([bit]) => bit === 14 + i)![1]);
  }
  return [d, t];
}));

/**
 * `v`, open(2) flags as `dialect` numbers them, in OPEN_FLAGS's numbering:
 * what the analysis and the exports keep (Exchange.flags), so that O_DIRECT
 * is one bit whatever host a capture came from. The decoders show the bytes
 * as they are, named the host's way (layout.ts layoutAt).
 */
export function genericOpenFlags(v: number, dialect: FlagDialect): number {
  const t = TO_GENERIC.get(dialect)!;
  return ((v & ~0x3c000) | t[(v >>> 14) & 15]!) >>> 0;
}

/** `O_WRONLY|O_APPEND|O_LARGEFILE`: the access mode always first, by name; `set` is OPEN_FLAGS or an architecture's. */
export function formatOpenFlags(v: number, set: FlagSet = OPEN_FLAGS): string {
  const acc = O_ACCMODE.values.get(v & 3)!;
  const rest = v & ~3;
  return rest === 0 ? acc : `${acc}|${formatFlags(set, rest >>> 0)}`;
}

/** fuse_open_out.open_flags. */
export const FOPEN_FLAGS: FlagSet = {
  name: 'fopen_flags',
  source: 'include/uapi/linux/fuse.h 7.45 (Linux 6.18), FOPEN_*',
  bits: [
    [0, 'FOPEN_DIRECT_IO', 2],
    [1, 'FOPEN_KEEP_CACHE', 2],
    [2, 'FOPEN_NONSEEKABLE', 10],
    [3, 'FOPEN_CACHE_DIR', 28],
    [4, 'FOPEN_STREAM'],
    [5, 'FOPEN_NOFLUSH', 35],
    [6, 'FOPEN_PARALLEL_DIRECT_WRITES', 38],
    [7, 'FOPEN_PASSTHROUGH', 40],
  ],
};

export const FOPEN_DIRECT_IO = flagMask(FOPEN_FLAGS, 'FOPEN_DIRECT_IO');
export const FOPEN_PARALLEL_DIRECT_WRITES = flagMask(FOPEN_FLAGS, 'FOPEN_PARALLEL_DIRECT_WRITES');
/** backing_id holds the id of a BACKING_OPEN (7.40). */
export const FOPEN_PASSTHROUGH = flagMask(FOPEN_FLAGS, 'FOPEN_PASSTHROUGH');

/** fuse_open_in.open_flags / fuse_create_in.open_flags. */
export const FUSE_OPEN_IN_FLAGS: FlagSet = {
  name: 'open_in_flags',
  source: 'include/uapi/linux/fuse.h 7.45, FUSE_OPEN_KILL_SUIDGID (7.33)',
  bits: [[0, 'FUSE_OPEN_KILL_SUIDGID', 33]],
};

/** fuse_release_in.release_flags. */
export const RELEASE_FLAGS: FlagSet = {
  name: 'release_flags',
  source: 'include/uapi/linux/fuse.h 7.45, FUSE_RELEASE_*',
  bits: [[0, 'FUSE_RELEASE_FLUSH'], [1, 'FUSE_RELEASE_FLOCK_UNLOCK', 17]],
};

/** fuse_fsync_in.fsync_flags. */
export const FSYNC_FLAGS: FlagSet = {
  name: 'fsync_flags',
  source: 'include/uapi/linux/fuse.h 7.45, FUSE_FSYNC_FDATASYNC',
  bits: [[0, 'FUSE_FSYNC_FDATASYNC']],
};
