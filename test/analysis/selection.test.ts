/**
 * --file/--since/--until narrow the per-opcode table and the in-flight
 * depth (analyze's text and JSON, the HTML report), not only the file list.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFilters, type FilterCli } from '../../src/analysis/filters.js';
import { buildPageData } from '../../src/report/html.js';
import { renderText } from '../../src/report/text.js';
import { Cap, ms } from './capture-builder.js';

/**
 * /f (nodeid 10): a WRITE every 10 ms from 10 ms to 1 s, one at a time.
 * /g (nodeid 11): from 500 ms, three READs in flight together, five times, 20 ms apart.
 */
function twoFiles(): Cap {
  const c = new Cap(1);
  c.init(0, 0);
  c.lookup(0, 1, 1, 'f', 10, { ino: 5, size: 0 });
  c.open(0, 2, 10, 1, 0);
  c.lookup(0, 3, 1, 'g', 11, { ino: 6, size: 1 << 20 });
  c.open(0, 4, 11, 2, 0);
  const events: [number, () => void][] = [];
  for (let i = 0; i < 100; i++) {
    const t = 10 + i * 10;
    events.push([t, () => {
      const u = c.writeReq(0, t, 10, 1, i * 4096, 4096);
      events.push([t + 2, () => c.writeReply(0, t + 2, u, 4096)]);
    }]);
  }
  for (let k = 0; k < 5; k++) {
    const t = 500 + k * 20 + 1;
    events.push([t, () => {
      const us = [0, 1, 2].map((j) => c.readReq(0, t + j * 0.1, 11, 2, j * 4096, 4096));
      events.push([t + 5, () => us.forEach((u, j) => c.readReply(0, t + 5 + j * 0.1, u, 4096))]);
    }]);
  }
  // Written in time order (the replies are queued as their requests are written).
  for (;;) {
    events.sort((a, b) => a[0] - b[0]);
    const e = events.shift();
    if (!e) break;
    e[1]();
  }
  return c;
}

function run(cli: FilterCli) {
  const r = twoFiles().analyze({ timeline: true, filters: parseFilters(cli) });
  assert.equal(r.fatal, undefined);
  const count = (name: string): number => r.model.ops.filter((o) => o.name === name).reduce((a, o) => a + o.count, 0);
  return { model: r.model, count };
}

describe('filters narrow the opcode table and the in-flight depth', () => {
  it('unfiltered: every exchange, the connection\'s depth', () => {
    const { model, count } = run({});
    assert.equal(count('WRITE'), 100);
    assert.equal(count('READ'), 15);
    assert.equal(count('LOOKUP'), 2);
    assert.equal(model.connections[0]!.peakInflight, 4, 'a WRITE with three READs');
  });

  it('--file: only that file\'s exchanges, and its own depth', () => {
    const { model, count } = run({ file: ['/g'] });
    assert.equal(count('WRITE'), 0);
    assert.equal(count('READ'), 15);
    assert.equal(count('OPEN'), 1);
    assert.equal(count('LOOKUP'), 1, 'the LOOKUP that named /g');
    const steps = model.connections[0]!.inflight;
    assert.equal(Math.max(...steps.map((s) => s[1])), 3, 'three READs of /g, not the WRITE of /f');
    const data = buildPageData(model);
    assert.equal(data.inflight[0]!.peak, 3, 'the page scales the chart to them');
    const text = renderText(model, { color: false });
    assert.match(text, /only the exchanges of the selected files whose request is inside the time window/);
    assert.doesNotMatch(text, /^ +WRITE \(16\)/m, 'no WRITE row in analyze\'s text');
  });

  it('--since/--until: requests in the window, depth steps inside it', () => {
    const { model, count } = run({ since: '200ms', until: '300ms' });
    // WRITEs start at 10 ms + 10 ms * i: 200, 210, ... 300 ms.
    assert.equal(count('WRITE'), 11);
    assert.equal(count('READ'), 0);
    const steps = model.connections[0]!.inflight;
    assert.ok(steps.length > 0);
    for (const [t] of steps) assert.ok(t >= ms(200) && t <= ms(300), `step at ${t} inside the window`);
    assert.equal(Math.max(...steps.map((s) => s[1])), 1);

  });
});
