/**
 * The reordering window on a real recording: blocks of different daemon
 * threads come out of time order (capture-format.md), some far behind. The
 * bundled many-file recording holds one block between 257 and 512 messages
 * behind messages stamped later: the default window puts everything in time
 * order, a window of 256 cannot, and the analysis then says so instead of
 * applying it out of order in silence.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, after, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { analyze, type AnalyzeResult } from '../../src/analysis/analyze.js';
import { renderText } from '../../src/report/text.js';
import { makeTempDir, repoRoot } from '../helpers/mount.js';

describe('reordering window on the real many-file recording', () => {
  const dir = makeTempDir('ordering-window');
  const cap = join(dir.path, 'manyfiles.pcapng');
  let byDefault: AnalyzeResult;
  let small: AnalyzeResult;
  before(() => {
    writeFileSync(cap, gunzipSync(readFileSync(join(repoRoot, 'fixtures', 'manyfiles.pcapng.gz'))));
    byDefault = analyze({ files: [cap] });
    small = analyze({ files: [cap], limits: { maxWaiting: 256 } });
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
    assert.match(l[0]!.message, /^1 message was recorded too long after messages stamped later \(more than 256 messages or 1 s behind/);
    assert.match(renderText(small.model), /1 message was recorded too long after messages stamped later/);
  });

  it('the message counts stay those of the capture either way', () => {
    assert.equal(small.model.summary.messages, byDefault.model.summary.messages);
    assert.equal(byDefault.model.summary.messages, 460_687);
  });
});
