/**
 * Streaming converter from stock strace output to FUSE messages, for
 * `fusetrace record --strace` (daemons LD_PRELOAD cannot reach: statically
 * linked, Go, or already running).
 *
 * Expected strace options (see `straceArgs`): `-f` (every line starts with
 * the thread id), `-xx` (strings and fd paths as \xHH), `-yy` (fd paths, and
 * `<char 10:229>` on /dev/fuse fds), `--timestamps=unix,ns`, `-T` (syscall
 * durations, so a read's time is its return), `-e trace=read,readv,write,
 * writev,splice,vmsplice,ioctl`.
 *
 * What becomes a message:
 * - read/readv on a /dev/fuse fd returning N > 0: an inbound message (the
 *   string strace printed, up to `-s` bytes, of N);
 * - write/writev on a /dev/fuse fd: an outbound message of the count asked,
 *   flagged failed with its errno when the call failed;
 * - splice(/dev/fuse -> pipe) = N: an inbound message whose bytes strace does
 *   not show; libfuse then read(2)s the header (or the whole small message)
 *   from that pipe, and those reads fill the message in. A WRITE payload that
 *   goes on from the pipe to the backing file with splice stays invisible:
 *   such messages come out snapped (captured < original length);
 * - vmsplice(pipe) then splice(pipe -> /dev/fuse): an outbound message whose
 *   captured bytes are what vmsplice put in the pipe.
 *
 * Connections: one per /dev/fuse fd number (a daemon that forks keeps its fd
 * numbers); an fd cloned with FUSE_DEV_IOC_CLONE joins its origin when strace
 * shows the origin fd, else the first connection seen.
 */
import { errnoNumber } from '../model/format.js';

/** One message recovered from the trace. */
export interface StraceMessage {
  /** Connection index, from 0 in order of first appearance. */
  conn: number;
  /** 1 inbound (kernel -> daemon), 2 outbound. */
  dir: 1 | 2;
  /** CLOCK_REALTIME ns: a read's return, a write's entry. */
  ts: bigint;
  /** Captured bytes (at most the snap length). */
  data: Buffer;
  /** Whole message length. */
  origLen: number;
  /** Thread id strace printed. */
  tid: number;
  /** errno of a failed outbound write, else 0. */
  failedErrno: number;
}

/** A FUSE connection seen in the trace. */
export interface StraceConnection {
  conn: number;
  /** The fd it was first seen on. */
  fd: number;
}

export interface StraceConverterOptions {
  /** Bytes kept per message; 0 = all strace printed. */
  snaplen?: number;
}

export interface StraceConverterStats {
  lines: number;
  /** Lines that looked like a traced syscall but could not be parsed. */
  unparsed: number;
  /** The first of them (1-based line number in the trace, and its text), to show. */
  firstUnparsed?: { line: number; text: string };
  messages: number;
  /** Messages whose bytes strace never showed (splice with no read of the pipe). */
  invisible: number;
}

/**
 * "N strace lines could not be parsed", naming the first of them (its line
 * number in `source` and its start), or undefined when all were parsed.
 */
export function describeUnparsed(s: StraceConverterStats, source: string): string | undefined {
  const f = s.firstUnparsed;
  if (s.unparsed === 0 || !f) return undefined;
  const shown = f.text.length > 200 ? `${f.text.slice(0, 200)}...` : f.text;
  return `${s.unparsed} strace line${s.unparsed === 1 ? '' : 's'} could not be parsed; ${s.unparsed === 1 ? 'it is' : 'the first is'} line ${f.line} of ${source}: ${JSON.stringify(shown)}`;
}

/** The strace command line the converter expects (before `-p PID` or `-- CMD`). */
export function straceArgs(snaplen: number, outFile: string): string[] {
  // -s bounds what strace copies out of the tracee: the snap length keeps
  // its cost down; 0 (whole messages) needs the largest FUSE message.
  const s = snaplen === 0 ? 2 * 1048576 : snaplen;
  return [
    '-f', '-qq', '-xx', '-yy', '-T', '--timestamps=unix,ns', '-s', String(s),
    '-e', 'trace=read,readv,write,writev,splice,vmsplice,ioctl', '-e', 'signal=none',
    '-o', outFile,
  ];
}

interface Fd {
  num: number;
  fuse: boolean;
  /** pipe inode when the fd is a pipe. */
  pipe: number | undefined;
}

interface PendingIn {
  conn: number;
  ts: bigint;
  tid: number;
  origLen: number;
  chunks: Buffer[];
  got: number;
}

interface Unfinished {
  text: string;
  entryTs: bigint;
}

/** Parses "1795562831.199655032" (any number of fraction digits) into ns. */
export function parseTimestamp(s: string): bigint {
  const dot = s.indexOf('.');
  if (dot < 0) return BigInt(s) * 1_000_000_000n;
  const frac = (s.slice(dot + 1) + '000000000').slice(0, 9);
  return BigInt(s.slice(0, dot)) * 1_000_000_000n + BigInt(frac);
}

/** Decodes a strace -xx string body ("\x68\x00...") into bytes. */
export function decodeHexString(body: string): Buffer {
  if (/^(?:\\x[0-9a-fA-F]{2})*$/.test(body)) return Buffer.from(body.replace(/\\x/g, ''), 'hex');
  // Not -xx (plain strace): decode C escapes one by one.
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out.push(...Buffer.from(c, 'latin1'));
      continue;
    }
    const n = body[++i];
    if (n === 'x') {
      out.push(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (n !== undefined && /[0-7]/.test(n)) {
      let j = i;
      while (j < i + 3 && j < body.length && /[0-7]/.test(body[j]!)) j++;
      out.push(parseInt(body.slice(i, j), 8));
      i = j - 1;
    } else {
      const map: Record<string, number> = { n: 10, t: 9, r: 13, v: 11, f: 12, '"': 34, '\\': 92 };
      out.push(map[n ?? ''] ?? 0);
    }
  }
  return Buffer.from(out);
}

/** Reads an fd token at the start of s: `4`, `4</dev/fuse>`, `4<\x2f..<char 10:229>>`. Returns it and the rest. */
export function parseFdToken(s: string): { fd: Fd; rest: string } | undefined {
  const m = /^(\d+)/.exec(s);
  if (!m) return undefined;
  let i = m[1]!.length;
  let path = '';
  if (s[i] === '<') {
    let depth = 0;
    const start = i;
    for (; i < s.length; i++) {
      if (s[i] === '<') depth++;
      else if (s[i] === '>') {
        depth--;
        if (depth === 0) {
          i++;
          break;
        }
      }
    }
    path = s.slice(start + 1, i - 1);
  }
  const charDev = /<char (\d+):(\d+)>$/.exec(path);
  const name = decodeHexString(charDev ? path.slice(0, charDev.index) : path).toString('latin1');
  const fuse = charDev ? charDev[1] === '10' && charDev[2] === '229' : name === '/dev/fuse';
  const pm = /^pipe:\[(\d+)\]$/.exec(name);
  return { fd: { num: Number(m[1]), fuse, pipe: pm ? Number(pm[1]) : undefined }, rest: s.slice(i) };
}

/** The strings of an iovec array `[{iov_base="..", iov_len=N}, ...]`, concatenated. */
function iovData(s: string): { data: Buffer; cut: boolean } {
  const parts: Buffer[] = [];
  let cut = false;
  const re = /iov_base="((?:[^"\\]|\\.)*)"(\.\.\.)?/g;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    parts.push(decodeHexString(m[1]!));
    if (m[2]) cut = true;
  }
  return { data: Buffer.concat(parts), cut };
}

/** Sum of iov_len of an iovec array. */
function iovLen(s: string): number {
  let n = 0;
  const re = /iov_len=(\d+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) n += Number(m[1]);
  return n;
}

interface Ret {
  value: number;
  errno: number;
}

function parseRet(s: string): Ret | undefined {
  const m = /^(-?\d+|\?)(?: ([A-Z0-9_]+))?/.exec(s.trim());
  if (!m) return undefined;
  if (m[1] === '?') return { value: -1, errno: m[2] ? errnoNumber(m[2]) ?? -1 : -1 };
  const v = Number(m[1]);
  return { value: v, errno: v < 0 && m[2] ? errnoNumber(m[2]) ?? -1 : 0 };
}

/**
 * Line-by-line converter. Feed lines with `push`, call `end` at the end;
 * messages come out through the callback in an order where each request
 * precedes its reply.
 */
export class StraceConverter {
  readonly stats: StraceConverterStats = { lines: 0, unparsed: 0, messages: 0, invisible: 0 };
  private readonly snaplen: number;
  private readonly unfinished = new Map<number, Unfinished>();
  private readonly connByFd = new Map<number, number>();
  private nextConn = 0;
  /** Inbound requests spliced into a pipe, by pipe inode. */
  private readonly pendingIn = new Map<number, PendingIn>();
  /** Bytes vmspliced into a pipe for an outbound message, by pipe inode. */
  private readonly pendingOut = new Map<number, Buffer[]>();

  constructor(
    private readonly onMessage: (m: StraceMessage) => void,
    private readonly onConnection: (c: StraceConnection) => void = () => {},
    opts: StraceConverterOptions = {},
  ) {
    this.snaplen = opts.snaplen ?? 0;
  }

  /** Feeds one line of strace output (without the newline). */
  push(line: string): void {
    this.stats.lines++;
    const m = /^(?:\[pid\s+)?(\d+)\]?\s+(\d+(?:\.\d+)?)\s+(.*)$/.exec(line);
    if (!m) return;
    const tid = Number(m[1]);
    const ts = parseTimestamp(m[2]!);
    let text = m[3]!;
    let entryTs = ts;
    const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(text);
    if (resumed) {
      const u = this.unfinished.get(tid);
      if (!u) return; // trace started mid-call (attach): the entry is lost
      this.unfinished.delete(tid);
      text = u.text + resumed[2]!;
      entryTs = u.entryTs;
    } else if (text.endsWith('<unfinished ...>')) {
      this.unfinished.set(tid, { text: text.slice(0, -'<unfinished ...>'.length).replace(/ $/, ''), entryTs: ts });
      // A write's time is its entry: mark an outbound call now? No: its
      // success is only known at the end; the entry time is kept above.
      return;
    }
    // Split "name(args) = ret <dur>".
    const call = /^(\w+)\((.*)\) += (.*?)(?: <(\d+\.\d+)>)?$/.exec(text);
    if (!call) {
      if (/^\w+\(/.test(text)) this.unparsed(line);
      return;
    }
    const name = call[1]!;
    const args = call[2]!;
    const ret = parseRet(call[3]!);
    if (!ret) {
      this.unparsed(line);
      return;
    }
    // Exit time: the resumed line's time, or entry + duration.
    let exitTs = resumed ? ts : entryTs;
    if (!resumed && call[4]) exitTs = entryTs + parseTimestamp(call[4]);
    this.syscall(name, args, ret, tid, entryTs, exitTs);
  }

  private unparsed(line: string): void {
    this.stats.unparsed++;
    this.stats.firstUnparsed ??= { line: this.stats.lines, text: line };
  }

  /** End of the trace: emits what is still pending. */
  end(): void {
    for (const ino of [...this.pendingIn.keys()]) this.flushIn(ino);
  }

  private conn(fd: number): number {
    let c = this.connByFd.get(fd);
    if (c === undefined) {
      c = this.nextConn++;
      this.connByFd.set(fd, c);
      this.onConnection({ conn: c, fd });
    }
    return c;
  }

  private emit(m: Omit<StraceMessage, 'data'> & { data: Buffer }): void {
    let data = m.data;
    if (data.length > m.origLen) data = data.subarray(0, m.origLen);
    if (this.snaplen && data.length > this.snaplen) data = data.subarray(0, this.snaplen);
    this.stats.messages++;
    this.onMessage({ ...m, data });
  }

  private flushIn(ino: number): void {
    const p = this.pendingIn.get(ino);
    if (!p) return;
    this.pendingIn.delete(ino);
    if (p.got === 0) this.stats.invisible++;
    this.emit({ conn: p.conn, dir: 1, ts: p.ts, data: Buffer.concat(p.chunks), origLen: p.origLen, tid: p.tid, failedErrno: 0 });
  }

  /** Before an outbound message of thread tid (or answering `unique`): its request first. */
  private flushBefore(tid: number, unique: bigint | undefined): void {
    for (const [ino, p] of this.pendingIn) {
      if (p.tid === tid) this.flushIn(ino);
      else if (unique !== undefined && p.got >= 16) {
        const head = Buffer.concat(p.chunks);
        if (head.readBigUInt64LE(8) === unique) this.flushIn(ino);
      }
    }
  }

  private syscall(name: string, args: string, ret: Ret, tid: number, entryTs: bigint, exitTs: bigint): void {
    switch (name) {
      case 'read':
      case 'readv': {
        const t = parseFdToken(args);
        if (!t || ret.value <= 0) return;
        const data = name === 'read' ? this.stringArg(t.rest) : iovData(t.rest).data;
        if (t.fd.fuse) {
          this.flushBefore(tid, undefined);
          this.emit({ conn: this.conn(t.fd.num), dir: 1, ts: exitTs, data, origLen: ret.value, tid, failedErrno: 0 });
        } else if (t.fd.pipe !== undefined) {
          const p = this.pendingIn.get(t.fd.pipe);
          if (!p) return;
          const take = data.subarray(0, Math.max(0, p.origLen - p.got));
          p.chunks.push(take);
          p.got += take.length;
          if (p.got >= p.origLen) this.flushIn(t.fd.pipe);
        }
        return;
      }
      case 'write':
      case 'writev': {
        const t = parseFdToken(args);
        if (!t || !t.fd.fuse) return;
        let data: Buffer;
        let len: number;
        if (name === 'write') {
          data = this.stringArg(t.rest);
          const lm = /, (\d+)$/.exec(t.rest);
          len = lm ? Number(lm[1]) : data.length;
        } else {
          data = iovData(t.rest).data;
          len = iovLen(t.rest);
        }
        this.flushBefore(tid, data.length >= 16 ? data.readBigUInt64LE(8) : undefined);
        this.emit({ conn: this.conn(t.fd.num), dir: 2, ts: entryTs, data, origLen: len, tid, failedErrno: ret.value < 0 ? ret.errno : 0 });
        return;
      }
      case 'splice': {
        const a = parseFdToken(args);
        if (!a) return;
        const r1 = /^, (NULL|\[\d+\]), /.exec(a.rest);
        if (!r1) return;
        const b = parseFdToken(a.rest.slice(r1[0].length));
        if (!b) return;
        const lm = /^, (NULL|\[\d+\]), (\d+), /.exec(b.rest);
        const len = lm ? Number(lm[2]) : 0;
        if (a.fd.fuse && b.fd.pipe !== undefined) {
          if (ret.value <= 0) return;
          this.flushIn(b.fd.pipe);
          this.flushBefore(tid, undefined);
          this.pendingIn.set(b.fd.pipe, { conn: this.conn(a.fd.num), ts: exitTs, tid, origLen: ret.value, chunks: [], got: 0 });
        } else if (b.fd.fuse && a.fd.pipe !== undefined) {
          const chunks = this.pendingOut.get(a.fd.pipe) ?? [];
          this.pendingOut.delete(a.fd.pipe);
          const data = Buffer.concat(chunks);
          if (data.length === 0) this.stats.invisible++;
          this.flushBefore(tid, data.length >= 16 ? data.readBigUInt64LE(8) : undefined);
          this.emit({ conn: this.conn(b.fd.num), dir: 2, ts: entryTs, data, origLen: len, tid, failedErrno: ret.value < 0 ? ret.errno : 0 });
        } else if (a.fd.pipe !== undefined && this.pendingIn.has(a.fd.pipe)) {
          // The rest of a request (WRITE payload) leaves the pipe unseen.
          this.flushIn(a.fd.pipe);
        }
        return;
      }
      case 'vmsplice': {
        const t = parseFdToken(args);
        if (!t || t.fd.pipe === undefined || ret.value <= 0) return;
        const d = iovData(t.rest).data.subarray(0, ret.value);
        const list = this.pendingOut.get(t.fd.pipe) ?? [];
        list.push(d);
        this.pendingOut.set(t.fd.pipe, list);
        return;
      }
      case 'ioctl': {
        const t = parseFdToken(args);
        if (!t || !t.fd.fuse || ret.value !== 0) return;
        // FUSE_DEV_IOC_CLONE = _IOR(229, 0, uint32_t) = 0x8004e500.
        if (!/FUSE_DEV_IOC_CLONE|0x8004e500|_IOC\(_IOC_READ, 0xe5, 0(?:x0)?, 0x4\)/.test(t.rest)) return;
        const om = /\[(\d+)\]\s*$/.exec(t.rest);
        const origin = om ? this.connByFd.get(Number(om[1])) : undefined;
        const first = this.connByFd.size > 0 ? Math.min(...this.connByFd.values()) : undefined;
        const c = origin ?? first;
        if (c !== undefined) this.connByFd.set(t.fd.num, c);
        return;
      }
    }
  }

  /** The first string argument after the fd: `, "\x..."..., N`. */
  private stringArg(rest: string): Buffer {
    const m = /^, "((?:[^"\\]|\\.)*)"/.exec(rest);
    return m ? decodeHexString(m[1]!) : Buffer.alloc(0);
  }
}
