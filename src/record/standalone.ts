/**
 * The recorder's own entry, independent of the other commands of the CLI:
 *   node dist/src/record/standalone.js -o cap.pcapng [--snaplen N] [--label L] [--strace [--pid PID]] -- CMD ARGS...
 * It is the only module that chooses between the two recorders, so neither
 * recorder imports the other.
 */
import { UsageError } from '../capture/errors.js';
import { parseSnaplen, recordWithPreload, type RecordOptions } from './record.js';
import { recordWithStrace } from './strace-record.js';

interface StandaloneOptions extends RecordOptions {
  strace?: boolean;
  pid?: number;
}

function parseStandaloneArgs(argv: string[]): StandaloneOptions {
  const o: StandaloneOptions = { out: '', command: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      o.command = argv.slice(i + 1);
      break;
    }
    if (a === '-o' || a === '--output') o.out = argv[++i] ?? '';
    else if (a === '--snaplen') o.snaplen = parseSnaplen(argv[++i]);
    else if (a === '--label') o.label = argv[++i];
    else if (a === '-q' || a === '--quiet') o.quiet = true;
    else if (a === '--strace') o.strace = true;
    else if (a === '--pid') o.pid = Number(argv[++i]);
    else throw new UsageError(`unknown option ${a}`, 'usage: standalone.js -o cap.pcapng [--snaplen N] [--label L] [--strace [--pid PID]] -- CMD ARGS...');
  }
  if (!o.out) throw new UsageError('-o FILE is required');
  return o;
}

try {
  const opts = parseStandaloneArgs(process.argv.slice(2));
  (opts.strace ? recordWithStrace(opts) : recordWithPreload(opts)).then((c) => {
    process.exitCode = c;
  }, (e: unknown) => {
    process.stderr.write(`fusetrace: error: ${(e as Error).message}\n`);
    process.exitCode = 2;
  });
} catch (e) {
  process.stderr.write(`fusetrace: error: ${(e as Error).message}\n`);
  process.exitCode = 2;
}
