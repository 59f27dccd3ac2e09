/**
 * `viewsOnly` (the export's requests and sizes tables) leaves out the state's
 * summaries: latency, concurrency, per-file counters, level times, size
 * history and retired-file summaries. The views the exchanges and size
 * events carry must not notice: every bundled capture gives the same path,
 * sizes and in-flight count on every exchange, and the same size events,
 * with it as without it.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/analysis/analyze.js';
import { exactId } from '../../src/model/id64.js';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'fixtures');

/** What the streamed export tables read of each exchange and size event, in the order the hooks see them. */
function views(file: string, viewsOnly: boolean): unknown[] {
  const seen: unknown[] = [];
  analyze({
    files: [file],
    viewsOnly,
    hooks: {
      onExchange: (x) => seen.push([x.conn, exactId(x.unique), x.opcode, x.path, x.kernelSizeAtReq, x.daemonSizeAtReq, x.fileInflightAtReq]),
      onSizeEvent: (e) => seen.push({ ...e }),
    },
  });
  return seen;
}

test('viewsOnly leaves every exchange\'s path, sizes and in-flight count and every size event as they are', () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.pcapng'));
  assert.ok(files.length > 10, 'the bundled captures are there');
  let rows = 0;
  for (const f of files) {
    const file = join(FIXTURES, f);
    const want = views(file, false);
    assert.deepEqual(views(file, true), want, f);
    rows += want.length;
  }
  assert.ok(rows > 1000, `rows compared: ${rows}`);
});
