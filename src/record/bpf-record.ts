/**
 * `fusetrace record --bpf`: records any daemon (Go, static, raw syscalls)
 * with the eBPF recorder build/ftrec-bpf (src/record/ftrec-bpf.c and
 * ftrec-bpf.bpf.c), which writes the pcapng itself. Unlike the LD_PRELOAD
 * library it can attach to a running daemon (--pid), and it records until
 * the daemon and everything it forked have exited, or until interrupted.
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../capture/errors.js';
import {
  checkCommand,
  DEFAULT_SNAPLEN,
  packageRoot,
  prepareOutput,
  recordExitCode,
  reportCapture,
  waitChild,
  type RecordOptions,
} from './record.js';
import { executableKind, resolveCommand, type ExecutableKind } from './executable-kind.js';

export interface BpfRecordOptions extends RecordOptions {
  /** Attach to this running daemon (and its children) instead of starting `command`. */
  pid?: number;
  /** Record every process of this cgroup (v2 directory) until interrupted. */
  cgroup?: string;
}

/** Path of the eBPF recorder (FUSETRACE_BPF overrides). */
function bpfRecorderPath(): string {
  return process.env.FUSETRACE_BPF ?? join(packageRoot(), 'build', 'ftrec-bpf');
}

/** Why `record --bpf` cannot run here, or undefined when it can try. */
export function bpfUnavailableReason(): string | undefined {
  const bin = bpfRecorderPath();
  if (!existsSync(bin)) {
    return `the eBPF recorder ${bin} is not built: install clang, llvm, bpftool, libbpf-dev, libelf-dev and zlib1g-dev (Debian) and run \`npm run build\``;
  }
  if (process.getuid?.() !== 0) return 'record --bpf needs root (loading BPF programs on syscall tracepoints)';
  return undefined;
}

export async function recordWithBpf(opts: BpfRecordOptions): Promise<number> {
  const why = bpfUnavailableReason();
  if (why) {
    process.stderr.write(`fusetrace: error: ${why}\n`);
    process.stderr.write('  hint: record without --bpf (LD_PRELOAD library, dynamically linked daemons) or with --strace\n');
    return 2;
  }
  const given = Number(opts.pid !== undefined) + Number(opts.cgroup !== undefined) + Number(opts.command.length > 0);
  if (given !== 1) throw new UsageError('record --bpf: give one of --pid PID, --cgroup DIR or a command after --');
  if (opts.command.length > 0) checkCommand(opts.command[0]!);
  const out = resolve(opts.out);
  prepareOutput(out);
  const args = ['-o', out, '--snaplen', String(opts.snaplen ?? DEFAULT_SNAPLEN)];
  if (opts.label !== undefined) args.push('--label', opts.label);
  if (opts.quiet) args.push('-q');
  if (opts.pid !== undefined) args.push('--pid', String(opts.pid));
  else if (opts.cgroup !== undefined) args.push('--cgroup', opts.cgroup);
  else args.push('--', ...opts.command);
  // Its own process group: a terminal's Ctrl-C reaches the recorder once,
  // through us, and the recorder passes it to the daemon it started and
  // keeps recording until the daemon has unmounted and exited.
  const rec = spawn(bpfRecorderPath(), args, { stdio: 'inherit', detached: true });
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((sig) => {
    const h = (): void => {
      if (rec.exitCode === null && rec.signalCode === null) rec.kill(sig);
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  const code = await waitChild(rec);
  for (const [sig, h] of handlers) process.off(sig, h);
  // It could not load (it said why), or could not be run at all (waitChild said why).
  if ((code === 2 || code === 127) && (!existsSync(out) || statSync(out).size === 0)) {
    rmSync(out, { force: true }); // prepareOutput created it empty
    return 2;
  }
  // Like strace, the recorder sees every syscall: "nothing" means no /dev/fuse traffic at all.
  const outcome = await reportCapture(out, opts.quiet, 0, true);
  return recordExitCode(opts.command.length === 0 ? 0 : code, outcome);
}

/**
 * Why the LD_PRELOAD library would see nothing of `cmd` (a Go, statically
 * linked, 32-bit or emulated program), and whether the eBPF recorder would
 * (not a 32-bit one: executable-kind.ts); undefined when the library can record it.
 */
export function preloadBlindSpot(cmd: string): { why: string; bpfSees: boolean } | undefined {
  const file = resolveCommand(cmd);
  if (!file) return undefined;
  return blindSpotOf(cmd, executableKind(file));
}

/** The blind spot of a program of `kind` (`preloadBlindSpot`), `what` naming it. */
function blindSpotOf(what: string, kind: ExecutableKind): { why: string; bpfSees: boolean } | undefined {
  if (kind === 'go') return { why: `${what} is a Go program (raw syscalls)`, bpfSees: true };
  if (kind === 'static') return { why: `${what} is statically linked`, bpfSees: true };
  if (kind === 'foreign') return { why: `${what} is built for another machine (it runs under an emulator)`, bpfSees: true };
  if (kind === 'elf32') return { why: `${what} is a 32-bit program`, bpfSees: false };
  return undefined;
}

/**
 * Why `record --bpf` would record nothing of the command or process: a
 * 32-bit program, whose syscalls the tracepoints ignore (executable-kind.ts).
 */
export function bpfBlindSpot(o: { command: string[]; pid?: number }): string | undefined {
  const b = o.pid !== undefined ? blindSpotOf(`process ${o.pid}`, executableKind(`/proc/${o.pid}/exe`))
    : o.command.length > 0 ? preloadBlindSpot(o.command[0]!) : undefined;
  return b && !b.bpfSees ? b.why : undefined;
}
