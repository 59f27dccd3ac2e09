/**
 * fusetrace command line: one module per command, each exporting
 * `register(program)`. Exit codes: 0 success, 1 check failed (`check`,
 * `--fail-on`), 2 usage error or unreadable input, 3 internal error (a bug).
 */
import { Command, CommanderError } from 'commander';
import { writeSync } from 'node:fs';
import * as analyze from './commands/analyze.js';
import * as baseline from './commands/baseline.js';
import * as check from './commands/check.js';
import * as convert from './commands/convert.js';
import * as dump from './commands/dump.js';
import * as exportCmd from './commands/export.js';
import * as record from './commands/record.js';
import * as report from './commands/report.js';
import * as wireshark from './commands/wireshark.js';
import { EXIT_BAD_INPUT, printError } from './common.js';
import { toolVersion } from '../model/format.js';

/** The commands, in the order `--help` lists them. */
const COMMANDS: readonly { register(p: Command): void }[] = [analyze, dump, exportCmd, baseline, check, report, record, convert, wireshark];


/**
 * Help and version text: a reader that closed the pipe early (`--help | head`)
 * ends the output quietly, as for every other output (a stream's EPIPE
 * would be an uncaught error with a stack trace).
 */
function writeHelp(s: string): void {
  const b = Buffer.from(s);
  for (let done = 0; done < b.length;) {
    try {
      done += writeSync(1, b, done);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') return;
      if (code !== 'EAGAIN') throw e; // a non-blocking pipe that is full: try again
    }
  }
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command('fusetrace')
    .description('Analyze FUSE /dev/fuse traffic: decode captures, reconstruct per-file concurrency and sizes, find parallel-write races')
    .version(toolVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.configureOutput({
    writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `fusetrace: ${s}` : s),
    writeOut: writeHelp,
  });
  for (const cmd of COMMANDS) cmd.register(program);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return EXIT_BAD_INPUT;
    }
    return printError(e);
  }
  return Number(process.exitCode ?? 0);
}
