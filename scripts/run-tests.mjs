// Runs every compiled test file (dist/test/**/*.test.js) with Node's test
// runner. Node 20 does not expand globs in `node --test`, and pointing it at
// the folder would also run the test helpers as test files.
// Extra arguments are passed to `node --test` (e.g. --test-name-pattern=...);
// a path argument restricts the run to files under that path.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = 'dist/test';
const files = [];
(function walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith('.test.js')) files.push(p);
  }
})(root);
files.sort();
// The longest files start first (measured: tens of seconds each, the
// dissector's easily the longest), so that at the end the other slot is not
// left waiting on one of them alone. A file missing from the list keeps its
// place in alphabetical order.
const LONGEST = ['report/wireshark-lua', 'cli/export-duckdb', 'pairing/inflight-peak', 'report/row-bytes', 'report/html', 'record/passthrough-record'];
const rank = (f) => {
  const i = LONGEST.findIndex((l) => f === join(root, `${l}.test.js`));
  return i < 0 ? LONGEST.length : i;
};
files.sort((a, b) => rank(a) - rank(b));

const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith('-'));
const flags = args.filter((a) => a.startsWith('-'));
const selected = filters.length
  ? files.filter((f) => filters.some((x) => f.includes(x.replace(/^test\//, '').replace(/\.ts$/, '')) || relative(root, f).includes(x)))
  : files;
if (selected.length === 0) {
  console.error(`run-tests: no test file matches ${filters.join(' ')}`);
  process.exit(2);
}
// Two files at a time: most files are one busy process, and the real-mount
// ones mostly wait on their daemons, so a second file fills the second core
// of a small machine. A test that changes or relies on a setting of the whole
// machine holds its lock (test/helpers/machine-lock.ts); every file works in
// its own temp dirs. `--test-concurrency=N` overrides.
const concurrency = flags.some((f) => f.startsWith('--test-concurrency')) ? [] : ['--test-concurrency=2'];
const r = spawnSync(process.execPath, ['--test', ...concurrency, ...flags, ...selected], { stdio: 'inherit' });
process.exit(r.status ?? 1);
