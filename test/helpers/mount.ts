/**
 * Shared helpers for tests that mount real FUSE file systems: the scenario
 * daemon (test/daemon/scenariofs.c -> build/scenariofs), libfuse's
 * passthrough_ll, or any foreground daemon, optionally under the recorder;
 * waiting for the mount; running workloads in child processes; unmounting
 * and killing only what was started; temp dirs. Also a small independent
 * pcapng reader and request/reply pairing, so integration tests can check a
 * recorded capture without trusting the decoder they are meant to check.
 *
 * Usage:
 * ```ts
 * const reason = await mountSkipReason({ recorder: true });
 * if (reason) return t.skip(reason);
 * const dir = makeTempDir('par');
 * const m = await mountScenariofs({ backing: dir.sub('back'), mountpoint: dir.sub('mnt'),
 *   directIo: true, record: { out: dir.sub('cap.pcapng') } });
 * try { await runNode(`...`, [m.mountpoint]); } finally { await m.unmount(); dir.remove(); }
 * const ex = pairExchanges(readPcapng(dir.sub('cap.pcapng')));
 * ```
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withMachineLock } from './machine-lock.js';

/** Repository root (works from test/helpers and from dist/test/helpers). */
export const repoRoot: string = (() => {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'scripts', 'build-native.mjs'))) return d;
    d = dirname(d);
  }
  throw new Error('test/helpers/mount: cannot find the repository root');
})();

export const scenariofsPath = join(repoRoot, 'build', 'scenariofs');
export const recorderLibPath = join(repoRoot, 'build', 'libftrec.so');
export const fusetraceBin = join(repoRoot, 'bin', 'fusetrace');
const passthroughLlSource = '/usr/share/doc/libfuse3-dev/examples/passthrough_ll.c';

/* ------------------------------------------------------------------ */
/* Preconditions                                                       */
/* ------------------------------------------------------------------ */

/** True when `cmd` is found on PATH. */
export function haveCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Why a real-mount test cannot run here, or undefined when it can. Checks
 * Linux, root, /dev/fuse, the scenario daemon (and a compiler hint), and with
 * `recorder` the capture library and the built CLI.
 */
export function fuseSkipReason(need: { recorder?: boolean; commands?: string[] } = {}): string | undefined {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'needs root to mount FUSE file systems';
  try {
    accessSync('/dev/fuse', constants.R_OK | constants.W_OK);
  } catch {
    return '/dev/fuse is missing or not accessible';
  }
  if (!existsSync(scenariofsPath)) {
    return haveCommand(process.env.CC ?? 'cc')
      ? `${scenariofsPath} is not built (run npm run build)`
      : 'no C compiler: build/scenariofs cannot be built (apt-get install gcc)';
  }
  if (need.recorder) {
    if (!existsSync(recorderLibPath)) return `the recorder library ${recorderLibPath} is not built (run npm run build)`;
  }
  for (const c of need.commands ?? []) if (!haveCommand(c)) return `${c} is not installed`;
  return undefined;
}

let mountProbe: Promise<string | undefined> | undefined;

/**
 * `fuseSkipReason`, then (once per process) a real probe: mount and unmount
 * build/scenariofs on a temp dir. Being root is not enough in a container
 * without CAP_SYS_ADMIN; this turns that into a skip with the daemon's error.
 */
export async function mountSkipReason(need: { recorder?: boolean; commands?: string[] } = {}): Promise<string | undefined> {
  const r = fuseSkipReason(need);
  if (r) return r;
  mountProbe ??= (async () => {
    const dir = makeTempDir('probe');
    try {
      const m = await mountScenariofs({ backing: dir.sub('back'), mountpoint: dir.sub('mnt'), name: 'probe' }, 5000);
      await m.unmount();
      return undefined;
    } catch (e) {
      return `cannot mount FUSE here: ${String((e as Error).message).split('\n').slice(0, 2).join(' ').trim()}`;
    } finally {
      dir.remove();
    }
  })();
  return mountProbe;
}

/* ------------------------------------------------------------------ */
/* Temp dirs                                                           */
/* ------------------------------------------------------------------ */

export interface TempDir {
  path: string;
  /** path/name, created as a directory unless it has an extension-like dot name ending in a file suffix. */
  sub(name: string, opts?: { dir?: boolean }): string;
  remove(): void;
}

/** A fresh directory under the OS temp dir; `sub` makes sub-directories. */
export function makeTempDir(prefix: string): TempDir {
  const path = mkdtempSync(join(tmpdir(), `fusetrace-${prefix}-`));
  const dir: TempDir = {
    path,
    sub(name: string, opts?: { dir?: boolean }): string {
      const p = join(path, name);
      const isDir = opts?.dir ?? !/\.[a-z0-9]+$/i.test(name);
      if (isDir) mkdirSync(p, { recursive: true });
      return p;
    },
    remove(): void {
      // Never remove through a live mount.
      if (listMounts().some((m) => m === path || m.startsWith(path + '/'))) return;
      rmSync(path, { recursive: true, force: true });
      leftDirs.delete(dir);
    },
  };
  if (!exitHooked) process.once('exit', removeLeftDirs);
  exitHooked = true;
  leftDirs.add(dir);
  return dir;
}

/**
 * Temp dirs not removed yet: a test that fails an assertion before its
 * `remove()` would leave its dir (captures, daemon sources) behind; the
 * test file's process removes what is left as it exits.
 */
const leftDirs = new Set<TempDir>();
let exitHooked = false;
function removeLeftDirs(): void {
  for (const d of [...leftDirs]) {
    try {
      d.remove();
    } catch {
      // A dir under a mount whose daemon died (ENOTCONN) stays: nothing more to do at exit.
    }
  }
}

/* ------------------------------------------------------------------ */
/* Mounting                                                            */
/* ------------------------------------------------------------------ */

/** Mount points currently listed in /proc/mounts (octal escapes decoded). */
export function listMounts(): string[] {
  let text = '';
  try {
    text = readFileSync('/proc/mounts', 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => (l.split(' ')[1] ?? '').replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))));
}

export function isMounted(mountpoint: string): boolean {
  return listMounts().includes(resolve(mountpoint));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Options of `fusetrace record` for a mount started under it. */
export interface RecordOptions {
  /** Capture file to write. */
  out: string;
  /** --snaplen; the recorder's default when absent. */
  snaplen?: number;
  /** --label. */
  label?: string;
  /**
   * 'cli' runs `fusetrace record -- CMD`; 'preload' sets LD_PRELOAD=build/libftrec.so
   * and FUSETRACE_* itself. Default: 'cli' when the built CLI has `record`, else 'preload'.
   */
  via?: 'cli' | 'preload';
}

const cliCommands = new Map<string, boolean>();

/** True when the built CLI lists `name` among its commands in `fusetrace --help`. */
export function cliHasCommand(name: string): boolean {
  let has = cliCommands.get(name);
  if (has === undefined) {
    const r = spawnSync(process.execPath, [fusetraceBin, '--help'], { encoding: 'utf8', timeout: 30000 });
    has = r.status === 0 && new RegExp(`^\\s+${name}\\b`, 'm').test(r.stdout);
    cliCommands.set(name, has);
  }
  return has;
}

/** Options of build/scenariofs (see the head of test/daemon/scenariofs.c). */
export interface ScenariofsOptions {
  backing: string;
  mountpoint: string;
  threads?: number;
  directIo?: boolean;
  parallelDirectWrites?: boolean;
  attrTimeout?: number;
  entryTimeout?: number;
  writeDelayMs?: number;
  /** Hold WRITE replies until this many WRITEs are in flight (or writeDelayMs passes). */
  writeBarrier?: number;
  /** Hold the first GETATTR of a regular file (attributes taken at once) until another GETATTR is answered, then 200 ms; MARKER is created when it is held. */
  holdGetattr?: string;
  writeback?: boolean;
  asyncDio?: boolean;
  /** Take FUSE_SECURITY_CTX at INIT (the kernel then sends security-context extensions). */
  securityCtx?: boolean;
  maxWrite?: number;
  minor?: number;
  name?: string;
  record?: RecordOptions;
}

/** A live mount started by a test. */
export interface Mount {
  mountpoint: string;
  /** The process started: the recorder when recording, else the daemon. */
  child: ChildProcess;
  /** Everything the daemon (and recorder) printed on stderr so far. */
  stderr(): string;
  /**
   * Unmounts, waits for the process started to exit (the recorder then has
   * written its capture) and returns its exit code; kills it (SIGTERM, then
   * SIGKILL) only if it does not exit by itself. Safe to call twice.
   */
  unmount(): Promise<number | null>;
}

/** The command line of build/scenariofs for `o`. */
export function scenariofsArgs(o: ScenariofsOptions): string[] {
  const a = ['--backing', o.backing, '--mountpoint', o.mountpoint];
  if (o.threads !== undefined) a.push('--threads', String(o.threads));
  if (o.directIo) a.push('--direct-io');
  if (o.parallelDirectWrites) a.push('--parallel-direct-writes');
  if (o.attrTimeout !== undefined) a.push('--attr-timeout', String(o.attrTimeout));
  if (o.entryTimeout !== undefined) a.push('--entry-timeout', String(o.entryTimeout));
  if (o.writeDelayMs !== undefined) a.push('--write-delay-ms', String(o.writeDelayMs));
  if (o.writeBarrier !== undefined) a.push('--write-barrier', String(o.writeBarrier));
  if (o.holdGetattr !== undefined) a.push('--hold-getattr', o.holdGetattr);
  if (o.writeback) a.push('--writeback');
  if (o.asyncDio) a.push('--async-dio');
  if (o.securityCtx) a.push('--security-ctx');
  if (o.maxWrite !== undefined) a.push('--max-write', String(o.maxWrite));
  if (o.minor !== undefined) a.push('--minor', String(o.minor));
  if (o.name !== undefined) a.push('--name', o.name);
  return a;
}

/** Mounts build/scenariofs (under the recorder when `record` is set). */
export function mountScenariofs(o: ScenariofsOptions, timeoutMs?: number): Promise<Mount> {
  mkdirSync(o.backing, { recursive: true });
  return mountCommand([scenariofsPath, ...scenariofsArgs(o)], o.mountpoint, o.record, timeoutMs);
}

/**
 * Starts a FUSE daemon that stays in the foreground and mounts `mountpoint`
 * (optionally under `fusetrace record`), and waits until the mount answers.
 */
export async function mountCommand(cmd: string[], mountpoint: string, record?: RecordOptions, timeoutMs = 15000): Promise<Mount> {
  mkdirSync(mountpoint, { recursive: true });
  const mnt = resolve(mountpoint);
  let argv = cmd;
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (record && (record.via ?? (cliHasCommand('record') ? 'cli' : 'preload')) === 'cli') {
    const r = [fusetraceBin, 'record', '-o', record.out];
    if (record.snaplen !== undefined) r.push('--snaplen', String(record.snaplen));
    if (record.label !== undefined) r.push('--label', record.label);
    argv = [process.execPath, ...r, '--', ...cmd];
  } else if (record) {
    env.LD_PRELOAD = recorderLibPath;
    env.FUSETRACE_OUT = record.out;
    if (record.snaplen !== undefined) env.FUSETRACE_SNAPLEN = String(record.snaplen);
    if (record.label !== undefined) env.FUSETRACE_LABEL = record.label;
  }
  const [file, ...args] = argv as [string, ...string[]];
  const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  let err = '';
  child.stderr?.on('data', (b: Buffer) => {
    err += b.toString();
  });
  let exited = false;
  let exitCode: number | null = null;
  const exitP = new Promise<number | null>((res) => {
    child.on('exit', (code, sig) => {
      exited = true;
      exitCode = code ?? (sig ? 128 : null);
      res(exitCode);
    });
    child.on('error', (e) => {
      err += String(e);
      exited = true;
      res(null);
    });
  });

  let done = false;
  const unmount = async (): Promise<number | null> => {
    if (done) return exitP;
    done = true;
    for (let i = 0; i < 50 && isMounted(mnt); i++) {
      if (spawnSync('umount', [mnt], { stdio: 'ignore' }).status === 0) break;
      await sleep(100);
    }
    if (isMounted(mnt)) spawnSync('umount', ['-l', mnt], { stdio: 'ignore' });
    const timer = setTimeout(() => {
      if (!exited && child.pid) child.kill('SIGTERM');
    }, 10000);
    const timer2 = setTimeout(() => {
      if (!exited && child.pid) child.kill('SIGKILL');
    }, 20000);
    const code = await exitP;
    clearTimeout(timer);
    clearTimeout(timer2);
    return code;
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) {
      await unmount();
      throw new Error(`${argv.join(' ')} exited (code ${String(exitCode)}) before mounting ${mnt}:\n${err}`);
    }
    if (isMounted(mnt) && (await statAnswers(mnt))) break;
    if (Date.now() > deadline) {
      await unmount();
      throw new Error(`${mnt} was not mounted within ${timeoutMs} ms:\n${err}`);
    }
    await sleep(50);
  }
  return { mountpoint: mnt, child, stderr: () => err, unmount };
}

/** stat(2) the mount root in a child process, so a dead daemon cannot hang the test process. */
async function statAnswers(mnt: string): Promise<boolean> {
  const r = await run('stat', [mnt], { timeoutMs: 5000 });
  return r.code === 0;
}

/** The libfuse passthrough_ll example built into build/, or undefined with a reason. */
export function buildPassthroughLl(): { path?: string; reason?: string } {
  const out = join(repoRoot, 'build', 'passthrough_ll');
  if (existsSync(out) && (!existsSync(passthroughLlSource) || statSync(out).mtimeMs >= statSync(passthroughLlSource).mtimeMs)) {
    return { path: out };
  }
  if (!existsSync(passthroughLlSource)) return { reason: `${passthroughLlSource} is missing (apt-get install libfuse3-dev)` };
  const pc = spawnSync('pkg-config', ['fuse3', '--cflags', '--libs'], { encoding: 'utf8' });
  if (pc.status !== 0) return { reason: 'pkg-config fuse3 failed (apt-get install pkg-config libfuse3-dev)' };
  mkdirSync(dirname(out), { recursive: true });
  const cc = process.env.CC ?? 'cc';
  // Built aside and renamed into place: a test file running meanwhile never runs half a binary.
  const tmp = `${out}.${process.pid}`;
  const r = spawnSync(cc, ['-O2', '-Wall', '-o', tmp, passthroughLlSource, ...pc.stdout.trim().split(/\s+/)], {
    encoding: 'utf8',
    cwd: dirname(passthroughLlSource),
  });
  if (r.status !== 0) {
    rmSync(tmp, { force: true });
    return { reason: `building passthrough_ll failed: ${r.stderr || String(r.error)}` };
  }
  renameSync(tmp, out);
  return { path: out };
}

/* ------------------------------------------------------------------ */
/* Workloads                                                           */
/* ------------------------------------------------------------------ */

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (killed after timeoutMs) and collects its output. */
export function run(cmd: string, args: string[], opts: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((res) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd, env: opts.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60000);
    child.on('error', (e) => {
      clearTimeout(timer);
      res({ code: null, stdout, stderr: stderr + String(e) });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr });
    });
  });
}

/** Runs `code` as an ES module in a fresh node process with `args` in process.argv.slice(2); throws on failure. */
export async function runNode(code: string, args: string[] = [], timeoutMs = 60000): Promise<string> {
  // With -e, argv[1] is the first argument: put a name there so argv.slice(2) are the args.
  const r = await run(process.execPath, ['--input-type=module', '-e', code, '--', 'workload', ...args], { timeoutMs });
  if (r.code !== 0) throw new Error(`workload failed (exit ${String(r.code)}): ${r.stderr}`);
  return r.stdout;
}

/**
 * Starts `n` node processes that each pwrite `size` bytes at `offsets[i]` to
 * `file` (opened O_RDWR, plus O_DIRECT when `direct`), and waits for all.
 * On a FOPEN_DIRECT_IO file each pwrite of at most max_write bytes becomes
 * exactly one FUSE WRITE.
 */
export async function concurrentPwrites(file: string, offsets: number[], size: number, direct = false): Promise<void> {
  const code = `
    import { openSync, writeSync, closeSync, constants } from 'node:fs';
    const [file, off, size, direct] = process.argv.slice(2);
    const fd = openSync(file, constants.O_RDWR | (direct === '1' ? constants.O_DIRECT : 0));
    const buf = Buffer.alloc(Number(size), 0x5a);
    const n = writeSync(fd, buf, 0, buf.length, Number(off));
    if (n !== buf.length) { console.error('short write', n); process.exit(1); }
    closeSync(fd);`;
  await Promise.all(offsets.map((o) => runNode(code, [file, String(o), String(size), direct ? '1' : '0'])));
}

/* ------------------------------------------------------------------ */
/* Reading a capture back (independent of src/)                         */
/* ------------------------------------------------------------------ */

/** One FUSE message from a pcapng capture. */
export interface RawMessage {
  /** Interface id (connection) inside its section. */
  iface: number;
  /** Interface number across the file: the interfaces of earlier sections, then iface (a capture whose helpers appended sections has several). */
  conn: number;
  /** 1 = kernel->daemon, 2 = daemon->kernel, 0 = not said. */
  dir: number;
  /** Timestamp in ns relative to the first packet of the file (`PcapngCapture.t0Ns`). */
  t: number;
  tid: number;
  pid: number;
  /** Bytes captured (possibly snapped). */
  data: Buffer;
  origLen: number;
  /** epb_flags bit 16: the write(2) failed. */
  failed: boolean;
  /** opt_comment, if any. */
  comment?: string;
}

export interface PcapngCapture {
  interfaces: { linkType: number; snapLen: number; name?: string }[];
  messages: RawMessage[];
  /** Number of ISB blocks seen. */
  statistics: number;
  /** Absolute time (ns since the epoch) of the first packet; `t` values are relative to it. */
  t0Ns: bigint;
}

/** opt_comment of every ISB (the library writes "spliced_in=N spliced_out=M"). */
export function isbComments(file: string): string[] {
  const b = readFileSync(file);
  const out: string[] = [];
  for (let off = 0; off + 12 <= b.length;) {
    const type = b.readUInt32LE(off);
    const len = b.readUInt32LE(off + 4);
    if (type === 5) {
      for (let o = off + 20; o + 4 <= off + len - 4;) {
        const code = b.readUInt16LE(o);
        const l = b.readUInt16LE(o + 2);
        if (code === 0) break;
        if (code === 1) out.push(b.toString('utf8', o + 4, o + 4 + l));
        o += 4 + ((l + 3) & ~3);
      }
    }
    off += len;
  }
  return out;
}

/**
 * A minimal pcapng reader (little-endian sections only, which is what this
 * machine writes): SHB, IDB (if_name), EPB (epb_flags, epb_processid_threadid),
 * ISB counted. Throws on any structural damage.
 */
export function readPcapng(file: string): PcapngCapture {
  const b = readFileSync(file);
  const cap: PcapngCapture = { interfaces: [], messages: [], statistics: 0, t0Ns: 0n };
  let off = 0;
  let t0: bigint | undefined;
  const tsres: number[] = [];
  let connBase = 0;
  while (off < b.length) {
    if (off + 12 > b.length) throw new Error(`${file}: cut block at ${off}`);
    const type = b.readUInt32LE(off);
    const len = b.readUInt32LE(off + 4);
    if (len < 12 || len % 4 !== 0 || off + len > b.length) throw new Error(`${file}: bad block length ${len} at ${off}`);
    if (b.readUInt32LE(off + len - 4) !== len) throw new Error(`${file}: trailing length mismatch at ${off}`);
    const body = b.subarray(off + 8, off + len - 4);
    if (type === 0x0a0d0d0a) {
      if (body.readUInt32LE(0) !== 0x1a2b3c4d) throw new Error(`${file}: big-endian section not supported by this test reader`);
      connBase += cap.interfaces.length;
      cap.interfaces.length = 0;
      tsres.length = 0;
    } else if (type === 1) {
      const iface: { linkType: number; snapLen: number; name?: string } = { linkType: body.readUInt16LE(0), snapLen: body.readUInt32LE(4) };
      let res = 6;
      for (const [code, val] of options(body, 8)) {
        if (code === 2) iface.name = val.toString('utf8').replace(/\0+$/, '');
        if (code === 9) res = val[0] ?? 6;
      }
      tsres.push(res);
      cap.interfaces.push(iface);
    } else if (type === 6) {
      const iface = body.readUInt32LE(0);
      const ts = (BigInt(body.readUInt32LE(4)) << 32n) | BigInt(body.readUInt32LE(8));
      const capLen = body.readUInt32LE(12);
      const origLen = body.readUInt32LE(16);
      const data = Buffer.from(body.subarray(20, 20 + capLen));
      const res = tsres[iface] ?? 6;
      const ns = res & 0x80 ? (ts * 1_000_000_000n) >> BigInt(res & 0x7f) : ts * 10n ** BigInt(Math.max(0, 9 - res));
      if (t0 === undefined) {
        t0 = ns;
        cap.t0Ns = ns;
      }
      let dir = 0;
      let failed = false;
      let pid = -1;
      let tid = -1;
      let comment: string | undefined;
      for (const [code, val] of options(body, 20 + ((capLen + 3) & ~3))) {
        if (code === 1) comment = val.toString('utf8');
        if (code === 2 && val.length >= 4) {
          const f = val.readUInt32LE(0);
          dir = f & 3;
          failed = (f & 0x10000) !== 0;
        }
        if (code === 8 && val.length >= 8) {
          pid = val.readUInt32LE(0);
          tid = val.readUInt32LE(4);
        }
      }
      cap.messages.push({ iface, conn: connBase + iface, dir, t: Number(ns - t0), tid, pid, data, origLen, failed, ...(comment !== undefined ? { comment } : {}) });
    } else if (type === 5) {
      cap.statistics++;
    }
    off += len;
  }
  return cap;
}

function* options(body: Buffer, start: number): Generator<[number, Buffer]> {
  let o = start;
  while (o + 4 <= body.length) {
    const code = body.readUInt16LE(o);
    const len = body.readUInt16LE(o + 2);
    if (code === 0) return;
    yield [code, body.subarray(o + 4, o + 4 + len)];
    o += 4 + ((len + 3) & ~3);
  }
}

/** FUSE opcodes the tests look at (fuse.h). */
export const Op = {
  LOOKUP: 1, FORGET: 2, GETATTR: 3, SETATTR: 4, READLINK: 5, MKNOD: 8, LINK: 13, OPEN: 14, READ: 15, WRITE: 16, STATFS: 17, RELEASE: 18, FSYNC: 20, FLUSH: 25,
  INIT: 26, OPENDIR: 27, READDIR: 28, RELEASEDIR: 29, CREATE: 35, INTERRUPT: 36, DESTROY: 38, NOTIFY_REPLY: 41, BATCH_FORGET: 42, READDIRPLUS: 44,
} as const;

/** A request and (if any) its reply, from one interface. */
export interface Exchange {
  iface: number;
  /** RawMessage.conn: the interface across the file's sections. */
  conn: number;
  opcode: number;
  unique: bigint;
  nodeid: bigint;
  pid: number;
  req: Buffer;
  /** Request length as it crossed /dev/fuse. */
  reqLen: number;
  tReq: number;
  reply?: Buffer;
  replyError?: number;
  tReply?: number;
}

const NO_REPLY = new Set<number>([Op.FORGET, Op.BATCH_FORGET, Op.INTERRUPT, Op.NOTIFY_REPLY]);

/** Pairs requests and replies by (interface, unique); every message must have a direction. */
export function pairExchanges(cap: PcapngCapture): { exchanges: Exchange[]; orphans: number; notifications: number } {
  const exchanges: Exchange[] = [];
  const pending = new Map<string, Exchange>();
  let orphans = 0;
  let notifications = 0;
  for (const m of cap.messages) {
    if (m.dir === 1) {
      const d = m.data;
      const ex: Exchange = {
        iface: m.iface, conn: m.conn, opcode: d.readUInt32LE(4), unique: d.readBigUInt64LE(8), nodeid: d.readBigUInt64LE(16),
        pid: d.readUInt32LE(32), req: d, reqLen: m.origLen, tReq: m.t,
      };
      exchanges.push(ex);
      if (!NO_REPLY.has(ex.opcode)) pending.set(`${m.conn}:${ex.unique}`, ex);
    } else if (m.dir === 2) {
      const unique = m.data.readBigUInt64LE(8);
      if (unique === 0n) {
        notifications++;
        continue;
      }
      const key = `${m.conn}:${unique}`;
      const ex = pending.get(key);
      if (!ex || m.failed) {
        if (!ex) orphans++;
        continue;
      }
      pending.delete(key);
      ex.reply = m.data;
      ex.replyError = m.data.readInt32LE(4);
      ex.tReply = m.t;
    } else {
      throw new Error('message without a direction');
    }
  }
  return { exchanges, orphans, notifications };
}

/** Decoded WRITE request fields (minor >= 9 layout). */
export interface WriteInfo {
  unique: bigint;
  fh: bigint;
  offset: number;
  size: number;
  writeFlags: number;
  flags: number;
  pid: number;
  /** Bytes written according to the reply, undefined without a successful reply. */
  written?: number;
}

export function writeInfo(ex: Exchange): WriteInfo {
  const d = ex.req;
  const info: WriteInfo = {
    unique: ex.unique,
    fh: d.readBigUInt64LE(40),
    offset: Number(d.readBigUInt64LE(48)),
    size: d.readUInt32LE(56),
    writeFlags: d.readUInt32LE(60),
    flags: d.readUInt32LE(72),
    pid: ex.pid,
  };
  if (ex.reply && ex.replyError === 0 && ex.reply.length >= 20) info.written = ex.reply.readUInt32LE(16);
  return info;
}

/** open_flags (FOPEN_*) of an OPEN or CREATE reply, undefined on error. */
export function openReplyFlags(ex: Exchange): number | undefined {
  if (!ex.reply || ex.replyError !== 0) return undefined;
  if (ex.opcode === Op.OPEN) return ex.reply.readUInt32LE(16 + 8);
  if (ex.opcode === Op.CREATE) return ex.reply.readUInt32LE(16 + 128 + 8);
  return undefined;
}

export const FOPEN_DIRECT_IO = 1;
export const FOPEN_PARALLEL_DIRECT_WRITES = 1 << 6;
export const FUSE_WRITE_CACHE = 1;

/**
 * The largest number of the given exchanges in flight at one moment,
 * `[tReq, tReply)`; an exchange without a reply counts to the end. Ties: a
 * reply at the same ns as a request ends first.
 */
export function maxInFlight(exs: Exchange[]): number {
  const ev: [number, number][] = [];
  for (const e of exs) {
    ev.push([e.tReq, 1]);
    ev.push([e.tReply ?? Number.MAX_SAFE_INTEGER, -1]);
  }
  ev.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let max = 0;
  for (const [, d] of ev) {
    cur += d;
    if (cur > max) max = cur;
  }
  return max;
}

/* ------------------------------------------------------------------ */
/* Cross-check with the project's decoder                              */
/* ------------------------------------------------------------------ */

/**
 * The project's own decoder (`fusetrace dump --exchanges --json`, once it
 * exists) must decode the capture completely, and agree with the independent
 * reader above on every WRITE (unique, offset, size, bytes written).
 */
export async function assertProjectDecodes(file: string): Promise<void> {
  if (!cliHasCommand('dump')) return;
  const r = await run(process.execPath, [fusetraceBin, 'dump', '--exchanges', '--json', file], { timeoutMs: 60000 });
  assert.equal(r.code, 0, `fusetrace dump --exchanges --json ${file} failed: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> });
  const summary = lines.find((l) => l.type === 'summary')?.data;
  assert.ok(summary, 'dump prints a summary record');
  for (const k of ['unanswered', 'orphan_replies', 'duplicate_uniques', 'malformed', 'rejected_replies']) {
    assert.equal(summary[k], 0, `fusetrace dump: ${k}`);
  }
  type W = { unique: number; offset: number; size: number; written: number | undefined };
  const theirs: W[] = lines
    .filter((l) => l.type === 'exchange' && l.data.op === 'WRITE')
    .map((l) => {
      const d = l.data as { unique: number; request: { body: { fuse_write_in: { offset: number; size: number } } }; reply?: { body?: { fuse_write_out?: { size: number } } } };
      return { unique: d.unique, offset: d.request.body.fuse_write_in.offset, size: d.request.body.fuse_write_in.size, written: d.reply?.body?.fuse_write_out?.size };
    });
  const ours: W[] = pairExchanges(readPcapng(file))
    .exchanges.filter((e) => e.opcode === Op.WRITE)
    .map((e) => {
      const w = writeInfo(e);
      return { unique: Number(w.unique), offset: w.offset, size: w.size, written: w.written };
    });
  const byUnique = (a: W, b: W): number => a.unique - b.unique;
  assert.deepEqual(theirs.sort(byUnique), ours.sort(byUnique), 'fusetrace dump and the independent reader agree on every WRITE');
}

/** fs.pipe-max-size: libfuse splices requests only when it can grow its pipe past 1 MiB. */
export const PIPE_MAX = '/proc/sys/fs/pipe-max-size';

/**
 * Runs fn with fs.pipe-max-size set to `value` (restored after), holding its
 * machine-wide lock throughout; undefined when it cannot be set.
 */
export function withPipeMax<T>(value: number, fn: () => Promise<T>): Promise<T | undefined> {
  return withMachineLock(PIPE_MAX, async () => {
    let old: string;
    try {
      old = readFileSync(PIPE_MAX, 'utf8').trim();
      writeFileSync(PIPE_MAX, String(value));
    } catch {
      return undefined;
    }
    try {
      return await fn();
    } finally {
      writeFileSync(PIPE_MAX, old);
    }
  });
}
