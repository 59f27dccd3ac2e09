/**
 * Flag and value tables (strace tests/fsmount.c style): 0, each known bit,
 * an unknown bit, all ones, and high-bit fill; every table names its source
 * and uses the kernel spelling.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { enumValue, flagBit, flagMask, formatEnum, formatFlags } from '../../src/protocol/layout.js';
import { ALL_ENUM_SETS, ALL_FLAG_SETS } from '../../src/protocol/flags/index.js';
import { FUSE_INIT_FLAGS, InitBit } from '../../src/protocol/flags/init.js';
import { FOPEN_DIRECT_IO, FOPEN_FLAGS, FOPEN_PARALLEL_DIRECT_WRITES, FOPEN_PASSTHROUGH, formatOpenFlags, O_DIRECT, O_TRUNC } from '../../src/protocol/flags/open.js';
import { FATTR_FH, FATTR_FLAGS, FATTR_SIZE, formatMode, FUSE_GETATTR_FH, S_IFMT_TYPES, S_IFREG } from '../../src/protocol/flags/attr.js';
import { FALLOC_FL_KEEP_SIZE, FUSE_IOCTL_RETRY, FUSE_WRITE_CACHE, WRITE_FLAGS, WHENCE } from '../../src/protocol/flags/io.js';
import { DT_TYPES } from '../../src/protocol/flags/dir.js';

test('every flag table: 0, each bit, unknown bit, all ones, high-bit fill', () => {
  for (const set of ALL_FLAG_SETS) {
    assert.ok(set.source.length > 10, `${set.name}: source named`);
    assert.equal(formatFlags(set, 0), '0', set.name);
    const seen = new Set<number>();
    let all = 0n;
    for (const [bit, name] of set.bits) {
      assert.ok(!seen.has(bit), `${set.name}: bit ${bit} twice`);
      seen.add(bit);
      assert.match(name, /^[A-Z_][A-Z0-9_]*$/, `${set.name}: ${name} in kernel spelling`);
      assert.equal(formatFlags(set, 1n << BigInt(bit)), name);
      all |= 1n << BigInt(bit);
    }
    // An unknown bit: the lowest bit the table does not know.
    let unknown = 0;
    while (seen.has(unknown)) unknown++;
    assert.equal(formatFlags(set, 1n << BigInt(unknown)), `0x${(1n << BigInt(unknown)).toString(16)}`);
    // Known bits plus an unknown one: names first, leftover in hex.
    if (set.bits.length > 0) {
      const first = set.bits[0]!;
      assert.equal(formatFlags(set, (1n << BigInt(first[0])) | (1n << BigInt(unknown))), `${first[1]}|0x${(1n << BigInt(unknown)).toString(16)}`);
    }
    // All ones (64 bits): every known name, then the rest in hex, exactly.
    const ones = (1n << 64n) - 1n;
    const names = set.bits.slice().sort((a, b) => a[0] - b[0]).map(([, n]) => n);
    const rest = ones & ~all;
    assert.equal(formatFlags(set, ones), [...names, ...(rest ? [`0x${rest.toString(16)}`] : [])].join('|'));
    // High-bit fill: bits 32..63 only.
    const high = ones & ~0xffffffffn;
    const highKnown = set.bits.filter(([b]) => b >= 32).map(([, n]) => n);
    const highRest = high & ~all;
    assert.equal(formatFlags(set, high), [...highKnown, ...(highRest ? [`0x${highRest.toString(16)}`] : [])].join('|'));
  }
});

test('INIT flags: 64-bit, bits 0-42 named as in fuse.h 7.45', () => {
  assert.equal(FUSE_INIT_FLAGS.bits.length, 43);
  assert.deepEqual(FUSE_INIT_FLAGS.bits.map(([b]) => b), Array.from({ length: 43 }, (_, i) => i));
  assert.equal(formatFlags(FUSE_INIT_FLAGS, 1n << 30n), 'FUSE_INIT_EXT');
  assert.equal(formatFlags(FUSE_INIT_FLAGS, 1n << 42n), 'FUSE_REQUEST_TIMEOUT');
  assert.equal(formatFlags(FUSE_INIT_FLAGS, (1n << 43n) | 1n), 'FUSE_ASYNC_READ|0x80000000000');
  assert.equal(formatFlags(FUSE_INIT_FLAGS, 1n << 63n), '0x8000000000000000');
  assert.equal(formatFlags(FUSE_INIT_FLAGS, 0x80000000), 'FUSE_INIT_RESERVED');
});

test('open(2) flags: access mode by name, then the rest, unknown in hex', () => {
  assert.equal(formatOpenFlags(0), 'O_RDONLY');
  assert.equal(formatOpenFlags(1), 'O_WRONLY');
  assert.equal(formatOpenFlags(2), 'O_RDWR');
  assert.equal(formatOpenFlags(3), 'O_ACCMODE');
  assert.equal(formatOpenFlags(0x8000), 'O_RDONLY|O_LARGEFILE');
  assert.equal(formatOpenFlags(0x4001), 'O_WRONLY|O_DIRECT');
  assert.equal(formatOpenFlags(0x401), 'O_WRONLY|O_APPEND');
  assert.equal(formatOpenFlags(0x202), 'O_RDWR|O_TRUNC');
  assert.equal(formatOpenFlags(0x80000001), 'O_WRONLY|0x80000000');
  assert.equal(formatOpenFlags(0xffffffff), 'O_ACCMODE|__FMODE_EXEC|O_CREAT|O_EXCL|O_NOCTTY|O_TRUNC|O_APPEND|O_NONBLOCK|O_DSYNC|FASYNC|O_DIRECT|O_LARGEFILE|O_DIRECTORY|O_NOFOLLOW|O_NOATIME|O_CLOEXEC|__O_SYNC|O_PATH|__O_TMPFILE|0xff80001c');
});

test('reply and request flag words the analysis reads', () => {
  assert.equal(formatFlags(FOPEN_FLAGS, 0x41), 'FOPEN_DIRECT_IO|FOPEN_PARALLEL_DIRECT_WRITES');
  assert.equal(formatFlags(FOPEN_FLAGS, 0x100), '0x100');
  assert.equal(formatFlags(FATTR_FLAGS, 0x668), 'FATTR_SIZE|FATTR_MTIME|FATTR_FH|FATTR_LOCKOWNER|FATTR_CTIME');
  assert.equal(formatFlags(FATTR_FLAGS, 0x460), 'FATTR_MTIME|FATTR_FH|FATTR_CTIME');
  assert.equal(formatFlags(WRITE_FLAGS, 7), 'FUSE_WRITE_CACHE|FUSE_WRITE_LOCKOWNER|FUSE_WRITE_KILL_SUIDGID');
});

test('value tables: known values by name, unknown as ?0x..', () => {
  for (const set of ALL_ENUM_SETS) {
    assert.ok(set.source.length > 10);
    for (const [v, name] of set.values) assert.equal(formatEnum(set, v), name);
  }
  assert.equal(formatEnum(WHENCE, 3), 'SEEK_DATA');
  assert.equal(formatEnum(WHENCE, 7), '?0x7');
  assert.equal(formatEnum(DT_TYPES, 8), 'DT_REG');
  assert.equal(formatMode(0o100644), 'S_IFREG|0644');
  assert.equal(formatMode(0o40755), 'S_IFDIR|0755');
  assert.equal(formatMode(0o755), '0755');
  assert.equal(formatMode(0o170644), '?0xf000|0644');
});

test('the constants code tests are read from the tables (which the header probe checks)', () => {
  // The kernel's values, as fuse.h, fcntl.h, falloc.h and stat.h write them.
  assert.deepEqual(
    [FOPEN_DIRECT_IO, FOPEN_PARALLEL_DIRECT_WRITES, FOPEN_PASSTHROUGH, O_DIRECT, O_TRUNC, FATTR_SIZE, FATTR_FH, FUSE_GETATTR_FH, FUSE_WRITE_CACHE, FALLOC_FL_KEEP_SIZE, FUSE_IOCTL_RETRY, S_IFREG],
    [1, 1 << 6, 1 << 7, 0o40000, 0o1000, 1 << 3, 1 << 6, 1, 1, 1, 4, 0o100000],
  );
  assert.deepEqual([InitBit.ASYNC_READ, InitBit.ASYNC_DIO, InitBit.PARALLEL_DIROPS, InitBit.REQUEST_TIMEOUT], [0, 15, 18, 42]);
  for (const [name, bit] of Object.entries(InitBit)) assert.equal(formatFlags(FUSE_INIT_FLAGS, 1n << BigInt(bit)), `FUSE_${name}`);
  assert.equal(flagBit(FOPEN_FLAGS, 'FOPEN_STREAM'), 4);
  assert.throws(() => flagBit(FOPEN_FLAGS, 'FOPEN_NOPE'), /fopen_flags has no FOPEN_NOPE/);
  assert.throws(() => flagMask(FUSE_INIT_FLAGS, 'FUSE_SECURITY_CTX'), /is bit 32: test it with flagBit/);
  assert.equal(enumValue(S_IFMT_TYPES, 'S_IFDIR'), 4);
  assert.throws(() => enumValue(S_IFMT_TYPES, 'S_IFNOPE'), /file_type has no S_IFNOPE/);
});
