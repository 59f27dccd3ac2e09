/**
 * The HTML report on busy files, from real (synthetic) captures through the
 * analysis: filters apply before the timeline's caps, a windowed report
 * draws every exchange of its window, the density strip counts every
 * exchange of the file, the page opens where the selected files and the
 * findings are, and lanes go to the files with findings, then the busiest.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFilters, type FilterCli } from '../../src/analysis/filters.js';
import { buildPageData, DEFAULT_HTML_LIMITS, type PageData } from '../../src/report/html.js';
import { MAX_BINS } from '../../src/state/activity.js';
import { BARS_PER_FILE } from '../../src/state/files.js';
import { Cap, FOPEN_DIRECT_IO, FOPEN_PARALLEL_DIRECT_WRITES, ms, openedFile } from '../analysis/capture-builder.js';

/** One file /f (nodeid 10) with `n` sequential 4 KiB WRITEs, one every `every` ms from 10 ms, each answered after 1 ms. */
function busyFile(n: number, every: number): Cap {
  const c = openedFile({ size: 0, name: 'f' });
  for (let i = 0; i < n; i++) {
    const t = 10 + i * every;
    const u = c.writeReq(0, t, 10, 1, i * 4096, 4096);
    c.writeReply(0, t + 1, u, 4096);
  }
  return c;
}

function page(c: Cap, cli: FilterCli = {}): PageData {
  const r = c.analyze({ timeline: true, filters: parseFilters(cli) });
  assert.equal(r.fatal, undefined);
  return buildPageData(r.model);
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

describe('html report on a busy file', () => {
  const N = 30_000;
  // 30,000 WRITEs over 300 s: far more than a file keeps by default.
  const cap = busyFile(N, 10);
  const exchanges = N + 1; // and the OPEN (the LOOKUP is the parent directory's)

  it('a window draws every exchange in it, and the strip shows the rest of the file', () => {
    const data = page(cap, { since: '100s', until: '101s' });
    const g = data.groups.find((x) => x.title === '/f')!;
    assert.equal(data.groups[0], g, 'the busy file first');
    // WRITEs start at 10 ms + 10 ms * i: 100 of them start in [100 s, 101 s], one more ends in it.
    const inWindow = g.bars.filter((b) => b[2] >= ms(100_000) && b[1] <= ms(101_000));
    assert.equal(inWindow.length, 101, 'every exchange of the window is drawn');
    assert.equal(g.bars.length, 101, 'and nothing outside it');
    assert.equal(g.selected, 101);
    assert.ok(g.density, 'a density strip');
    assert.equal(sum(g.density.counts), exchanges, 'the strip counts every exchange of the file');
    assert.equal(g.all, exchanges);
    assert.ok(g.density.counts.length <= DEFAULT_HTML_LIMITS.densityBuckets + 1, `${g.density.counts.length} slices`);
    // The strip covers the whole file: first slice at its start, last at its end.
    assert.ok(g.density.t0 <= ms(1) && g.density.t0 + g.density.counts.length * g.density.width > ms(10 + (N - 1) * 10));
    assert.deepEqual(data.view, [ms(100_000), ms(101_000)], 'the page opens on the window');
  });

  it('a file filter keeps that file\'s exchanges whatever the others did', () => {
    // Busy /f first, then /g with a few exchanges: unfiltered, /g's bars would come after /f's.
    const c = busyFile(3000, 1);
    c.lookup(0, 4000, 1, 'g', 11, { ino: 6, size: 0 });
    c.open(0, 4001, 11, 2, 0);
    for (let i = 0; i < 5; i++) {
      const u = c.writeReq(0, 4010 + i, 11, 2, i * 4096, 4096);
      c.writeReply(0, 4010.5 + i, u, 4096);
    }
    const data = page(c, { file: ['/g'] });
    assert.deepEqual(data.groups.map((g) => g.title), ['/g']);
    assert.equal(data.groups[0]!.bars.length, 6, 'the OPEN and the five WRITEs');
    const v = data.view;
    assert.ok(v[0] >= ms(3000) && v[1] <= ms(4100), `opens on /g's exchanges, not the whole capture: ${v.join('..')}`);
  });

  it('unfiltered, the analysis keeps a bounded timeline and the page says how many there were', () => {
    const r = cap.analyze({ timeline: true });
    const f = r.model.files.find((x) => x.path === '/f')!;
    assert.equal(f.timeline.length, BARS_PER_FILE);
    assert.equal(f.timelineDropped, exchanges - BARS_PER_FILE);
    assert.ok(f.activity && f.activity.counts.length <= MAX_BINS, 'bounded bins');
    const data = buildPageData(r.model);
    const g = data.groups.find((x) => x.title === '/f')!;
    assert.equal(g.barsTotal, BARS_PER_FILE);
    assert.equal(g.selected, exchanges);
    assert.equal(sum(g.density!.counts), exchanges);
    assert.equal(data.barsTotal, exchanges + data.groups.filter((x) => x !== g).reduce((a, x) => a + x.selected, 0), 'the page counts every exchange, not only those kept');
  });
});

describe('html report: the timeline budget', () => {
  it('a file busy late in the capture still gets its bars when early files spent the budget', () => {
    const c = new Cap(1);
    c.init(0, 0);
    // 300 files (nodeids only) with two GETATTRs each: 600 bars for a budget of 400 ...
    for (let i = 0; i < 300; i++) {
      for (let k = 0; k < 2; k++) {
        const u = c.getattrReq(0, 1 + i + k * 0.3, 100 + i);
        c.attrReply(0, 1.1 + i + k * 0.3, u, { ino: 1000 + i, size: 1 });
      }
    }
    // ... then /busy with 150.
    c.lookup(0, 400, 1, 'busy', 60, { ino: 60, size: 1 });
    for (let i = 0; i < 150; i++) {
      const u = c.getattrReq(0, 401 + i, 60);
      c.attrReply(0, 401.5 + i, u, { ino: 60, size: 1 });
    }
    const r = c.analyze({ timeline: true, limits: { maxBars: 400 } });
    const busy = r.model.files.find((f) => f.path === '/busy')!;
    assert.equal(busy.timeline.length, 150, 'every exchange of /busy kept');
    const data = buildPageData(r.model);
    assert.equal(data.groups[0]!.title, '/busy');
    assert.equal(data.groups[0]!.bars.length, 150);
    // The small files' exchanges are still counted where their bars were let go.
    const small = r.model.files.filter((f) => f.path !== '/busy' && f.path !== '/');
    assert.ok(small.every((f) => f.timeline.length + (f.timelineDropped ?? 0) === 2), 'kept or counted as dropped');
    assert.ok(small.some((f) => f.activity !== undefined && f.timeline.length === 0), 'some let go, with their activity');
  });
});

describe('html report: which files get lanes', () => {
  it('findings first, then by activity, ties told apart by what the files did', () => {
    const c = new Cap(1);
    c.init(0, 0);
    // 300 files, 2 exchanges each (LOOKUP, GETATTR) ...
    for (let i = 0; i < 300; i++) {
      c.lookup(0, 1 + i, 1, `f${String(i).padStart(5, '0')}`, 100 + i, { ino: 1000 + i, size: 1 });
      const u = c.getattrReq(0, 1.2 + i, 100 + i);
      c.attrReply(0, 1.4 + i, u, { ino: 1000 + i, size: 1 });
    }
    // ... /w: 2 exchanges too (LOOKUP, WRITE) but it wrote 64 KiB ...
    c.lookup(0, 400, 1, 'w', 50, { ino: 50, size: 0 });
    const u = c.writeReq(0, 401, 50, 7, 0, 65536);
    c.writeReply(0, 402, u, 65536);
    // ... /busy: 40 exchanges, late in the capture ...
    c.lookup(0, 500, 1, 'busy', 60, { ino: 60, size: 1 });
    for (let i = 0; i < 39; i++) {
      const g = c.getattrReq(0, 501 + i, 60);
      c.attrReply(0, 501.5 + i, g, { ino: 60, size: 1 });
    }
    // ... and /race: two parallel direct WRITEs beyond its size (a finding), few exchanges.
    c.lookup(0, 600, 1, 'race', 70, { ino: 70, size: 0 });
    c.open(0, 601, 70, 9, FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES);
    const a = c.writeReq(0, 602, 70, 9, 0, 4096, { pid: 1 });
    const b = c.writeReq(0, 602.1, 70, 9, 1 << 20, 4096, { pid: 2 });
    c.writeReply(0, 603, a, 4096);
    c.writeReply(0, 603.1, b, 4096);
    const r = c.analyze({ timeline: true });
    const data = buildPageData(r.model, { ...DEFAULT_HTML_LIMITS, files: 5 });
    const titles = data.groups.map((g) => g.title);
    assert.ok(r.model.findings.some((f) => f.path === '/race'), `a finding on /race (have ${r.model.findings.map((f) => f.kind).join(', ')})`);
    // The root directory is busy too: it served every LOOKUP.
    assert.deepEqual(titles.slice(0, 4), ['/race', '/', '/busy', '/w'], `lanes: ${titles.join(', ')}`);
  });
});
