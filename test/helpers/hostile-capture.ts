/**
 * A valid capture whose names, packet comments and interface name were
 * chosen by an attacker: terminal escapes (OSC title, clear screen, C1 CSI),
 * bidi overrides and isolates, line and paragraph separators, bare CR and
 * LF (one of them forging a finding line), formula starts for spreadsheets,
 * CSV delimiters and quotes, HTML. It also carries the 64-bit values every
 * export must keep exact: READDIR's end-of-directory offset 2^63-1, a file
 * handle and a nodeid beyond 2^53, a write at an offset beyond 2^32.
 */
import { Cap, FOPEN_DIRECT_IO, FOPEN_PARALLEL_DIRECT_WRITES, OP, attr } from '../analysis/capture-builder.js';

export const HOSTILE_NAMES: readonly string[] = [
  '\u001b]0;pwned\u0007title',
  '\u001b[2J\u001b[Hclear',
  'x\n=1+1',
  'fake\n  ERROR   parallel-write-beyond-size  /etc/passwd  conn 0  +0.000001s  uniques 1, 3',
  'cr\rname',
  'crlf\r\nrow',
  '\u009b31mcsi',
  '\u202eexe.txt',
  'iso\u2066late\u2069',
  'ls\u2028ps\u2029end',
  'tab\tname',
  'del\u007fnel\u0085',
  "=cmd|' /C calc'!A0",
  '+SUM(1,2)',
  '-2+3',
  '@SUM(A1)',
  'q"uote,comma;semi',
  '<img src=x onerror=alert(1)>',
  '</script><script>alert(1)</script>',
];

export const HOSTILE_IFNAME = 'fuse\u001b[2J\n=evil\u202e';
/** The recording host's machine (shb_hardware), as a hostile capture may name it. */
export const HOSTILE_MACHINE = 'arm\u001b]0;x\u0007\nv7';
export const HOSTILE_COMMENT = 'note\u001b]0;owned\u0007\nline\u2028';

/** The 64-bit values the capture holds. */
export const BIG = {
  readdirEnd: 2n ** 63n - 1n,
  fh: 2n ** 53n + 3n,
  nodeid: 2n ** 62n + 1n,
  writeOffset: 5n * 2n ** 32n,
};

/** fuse_entry_out for a nodeid of any size. */
function entryOut(nodeid: bigint, ino: number, size: number): Buffer {
  const b = Buffer.alloc(40);
  b.writeBigUInt64LE(nodeid, 0);
  return Buffer.concat([b, attr({ ino, size })]);
}

/** fuse_open_out with a file handle of any size. */
function openOut(fh: bigint, fopen: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(fh, 0);
  b.writeUInt32LE(fopen, 8);
  return b;
}

/** fuse_read_in (READ, READDIR): fh, offset, size. */
function readIn(fh: bigint, offset: bigint, size: number): Buffer {
  const b = Buffer.alloc(40);
  b.writeBigUInt64LE(fh, 0);
  b.writeBigUInt64LE(offset, 8);
  b.writeUInt32LE(size, 16);
  return b;
}

/** fuse_write_in + data. */
function writeIn(fh: bigint, offset: bigint, size: number): Buffer {
  const b = Buffer.alloc(40);
  b.writeBigUInt64LE(fh, 0);
  b.writeBigUInt64LE(offset, 8);
  b.writeUInt32LE(size, 16);
  return Buffer.concat([b, Buffer.alloc(size, 0x78)]);
}

function writeOut(size: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(size, 0);
  return b;
}

/**
 * One connection: each hostile name looked up under the root, opened with
 * parallel direct writes and written once (4 KiB at 4 KiB * i; the third
 * name at 20 GiB through a handle past 2^53, the last one short, which is a
 * finding on a hostile path); a name that does not exist (ENOENT); the root
 * listed to its end (READDIR at 2^63-1); a GETATTR left unanswered (a
 * second finding on a hostile path).
 */
export function hostileCapture(): Cap {
  const c = new Cap(1);
  c.ifaceNames = [HOSTILE_IFNAME];
  c.machine = HOSTILE_MACHINE;
  c.init(0, 0);
  let ms = 1;
  HOSTILE_NAMES.forEach((name, i) => {
    const nodeid = i === 2 ? BIG.nodeid : BigInt(10 + i);
    const fh = i === 2 ? BIG.fh : BigInt(i + 1);
    const lookup = c.req(0, ms, OP.LOOKUP, 1, Buffer.from(`${name}\0`));
    c.rep(0, ms + 0.05, lookup, 0, entryOut(nodeid, 100 + i, 0));
    const open = c.req(0, ms + 0.1, OP.OPEN, nodeid as unknown as number, Buffer.alloc(8));
    c.rep(0, ms + 0.15, open, 0, openOut(fh, FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES));
    const offset = i === 2 ? BIG.writeOffset : BigInt(4096 * i);
    const w = c.req(0, ms + 0.2, OP.WRITE, nodeid as unknown as number, writeIn(fh, offset, 4096));
    c.comment(HOSTILE_COMMENT);
    c.rep(0, ms + 0.3, w, 0, writeOut(i === HOSTILE_NAMES.length - 1 ? 1000 : 4096));
    ms += 1;
  });
  const missing = c.req(0, ms, OP.LOOKUP, 1, Buffer.from(`${HOSTILE_NAMES[0]}missing\0`));
  c.rep(0, ms + 0.05, missing, -2);
  const opendir = c.req(0, ms + 0.1, 27 /* OPENDIR */, 1, Buffer.alloc(8));
  c.rep(0, ms + 0.15, opendir, 0, openOut(7n, 0));
  const rd = c.req(0, ms + 0.2, 28 /* READDIR */, 1, readIn(7n, 0n, 4096));
  c.rep(0, ms + 0.25, rd, 0, Buffer.alloc(0));
  const rdEnd = c.req(0, ms + 0.3, 28 /* READDIR */, 1, readIn(7n, BIG.readdirEnd, 4096));
  c.rep(0, ms + 0.35, rdEnd, 0, Buffer.alloc(0));
  c.req(0, ms + 0.4, OP.GETATTR, 10, Buffer.alloc(16));
  return c;
}
