/**
 * `fusetrace record`: records real /dev/fuse traffic of a daemon into pcapng,
 * with the LD_PRELOAD capture library (default) or stock strace (--strace,
 * for statically linked or Go daemons, and to attach to a running one).
 */
import type { Command } from 'commander';
import { UsageError } from '../../capture/errors.js';
import { parseSnaplen, recordWithPreload } from '../../record/record.js';
import { recordWithStrace } from '../../record/strace-record.js';
import { bpfBlindSpot, bpfUnavailableReason, preloadBlindSpot, recordWithBpf } from '../../record/bpf-record.js';
import { runCommand } from '../common.js';

interface RecordFlags {
  output?: string;
  snaplen?: string;
  label?: string;
  strace?: boolean;
  bpf?: boolean;
  pid?: string;
  cgroup?: string;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command('record')
    .description('run a FUSE daemon and record its /dev/fuse traffic into pcapng')
    .argument('[command...]', 'the daemon and its arguments, after --')
    .requiredOption('-o, --output <file>', 'capture file to write (pcapng; a regular file, replaced if it exists)')
    .option('--snaplen <bytes>', 'bytes kept per message; 0 = whole messages (values below 256 are raised to 256)', '4096')
    .option('--label <name>', 'interface label: if_name fuse:<name> (default: the mount point)')
    .option('--strace', 'record with stock strace instead of the LD_PRELOAD library (static or Go daemons; slower)')
    .option('--bpf', 'record with eBPF syscall tracepoints (any daemon: Go, static; needs root and a BTF kernel)')
    .option('--pid <pid>', 'with --bpf or --strace: attach to this running daemon (and its children) instead of starting one')
    .option('--cgroup <dir>', 'with --bpf: record every process of this cgroup v2 directory until Ctrl-C')
    .option('-q, --quiet', 'print only errors and the final summary')
    .addHelpText('after', `
Examples:
  fusetrace record -o cap.pcapng -- ./my_fuse_daemon -f /mnt/x
  fusetrace record -o cap.pcapng --snaplen 512 -- passthrough_ll -f /mnt/x
  fusetrace record --bpf -o cap.pcapng -- gocryptfs -fg ciphertext /mnt/x
  fusetrace record --bpf -o cap.pcapng --pid 4242         (Ctrl-C to stop)
  fusetrace record --strace -o cap.pcapng --pid 4242      (Ctrl-C to stop)

Without -f a daemon forks into the background: record returns when the
foreground process exits, and the daemon keeps recording until it exits.
With --bpf, record itself follows the daemon into the background and
returns when it exits (or on Ctrl-C).
Only --bpf sees FUSE over io_uring (rebuilt from the kernel's fuse
tracepoints); no recorder sees passthrough file I/O or virtiofs
(see docs/recording.md).`)
    .action(async (command: string[], flags: RecordFlags) => {
      const code = await runCommand(async () => {
        const snaplen = parseSnaplen(flags.snaplen);
        const out = flags.output!;
        if (flags.bpf && flags.strace) throw new UsageError('record: give --bpf or --strace, not both');
        if (flags.pid !== undefined && !flags.strace && !flags.bpf) throw new UsageError('--pid needs --bpf or --strace', 'the LD_PRELOAD library can only be loaded into a daemon record starts');
        if (flags.cgroup !== undefined && !flags.bpf) throw new UsageError('--cgroup needs --bpf');
        if (flags.bpf) {
          const pid = flags.pid !== undefined ? Number(flags.pid) : undefined;
          if (pid !== undefined && (!Number.isInteger(pid) || pid <= 0)) throw new UsageError(`--pid ${flags.pid}: expected a process id`);
          const blind = bpfBlindSpot({ command, pid });
          if (blind) throw new UsageError(`record --bpf: ${blind}: the syscall tracepoints --bpf attaches to ignore 32-bit syscalls`, 'use --strace');
          return recordWithBpf({ out, snaplen, label: flags.label, command, pid, cgroup: flags.cgroup, quiet: flags.quiet });
        }
        if (flags.strace) {
          const pid = flags.pid !== undefined ? Number(flags.pid) : undefined;
          if (pid !== undefined && (!Number.isInteger(pid) || pid <= 0)) throw new UsageError(`--pid ${flags.pid}: expected a process id`);
          if (pid === undefined && command.length === 0) throw new UsageError('record --strace: give --pid PID or a command after --');
          if (pid !== undefined && command.length > 0) throw new UsageError('record --strace: give either --pid or a command, not both');
          return recordWithStrace({ out, snaplen, label: flags.label, command, pid, quiet: flags.quiet });
        }
        if (command.length === 0) throw new UsageError('record: no command given', 'usage: fusetrace record -o cap.pcapng -- DAEMON ARGS...');
        // The library would record nothing of a Go, static, emulated or 32-bit daemon: use eBPF when it can, else say so.
        const blind = preloadBlindSpot(command[0]!);
        if (blind) {
          if (!blind.bpfSees) throw new UsageError(`record: ${blind.why}: neither the 64-bit LD_PRELOAD library nor --bpf (64-bit syscalls only) can see its /dev/fuse traffic`, 'use --strace');
          const why = bpfUnavailableReason();
          if (why) throw new UsageError(`record: ${blind.why}: the LD_PRELOAD library cannot see its /dev/fuse traffic`, `use --bpf (here: ${why}) or --strace`);
          process.stderr.write(`fusetrace: note: ${blind.why}: the LD_PRELOAD library cannot see its /dev/fuse traffic; recording with --bpf\n`);
          return recordWithBpf({ out, snaplen, label: flags.label, command, quiet: flags.quiet });
        }
        return recordWithPreload({ out, snaplen, label: flags.label, command, quiet: flags.quiet });
      });
      process.exitCode = code;
    });
}
