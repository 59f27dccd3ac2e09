/**
 * `fusetrace convert`: fusedump (GlusterFS --dump-fuse, strace-fusedump) to
 * pcapng and back, so captures move between fusetrace/Wireshark and
 * parsefuse. Reads with the project's capture readers (src/capture/) and
 * writes with its writers; streams, one block or record at a time.
 *
 * What cannot cross to fusedump (capture-format.md §2: one connection per
 * file, whole messages, no pid/tid, no failed-write marking):
 * - several connections: refused, or one file per connection with `split`;
 * - snapped messages (captured < original length): refused, or zero-filled
 *   to their length with `padSnapped` (the FUSE header says how long they
 *   were; a fusedump reader needs that many bytes);
 * - failed writes: written as ordinary 'W' records, counted in the result;
 * - the recording host's machine (pcapng shb_hardware): a notice when it
 *   numbers open(2) flags otherwise than x86-64, which is how every reader
 *   takes a fusedump's.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { byteAt, CaptureError, systemReason, UsageError, type OffsetSpace } from '../capture/errors.js';
import { FusedumpWriter } from '../capture/fusedump-writer.js';
import { Timebase, type CaptureFormat, type CaptureMessage, type CaptureSink, type ConnectionInfo } from '../capture/message.js';
import { bytesRead, captureBytes, openCaptures, readMerged, sniffFormat, type ReadOptions } from '../capture/open.js';
import { guessDirection } from '../protocol/guess-direction.js';
import { PcapngWriter } from '../capture/pcapng-writer.js';
import { OutputFile } from '../capture/write-fully.js';
import { formatAbsoluteNs } from '../model/format.js';
import { openFlagDialect, openFlagsKnown } from '../protocol/flags/open.js';

export interface ConvertOptions {
  input: string;
  output: string;
  /** Told the bytes read of the input and its size as each pass over it goes on (the CLI's progress line). */
  progress?: (done: number, total: number) => void;
  /** Output format; default from the output's extension, else the other format. */
  to?: CaptureFormat;
  /** pcapng -> fusedump with several connections: OUT.<n>.fusedump per connection. */
  split?: boolean;
  /** Zero-fill snapped messages to their original length (fusedump output). */
  padSnapped?: boolean;
  /** Also read interfaces of this pcapng link type as FUSE. */
  linkType?: number;
}

export interface ConvertResult {
  from: CaptureFormat;
  to: CaptureFormat;
  /** Files written. */
  outputs: string[];
  messages: number;
  connections: number;
  /** Snapped messages zero-filled (fusedump output). */
  padded: number;
  /** Failed writes written as plain 'W' records (fusedump output). */
  failedAsPlain: number;
  /** Messages whose direction the reader guessed (fusedump has one per record). */
  guessedDirection: number;
  notices: string[];
}

/** Buffered synchronous output to a file, or to standard output for '-'. */
class FileOut {
  private readonly file: OutputFile;
  private parts: Buffer[] = [];
  private size = 0;
  constructor(path: string) {
    this.file = new OutputFile(path);
  }
  write = (b: Buffer): void => {
    this.parts.push(b);
    this.size += b.length;
    if (this.size >= 1 << 22) this.flush();
  };
  flush(): void {
    if (this.size === 0) return;
    const data = Buffer.concat(this.parts);
    this.parts = [];
    this.size = 0;
    this.file.write(data);
  }
  close(): void {
    this.flush();
    this.file.close();
  }
}

/**
 * Standard input copied to a temporary file: converting to fusedump reads
 * the input twice (connections and snapped messages first), and the output
 * format may depend on the input's. Copied in chunks, so memory stays small.
 */
function spoolStdin(): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'fusetrace-convert-'));
  const path = join(dir, 'stdin');
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    const fd = openSync(path, 'w');
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      for (;;) {
        let n: number;
        try {
          n = readSync(0, buf, 0, buf.length, null);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EAGAIN') {
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
            continue;
          }
          if (code === 'EOF') break;
          throw new CaptureError('-', -1, undefined, `cannot read standard input: ${systemReason(e)}`);
        }
        if (n === 0) break;
        writeSync(fd, buf, 0, n);
      }
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    remove();
    if (e instanceof CaptureError) throw e;
    throw new UsageError(`cannot copy standard input to ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      'convert reads standard input into a temporary file (TMPDIR) first; give the capture as a file instead');
  }
  return { path, remove };
}

const MAX_U64 = (1n << 64n) - 1n;

/**
 * The absolute time of `m` if the output format can hold it: pcapng as
 * written here (ns, no if_tsoffset) and fusedump (unsigned seconds) hold
 * 1970 to year 2554 in ns. Times outside (a signed if_tsoffset, a coarse
 * if_tsresol with huge values) are an input error naming the message.
 */
function writableTime(abs: bigint, to: CaptureFormat, file: string, m: CaptureMessage, space: OffsetSpace): bigint {
  if (abs >= 0n && abs <= MAX_U64) return abs;
  throw new CaptureError(file, m.fileOffset, m.blockNo,
    `message time ${formatAbsoluteNs(abs)} (${abs} ns since 1970) is ${abs < 0n ? 'before 1970' : 'after 2554'}; ${to} as written by convert holds 1970 to 2554 in ns`,
    'the capture\'s timestamps (if_tsoffset, if_tsresol) put it there; fusetrace analyze and dump read it as it is', space);
}

/** Output format from the name, else the other one. */
export function targetFormat(output: string, from: CaptureFormat, to?: CaptureFormat): CaptureFormat {
  if (to) return to;
  const ext = extname(output).toLowerCase();
  if (ext === '.pcapng' || ext === '.pcap' || ext === '.ntar') return 'pcapng';
  if (ext === '.fusedump' || ext === '.dump' || ext === '.fdump') return 'fusedump';
  return from === 'pcapng' ? 'fusedump' : 'pcapng';
}

function splitName(output: string, n: number): string {
  const ext = extname(output);
  return ext ? `${output.slice(0, -ext.length)}.${n}${ext}` : `${output}.${n}`;
}

/**
 * Converts one capture; throws UsageError/CaptureError with a hint when it
 * cannot. Input '-' is standard input, output '-' standard output.
 */
export function convertCapture(o: ConvertOptions): ConvertResult {
  if (o.input === o.output && o.input !== '-') throw new UsageError('convert: input and output are the same file');
  if (o.output === '-' && o.split) throw new UsageError('convert: --split writes one file per connection; it cannot write them to standard output', 'give -o a file name');
  if (o.input !== '-') return convertFile(o, o.input);
  const spool = spoolStdin();
  try {
    return convertFile(o, spool.path);
  } catch (e) {
    // Name standard input as the user did, not the temporary copy.
    if (e instanceof CaptureError && e.file === spool.path) throw new CaptureError('-', e.offset, e.blockNo, e.what, e.hint, e.space);
    throw e;
  } finally {
    spool.remove();
  }
}

/** One pass over the whole input, telling `o.progress` how far it is. */
function readPass(o: ConvertOptions, path: string, sink: CaptureSink, opts: ReadOptions): void {
  const { inputs } = openCaptures([path], sink, opts);
  const progress = o.progress;
  const total = progress ? captureBytes([path]) : 0;
  readMerged(inputs, progress ? () => progress(bytesRead(inputs), total) : undefined);
}

/** Converts `path`, which is `o.input` or its temporary copy. */
function convertFile(o: ConvertOptions, path: string): ConvertResult {
  const { format: from, space } = sniffFormat(path);
  const to = targetFormat(o.output, from, o.to);
  const res: ConvertResult = { from, to, outputs: [], messages: 0, connections: 0, padded: 0, failedAsPlain: 0, guessedDirection: 0, notices: [] };
  const tb = new Timebase();

  if (to === 'fusedump') {
    // First pass: how many connections, whether any message is snapped.
    const conns: ConnectionInfo[] = [];
    let snapped = 0;
    readPass(o, path, { onConnection: (c) => conns.push({ ...c }), onMessage: (m) => { if (m.capLen < m.origLen) snapped++; }, onNotice: () => {} }, { linkType: o.linkType, guessDirection });
    if (conns.length > 1 && !o.split) {
      throw new UsageError(`convert: ${o.input} holds ${conns.length} FUSE connections (${conns.map((c) => c.name).join(', ')}); a fusedump holds one`,
        'add --split to write one fusedump per connection (OUT.0.fusedump, OUT.1.fusedump, ...)');
    }
    if (snapped > 0 && !o.padSnapped) {
      throw new UsageError(`convert: ${snapped} messages of ${o.input} were cut by the snap length; fusedump records whole messages`,
        'record with --snaplen 0 for whole messages, or add --pad-snapped to zero-fill the cut bytes (the data is then wrong, the headers right)');
    }
    for (const c of conns) {
      if (c.hardware !== undefined && (openFlagDialect(c.hardware) !== undefined || !openFlagsKnown(c.hardware))) {
        res.notices.push(`${c.name} was recorded on ${c.hardware}, which numbers open(2) flags otherwise than x86-64; a fusedump cannot say so, ` +
          'and its readers (fusetrace included) will take O_DIRECT, O_DIRECTORY, O_NOFOLLOW and O_LARGEFILE for others: keep the pcapng for analysis');
      }
    }
    const writers = new Map<number, { out: FileOut; w: FusedumpWriter }>();
    const order = conns.map((c) => c.conn).sort((a, b) => a - b);
    try {
      for (const c of order) {
        const path = order.length > 1 ? splitName(o.output, order.indexOf(c)) : o.output;
        const out = new FileOut(path);
        writers.set(c, { out, w: new FusedumpWriter(out.write, { le: conns.find((x) => x.conn === c)?.le ?? true }) });
        res.outputs.push(path);
      }
      // Second pass (connection numbers restart with a new Timebase).
      const conv = new Timebase();
      readPass(o, path, {
        onConnection: () => {},
        onNotice: (n) => res.notices.push(n.message),
        onMessage: (m) => {
          const wr = writers.get(m.conn);
          if (!wr) return;
          let data = m.data.subarray(m.off, m.off + m.capLen);
          if (m.capLen < m.origLen) {
            data = Buffer.concat([data, Buffer.alloc(m.origLen - m.capLen)]);
            res.padded++;
          }
          if (m.failedErrno !== 0) res.failedAsPlain++;
          if (m.dirGuessed) res.guessedDirection++;
          if (m.dir !== 1 && m.dir !== 2) {
            res.notices.push(`message at ${byteAt(m.fileOffset, space)} has no direction; skipped`);
            return;
          }
          wr.w.record({ dir: m.dir, ts: writableTime(conv.absoluteNs(m.t, m.tRest), 'fusedump', o.input, m, space), data: Buffer.from(data) });
          res.messages++;
        },
      }, { timebase: conv, linkType: o.linkType, guessDirection });
    } finally {
      for (const { out } of writers.values()) out.close();
    }
    res.connections = order.length;
    return res;
  }

  // -> pcapng: one interface per connection, in the order they appear.
  const out = new FileOut(o.output);
  res.outputs.push(o.output);
  let w: PcapngWriter | undefined;
  const ifaces = new Map<number, number>();
  try {
    readPass(o, path, {
      onConnection: (c) => {
        w ??= new PcapngWriter(out.write, {
          le: c.le,
          // The recorder's name goes with its messages: what it leaves out and how it stamps (a GlusterFS dump's) is the analysis's to know.
          userappl: c.recorder ?? 'fusetrace convert',
          os: c.os,
          hardware: c.hardware,
          comment: `converted from ${c.format} ${o.input === '-' ? 'standard input' : o.input}${c.recorder ? ` (recorded by ${c.recorder})` : ''}`,
        });
        const name = c.name.startsWith('fuse') ? c.name : `fuse:${c.name}`;
        ifaces.set(c.conn, w.addInterface({ name, description: c.description ?? `converted from ${c.format}`, snapLen: c.snapLen }));
        res.connections++;
      },
      onNotice: (n) => res.notices.push(n.message),
      onMessage: (m) => {
        const iface = ifaces.get(m.conn);
        if (iface === undefined || !w) return;
        if (m.dirGuessed) res.guessedDirection++;
        w.packet({
          iface,
          ts: writableTime(tb.absoluteNs(m.t, m.tRest), 'pcapng', o.input, m, space),
          data: Buffer.from(m.data.subarray(m.off, m.off + m.capLen)),
          origLen: m.origLen,
          dir: m.dir === 1 || m.dir === 2 ? m.dir : 0,
          failedErrno: m.failedErrno !== 0 ? m.failedErrno : undefined,
          pid: m.pid >= 0 ? m.pid : undefined,
          tid: m.tid >= 0 ? m.tid : undefined,
          comment: m.failedErrno === 0 ? m.comment : undefined,
        });
        res.messages++;
      },
      onStats: (s) => {
        const iface = ifaces.get(s.conn);
        if (iface === undefined || !w) return;
        // Statistics times out of the writable range are left out rather than wrapped.
        const a = (t: number | undefined): bigint | undefined => {
          if (t === undefined) return undefined;
          const v = tb.absoluteNs(t);
          return v >= 0n && v <= MAX_U64 ? v : undefined;
        };
        w.stats(iface, { start: a(s.startT), end: a(s.endT), recv: s.ifRecv, drop: s.ifDrop });
      },
    }, { timebase: tb, linkType: o.linkType, guessDirection });
    if (!w) new PcapngWriter(out.write, { userappl: 'fusetrace convert', comment: `converted from ${o.input}: no messages` });
  } finally {
    out.close();
  }
  return res;
}
