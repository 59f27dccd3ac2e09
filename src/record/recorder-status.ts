/**
 * The counts the capture library shares with `fusetrace record` through the
 * file named by FUSETRACE_STATUS (`struct status` in ftrec.c, mapped shared
 * by the daemon): messages recorded and lost per interface of the first
 * section, and the errno of the first failed write. They survive a daemon
 * killed with SIGKILL, whose last buffer never reached the capture.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { endianness, constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';

const MAGIC = 'FTRSTAT1';

export interface RecorderStatus {
  /** Messages put into blocks, per interface id (written or still buffered). */
  recv: number[];
  /** Messages lost, per interface id. */
  drop: number[];
  /** Messages lost before their interface was written. */
  dropNoIface: number;
  /** Code of the first failed write of the capture (e.g. ENOSPC), or undefined. */
  writeErrno?: string;
}

/** A status file for one recording: its path (for FUSETRACE_STATUS), read, remove. */
export interface StatusFile {
  path: string;
  read(): RecorderStatus | undefined;
  remove(): void;
}

export function createStatusFile(): StatusFile {
  const dir = mkdtempSync(join(tmpdir(), 'fusetrace-status-'));
  const path = join(dir, 'status');
  writeFileSync(path, '');
  return {
    path,
    read: () => readStatus(path),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Parses the status file; undefined when the library never mapped it (nothing recorded, older library). */
function readStatus(path: string): RecorderStatus | undefined {
  let b: Buffer;
  try {
    b = readFileSync(path);
  } catch {
    return undefined;
  }
  if (b.length < 16 || b.toString('latin1', 0, 8) !== MAGIC) return undefined;
  // Written by the daemon in the machine's byte order.
  const le = endianness() === 'LE';
  const n = le ? b.readUInt32LE(8) : b.readUInt32BE(8);
  const need = 16 + 16 * n + 8;
  if (n === 0 || n > 4096 || b.length < need) return undefined;
  const u64 = (o: number): number => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
  const recv: number[] = [];
  const drop: number[] = [];
  for (let i = 0; i < n; i++) {
    recv.push(u64(16 + 8 * i));
    drop.push(u64(16 + 8 * n + 8 * i));
  }
  const errno = le ? b.readInt32LE(12) : b.readInt32BE(12);
  const name = errno > 0 ? Object.entries(osConstants.errno).find(([, v]) => v === errno)?.[0] ?? `errno ${errno}` : undefined;
  return { recv, drop, dropNoIface: u64(16 + 16 * n), writeErrno: name };
}
