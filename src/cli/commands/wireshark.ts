/**
 * `fusetrace wireshark`: writes the generated Lua dissector
 * (report/wireshark-lua.ts) to standard output, to `-o FILE`, or with
 * `--install` into Wireshark's personal Lua plugins folder, where Wireshark
 * and tshark load it at start.
 */
import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError, writeError } from '../../capture/errors.js';
import { generateLua } from '../../report/wireshark-lua.js';
import { toolVersion } from '../../model/format.js';
import { EXIT_OK, Output, runCommand } from '../common.js';

interface WiresharkFlags {
  output?: string;
  install?: boolean;
}

/** Wireshark 4.x's personal Lua plugins folder (Help > About > Folders). */
export function personalPluginDir(): string {
  return join(homedir(), '.local', 'lib', 'wireshark', 'plugins');
}

export const PLUGIN_FILE = 'fusetrace-fuse.lua';

export function register(program: Command): void {
  program
    .command('wireshark')
    .description('write the Wireshark/tshark Lua dissector for FUSE captures (generated from the decoder\'s tables)')
    .option('-o, --output <file>', 'write it to this file (default: standard output)')
    .option('--install', `write it into the personal Lua plugins folder (~/.local/lib/wireshark/plugins/${PLUGIN_FILE})`)
    .addHelpText('after', `
Examples:
  fusetrace wireshark --install
  tshark -r cap.pcapng -Y 'fuse.opcode == "WRITE" && fuse.latency > 0.1' -T fields -e fuse.unique -e fuse.write.offset
  fusetrace wireshark -o fuse.lua && tshark -X lua_script:fuse.lua -r cap.pcapng -Y 'fuse.error != 0'`)
    .action((flags: WiresharkFlags) => runCommand(() => runWireshark(flags)).then((code) => { process.exitCode = code; }));
}

export function runWireshark(flags: WiresharkFlags): number {
  if (flags.install && flags.output !== undefined) throw new UsageError('--install and -o both say where to write: give one');
  const lua = generateLua(toolVersion());
  if (flags.install) {
    const dir = personalPluginDir();
    const file = join(dir, PLUGIN_FILE);
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(file, lua);
    } catch (e) {
      throw writeError(file, e, 'check the folder is writable, or write the file elsewhere with -o');
    }
    process.stderr.write(`fusetrace: wrote ${file}; Wireshark and tshark load it at their next start\n`);
    return EXIT_OK;
  }
  const out = new Output(flags.output);
  try {
    out.write(lua);
  } finally {
    out.close();
  }
  return EXIT_OK;
}
