/**
 * `fusetrace record --strace`: records with the stock strace tool (hex dumps
 * of the reads and writes on /dev/fuse fds), converted on the fly into
 * pcapng by `StraceConverter`. For daemons LD_PRELOAD cannot reach
 * (statically linked, Go) and to attach to a running daemon (`--pid`).
 *
 * strace stops the daemon at every traced syscall (ptrace), so this is far
 * slower than the capture library; see docs/recording.md for measurements.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants as fsConstants, createReadStream, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { machine, tmpdir, type as osType, release } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { UsageError } from '../capture/errors.js';
import { toolVersion } from '../model/format.js';
import { PcapngWriter } from '../capture/pcapng-writer.js';
import { checkCommand, DEFAULT_SNAPLEN, describeEnd, prepareOutput, recordExitCode, reportCapture, waitChild } from './record.js';
import { describeUnparsed, StraceConverter, straceArgs } from './strace-convert.js';

export interface StraceRecordOptions {
  out: string;
  snaplen?: number;
  label?: string;
  /** Start this command under strace ... */
  command: string[];
  /** ... or attach to this process (and its threads and future children). */
  pid?: number;
  quiet?: boolean;
}

/** shb_userappl: "fusetrace-record <version>", as the library writes, marked as strace mode. */
const RECORDER = `fusetrace-record ${toolVersion()} (strace)`;

/** Thread id -> process id, from /proc while the daemon runs. */
function tgidOf(tid: number, cache: Map<number, number>): number {
  let p = cache.get(tid);
  if (p !== undefined) return p;
  try {
    const m = /^Tgid:\s+(\d+)/m.exec(readFileSync(`/proc/${tid}/status`, 'utf8'));
    p = m ? Number(m[1]) : tid;
  } catch {
    p = tid;
  }
  cache.set(tid, p);
  return p;
}

/** Name of a process (for the interface label when no mount point is known). */
function commOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Children of a process, from /proc (to send them our signals). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Runs strace on a command or a pid and writes pcapng as the trace flows. */
export async function recordWithStrace(opts: StraceRecordOptions): Promise<number> {
  const probe = spawnSync('strace', ['-V'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    process.stderr.write('fusetrace: error: strace is not installed\n  hint: Debian: apt-get install strace\n');
    return 2;
  }
  if (opts.pid === undefined && opts.command.length === 0) throw new UsageError('record --strace: give --pid PID or a command after --');
  if (opts.pid === undefined) checkCommand(opts.command[0]!);
  const out = resolve(opts.out);
  prepareOutput(out);
  const snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
  // strace writes its trace into a FIFO we read: unlike an inherited pipe fd,
  // the daemon does not get a copy of it.
  const dir = mkdtempSync(join(tmpdir(), 'fusetrace-strace-'));
  const fifo = join(dir, 'trace');
  const mk = spawnSync('mkfifo', [fifo]);
  if (mk.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    process.stderr.write('fusetrace: error: mkfifo failed\n');
    return 2;
  }
  const fd = openSync(out, 'w');
  const label = opts.label ?? (opts.pid !== undefined ? commOf(opts.pid) : opts.command[0]?.split('/').pop());
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = (): void => {
    if (pendingBytes === 0) return;
    writeSync(fd, Buffer.concat(pending));
    pending = [];
    pendingBytes = 0;
  };
  const w = new PcapngWriter((b) => {
    pending.push(b);
    pendingBytes += b.length;
    if (pendingBytes >= 1 << 20) flush();
  }, {
    userappl: RECORDER,
    os: `${osType()} ${release()}`,
    hardware: kernelMachine(),
    comment: opts.pid !== undefined ? `strace attached to pid ${opts.pid}` : `strace -- ${opts.command.join(' ')}`,
  });
  const tgids = new Map<number, number>();
  const ifaces = new Map<number, number>();
  const stats = new Map<number, { start: bigint; end: bigint; recv: number }>();
  const conv = new StraceConverter((m) => {
    const st = stats.get(m.conn);
    if (st) {
      st.recv++;
      if (m.ts > st.end) st.end = m.ts;
    } else stats.set(m.conn, { start: m.ts, end: m.ts, recv: 1 });
    w.packet({ iface: ifaces.get(m.conn)!, ts: m.ts, data: m.data, origLen: m.origLen, dir: m.dir, failedErrno: m.failedErrno || undefined, pid: tgidOf(m.tid, tgids), tid: m.tid });
  }, (c) => {
    ifaces.set(c.conn, w.addInterface({
      name: `fuse:${label ?? 'strace'}`,
      description: `daemon=${label ?? '?'} fd=${c.fd} snaplen=${snaplen} recorder=strace`,
      snapLen: snaplen,
    }));
  }, { snaplen });

  const args = [...straceArgs(snaplen, fifo), ...(opts.pid !== undefined ? ['-p', String(opts.pid)] : ['--', ...opts.command])];
  if (!opts.quiet) process.stderr.write(`fusetrace: recording with strace into ${out} (snaplen ${snaplen === 0 ? 'unlimited' : snaplen})${opts.pid !== undefined ? '; Ctrl-C to stop' : ''}\n`);
  const child = spawn('strace', args, { stdio: 'inherit' });
  const lines = createInterface({ input: createReadStream(fifo), crlfDelay: Infinity });
  const done = (async () => {
    for await (const line of lines) conv.push(line);
  })();
  // Signals: attached (--pid): strace detaches on SIGINT/SIGTERM. Started
  // command: the daemon (strace's child) gets the signal, as without strace.
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((sig) => {
    const h = (): void => {
      if (child.exitCode !== null || child.pid === undefined) return;
      const kids = opts.pid === undefined ? childrenOf(child.pid) : [];
      if (kids.length === 0) child.kill(sig);
      for (const k of kids) {
        try {
          process.kill(k, sig);
        } catch {
          // gone already
        }
      }
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  const code = await waitChild(child);
  for (const [sig, h] of handlers) process.off(sig, h);
  // strace exited; the FIFO reaches EOF once its last writer is gone. If
  // strace never opened it (it failed early), opening it ourselves unblocks us.
  try {
    const unblock = openSync(fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
    closeSync(unblock);
  } catch {
    // nothing
  }
  await done;
  conv.end();
  // One ISB per interface, as the library writes at exit. strace exits as
  // its tracee did (128 + the signal that killed it).
  const endNs = BigInt(Date.now()) * 1_000_000n;
  const why = opts.pid !== undefined && code === 130 ? 'strace was stopped (SIGINT); the daemon runs on' : describeEnd(code);
  for (const [conn, iface] of ifaces) {
    const st = stats.get(conn);
    w.stats(iface, { start: st?.start ?? endNs, end: endNs, recv: st?.recv ?? 0, drop: 0, comment: `capture ended: ${why}` });
  }
  flush();
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
  const unparsed = describeUnparsed(conv.stats, 'the trace');
  if (unparsed) process.stderr.write(`fusetrace: warning: ${unparsed}\n`);
  if (conv.stats.invisible > 0) process.stderr.write(`fusetrace: note: ${conv.stats.invisible} spliced messages had no visible bytes (kept with their lengths only)\n`);
  if (conv.stats.messages === 0) {
    rmSync(out, { force: true });
  }
  const outcome = await reportCapture(out, opts.quiet, 0, true);
  return recordExitCode(opts.pid !== undefined && code === 130 ? 0 : code, outcome);
}

/** The kernel's machine (shb_hardware), as the recorders take it (host-machine.h): it numbers the open(2) flags in the capture. */
function kernelMachine(): string {
  try {
    const arch = readFileSync('/proc/sys/kernel/arch', 'utf8').trim();
    if (arch !== '') return arch;
  } catch {
    // Older kernels have no kernel.arch: uname's machine.
  }
  return machine();
}
