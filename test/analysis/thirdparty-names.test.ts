/**
 * Names that are not UTF-8, in a real capture of a daemon nobody here wrote
 * (fuse-convmvfs mirroring UTF-8 names as ISO-8859-1,
 * fixtures/gen/thirdparty-fuse-convmvfs-latin1.sh): `üa` and `ýa` are the
 * bytes fc 61 and fd 61 on the wire. Decoded with U+FFFD for the byte that
 * is not UTF-8, both were one name, and the UNLINK of fc 61 marked the file
 * of fd 61 deleted, which the capture disproves.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analysis/analyze.js';
import { renderText } from '../../src/report/text.js';
import { pairExchanges, readPcapng } from '../helpers/mount.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const CAP = join(ROOT, 'fixtures', 'thirdparty-fuse-convmvfs-latin1.pcapng');
const LOOKUP = 1;
const UNLINK = 10;

describe('fuse-convmvfs, Latin-1 names on the wire', { skip: existsSync(CAP) ? false : 'fixtures/thirdparty-fuse-convmvfs-latin1.pcapng is missing' }, () => {
  it('holds LOOKUPs of fc 61 (nodeid 2, 3 bytes) and fd 61 (nodeid 3, empty), and the UNLINK of fc 61', () => {
    // The independent reader: each request's name bytes after the 40-byte header, and the entry's nodeid.
    const xs = pairExchanges(readPcapng(CAP)).exchanges;
    const nameOf = (x: (typeof xs)[number]): string => x.req.subarray(40, x.req.indexOf(0, 40)).toString('hex');
    const lookups = xs.filter((x) => x.opcode === LOOKUP && x.reply && x.replyError === 0).map((x) => [nameOf(x), Number(x.reply!.readBigUInt64LE(16))]);
    assert.deepEqual(lookups.filter(([n]) => n === 'fc61' || n === 'fd61'), [['fc61', 2], ['fd61', 3]]);
    assert.deepEqual(xs.filter((x) => x.opcode === UNLINK).map((x) => [nameOf(x), x.replyError]), [['fc61', 0]]);
  });

  it('deletes the file of fc 61 and keeps fd 61; the text shows the bytes', () => {
    const r = analyze({ files: [CAP] });
    assert.equal(r.fatal, undefined);
    const paths = Object.fromEntries(r.model.files.map((f) => [Number(f.nodeid), f.path]));
    assert.equal(paths[2], '/\udcfca (deleted)');
    assert.equal(paths[3], '/\udcfda');
    assert.deepEqual(r.model.findings, []);
    const text = renderText(r.model);
    assert.match(text, /\/\\xfca \(deleted\)/);
    assert.match(text, /\/\\xfda /);
  });
});
