/**
 * fusetrace command line: one module per command, each exporting
 * `register(program)`. Exit codes: 0 success, 1 check failed (`check`,
 * `--fail-on`), 2 usage error or unreadable input.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { EXIT_BAD_INPUT, printError } from './common.js';

/** The commands, in the order `--help` lists them. */
const COMMANDS = ['analyze', 'dump', 'export', 'baseline', 'check', 'report', 'record', 'convert'] as const;

export function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return '0.0.0';
  }
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command('fusetrace')
    .description('Analyze FUSE /dev/fuse traffic: decode captures, reconstruct per-file concurrency and sizes, find parallel-write races')
    .version(version())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `fusetrace: ${s}` : s) });
  let exitCode = 0;
  const setExit = (c: number): void => {
    exitCode = c;
  };
  for (const name of COMMANDS) {
    let mod: { register(p: Command, setExit?: (c: number) => void): void };
    try {
      mod = (await import(`./commands/${name}.js`)) as typeof mod;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes(`commands/${name}.js`)) continue;
      throw e;
    }
    mod.register(program, setExit);
  }
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return EXIT_BAD_INPUT;
    }
    return printError(e);
  }
  return exitCode !== 0 ? exitCode : Number(process.exitCode ?? 0);
}
