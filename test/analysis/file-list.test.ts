import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NO_FILTERS } from '../../src/analysis/filters.js';
import { Cap } from './capture-builder.js';

/**
 * The file list keeps the busiest files, among the live ones and those the
 * kernel forgot. Forgotten files are ranked on their state and summarised
 * only when listed (most never are): the summary must be the one the file
 * had when it was forgotten.
 */
test('the file list: the busiest of 3,000 forgotten files, summarised as they were when forgotten', () => {
  const c = new Cap(1);
  c.init(0, 0);
  const busy = new Map([[500, 3], [1500, 5], [2500, 4], [2999, 2]]);
  let ms = 1;
  for (let i = 0; i < 3000; i++) {
    const nodeid = 100 + i;
    c.lookup(0, ms++, 1, `f${i}`, nodeid, { ino: 1000 + i, size: i });
    for (let k = 0; k < (busy.get(i) ?? 0); k++) {
      const g = c.getattrReq(0, ms++, nodeid);
      c.attrReply(0, ms++, g, { ino: 1000 + i, size: i + k + 1 });
    }
    c.forget(0, ms++, nodeid, 1);
  }
  c.lookup(0, ms++, 1, 'live', 9000, { ino: 9000, size: 1 });
  // No detectors: the sizes grow here only to make files busy (size-grew-externally would keep them all, as files with findings).
  const { model } = c.analyze({ limits: { maxFiles: 5 }, filters: { ...NO_FILTERS, detectors: [] } });
  assert.equal(model.tables!.filesRetired, 3000);
  assert.equal(model.summary.files, 3002, 'the root, the 3,000 forgotten and one live');
  assert.deepEqual(model.files.map((f) => [f.path, f.exchanges]), [['/', 3001], ['/f1500', 5], ['/f2500', 4], ['/f500', 3], ['/f2999', 2]]);
  assert.equal(model.filesOmitted, 3002 - 5);
  const f = model.files.find((x) => x.path === '/f1500')!;
  assert.equal(f.nodeid, 1600);
  assert.equal(f.ino, 2500);
  assert.equal(f.reportedSize, 1505);
  assert.deepEqual(f.kernelSize, { '0': 1505 });
  assert.deepEqual(f.byOpcode, { GETATTR: 5 });
  assert.deepEqual(f.sizeHistory.map((e) => [e.event, e.value, e.path]), [1500, 1501, 1502, 1503, 1504, 1505].map((v) => ['report', v, '/f1500']));
  assert.deepEqual(f.correlated, []);
});
