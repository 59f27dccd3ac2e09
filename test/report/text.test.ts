import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { renderHistogram, renderText } from '../../src/report/text.js';
import { palette } from '../../src/report/format.js';
import { file, finding, model } from '../helpers/model-builder.js';

describe('text report', () => {
  it('has every section, names with numbers, and no colour unless asked', () => {
    const text = renderText(model());
    for (const title of ['Captures', 'Connections', 'Time span', 'Counts', 'Requests by opcode', 'Busiest files', 'Findings (1 error, 1 warning, 0 info)', 'What this capture cannot show']) {
      assert.ok(text.includes(`\n${title}\n`), `section ${title}`);
    }
    assert.match(text, /LOOKUP \(1\)/);
    assert.match(text, /WRITE \(16\)/);
    assert.match(text, /ENOENT \(2\) ×2/);
    assert.match(text, /parallel dirops: yes {3}async DIO: yes {3}writeback cache: no {3}max_write: 128 KiB \(131072\)/);
    assert.match(text, /protocol 7\.31 \(kernel 7\.45, daemon 7\.31\), from INIT/);
    assert.doesNotMatch(text, /\x1b\[/);
    assert.match(renderText(model(), { color: true }), /\x1b\[31m/);
  });

  it('sizes table columns from the data', () => {
    const text = renderText(model());
    const lines = text.split('\n');
    const head = lines.findIndex((l) => /^\s+opcode\s+count\s+errors\s+p50/.test(l));
    assert.ok(head > 0, 'table header');
    const header = lines[head]!;
    const row = lines[head + 1]!;
    // right-aligned numbers end under their header
    assert.equal(row.indexOf('4') + 1, header.indexOf('count') + 'count'.length);
  });

  it('lists findings worst first and groups many of a kind', () => {
    const many = Array.from({ length: 40 }, (_, i) => finding('parallel-write-beyond-size', 'error', { path: '/x', t: 1000 + i, uniques: [2 * i] }));
    const text = renderText(model({ findings: [finding('interrupted', 'info', { t: 0 }), ...many, finding('short-write', 'warning', { t: 1 })] }));
    const iErr = text.indexOf('ERROR');
    const iWarn = text.indexOf('WARNING');
    const iInfo = text.indexOf('INFO');
    assert.ok(iErr < iWarn && iWarn < iInfo, 'error, then warning, then info');
    assert.match(text, /and 37 more parallel-write-beyond-size on \/x \(error\)/);
    assert.equal(text.split('\n').filter((l) => l.includes('ERROR')).length, 3);
  });

  it('shows the size history compactly with kernel vs daemon and marks disagreement', () => {
    const ev = Array.from({ length: 20 }, (_, i) => ({
      t: i * 1000, conn: 0, nodeid: 5, path: '/big.img', event: 'write' as const, unique: i, value: i * 4096,
      kernelSize: i === 3 ? 0 : i * 4096, daemonSize: i * 4096, reportedSize: null,
    }));
    const text = renderText(model({ files: [file({ sizeHistory: ev })] }));
    assert.match(text, /size history \(20 events/);
    assert.match(text, /… 12 more …/);
    assert.match(text, /≠ kernel and daemon disagree/);
  });

  it('names the limitations, or says none were seen', () => {
    assert.match(renderText(model()), /nothing known/);
    const t = renderText(model({ limitations: [{ kind: 'io-uring', conn: 0, message: 'FUSE over io_uring was negotiated: requests bypass /dev/fuse' }] }));
    assert.match(t, /conn 0: FUSE over io_uring was negotiated/);
  });

  it('draws log2 histograms with [lo, hi) labels scaled to the largest bucket', () => {
    const lines = renderHistogram([[8, 16, 0], [16, 32, 4], [32, 64, 0], [64, 128, 2], [1024, 2048, 0]], palette(false), 10, '');
    assert.deepEqual(lines, [
      '[16, 32)   4 |@@@@@@@@@@|',
      '[32, 64)   0 |          |',
      '[64, 128)  2 |@@@@@     |',
    ]);
  });
});
