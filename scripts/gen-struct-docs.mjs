// Writes docs/protocol-structs.md from the compiled layouts (run `npm run build` first).
// test/protocol/struct-docs.test.ts checks that the committed file is up to date.
import { writeFileSync } from 'node:fs';
import { renderStructDocs } from '../dist/src/protocol/struct-docs.js';

writeFileSync(new URL('../docs/protocol-structs.md', import.meta.url), renderStructDocs());
console.log('wrote docs/protocol-structs.md');
