/**
 * fusetrace command line: one module per command, each exporting
 * `register(program)`. Exit codes: 0 success, 1 check failed (`check`,
 * `--fail-on`), 2 usage error or unreadable input, 3 internal error (a bug).
 */
import { Command, CommanderError } from 'commander';
import { writeSync } from 'node:fs';
import { EXIT_BAD_INPUT, printError } from './common.js';
import { toolVersion } from '../model/format.js';

interface CommandModule { register(p: Command): void }

/**
 * The commands, in the order `--help` lists them, each loaded on demand: a
 * run loads only its own command's modules (analyze needs neither the
 * recorder nor the Parquet writer), which is most of the start-up cost of a
 * run on a small capture.
 */
const COMMANDS: readonly (readonly [string, () => Promise<CommandModule>])[] = [
  ['analyze', () => import('./commands/analyze.js')],
  ['dump', () => import('./commands/dump.js')],
  ['export', () => import('./commands/export.js')],
  ['baseline', () => import('./commands/baseline.js')],
  ['check', () => import('./commands/check.js')],
  ['report', () => import('./commands/report.js')],
  ['record', () => import('./commands/record.js')],
  ['convert', () => import('./commands/convert.js')],
  ['wireshark', () => import('./commands/wireshark.js')],
];

/**
 * The modules to register for `argv`: only the named command's when the
 * first argument names one; all of them otherwise (`--help`, no command, an
 * unknown one: commander lists or suggests among them all).
 */
async function commandsFor(argv: string[]): Promise<CommandModule[]> {
  const named = COMMANDS.find(([name]) => name === argv[2]);
  if (named !== undefined) return [await named[1]()];
  return Promise.all(COMMANDS.map(([, load]) => load()));
}


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
  try {
    for (const cmd of await commandsFor(argv)) cmd.register(program);
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
