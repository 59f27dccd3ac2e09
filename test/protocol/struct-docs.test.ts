/** docs/protocol-structs.md is generated from the layouts: it must be up to date. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderStructDocs } from '../../src/protocol/struct-docs.js';
import { ALL_LAYOUTS } from '../../src/protocol/layouts/index.js';

test('docs/protocol-structs.md matches the declared layouts (regenerate: npm run build && node scripts/gen-struct-docs.mjs)', () => {
  const committed = readFileSync('docs/protocol-structs.md', 'utf8');
  const fresh = renderStructDocs();
  assert.equal(committed, fresh);
  for (const l of ALL_LAYOUTS) assert.ok(fresh.includes(`### \`${l.name}\``), `${l.name} documented`);
});
