/**
 * The reordering window on a real recording: blocks of different daemon
 * threads come out of time order (capture-format.md), some far behind. The
 * bundled many-file recording holds one block between 257 and 512 messages
 * behind messages stamped later: the default window puts everything in time
 * order, a window of 256 cannot, and the analysis then says so instead of
 * applying it out of order in silence. A window that let a message through
 * late doubles, up to ORDER_WINDOW_GROWTH times its start, so the next lag
 * like it is put in order.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, after, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { analyze, type AnalyzeResult } from '../../src/analysis/analyze.js';
import { ORDER_WINDOW_GROWTH } from '../../src/pairing/order.js';
import { renderText } from '../../src/report/text.js';
import { makeTempDir, repoRoot } from '../helpers/mount.js';

describe('reordering window on the real many-file recording', () => {
  const dir = makeTempDir('ordering-window');
  const cap = join(dir.path, 'manyfiles.pcapng');
  let byDefault: AnalyzeResult;
  let small: AnalyzeResult;
  let tiny: AnalyzeResult;
  before(() => {
    writeFileSync(cap, gunzipSync(readFileSync(join(repoRoot, 'fixtures', 'manyfiles.pcapng.gz'))));
    byDefault = analyze({ files: [cap] });
    small = analyze({ files: [cap], limits: { maxWaiting: 256 } });
    tiny = analyze({ files: [cap], limits: { maxWaiting: 4 } });
  });
  after(() => dir.remove());

  it('the default window applies every message in time order, and no limitation says otherwise', () => {
    assert.equal(byDefault.fatal, undefined);
    assert.equal(byDefault.model.tables?.releasedLate, 0);
    assert.ok(byDefault.model.tables.orderingWindow! > 256, 'the window held more than 256 events at its peak');
    assert.deepEqual(byDefault.model.limitations.filter((l) => l.kind === 'out-of-order'), []);
  });

  it('a window of 256 messages applies one message out of order, and the limitation tells the user', () => {
    assert.equal(small.model.tables?.releasedLate, 1);
    const l = small.model.limitations.filter((x) => x.kind === 'out-of-order');
    assert.equal(l.length, 1);
    assert.equal(l[0]!.conn, null);
    assert.match(l[0]!.message, /^1 message was recorded too long after messages stamped later \(more than 256 messages or 1 s behind, the reordering window, which then grew to 512 messages\)/);
    assert.match(renderText(small.model), /1 message was recorded too long after messages stamped later/);
  });

  it('a window that let a message through late grows, to at most ORDER_WINDOW_GROWTH times its start', () => {
    // Each drain that let a message through late doubled the window of 4, up to 64: 13 messages were late, the
    // last ones further behind than 64 (a window that stayed at 4 let 203 through, measured before windows grew).
    assert.equal(ORDER_WINDOW_GROWTH, 16);
    assert.equal(tiny.model.tables?.releasedLate, 13);
    assert.ok(tiny.model.tables.orderingWindow! > 64, 'the window held 64 events and a chunk of messages over them');
    const l = tiny.model.limitations.filter((x) => x.kind === 'out-of-order');
    assert.match(l[0]!.message, /^13 messages were recorded too long after messages stamped later \(more than 4 messages or 1 s behind, the reordering window, which then grew to 64 messages\)/);
  });

  it('the message counts stay those of the capture either way', () => {
    assert.equal(small.model.summary.messages, byDefault.model.summary.messages);
    assert.equal(byDefault.model.summary.messages, 460_687);
  });
});
