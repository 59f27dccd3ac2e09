/**
 * `fusetrace convert IN -o OUT`: fusedump <-> pcapng (see src/record/convert.ts
 * for what cannot cross to fusedump and how it is handled).
 */
import type { Command } from 'commander';
import { UsageError } from '../../capture/errors.js';
import type { CaptureFormat } from '../../capture/message.js';
import { convertCapture } from '../../record/convert.js';
import { LINKTYPE_HELP, parseLinkType, quietProgress, runCommand, warn } from '../common.js';

interface ConvertFlags {
  output: string;
  to?: string;
  split?: boolean;
  padSnapped?: boolean;
  quiet?: boolean;
  linktype?: string;
}

export function register(program: Command): void {
  program
    .command('convert')
    .description('convert a capture between fusedump (GlusterFS, strace-fusedump, parsefuse) and pcapng')
    .argument('<input>', 'capture to read (pcapng or fusedump, detected from its content; - for standard input)')
    .requiredOption('-o, --output <file>', 'file to write (- for standard output)')
    .option('--to <format>', 'output format: pcapng or fusedump (default: from the output name, else the other format)')
    .option('--split', 'pcapng with several connections -> one fusedump per connection (OUT.0.fusedump, ...)')
    .option('--pad-snapped', 'zero-fill messages cut by the snap length to their whole length (fusedump needs whole messages)')
    .option('--linktype <N>', LINKTYPE_HELP)
    .option('-q, --quiet', 'print only errors')
    .addHelpText('after', `
Examples:
  fusetrace convert old.fusedump -o cap.pcapng
  fusetrace convert cap.pcapng -o cap.fusedump            (for parsefuse)
  fusetrace convert two-mounts.pcapng -o out.fusedump --split`)
    .action((input: string, flags: ConvertFlags) => runCommand(() => {
      let to: CaptureFormat | undefined;
      if (flags.to !== undefined) {
        if (flags.to !== 'pcapng' && flags.to !== 'fusedump') throw new UsageError(`--to ${flags.to}: expected pcapng or fusedump`);
        to = flags.to;
      }
      const r = convertCapture({ input, output: flags.output, to, split: flags.split, padSnapped: flags.padSnapped, linkType: parseLinkType(flags.linktype), progress: flags.quiet ? undefined : quietProgress() });
      if (!flags.quiet) {
        process.stderr.write(`fusetrace: converted ${input} (${r.from}) -> ${r.outputs.join(', ')} (${r.to}): ${r.messages} messages on ${r.connections} connection${r.connections === 1 ? '' : 's'}\n`);
        if (r.padded) warn(`${r.padded} snapped messages were zero-filled to their whole length`);
        if (r.failedAsPlain) warn(`${r.failedAsPlain} failed writes became ordinary 'W' records (fusedump cannot mark them)`);
        if (r.guessedDirection) warn(`${r.guessedDirection} messages had no recorded direction; it was guessed from their content`);
        for (const n of r.notices) warn(n);
      }
      return 0;
    }).then((code) => {
      process.exitCode = code;
    }));
}
