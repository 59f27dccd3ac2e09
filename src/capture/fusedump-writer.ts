/**
 * Writes fusedump records (capture-format.md §2): version 2 as
 * strace-fusedump does (timestamp item, optional signature item, message
 * item) or, for tests, version 1 (direction byte then the bare message).
 * Either byte order.
 */

export interface FusedumpWriterOptions {
  /** Byte order of the recording host (default little-endian). */
  le?: boolean;
  /** 2 (default) or 1. */
  version?: 1 | 2;
  /** Version 2: add strace-fusedump's 9-byte signature item {len=9, "STRA" 0xCE}. */
  signature?: boolean;
}

export interface FusedumpRecord {
  /** 1 = 'R' (kernel -> daemon), 2 = 'W' (daemon -> kernel). */
  dir: 1 | 2;
  /** CLOCK_REALTIME in ns since the Unix epoch (ignored by version 1). */
  ts: bigint;
  /** The whole FUSE message. */
  data: Buffer;
}

const SIGNATURE = Buffer.from([0x09, 0, 0, 0, 0x53, 0x54, 0x52, 0x41, 0xce]);

export class FusedumpWriter {
  private readonly le: boolean;
  private readonly version: 1 | 2;
  private readonly sig: Buffer | undefined;

  constructor(private readonly out: (b: Buffer) => void, o: FusedumpWriterOptions = {}) {
    this.le = o.le ?? true;
    this.version = o.version ?? 2;
    if (o.signature) {
      this.sig = Buffer.from(SIGNATURE);
      if (!this.le) this.sig.writeUInt32BE(9, 0);
    }
  }

  /** Appends one record. */
  record(r: FusedumpRecord): void {
    const marker = Buffer.from([r.dir === 1 ? 0x52 : 0x57]);
    if (this.version === 1) {
      this.out(Buffer.concat([marker, r.data]));
      return;
    }
    const head = Buffer.alloc(4);
    const ts = Buffer.alloc(16);
    const sec = r.ts / 1_000_000_000n;
    const nsec = Number(r.ts % 1_000_000_000n);
    const items = this.sig ? 3 : 2;
    if (this.le) {
      head.writeUInt32LE(items, 0);
      ts.writeUInt32LE(16, 0);
      ts.writeBigUInt64LE(sec, 4);
      ts.writeUInt32LE(nsec, 12);
    } else {
      head.writeUInt32BE(items, 0);
      ts.writeUInt32BE(16, 0);
      ts.writeBigUInt64BE(sec, 4);
      ts.writeUInt32BE(nsec, 12);
    }
    this.out(Buffer.concat(this.sig ? [marker, head, ts, this.sig, r.data] : [marker, head, ts, r.data]));
  }
}

/** Collects a whole fusedump in memory (tests, small conversions). */
export function fusedumpToBuffer(build: (w: FusedumpWriter) => void, o: FusedumpWriterOptions = {}): Buffer {
  const parts: Buffer[] = [];
  build(new FusedumpWriter((b) => parts.push(b), o));
  return Buffer.concat(parts);
}
