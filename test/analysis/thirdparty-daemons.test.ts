/**
 * Real captures of daemons nobody here wrote (fixtures/README.md,
 * fixtures/gen/thirdparty-*.sh): sshfs, ntfs-3g, encfs, gocryptfs, rclone
 * mount2, mergerfs, fuse2fs, securefs, lxcfs, fuse-zip, libfuse's passthrough_hp,
 * avfs, unionfs-fuse, archivemount, posixovl, exfat-fuse, httpdirfs, cryfs, fusefat,
 * disorderfs, zfs-fuse, the GlusterFS client, MooseFS's mfsmount, fuse-convmvfs, fuseext2,
 * httpfs2, restic mount, borg mount (llfuse and pyfuse3), fuseiso, fuseiso9660, s3fs, guestmount, ciopfs,
 * mp3fs, davfs2, nbdfuse (an nbdkit disk as one file), s3backer (--test), wimlib's
 * wimmountrw, tup (three builds of a small C project: one connection each),
 * xmount (a raw disk image with a write cache), qcowmount and ewfmount (libyal's mount tools: a qcow2 and an EWF
 * image as one read-only file), mhddfs (a union of two
 * branches), afuse (an automounter of bindfs), rdiff-backup-fs (two backups),
 * llfuse's examples tmpfs.py and passthroughfs.py (which dies on an O_DIRECT
 * write), gvfsd-fuse (GVFS mounts of a D-Bus session), smbnetfs (a Samba share), ffmpegfs (media
 * transcoded on the fly), owfs (simulated 1-Wire devices), fuse-python's example xmp.py, libfuse's
 * notification examples notify_store_retrieve and notify_inval_entry, bup fuse (a bup repository), ceph-fuse (CephFS,
 * one client, then two in the stale-size race), fusepy and Ruby's FuseFS (in-memory file systems written in their
 * scripts), xrootdfs (an xrootd server), rbd-fuse (RBD images of a Ceph pool), Pike's Fuse module (an in-memory
 * file system in the script). Each is decoded as
 * the test suite's independent reader pairs it,
 * and each has the findings the capture itself supports and no other: what
 * made a finding false is shown to be in the capture first, then the
 * analysis is asserted not to report it.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze, type AnalyzeResult } from '../../src/analysis/analyze.js';
import { runCli } from '../helpers/cli.js';
import { maxInFlight, Op, openReplyFlags, pairExchanges, readPcapng, writeInfo, type Exchange as RawExchange } from '../helpers/mount.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const fx = (name: string): string => join(ROOT, 'fixtures', name);

interface Dumped {
  conn: number; unique: number; opcode: number; op: string; nodeid: number; error: number | null; error_name: string | null;
  req_ns: string; reply_ns: string | null; latency_us: number | null; reply_rejected_errno: number | null;
  request: { body: Record<string, unknown> };
  reply?: { body: Record<string, unknown> };
}

const dumps = new Map<string, { exchanges: Dumped[]; summary: Record<string, unknown> }>();
function dump(name: string): { exchanges: Dumped[]; summary: Record<string, unknown> } {
  let d = dumps.get(name);
  if (!d) {
    const r = runCli(['dump', '--exchanges', '--json', fx(name)]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> });
    d = { exchanges: lines.filter((l) => l.type === 'exchange').map((l) => l.data as unknown as Dumped), summary: lines.at(-1)!.data };
    dumps.set(name, d);
  }
  return d;
}

const results = new Map<string, AnalyzeResult>();
function run(name: string): AnalyzeResult {
  let r = results.get(name);
  if (!r) {
    r = analyze({ files: [fx(name)] });
    assert.equal(r.fatal, undefined);
    results.set(name, r);
  }
  return r;
}

const kindsOf = (r: AnalyzeResult): string[] => r.model.findings.map((f) => f.kind);

/** attr of an attribute or entry reply body (fuse_attr_out / fuse_entry_out), as dump prints it. */
function attrOf(x: Dumped): { ino: number | string; size: number; mode: number } | undefined {
  const b = x.reply?.body as { fuse_attr_out?: { attr: never }; fuse_entry_out?: { attr: never } } | undefined;
  return b?.fuse_attr_out?.attr ?? b?.fuse_entry_out?.attr;
}

const WORKLOAD_OPS = ['CREATE', 'WRITE', 'SETATTR', 'RENAME', 'UNLINK', 'LOOKUP', 'READDIRPLUS'];
const CAPTURES: { name: string; protocol: string; ops?: string[]; unanswered?: number }[] = [
  { name: 'thirdparty-sshfs.pcapng', protocol: '7.31' },
  { name: 'thirdparty-ntfs-3g.pcapng', protocol: '7.18', ops: WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS') },
  { name: 'thirdparty-encfs.pcapng', protocol: '7.19', ops: WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS') },
  { name: 'thirdparty-gocryptfs.pcapng', protocol: '7.28' },
  { name: 'thirdparty-rclone.pcapng', protocol: '7.28' },
  { name: 'thirdparty-passthrough-hp-direct-io.pcapng', protocol: '7.45' },
  // READ and WRITE of passthrough files go to the backing file, not to /dev/fuse.
  { name: 'thirdparty-passthrough-hp-passthrough.pcapng', protocol: '7.45', ops: WORKLOAD_OPS.filter((o) => o !== 'WRITE') },
  { name: 'thirdparty-passthrough-hp-clone-fd.pcapng', protocol: '7.45' },
  { name: 'thirdparty-mergerfs.pcapng', protocol: '7.31', ops: WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS') },
  { name: 'thirdparty-fuse2fs.pcapng', protocol: '7.19', ops: WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS') },
  { name: 'thirdparty-securefs.pcapng', protocol: '7.19', ops: WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS') },
  { name: 'thirdparty-fuse-zip.pcapng', protocol: '7.19', ops: WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS') },
  { name: 'thirdparty-avfs.pcapng', protocol: '7.19', ops: WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS') },
  { name: 'thirdparty-unionfs-fuse.pcapng', protocol: '7.19', ops: WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS') },
  { name: 'thirdparty-archivemount.pcapng', protocol: '7.19', ops: WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS') },
  { name: 'thirdparty-posixovl.pcapng', protocol: '7.19', ops: WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS') },
  { name: 'thirdparty-unionfs-fuse-two-A.pcapng', protocol: '7.19', ops: ['CREATE', 'WRITE', 'LOOKUP'] },
  { name: 'thirdparty-unionfs-fuse-two-B.pcapng', protocol: '7.19', ops: ['CREATE', 'SETATTR', 'LOOKUP'] },
  { name: 'thirdparty-exfat-fuse.pcapng', protocol: '7.19', ops: WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS') },
  { name: 'thirdparty-zfs-fuse.pcapng', protocol: '7.19', ops: WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS') },
  // Read-only: the files come from an HTTP server.
  { name: 'thirdparty-httpdirfs.pcapng', protocol: '7.19', ops: ['LOOKUP', 'READDIR', 'OPEN', 'READ', 'RELEASE', 'GETATTR'] },
  { name: 'thirdparty-cryfs.pcapng', protocol: '7.19', ops: WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS') },
  // CREATE is answered ENOSYS: files are made by MKNOD and OPEN.
  { name: 'thirdparty-fusefat.pcapng', protocol: '7.19', ops: [...WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS'), 'MKNOD'] },
  { name: 'thirdparty-disorderfs.pcapng', protocol: '7.19', ops: [...WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS'), 'READDIR', 'LINK'] },
  // Listings only: the same tree in the backing directory's order, then reversed.
  { name: 'thirdparty-disorderfs-forward.pcapng', protocol: '7.19', ops: ['LOOKUP', 'OPENDIR', 'READDIR', 'RELEASEDIR'] },
  { name: 'thirdparty-disorderfs-reverse.pcapng', protocol: '7.19', ops: ['LOOKUP', 'OPENDIR', 'READDIR', 'RELEASEDIR'] },
  // GlusterFS 10.3's FUSE bridge answers INIT with 7.24 whatever the kernel offers.
  { name: 'thirdparty-glusterfs.pcapng', protocol: '7.24', ops: [...WORKLOAD_OPS, 'LINK', 'READ'] },
  { name: 'thirdparty-glusterfs-race-A.pcapng', protocol: '7.24', ops: ['LOOKUP', 'OPEN', 'WRITE'] },
  { name: 'thirdparty-glusterfs-race-B.pcapng', protocol: '7.24', ops: ['CREATE', 'SETATTR', 'LOOKUP'] },
  // MooseFS 3.0.117's mfsmount (libfuse 3.14): the workload, then four O_DIRECT writers of one file; the race's two clients.
  { name: 'thirdparty-moosefs.pcapng', protocol: '7.31', ops: [...WORKLOAD_OPS, 'LINK', 'MKDIR', 'READ'] },
  { name: 'thirdparty-moosefs-race-A.pcapng', protocol: '7.31', ops: ['LOOKUP', 'OPEN', 'WRITE'] },
  { name: 'thirdparty-moosefs-race-B.pcapng', protocol: '7.31', ops: ['CREATE', 'SETATTR', 'LOOKUP'] },
  // CREATE is answered ENOSYS: files are made by MKNOD and OPEN; READDIR without READDIRPLUS.
  { name: 'thirdparty-fuse-convmvfs.pcapng', protocol: '7.19', ops: [...WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS'), 'MKNOD', 'READDIR', 'LINK'] },
  { name: 'thirdparty-fuseext2.pcapng', protocol: '7.19', ops: [...WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS'), 'READDIR'] },
  // Read-only, one file from an HTTP server.
  { name: 'thirdparty-httpfs2.pcapng', protocol: '7.19', ops: ['LOOKUP', 'READDIR', 'OPEN', 'READ', 'RELEASE', 'GETATTR'] },
  // Read-only snapshots; bazil.org/fuse (Go, no libfuse) answers INIT with 7.12.
  { name: 'thirdparty-restic.pcapng', protocol: '7.12', ops: ['LOOKUP', 'OPENDIR', 'READDIR', 'READLINK', 'OPEN', 'READ', 'FLUSH', 'RELEASE'] },
  // Read-only archives, through llfuse (libfuse 2).
  { name: 'thirdparty-borg.pcapng', protocol: '7.19', ops: ['LOOKUP', 'OPENDIR', 'READDIR', 'READLINK', 'OPEN', 'READ', 'RELEASE'] },
  // The same through pyfuse3 (libfuse 3): entries come by READDIRPLUS.
  { name: 'thirdparty-borg-pyfuse3.pcapng', protocol: '7.31', ops: ['LOOKUP', 'OPENDIR', 'READDIRPLUS', 'READLINK', 'OPEN', 'READ', 'RELEASE'] },
  // Read-only ISO 9660 image.
  { name: 'thirdparty-fuseiso.pcapng', protocol: '7.19', ops: ['LOOKUP', 'GETATTR', 'OPENDIR', 'READDIR', 'READLINK', 'OPEN', 'READ', 'RELEASE'] },
  // fuseiso9660, another reader of ISO 9660 images (libfuse 2): the Rock Ridge symlink is a regular file, so no READLINK.
  { name: 'thirdparty-fuseiso9660.pcapng', protocol: '7.19', ops: ['LOOKUP', 'GETATTR', 'OPENDIR', 'READDIR', 'OPEN', 'READ', 'RELEASE', 'STATFS'] },
  // A bucket of a local S3 server: no truncate (no SETATTR), READDIR without READDIRPLUS.
  { name: 'thirdparty-s3fs.pcapng', protocol: '7.19', ops: [...WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS' && o !== 'SETATTR'), 'READDIR', 'MKDIR', 'READ', 'FLUSH', 'FORGET'] },
  // An ext2 image through the libguestfs appliance: CREATE is answered ENOSYS, files are made by MKNOD and OPEN; READDIR without READDIRPLUS.
  { name: 'thirdparty-guestmount.pcapng', protocol: '7.19', ops: [...WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS' && o !== 'CREATE'), 'MKNOD', 'READDIR', 'LINK', 'MKDIR', 'READ'] },
  { name: 'thirdparty-ciopfs.pcapng', protocol: '7.19', ops: [...WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS'), 'READDIR', 'LINK', 'MKDIR'] },
  // Read-only: FLAC files served as MP3 files transcoded on the fly.
  { name: 'thirdparty-mp3fs.pcapng', protocol: '7.19', ops: ['LOOKUP', 'GETATTR', 'OPENDIR', 'READDIR', 'OPEN', 'READ', 'RELEASE'] },
  // mount.davfs speaks protocol 7.5 itself, no libfuse; its READDIRs are all answered -EINVAL.
  { name: 'thirdparty-davfs2.pcapng', protocol: '7.5', ops: [...WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS'), 'READDIR', 'MKDIR', 'FORGET'] },
  // One fixed-size file (a block device): no CREATE, RENAME, UNLINK; truncates answered ENOSYS.
  { name: 'thirdparty-nbdfuse.pcapng', protocol: '7.31', ops: ['LOOKUP', 'GETATTR', 'OPEN', 'WRITE', 'READ', 'FSYNC', 'SETATTR', 'RELEASE'] },
  { name: 'thirdparty-s3backer.pcapng', protocol: '7.19', ops: ['LOOKUP', 'GETATTR', 'OPEN', 'WRITE', 'READ', 'FSYNC', 'SETATTR', 'FLUSH', 'RELEASE'] },
  // CREATE is answered ENOSYS: files are made by MKNOD and OPEN; READDIR without READDIRPLUS.
  { name: 'thirdparty-wimlib.pcapng', protocol: '7.19', ops: [...WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS'), 'MKNOD', 'READDIR', 'LINK', 'SETXATTR'] },
  // Three builds, one connection each: the build commands' files; tup deletes outputs itself (no UNLINK), lists nothing by READDIRPLUS.
  { name: 'thirdparty-tup.pcapng', protocol: '7.31', ops: ['LOOKUP', 'GETATTR', 'ACCESS', 'CREATE', 'OPEN', 'READ', 'WRITE', 'FLUSH', 'RELEASE', 'SETATTR', 'OPENDIR', 'RELEASEDIR'] },
  // One fixed-size file (a disk image): no CREATE, RENAME, UNLINK; truncates, FSYNC and FLUSH answered ENOSYS.
  { name: 'thirdparty-xmount.pcapng', protocol: '7.19', ops: ['LOOKUP', 'GETATTR', 'OPEN', 'WRITE', 'READ', 'FSYNC', 'SETATTR', 'FLUSH', 'STATFS', 'RELEASE'] },
  // Disk images exposed as one read-only file by the libyal mount tools (libfuse 2): reads only.
  { name: 'thirdparty-qcowmount.pcapng', protocol: '7.19', ops: ['LOOKUP', 'GETATTR', 'OPENDIR', 'READDIR', 'OPEN', 'READ', 'RELEASE', 'STATFS'] },
  { name: 'thirdparty-ewfmount.pcapng', protocol: '7.19', ops: ['LOOKUP', 'GETATTR', 'OPENDIR', 'READDIR', 'OPEN', 'READ', 'RELEASE', 'STATFS'] },
  // A union of two branches: READDIR without READDIRPLUS; then fixed_file_workload on one file.
  { name: 'thirdparty-mhddfs.pcapng', protocol: '7.19', ops: [...WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS'), 'READDIR', 'READ', 'FSYNC'] },
  // An automounter passing everything below a name on to a nested bindfs mount (not recorded).
  { name: 'thirdparty-afuse.pcapng', protocol: '7.19', ops: [...WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS'), 'READDIR', 'MKDIR', 'LINK'] },
  // Read-only backups.
  { name: 'thirdparty-rdiff-backup-fs.pcapng', protocol: '7.19', ops: ['LOOKUP', 'GETATTR', 'OPENDIR', 'READDIR', 'OPEN', 'READ', 'RELEASE'] },
  // llfuse's example file system (libfuse 2): READDIR without READDIRPLUS; then fixed_file_workload on one file.
  { name: 'thirdparty-llfuse-tmpfs.pcapng', protocol: '7.19', ops: [...WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS'), 'READDIR', 'MKDIR', 'LINK', 'READ'] },
  // GVFS mounts through gvfsd-fuse: truncates are refused at OPEN (no SETATTR); the archive read-only.
  { name: 'thirdparty-gvfs-fuse.pcapng', protocol: '7.31', ops: [...WORKLOAD_OPS.filter((o) => o !== 'SETATTR'), 'MKDIR', 'OPEN', 'READ'] },
  // llfuse's other example, multi-threaded; it dies on its last request, which stays unanswered.
  { name: 'thirdparty-llfuse-passthroughfs.pcapng', protocol: '7.19', ops: [...WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS'), 'READDIR', 'MKDIR', 'LINK', 'READ'], unanswered: 1 },
  // A Samba share through libsmbclient (libfuse 2): CREATE is answered ENOSYS, files are made by MKNOD and OPEN; READDIR without READDIRPLUS.
  { name: 'thirdparty-smbnetfs.pcapng', protocol: '7.19', ops: [...WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS'), 'MKNOD', 'READDIR', 'MKDIR', 'LINK', 'READ', 'GETXATTR'] },
  // Read-only: WAV, FLAC and MKV files served as MP3 and MP4 files transcoded on the fly; READDIR without READDIRPLUS.
  { name: 'thirdparty-ffmpegfs.pcapng', protocol: '7.19', ops: ['LOOKUP', 'GETATTR', 'OPENDIR', 'READDIR', 'OPEN', 'READ', 'RELEASE', 'STATFS'] },
  // Simulated 1-Wire devices: a read-only tree of generated values but for one writable switch (no CREATE, RENAME, UNLINK).
  { name: 'thirdparty-owfs.pcapng', protocol: '7.19', ops: ['LOOKUP', 'GETATTR', 'OPENDIR', 'READDIR', 'OPEN', 'READ', 'SETATTR', 'WRITE', 'RELEASE'] },
  // fuse-python's example passthrough xmp.py (libfuse 2): READDIR without READDIRPLUS.
  { name: 'thirdparty-fuse-python.pcapng', protocol: '7.19', ops: [...WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS'), 'READDIR', 'MKDIR', 'LINK', 'READ'] },
  // libfuse's notification examples: one file the daemon updates from a thread (NOTIFY_STORE and RETRIEVE, answered by
  // NOTIFY_REPLY requests; NOTIFY_INVAL_ENTRY of the name it renames away); read, stat'ed and listed, nothing written.
  { name: 'thirdparty-libfuse-notify-store-retrieve.pcapng', protocol: '7.45', ops: ['LOOKUP', 'OPEN', 'READ', 'GETATTR', 'READDIR', 'RELEASE', 'NOTIFY_REPLY'] },
  { name: 'thirdparty-libfuse-notify-inval-entry.pcapng', protocol: '7.45', ops: ['LOOKUP', 'OPEN', 'GETATTR', 'READDIR', 'RELEASE', 'FORGET'] },
  // A read-only bup repository through fuse-python (libfuse 2), which runs git by Python's subprocess (vfork) as it goes.
  { name: 'thirdparty-bup.pcapng', protocol: '7.19', ops: ['LOOKUP', 'GETATTR', 'OPENDIR', 'READDIR', 'READLINK', 'OPEN', 'READ', 'RELEASE', 'STATFS'] },
  // CephFS through ceph-fuse (libfuse 2) on a one-node cluster: READDIR without READDIRPLUS; then the stale-size race through two clients.
  { name: 'thirdparty-ceph-fuse.pcapng', protocol: '7.19', ops: [...WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS'), 'READDIR', 'MKDIR', 'LINK', 'RMDIR', 'READ'] },
  { name: 'thirdparty-ceph-fuse-race-A.pcapng', protocol: '7.19', ops: ['LOOKUP', 'OPEN', 'WRITE'] },
  { name: 'thirdparty-ceph-fuse-race-B.pcapng', protocol: '7.19', ops: ['CREATE', 'SETATTR', 'LOOKUP'] },
  // fusepy (ctypes over libfuse 2's high-level API), multi-threaded: an in-memory file system with links, symlinks, xattrs.
  { name: 'thirdparty-fusepy.pcapng', protocol: '7.19', ops: [...WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS'), 'READDIR', 'LINK', 'SYMLINK', 'READLINK', 'MKDIR', 'RMDIR', 'SETXATTR', 'LISTXATTR', 'REMOVEXATTR'] },
  // Ruby's FuseFS (libfuse 2): CREATE is answered ENOSYS, files are made by MKNOD and OPEN.
  { name: 'thirdparty-ruby-fusefs.pcapng', protocol: '7.19', ops: [...WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS'), 'MKNOD', 'READDIR', 'MKDIR', 'RMDIR'] },
  // xrootdfs (libfuse 2) over an xrootd server on 127.0.0.1.
  { name: 'thirdparty-xrootdfs.pcapng', protocol: '7.19', ops: [...WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS'), 'READDIR', 'MKDIR', 'RMDIR', 'READ'] },
  // RBD images of a pool through rbd-fuse (libfuse 2): a fixed set of files, no CREATE, RENAME, UNLINK.
  { name: 'thirdparty-rbd-fuse.pcapng', protocol: '7.19', ops: ['LOOKUP', 'GETATTR', 'OPENDIR', 'READDIR', 'OPEN', 'WRITE', 'READ', 'FSYNC', 'SETATTR', 'GETXATTR', 'RELEASE'] },
  // Pike's Fuse module (libfuse 2): an in-memory file system in the script; LINK undefined there (ENOSYS).
  { name: 'thirdparty-pike-fuse.pcapng', protocol: '7.19', ops: [...WORKLOAD_OPS.filter((o) => o !== 'READDIRPLUS'), 'READDIR', 'MKDIR', 'RMDIR', 'READ'] },
];

for (const { name, protocol, ops = WORKLOAD_OPS, unanswered = 0 } of CAPTURES) {
  const skip = existsSync(fx(name)) ? false : `fixtures/${name} is missing (fixtures/gen/${name.replace('.pcapng', '.sh')})`;
  describe(`${name}: decode`, { skip }, () => {
    it('pairs every request with the reply the independent reader pairs, opcode and error alike', () => {
      const { exchanges, summary } = dump(name);
      const ind = pairExchanges(readPcapng(fx(name)));
      assert.equal(ind.orphans, 0);
      assert.equal(exchanges.length, ind.exchanges.length);
      // By connection and unique: tup's capture holds one pcapng section (connection) per `tup upd`. A NOTIFY_REPLY's
      // unique is the daemon's notify_unique, from a count of its own (libfuse's notify_store_retrieve: 1, 2, 3,
      // where INIT was #2): keyed apart.
      const key = (conn: number, opcode: number, unique: number | bigint): string => `${conn}:${opcode === Op.NOTIFY_REPLY ? 'notify ' : ''}${unique}`;
      const byUnique = new Map(exchanges.map((x) => [key(x.conn, x.opcode, x.unique), x]));
      assert.equal(byUnique.size, exchanges.length, 'one exchange per connection and unique');
      for (const e of ind.exchanges) {
        const x = byUnique.get(key(e.conn, e.opcode, e.unique));
        assert.ok(x, `#${e.unique} decoded`);
        assert.equal(x.opcode, e.opcode, `#${e.unique} opcode`);
        if (x.reply_rejected_errno !== null) {
          // A reply the kernel refused: the independent reader leaves the request unanswered.
          assert.equal(e.reply, undefined, `#${e.unique} rejected`);
          continue;
        }
        assert.equal(x.error, e.reply ? e.replyError : null, `#${e.unique} error`);
        assert.equal(x.reply_ns === null, e.reply === undefined, `#${e.unique} answered`);
      }
      assert.equal(summary.unanswered, unanswered);
      assert.equal(summary.orphan_replies, 0);
      assert.equal(summary.malformed, 0);
      assert.equal(summary.rejected_replies, 0);
      const conns = summary.connections as { protocol: string }[];
      assert.equal(conns.length, new Set(ind.exchanges.map((e) => e.conn)).size);
      for (const c of conns) assert.equal(c.protocol, protocol);
      for (const op of ops) {
        assert.ok(exchanges.some((x) => x.op === op || (op === 'RENAME' && x.op === 'RENAME2')), `a ${op}`);
      }
    });
  });
}

const has = (name: string): string | false => (existsSync(fx(name)) ? false : `fixtures/${name} is missing`);

describe('sshfs', { skip: has('thirdparty-sshfs.pcapng') }, () => {
  it('gets no finding; its LINK and its RMDIR of a non-empty directory (ENOTEMPTY) are in the capture', () => {
    const { exchanges } = dump('thirdparty-sshfs.pcapng');
    assert.ok(exchanges.some((x) => x.op === 'LINK' && x.error === 0));
    assert.ok(exchanges.some((x) => x.op === 'RMDIR' && x.error_name === '-ENOTEMPTY'));
    assert.deepEqual(kindsOf(run('thirdparty-sshfs.pcapng')), []);
  });
});

describe('ntfs-3g', { skip: has('thirdparty-ntfs-3g.pcapng') }, () => {
  it('reports a directory size that shrinks after the unlinks inside it; no finding, no size view for the directory', () => {
    const { exchanges } = dump('thirdparty-ntfs-3g.pcapng');
    const mk = exchanges.find((x) => x.op === 'MKDIR' && (x.request.body as { name?: string }).name === 'many');
    assert.ok(mk, 'MKDIR many');
    const nodeid = (mk.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid;
    const sizes = exchanges.filter((x) => x.op === 'GETATTR' && x.nodeid === nodeid).map((x) => attrOf(x)!);
    for (const a of sizes) assert.equal(a.mode & 0o170000, 0o040000, 'a directory');
    const max = Math.max(...sizes.map((a) => a.size));
    assert.ok(sizes.at(-1)!.size < max, `the size shrank: ${sizes.map((a) => a.size).join(', ')}`);
    const unlinks = exchanges.filter((x) => x.op === 'UNLINK' && x.nodeid === nodeid && x.error === 0);
    assert.equal(unlinks.length, 5, 'every unlink inside it is captured');

    const r = run('thirdparty-ntfs-3g.pcapng');
    assert.deepEqual(kindsOf(r), []);
    const d = r.model.files.find((f) => f.path === '/many');
    assert.ok(d);
    assert.deepEqual(d.sizeHistory, []);
    assert.equal(d.reportedSize, undefined);
  });
});

describe('ntfs-3g answering BATCH_FORGET', { skip: has('thirdparty-ntfs-3g-batch-forget.pcapng') }, () => {
  it('each ENOSYS reply to a BATCH_FORGET, refused by the kernel, is one orphan-reply that names it; no other finding', () => {
    const name = 'thirdparty-ntfs-3g-batch-forget.pcapng';
    const cap = readPcapng(fx(name));
    const batches = new Set(cap.messages.filter((m) => m.dir === 1 && m.data.readUInt32LE(4) === Op.BATCH_FORGET).map((m) => m.data.readBigUInt64LE(8)));
    const answers = cap.messages.filter((m) => m.dir === 2 && batches.has(m.data.readBigUInt64LE(8)));
    assert.ok(answers.length > 0, 'the daemon answered BATCH_FORGETs');
    for (const m of answers) {
      assert.equal(m.data.readInt32LE(4), -38, 'answered ENOSYS');
      assert.ok(m.failed, 'the kernel refused the reply (a failed write)');
    }
    assert.equal(pairExchanges(cap).orphans, answers.length, 'no other orphan reply');

    const r = run(name);
    assert.deepEqual(kindsOf(r), answers.map(() => 'orphan-reply'));
    for (const f of r.model.findings) {
      assert.equal(f.messageId, 'noReply');
      assert.ok(batches.has(BigInt(f.uniques[0]!)), `#${f.uniques[0]} is a BATCH_FORGET's`);
      assert.equal(f.details.answers, 'BATCH_FORGET');
      assert.match(f.message, /the kernel refused it \(the write failed with ENOENT\); ENOSYS: the daemon does not implement BATCH_FORGET$/);
    }
  });
});

/** fh of a request body (fuse_write_in, fuse_flush_in, fuse_release_in: fh first). */
const reqFh = (e: RawExchange): bigint => e.req.readBigUInt64LE(40);

describe('encfs', { skip: has('thirdparty-encfs.pcapng') }, () => {
  it('answers every open of /shared with one fh, and answers FLUSH/RELEASE of one open while a WRITE of another is in flight; no finding', () => {
    const ind = pairExchanges(readPcapng(fx('thirdparty-encfs.pcapng'))).exchanges;
    const { exchanges } = dump('thirdparty-encfs.pcapng');
    const create = exchanges.find((x) => x.op === 'CREATE' && (x.request.body as { name?: string }).name === 'shared')!;
    const node = BigInt((create.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid);
    const opens = ind.filter((e) => e.opcode === Op.OPEN && e.nodeid === node && e.reply);
    const fhs = new Set(opens.map((e) => e.reply!.readBigUInt64LE(16)));
    assert.ok(opens.length >= 2 && fhs.size < opens.length, `opens share an fh: ${opens.length} opens, ${fhs.size} fh`);
    const writes = ind.filter((e) => e.opcode === Op.WRITE && e.nodeid === node && e.reply);
    const closes = ind.filter((e) => (e.opcode === Op.FLUSH || e.opcode === Op.RELEASE) && e.nodeid === node && e.reply);
    const overtaken = closes.filter((c) => writes.some((w) => reqFh(w) === reqFh(c) && w.tReq < c.tReq && c.tReply! < w.tReply! && w.pid !== c.pid));
    assert.ok(overtaken.length > 0, 'a FLUSH/RELEASE of another open answered while a WRITE was in flight on the same fh');

    assert.equal(kindsOf(run('thirdparty-encfs.pcapng')).filter((k) => k === 'reordered-handle-ops').length, 0);
    assert.deepEqual(kindsOf(run('thirdparty-encfs.pcapng')), []);
  });

  it('answers the chmod and the unlink of an immutable file with EPERM: answered in dump, export and analyze', () => {
    const { exchanges } = dump('thirdparty-encfs.pcapng');
    const eperm = exchanges.filter((x) => x.error === -1);
    assert.deepEqual(eperm.map((x) => x.op).sort(), ['SETATTR', 'UNLINK']);
    for (const x of eperm) {
      assert.equal(x.error_name, '-EPERM');
      assert.match(String(x.reply_ns), /^\d{19}$/);
      assert.ok(x.latency_us !== null && x.latency_us >= 0);
    }
    const csv = runCli(['export', '--table', 'requests', '--format', 'jsonl', fx('thirdparty-encfs.pcapng')]);
    assert.equal(csv.code, 0, csv.stderr);
    const rows = csv.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const rowsEperm = rows.filter((r) => r.errno === 'EPERM');
    assert.deepEqual(rowsEperm.map((r) => Number(r.unique)).sort(), eperm.map((x) => x.unique).sort());
    for (const r of rowsEperm) {
      assert.equal(r.error, -1);
      assert.notEqual(r.reply_ns, null);
    }
    const r = run('thirdparty-encfs.pcapng');
    assert.equal(r.model.findings.filter((f) => f.kind === 'unanswered-request').length, 0);
    const setattr = r.model.ops.find((o) => o.name === 'SETATTR')!;
    assert.equal(setattr.replied, setattr.count);
    assert.equal(setattr.errors, 1);
  });
});

describe('gocryptfs', { skip: has('thirdparty-gocryptfs.pcapng') }, () => {
  it('answers LINK with a size GETATTR never gives, nothing written in between: inconsistent-size-report, not a shrink', () => {
    const { exchanges } = dump('thirdparty-gocryptfs.pcapng');
    const link = exchanges.find((x) => x.op === 'LINK' && x.error === 0)!;
    const linkSize = attrOf(link)!.size;
    const node = (link.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid;
    const getattrs = exchanges.filter((x) => x.op === 'GETATTR' && x.nodeid === node && x.error === 0).map((x) => attrOf(x)!.size);
    assert.ok(getattrs.length > 0 && !getattrs.includes(linkSize), `LINK says ${linkSize}, GETATTR ${getattrs.join(', ')}`);

    const r = run('thirdparty-gocryptfs.pcapng');
    assert.deepEqual(kindsOf(r), ['inconsistent-size-report']);
    const f = r.model.findings[0]!;
    assert.equal(f.uniques[0], link.unique);
    assert.equal(f.details.oddSize, linkSize);
    assert.equal(f.details.size, getattrs.at(-1));
  });

  it('LINK gives /data a second name, the same node; unlinking data.link leaves /data, which is read after it', () => {
    const { exchanges } = dump('thirdparty-gocryptfs.pcapng');
    const { link, node } = hardLinkOf(exchanges, 'data', 'data.link');
    const unlink = exchanges.find((x) => x.op === 'UNLINK' && nameOf(x) === 'data.link' && x.error === 0)!;
    assert.ok(Number(unlink.reply_ns) > Number(link.reply_ns));
    assert.ok(exchanges.some((x) => x.op === 'READ' && x.nodeid === node && Number(x.reply_ns) > Number(unlink.reply_ns)), '/data is read after data.link is gone');
    const r = run('thirdparty-gocryptfs.pcapng');
    assert.deepEqual(r.model.files.filter((f) => f.nodeid === node).map((f) => f.path), ['/data']);
    assert.equal(r.model.findings[0]!.path, '/data');
  });
});

/** The LINK that gave the file `name` (created by CREATE) the new name `linkName`, and the file's nodeid: one node for both names. */
function hardLinkOf(exchanges: Dumped[], name: string, linkName: string): { link: Dumped; node: number } {
  const create = exchanges.find((x) => x.op === 'CREATE' && x.error === 0 && nameOf(x) === name)!;
  const node = (create.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid;
  const link = exchanges.find((x) => x.op === 'LINK' && x.error === 0 && (x.request.body as { newname?: string }).newname === linkName)!;
  assert.ok(link, `LINK ${linkName}`);
  assert.equal((link.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid, node, 'the same node');
  return { link, node };
}

describe('rclone mount2', { skip: has('thirdparty-rclone.pcapng') }, () => {
  it('puts ino 0xFFFFFFFF in every READDIRPLUS dirent; files keep their own attr.ino and sizes; no finding', () => {
    const { exchanges } = dump('thirdparty-rclone.pcapng');
    const entries = exchanges.filter((x) => x.op === 'READDIRPLUS' && x.error === 0)
      .flatMap((x) => (x.reply!.body as { entries?: { dirent: { ino: number }; name: string }[] }).entries ?? []);
    const named = entries.filter((e) => e.name !== '.' && e.name !== '..');
    assert.ok(named.length >= 10);
    for (const e of named) assert.equal(e.dirent.ino, 0xffffffff, e.name);

    const r = run('thirdparty-rclone.pcapng');
    assert.deepEqual(kindsOf(r), []);
    const files = r.model.files.filter((f) => f.path.startsWith('/dir/') || f.path === '/data');
    assert.ok(files.length >= 10);
    const inos = files.map((f) => String(f.ino));
    for (const ino of inos) assert.ok(!['0', '4294967295', '18446744073709551615', 'undefined'].includes(ino), ino);
    assert.equal(new Set(inos).size, inos.length, 'one ino per file');
    for (const f of files.filter((g) => g.path.startsWith('/dir/'))) {
      for (const e of f.sizeHistory) assert.ok(e.value === null || e.value < 100, `${f.path}: its own size, not /data's (${e.value})`);
    }
  });
});

describe('libfuse 3.18.2 passthrough_hp', () => {
  it('--direct-io: every open answered FOPEN_DIRECT_IO|FOPEN_PARALLEL_DIRECT_WRITES; no finding', { skip: has('thirdparty-passthrough-hp-direct-io.pcapng') }, () => {
    const r = run('thirdparty-passthrough-hp-direct-io.pcapng');
    assert.deepEqual(kindsOf(r), []);
    const data = r.model.files.find((f) => f.path === '/data')!;
    assert.ok(data.openFlags.includes('FOPEN_DIRECT_IO') && data.openFlags.includes('FOPEN_PARALLEL_DIRECT_WRITES'), data.openFlags.join('|'));
  });

  it('passthrough: opens answered FOPEN_PASSTHROUGH, no READ/WRITE captured, the limit named; no finding', { skip: has('thirdparty-passthrough-hp-passthrough.pcapng') }, () => {
    const { exchanges } = dump('thirdparty-passthrough-hp-passthrough.pcapng');
    assert.equal(exchanges.filter((x) => x.op === 'WRITE' || x.op === 'READ').length, 0);
    const r = run('thirdparty-passthrough-hp-passthrough.pcapng');
    assert.deepEqual(kindsOf(r), []);
    assert.ok(r.model.files.find((f) => f.path === '/data')!.openFlags.includes('FOPEN_PASSTHROUGH'));
    assert.ok(r.model.limitations.some((l) => l.kind === 'passthrough'), 'the report says what it cannot see');
  });

  it('--clone-fd: the cloned descriptors\' messages are one connection, every request answered; no finding', { skip: has('thirdparty-passthrough-hp-clone-fd.pcapng') }, () => {
    const r = run('thirdparty-passthrough-hp-clone-fd.pcapng');
    assert.deepEqual(kindsOf(r), []);
    assert.equal(r.model.connections.length, 1);
  });
});

/**
 * The WRITEs of the file created as `name` (the independent reader's view),
 * in request order, with the open_flags of every OPEN/CREATE reply for it.
 */
function writesTo(capture: string, name: string): { writes: RawExchange[]; openFlags: number[] } {
  const all = pairExchanges(readPcapng(fx(capture))).exchanges;
  const create = all.find((e) => e.opcode === Op.CREATE && e.reply && e.req.subarray(e.req.length - name.length - 1, -1).toString() === name);
  assert.ok(create, `CREATE ${name}`);
  const node = create.reply!.readBigUInt64LE(16);
  // fuse_entry_out (128 bytes) then fuse_open_out { fh, open_flags }; OPEN: fuse_open_out right after the header.
  const openFlags = [create.reply!.readUInt32LE(16 + 128 + 8)];
  for (const e of all) if (e.opcode === Op.OPEN && e.nodeid === node && e.reply && e.replyError === 0) openFlags.push(e.reply.readUInt32LE(24));
  const writes = all.filter((e) => e.opcode === Op.WRITE && e.nodeid === node && e.reply).sort((a, b) => a.tReq - b.tReq);
  return { writes, openFlags };
}

/** Times the writer changes between one WRITE and the next, and whether two WRITEs were ever in flight together. */
function interleaving(writes: RawExchange[]): { switches: number; overlapped: boolean } {
  let switches = 0;
  let overlapped = false;
  for (let i = 1; i < writes.length; i++) {
    if (writes[i]!.pid !== writes[i - 1]!.pid) switches++;
    if (writes[i]!.tReq < writes[i - 1]!.tReply!) overlapped = true;
  }
  return { switches, overlapped };
}

const FOPEN_DIRECT_IO = 1;
const FOPEN_KEEP_CACHE = 2;
const FOPEN_PARALLEL_DIRECT_WRITES = 0x40;

describe('mergerfs', { skip: has('thirdparty-mergerfs.pcapng') }, () => {
  it('serialises four writers of one FOPEN_DIRECT_IO file (no PARALLEL_DIRECT_WRITES): one WRITE in flight at a time; no finding', () => {
    const { writes, openFlags } = writesTo('thirdparty-mergerfs.pcapng', 'dio');
    assert.ok(openFlags.length >= 5, `${openFlags.length} opens`);
    for (const f of openFlags) assert.equal(f & (FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES), FOPEN_DIRECT_IO, `open_flags 0x${f.toString(16)}`);
    assert.equal(writes.length, 64);
    assert.equal(new Set(writes.map((w) => w.pid)).size, 4);
    const { switches, overlapped } = interleaving(writes);
    assert.ok(switches >= 4, `the writers ran at the same time (${switches} switches)`);
    assert.equal(overlapped, false, 'the kernel sent them one at a time');

    const r = run('thirdparty-mergerfs.pcapng');
    assert.deepEqual(kindsOf(r), []);
    const dio = r.model.files.find((f) => f.path === '/dio')!;
    assert.equal(dio.maxConcurrentWrites, 1);
    assert.equal(dio.reportedSize, 4 << 20);
    assert.deepEqual(dio.openFlags, ['FOPEN_DIRECT_IO']);
  });
});

describe('fuse2fs', { skip: has('thirdparty-fuse2fs.pcapng') }, () => {
  it('serialises two O_DIRECT writers extending one file (opens without FOPEN_DIRECT_IO): one WRITE in flight, the size grows to 8 MiB; no finding', () => {
    const { writes, openFlags } = writesTo('thirdparty-fuse2fs.pcapng', 'dio');
    for (const f of openFlags) assert.equal(f & FOPEN_DIRECT_IO, 0, `open_flags 0x${f.toString(16)}`);
    assert.equal(writes.length, 128);
    assert.equal(new Set(writes.map((w) => w.pid)).size, 2);
    const { switches, overlapped } = interleaving(writes);
    assert.ok(switches >= 2, `the writers ran at the same time (${switches} switches)`);
    assert.equal(overlapped, false);
    const end = Math.max(...writes.map((w) => Number(w.req.readBigUInt64LE(48)) + w.req.readUInt32LE(56)));
    assert.equal(end, 8 << 20);

    const r = run('thirdparty-fuse2fs.pcapng');
    assert.deepEqual(kindsOf(r), []);
    const dio = r.model.files.find((f) => f.path === '/dio')!;
    assert.equal(dio.maxConcurrentWrites, 1);
    assert.equal(dio.daemonSize, 8 << 20);
  });

  it('gives /dio the ext4 inode number of an unlinked file: each keeps its own size view', () => {
    const { exchanges } = dump('thirdparty-fuse2fs.pcapng');
    const creates = exchanges.filter((x) => x.op === 'CREATE' && x.error === 0);
    const dio = creates.find((x) => (x.request.body as { name?: string }).name === 'dio')!;
    const ino = attrOf(dio)!.ino;
    const earlier = creates.find((x) => x !== dio && attrOf(x)!.ino === ino);
    assert.ok(earlier, `an earlier CREATE answered ino ${ino}`);
    const earlierName = (earlier.request.body as { name: string }).name;
    assert.ok(exchanges.some((x) => x.op === 'UNLINK' && (x.request.body as { name?: string }).name === earlierName && x.error === 0), `${earlierName} unlinked`);

    const files = run('thirdparty-fuse2fs.pcapng').model.files.filter((f) => String(f.ino) === String(ino));
    assert.equal(files.length, 2, files.map((f) => f.path).join(', '));
    const old = files.find((f) => f.path !== '/dio')!;
    assert.ok(old.path.endsWith(`${earlierName} (deleted)`), old.path);
    assert.ok(old.sizeHistory.every((e) => e.value === null || e.value < 100), 'the unlinked file keeps its own sizes');
    assert.ok(files.find((f) => f.path === '/dio')!.sizeHistory.every((e) => e.value === null || e.value === 0 || e.value >= 65536), '/dio has none of them');
  });
});

describe('securefs', { skip: has('thirdparty-securefs.pcapng') }, () => {
  it('answers LINK with a new nodeid and a new attr.ino for the hard link; /data and the link keep one size each; no finding', () => {
    const { exchanges } = dump('thirdparty-securefs.pcapng');
    const link = exchanges.find((x) => x.op === 'LINK' && x.error === 0)!;
    const data = exchanges.find((x) => x.op === 'CREATE' && (x.request.body as { name?: string }).name === 'data')!;
    const dataNode = (data.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid;
    const linkNode = (link.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid;
    assert.equal((link.request.body as { fuse_link_in: { oldnodeid: number } }).fuse_link_in.oldnodeid, dataNode);
    assert.notEqual(linkNode, dataNode);
    assert.notEqual(attrOf(link)!.ino, attrOf(data)!.ino);
    assert.equal(attrOf(link)!.size, 9009);

    const r = run('thirdparty-securefs.pcapng');
    assert.deepEqual(kindsOf(r), []);
    assert.equal(r.model.files.find((f) => f.path === '/data')!.reportedSize, 9009);
  });

  it('serialises two appenders and a truncater of /log: one request in flight at a time, the file ends at the last truncate; no finding', () => {
    const all = pairExchanges(readPcapng(fx('thirdparty-securefs.pcapng'))).exchanges;
    const { exchanges } = dump('thirdparty-securefs.pcapng');
    const create = exchanges.find((x) => x.op === 'CREATE' && (x.request.body as { name?: string }).name === 'log')!;
    const node = BigInt((create.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid);
    const onLog = all.filter((e) => e.nodeid === node && (e.opcode === Op.WRITE || e.opcode === Op.SETATTR) && e.reply).sort((a, b) => a.tReq - b.tReq);
    assert.ok(onLog.filter((e) => e.opcode === Op.SETATTR).length === 5, 'five truncates');
    const pids = new Set(onLog.filter((e) => e.opcode === Op.WRITE).map((e) => e.pid));
    assert.ok(pids.size >= 3, `writers: ${pids.size} pids`);
    for (let i = 1; i < onLog.length; i++) assert.ok(onLog[i]!.tReq >= onLog[i - 1]!.tReply!, `#${onLog[i]!.unique} sent after #${onLog[i - 1]!.unique} was answered`);

    const r = run('thirdparty-securefs.pcapng');
    assert.deepEqual(kindsOf(r), []);
    const log = r.model.files.find((f) => f.path === '/log')!;
    assert.equal(log.reportedSize, 50000);
    assert.equal(log.sizeHistory.at(-1)!.event, 'truncate');
  });
});

describe('lxcfs', { skip: has('thirdparty-lxcfs.pcapng') }, () => {
  it('serves direct-I/O /proc files to two readers at once, each READ answered within what it asked', () => {
    const { exchanges: all, orphans } = pairExchanges(readPcapng(fx('thirdparty-lxcfs.pcapng')));
    assert.equal(orphans, 0);
    assert.ok(all.every((e) => e.reply || e.opcode === Op.FORGET || e.opcode === Op.BATCH_FORGET), 'every request answered');
    const opens = all.filter((e) => e.opcode === Op.OPEN && e.replyError === 0);
    assert.ok(opens.length >= 60, `${opens.length} opens`);
    assert.ok(opens.every((e) => (openReplyFlags(e)! & FOPEN_DIRECT_IO) !== 0), 'every open FOPEN_DIRECT_IO');
    const reads = all.filter((e) => e.opcode === Op.READ && e.replyError === 0);
    // fuse_read_in.size at 56; the reply's data is its length less the 16-byte header (cut by the snap length, so from the header).
    for (const e of reads) assert.ok(e.reply!.readUInt32LE(0) - 16 <= e.req.readUInt32LE(56), `#${e.unique} within its size`);
    const byNode = new Map<bigint, RawExchange[]>();
    for (const e of reads) byNode.set(e.nodeid, [...(byNode.get(e.nodeid) ?? []), e]);
    assert.ok([...byNode.values()].some((xs) => maxInFlight(xs) >= 2), 'two READs of one file in flight at once');

    const r = run('thirdparty-lxcfs.pcapng');
    const meminfo = r.model.files.find((f) => f.path === '/proc/meminfo')!;
    assert.ok(meminfo.openFlags.includes('FOPEN_DIRECT_IO'));
    assert.equal(meminfo.writes, 0);
  });

  it('/proc/stat is generated: its size and its data move together with nothing written; a growth then a shrink (both true: lxcfs makes the content), not two sizes for an unchanged file', () => {
    const { exchanges } = dump('thirdparty-lxcfs.pcapng');
    const node = (exchanges.find((x) => x.op === 'LOOKUP' && (x.request.body as { name?: string }).name === 'stat' &&
      x.error === 0)!.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid;
    const onStat = exchanges.filter((x) => x.nodeid === node && x.error === 0);
    assert.ok(!onStat.some((x) => x.op === 'WRITE' || x.op === 'SETATTR'), 'nothing written or truncated');
    const sizes = onStat.filter((x) => x.op === 'GETATTR').map((x) => attrOf(x)!.size);
    // Short READs: where the data ended at each read.
    const ends = onStat.filter((x) => x.op === 'READ').map((x) => {
      const rd = (x.request.body as { fuse_read_in: { offset: number; size: number } }).fuse_read_in;
      const got = (x.reply as unknown as { header: { len: number } }).header.len - 16;
      return got > 0 && got < rd.size ? rd.offset + got : undefined;
    }).filter((e) => e !== undefined);
    assert.ok(new Set(sizes).size >= 2, `sizes reported: ${[...new Set(sizes)].join(', ')}`);
    assert.ok(new Set(ends).size >= 2, `data ended at: ${[...new Set(ends)].join(', ')}`);

    const r = run('thirdparty-lxcfs.pcapng');
    const kinds = kindsOf(r);
    assert.ok(!kinds.includes('inconsistent-size-report'), 'the READs show the file changed');
    assert.deepEqual(kinds, ['size-shrank-externally', 'size-grew-externally']);
    assert.deepEqual(r.model.findings.map((f) => f.path), ['/proc/stat', '/proc/stat']);
    const [shrank, grew] = r.model.findings;
    assert.deepEqual([grew!.details.daemonSize, grew!.details.reportedSize, shrank!.details.reportedSize], [1208, 1209, 1208]);
    assert.ok(sizes.includes(1208) && sizes.includes(1209), 'GETATTR gave both sizes');
  });
});

describe('fuse-zip', { skip: has('thirdparty-fuse-zip.pcapng') }, () => {
  it('one request in flight at a time: two writers of /big interleave, every byte of 0-512 KiB written once, size 524,288; no finding', () => {
    const name = 'thirdparty-fuse-zip.pcapng';
    assert.equal(peakInFlight(name), 1, 'a single-threaded daemon');
    const node = BigInt(entryNodeid(name, 'CREATE', 'big'));
    const writes = pairExchanges(readPcapng(fx(name))).exchanges.filter((e) => e.nodeid === node && e.opcode === Op.WRITE).map(writeInfo);
    assert.ok(new Set(writes.map((w) => w.pid)).size >= 2, 'two writer processes');
    const spans = writes.map((w) => [w.offset, w.offset + w.size] as const).sort((a, b) => a[0] - b[0]);
    let end = 0;
    for (const [from, to] of spans) {
      assert.equal(from, end, `no gap or overlap at ${from}`);
      end = to;
    }
    assert.equal(end, 524288);

    const r = run('thirdparty-fuse-zip.pcapng');
    assert.deepEqual(kindsOf(r), []);
    const big = r.model.files.find((f) => f.path === '/big')!;
    assert.equal(big.maxConcurrentWrites, 1);
    assert.equal(big.reportedSize, 524288);
  });
});

/** Request counts by opcode name, from the project's dump. */
function opCounts(name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of dump(name).exchanges) out[x.op] = (out[x.op] ?? 0) + 1;
  return out;
}

/** The name of a LOOKUP/CREATE request, as dump prints it. */
const nameOf = (x: Dumped): string | undefined => (x.request.body as { name?: string }).name;

/** A capture's exchanges with their request and reply times on one clock (ns since the epoch): mounts recorded apart compare. */
function absExchanges(name: string): (RawExchange & { from: number; to: number })[] {
  const cap = readPcapng(fx(name));
  return pairExchanges(cap).exchanges.map((e) => ({ ...e, from: Number(cap.t0Ns) + e.tReq, to: Number(cap.t0Ns) + e.tReply! }));
}

/** The nodeid the answered `op` (CREATE, MKNOD ...) of `file` got in its entry reply, as dump prints it. */
function entryNodeid(name: string, op: string, file: string): number {
  const x = dump(name).exchanges.find((e) => e.op === op && e.error === 0 && nameOf(e) === file)!;
  return (x.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid;
}

/** The most requests in flight at once in the capture, FORGETs and BATCH_FORGETs (never answered) left out: the independent reader's count. */
const peakInFlight = (name: string): number =>
  maxInFlight(pairExchanges(readPcapng(fx(name))).exchanges.filter((e) => e.opcode !== Op.FORGET && e.opcode !== Op.BATCH_FORGET));

/**
 * Two xfs_io processes fed O_DIRECT writes of 64 KiB in turn into the file created as `file`, whose
 * opens were all answered open_flags 0 (no FOPEN_DIRECT_IO): the kernel serialised the WRITEs, from 2
 * pids, interleaved, never two in flight, 0 to `end` end to end, one starting past every byte written
 * before it (what a parallel-write finding would need, but for the serialisation). No finding; the
 * analysis has one write in flight at most and the size `end`.
 */
function assertDioWritersInTurn(name: string, file: string, end: number): void {
  const { writes, openFlags } = writesTo(name, file);
  assert.ok(openFlags.length >= 2 && openFlags.every((f) => f === 0), `open_flags ${openFlags.join(', ')}`);
  assert.equal(writes.length, end / 65536);
  assert.ok(writes.every((w) => writeInfo(w).size === 65536 && writeInfo(w).written === 65536));
  const { switches, overlapped } = interleaving(writes);
  assert.ok(switches >= 8, `the writers ran at the same time (${switches} switches)`);
  assert.equal(overlapped, false, 'the kernel sent them one at a time');
  assert.deepEqual(coverage(writes), { end, pids: 2 });
  let written = 0;
  let holes = 0;
  for (const w of writes.map(writeInfo)) {
    if (w.offset > written) holes++;
    written = Math.max(written, w.offset + w.size);
  }
  assert.ok(holes >= 1, 'a WRITE starting past the end of the file');

  const r = run(name);
  assert.deepEqual(kindsOf(r), []);
  const f = r.model.files.find((g) => g.path === `/${file}`)!;
  assert.equal(f.maxConcurrentWrites, 1);
  assert.equal(f.writes, end / 65536);
  assert.equal(f.reportedSize, end);
  assert.equal(f.daemonSize, end);
}

/**
 * A daemon that opens its backing file with the caller's O_DIRECT and hands it the kernel's
 * unaligned buffer: the O_DIRECT WRITE of 64 KiB to node `dio` is answered `error`, then the kernel
 * truncates the file back to 0. `writes` (of `file`, in request order) are two writers' plain
 * 4 KiB WRITEs (no FUSE_BIG_WRITES), fed in turn: interleaved, never two in flight, 0-512 KiB end to
 * end. No finding; nothing counted as written to /dio.
 */
function assertDioRefusedThenTurns(name: string, dio: number, error: string, file: string, writes: RawExchange[]): void {
  const onDio = dump(name).exchanges.filter((x) => x.nodeid === dio && (x.op === 'WRITE' || x.op === 'SETATTR'));
  assert.deepEqual(onDio.map((x) => `${x.op} ${x.error_name}`), [`WRITE ${error}`, 'SETATTR OK']);
  assert.equal((onDio[0]!.request.body as { fuse_write_in: { size: number } }).fuse_write_in.size, 65536);
  assert.equal(attrOf(onDio[1]!)!.size, 0);

  assert.equal(writes.length, 128);
  assert.ok(writes.every((w) => writeInfo(w).size === 4096 && writeInfo(w).written === 4096), 'FUSE_BIG_WRITES not negotiated');
  const { switches, overlapped } = interleaving(writes);
  assert.ok(switches >= 8, `the writers ran at the same time (${switches} switches)`);
  assert.equal(overlapped, false);
  assert.deepEqual(coverage(writes), { end: 512 << 10, pids: 2 });

  const r = run(name);
  assert.deepEqual(kindsOf(r), []);
  const d = r.model.files.find((f) => f.path === '/dio')!;
  assert.equal(d.bytesWritten, 0);
  assert.equal(d.daemonSize, 0);
  const f = r.model.files.find((g) => g.path === file)!;
  assert.equal(f.maxConcurrentWrites, 1);
  assert.equal(f.bytesWritten, 512 << 10);
  assert.equal(f.reportedSize, 512 << 10);
}

/** WRITEs of one node in request order: one in flight at a time, and the bytes they cover end to end from 0. */
function coverage(writes: RawExchange[]): { end: number; pids: number } {
  const spans = writes.map(writeInfo).map((w) => [w.offset, w.offset + w.size] as const).sort((a, b) => a[0] - b[0]);
  let end = 0;
  for (const [from, to] of spans) {
    assert.equal(from, end, `no gap or overlap at ${from}`);
    end = to;
  }
  return { end, pids: new Set(writes.map((w) => w.pid)).size };
}

describe('avfs', { skip: has('thirdparty-avfs.pcapng') }, () => {
  const name = 'thirdparty-avfs.pcapng';
  it('serves the members of a .tar.gz, a .zip and a .tar under NAME#, each with its file\'s size, several members read at once; one FLUSH, answered ENOSYS; no finding', () => {
    assert.deepEqual(
      { READ: 204, OPEN: 285, RELEASE: 360, CREATE: 75, WRITE: 215, FLUSH: 1, LOOKUP: 286, GETATTR: 176, SETATTR: 196 },
      Object.fromEntries(Object.entries(opCounts(name)).filter(([op]) => ['READ', 'OPEN', 'RELEASE', 'CREATE', 'WRITE', 'FLUSH', 'LOOKUP', 'GETATTR', 'SETATTR'].includes(op))),
    );
    const { exchanges } = dump(name);
    // make_tree: partN.bin holds N * 997 bytes; the tree is read out of three archives.
    const parts = exchanges.filter((x) => x.op === 'LOOKUP' && x.error === 0 && /^part\d+\.bin$/.test(nameOf(x) ?? ''));
    assert.ok(parts.length >= 60, `${parts.length} member lookups`);
    for (const x of parts) assert.equal(attrOf(x)!.size, Number(/\d+/.exec(nameOf(x)!)![0]) * 997, nameOf(x));
    assert.ok(exchanges.some((x) => x.op === 'LOOKUP' && x.error === 0 && nameOf(x) === 'tree.tar.gz#' && (attrOf(x)!.mode & 0o170000) === 0o040000), 'an archive is a directory');
    // Only one FLUSH: after its ENOSYS the kernel sends no more.
    assert.deepEqual(exchanges.filter((x) => x.op === 'FLUSH').map((x) => x.error_name), ['-ENOSYS']);

    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const reads = all.filter((e) => e.opcode === Op.READ && e.reply);
    assert.ok(maxInFlight(reads) >= 2, 'READs of several members in flight together');
    assert.ok(all.every((e) => openReplyFlags(e) === undefined || openReplyFlags(e) === 0), 'opens answered open_flags 0');

    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    assert.equal(r.model.connections[0]!.peakInflight, maxInFlight(all.filter((e) => e.opcode !== Op.FORGET)));
  });

  it('two appenders of one local file through it: 80 WRITEs one at a time, end to end to 1502 bytes while a reader reads it', () => {
    const { writes, openFlags } = writesTo(name, 'shared');
    assert.ok(openFlags.every((f) => f === 0));
    assert.equal(writes.length, 80);
    assert.deepEqual(coverage(writes), { end: 1502, pids: 2 });
    assert.equal(interleaving(writes).overlapped, false);

    const shared = run(name).model.files.find((f) => f.path.endsWith('/local/shared'))!;
    assert.equal(shared.writes, 80);
    assert.equal(shared.bytesWritten, 1502);
    assert.equal(shared.maxConcurrentWrites, 1);
    assert.equal(shared.reportedSize, 1502);
    assert.equal(shared.daemonSize, 1502);
  });
});

describe('unionfs-fuse', { skip: has('thirdparty-unionfs-fuse.pcapng') }, () => {
  const name = 'thirdparty-unionfs-fuse.pcapng';
  it('copy-on-write of lower files: an append at 492 leaves 501 bytes, a truncate to 100, rm -r of a lower directory unlinks its 20 files; no finding', () => {
    const { exchanges } = dump(name);
    const nodeOf = (file: string): number => (exchanges.find((x) => x.op === 'LOOKUP' && x.error === 0 && nameOf(x) === file)!.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid;
    const notes3 = nodeOf('notes3.txt');
    const w = exchanges.filter((x) => x.op === 'WRITE' && x.nodeid === notes3)
      .map((x) => (x.request.body as { fuse_write_in: { offset: number; size: number } }).fuse_write_in);
    assert.deepEqual(w.map((x) => [x.offset, x.size]), [[492, 9]]);
    const part5 = nodeOf('part5.bin');
    assert.ok(exchanges.some((x) => x.op === 'SETATTR' && x.nodeid === part5 && attrOf(x)!.size === 100));
    const bin = nodeOf('bin');
    assert.equal(exchanges.filter((x) => x.op === 'UNLINK' && x.nodeid === bin && x.error === 0).length, 20);
    assert.ok(exchanges.some((x) => x.op === 'RMDIR' && nameOf(x) === 'bin' && x.error === 0));

    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    const f = r.model.files.find((g) => g.path === '/src/doc/notes3.txt')!;
    // The daemon reported 492 (LOOKUP) and nothing after the append: the sizes say so, not a finding.
    assert.equal(f.reportedSize, 492);
    assert.equal(f.daemonSize, 501);
    assert.equal(r.model.files.find((g) => g.path === '/src/lib/part5.bin')!.reportedSize, 100);
  });

  it('four writers of /quarters: 64 WRITEs of 16 KiB never two in flight together, READs alongside; size 1 MiB throughout', () => {
    const { writes } = writesTo(name, 'quarters');
    assert.equal(writes.length, 64);
    assert.ok(writes.every((w) => writeInfo(w).size === 16384));
    assert.deepEqual(coverage(writes), { end: 1 << 20, pids: 4 });
    assert.equal(interleaving(writes).overlapped, false);

    const q = run(name).model.files.find((f) => f.path === '/quarters')!;
    assert.equal(q.maxConcurrentWrites, 1);
    assert.equal(q.maxConcurrent, 2, 'a READ in flight with a WRITE');
    assert.equal(q.reportedSize, 1 << 20);
    assert.ok(q.sizeHistory.every((e) => e.value === 0 || e.value === 1 << 20), q.sizeHistory.map((e) => e.value).join(', '));
  });
});

describe('archivemount', { skip: has('thirdparty-archivemount.pcapng') }, () => {
  const name = 'thirdparty-archivemount.pcapng';
  it('one thread, one request at a time; a new file reports nlink 0, so ln fails in the kernel with no LINK sent; SYMLINK ENOSYS; no finding', () => {
    assert.equal(peakInFlight(name), 1);
    const { exchanges } = dump(name);
    const counts = opCounts(name);
    assert.equal(counts.LINK, undefined);
    const data = entryNodeid(name, 'CREATE', 'data');
    const nlinks = exchanges.filter((x) => x.op === 'GETATTR' && x.nodeid === data && x.error === 0).map((x) => (attrOf(x) as unknown as { nlink: number }).nlink);
    assert.ok(nlinks.length > 0 && nlinks.every((n) => n === 0), `nlink ${nlinks.join(', ')}`);
    assert.deepEqual(exchanges.filter((x) => x.op === 'SYMLINK').map((x) => x.error_name), ['-ENOSYS']);
    assert.deepEqual(exchanges.filter((x) => x.op === 'FLUSH').map((x) => x.error_name), ['-ENOSYS', '-ENOSYS', '-ENOSYS']);

    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    assert.equal(r.model.connections[0]!.threads, 1);
    assert.equal(r.model.files.find((f) => f.path === '/data')!.reportedSize, 9009, 'nlink 0 is not taken for an unlinked file');
  });

  it('two writers of /halves: 64 WRITEs of 4 KiB (no FUSE_BIG_WRITES), end to end to 256 KiB', () => {
    const { writes } = writesTo(name, 'halves');
    assert.equal(writes.length, 64);
    assert.ok(writes.every((w) => writeInfo(w).size === 4096));
    assert.deepEqual(coverage(writes), { end: 256 << 10, pids: 2 });

    const h = run(name).model.files.find((f) => f.path === '/halves')!;
    assert.equal(h.maxConcurrentWrites, 1);
    assert.equal(h.reportedSize, 256 << 10);
    assert.equal(h.daemonSize, 256 << 10);
  });
});

describe('unionfs-fuse, two mounts over one store', { skip: has('thirdparty-unionfs-fuse-two-A.pcapng') || has('thirdparty-unionfs-fuse-two-B.pcapng') }, () => {
  const A = 'thirdparty-unionfs-fuse-two-A.pcapng';
  const B = 'thirdparty-unionfs-fuse-two-B.pcapng';
  it('numbers inodes with its nodeids: A\'s /one and B\'s /two are both ino 2, B\'s /one ino 3; a WRITE of one in flight with a truncate of two is no race', () => {
    const entry = (name: string, op: string, file: string): { nodeid: number; ino: number } => {
      const x = dump(name).exchanges.find((y) => y.op === op && y.error === 0 && nameOf(y) === file)!;
      return { nodeid: (x.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid, ino: Number(attrOf(x)!.ino) };
    };
    assert.deepEqual(entry(A, 'CREATE', 'one'), { nodeid: 2, ino: 2 });
    assert.deepEqual(entry(B, 'CREATE', 'two'), { nodeid: 2, ino: 2 });
    assert.deepEqual(entry(B, 'LOOKUP', 'one'), { nodeid: 3, ino: 3 });
    for (const name of [A, B]) {
      for (const x of dump(name).exchanges) {
        const a = attrOf(x);
        if (a && x.error === 0 && x.reply!.body.fuse_entry_out) assert.equal(Number(a.ino), (x.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid, 'ino is the nodeid');
      }
    }
    // What made the false race: WRITEs of A's nodeid 2 in flight while B truncated its nodeid 2 (times on one clock).
    const writes = absExchanges(A).filter((e) => e.opcode === Op.WRITE && e.nodeid === 2n);
    const truncates = absExchanges(B).filter((e) => e.opcode === Op.SETATTR && e.nodeid === 2n);
    assert.ok(writes.some((w) => truncates.some((t) => w.from < t.to && t.from < w.to)), 'a WRITE and a truncate in flight together');

    const r = analyze({ files: [fx(A), fx(B)] });
    assert.equal(r.fatal, undefined);
    assert.deepEqual(kindsOf(r), []);
    const one = r.model.files.find((f) => f.conn === 0 && f.path === '/one')!;
    assert.deepEqual(one.correlated, []);
    assert.equal(one.reportedSize, 100000 + (256 << 10));
  });
});

describe('posixovl', { skip: has('thirdparty-posixovl.pcapng') }, () => {
  const name = 'thirdparty-posixovl.pcapng';
  it('emulates LINK with a new nodeid and the same ino; asks GETXATTR of every file (ENODATA); appenders and a truncater of /log one request at a time, ending at the last truncate; no finding', () => {
    const { exchanges } = dump(name);
    const link = exchanges.find((x) => x.op === 'LINK' && x.error === 0)!;
    const data = exchanges.find((x) => x.op === 'CREATE' && nameOf(x) === 'data')!;
    const nodeOf = (x: Dumped): number => (x.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid;
    assert.notEqual(nodeOf(link), nodeOf(data));
    assert.equal(String(attrOf(link)!.ino), String(attrOf(data)!.ino));
    const getxattr = exchanges.filter((x) => x.op === 'GETXATTR');
    assert.ok(getxattr.length > 100 && getxattr.every((x) => x.error_name === '-ENODATA'), `${getxattr.length} GETXATTR`);

    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const logNode = BigInt(nodeOf(exchanges.find((x) => x.op === 'CREATE' && nameOf(x) === 'log')!));
    const onLog = all.filter((e) => e.nodeid === logNode && (e.opcode === Op.WRITE || e.opcode === Op.SETATTR));
    assert.equal(onLog.filter((e) => e.opcode === Op.SETATTR).length, 5);
    assert.equal(new Set(onLog.filter((e) => e.opcode === Op.WRITE).map((e) => e.pid)).size, 3, 'head and two appenders');
    assert.equal(maxInFlight(onLog), 1);

    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    const log = r.model.files.find((f) => f.path === '/log')!;
    assert.equal(log.reportedSize, 45000);
    assert.equal(log.daemonSize, 45000);
    assert.equal(log.sizeHistory.filter((e) => e.event === 'truncate').length, 5);
    assert.equal(r.model.files.find((f) => f.path === '/data')!.reportedSize, 9009);
  });
});

describe('exfat-fuse', { skip: has('thirdparty-exfat-fuse.pcapng') }, () => {
  const name = 'thirdparty-exfat-fuse.pcapng';
  it('one thread; every open of a file answered with the same fh; modes 0777 whatever was asked; LINK ENOSYS; no finding', () => {
    assert.equal(peakInFlight(name), 1);
    const { exchanges } = dump(name);
    assert.deepEqual(exchanges.filter((x) => x.op === 'LINK').map((x) => x.error_name), ['-ENOSYS']);
    const fhOf = (x: Dumped): unknown => (x.reply!.body as { fuse_open_out: { fh: unknown } }).fuse_open_out.fh;
    for (const file of ['data', 'dio']) {
      const create = exchanges.find((x) => x.op === 'CREATE' && x.error === 0 && nameOf(x) === file)!;
      const node = (create.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid;
      const opens = [create, ...exchanges.filter((x) => x.op === 'OPEN' && x.nodeid === node && x.error === 0)];
      assert.ok(opens.length >= 2, `${file}: ${opens.length} opens`);
      assert.equal(new Set(opens.map(fhOf)).size, 1, `${file}: one fh for every open`);
    }
    const creates = exchanges.filter((x) => x.op === 'CREATE' && x.error === 0);
    assert.ok(creates.some((x) => ((x.request.body as { fuse_create_in: { mode: number } }).fuse_create_in.mode & 0o777) !== 0o777));
    for (const x of exchanges) {
      const a = x.error === 0 ? attrOf(x) : undefined;
      if (a) assert.equal(a.mode & 0o777, 0o777, `#${x.unique} mode 0${(a.mode & 0o777).toString(8)}`);
    }

    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    assert.equal(r.model.connections[0]!.threads, 1);
    assert.equal(r.model.files.find((f) => f.path === '/data')!.reportedSize, 9009);
  });

  it('two O_DIRECT writers of /dio (opens without FOPEN_DIRECT_IO): 32 WRITEs of 64 KiB from 2 pids interleaved, one in flight, 0-2 MiB end to end', () => {
    const { writes, openFlags } = writesTo(name, 'dio');
    assert.equal(openFlags.length, 2);
    for (const f of openFlags) assert.equal(f & FOPEN_DIRECT_IO, 0, `open_flags 0x${f.toString(16)}`);
    assert.equal(writes.length, 32);
    assert.ok(writes.every((w) => writeInfo(w).size === 65536));
    const { switches, overlapped } = interleaving(writes);
    assert.ok(switches >= 2, `the writers ran at the same time (${switches} switches)`);
    assert.equal(overlapped, false);
    assert.deepEqual(coverage(writes), { end: 2 << 20, pids: 2 });

    const dio = run(name).model.files.find((f) => f.path === '/dio')!;
    assert.equal(dio.maxConcurrentWrites, 1);
    assert.equal(dio.reportedSize, 2 << 20);
    assert.equal(dio.daemonSize, 2 << 20);
  });
});

describe('httpdirfs', { skip: has('thirdparty-httpdirfs.pcapng') }, () => {
  const name = 'thirdparty-httpdirfs.pcapng';
  it('a file cut on the HTTP server behind the mount: the daemon keeps reporting its old size, its last READ ends short; no finding, the short read in the size history', () => {
    const { exchanges } = dump(name);
    const lookups = exchanges.filter((x) => x.op === 'LOOKUP' && nameOf(x) === 'part20.bin' && x.error === 0);
    assert.ok(lookups.length >= 2, `${lookups.length} LOOKUPs of part20.bin`);
    // Every report, also the last one after the server cut it to 9970 bytes, says 19940.
    for (const x of lookups) assert.equal(attrOf(x)!.size, 19940, `LOOKUP #${x.unique}`);
    const node = (lookups[0]!.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid;
    const reads = exchanges.filter((x) => x.op === 'READ' && x.nodeid === node && x.error === 0);
    const got = reads.map((x) => (x.reply!.body as { data: { length: number } }).data.length);
    assert.ok(got.length >= 2, `${got.length} READs`);
    for (const n of got.slice(0, -1)) assert.equal(n, 19940, `reads before the cut: ${got.join(', ')}`);
    assert.equal(got.at(-1), 9970, 'the last READ returns what the server still has');
    assert.ok(Number(reads.at(-1)!.reply_ns) > Number(lookups.at(-1)!.reply_ns), 'after the last LOOKUP reported 19940');

    const r = run(name);
    // size-shrank-externally needs a reported size below daemon_size: the daemon never reported one.
    assert.deepEqual(kindsOf(r).filter((k) => k !== 'read-past-size'), []);
    const f = r.model.files.find((m) => m.path === '/lib/part20.bin')!;
    assert.equal(f.reportedSize, 19940);
    assert.equal(f.daemonSize, 19940);
    const last = f.sizeHistory.at(-1)!;
    assert.equal(last.event, 'short-read');
    assert.equal(last.kernelSize, 9970);
    assert.equal(last.daemonSize, 19940);
  });
});

describe('httpdirfs: a file grown on the server', { skip: has('thirdparty-httpdirfs.pcapng') }, () => {
  const name = 'thirdparty-httpdirfs.pcapng';
  it('keeps reporting notes20.txt at its old size, and a READ through the page cache returns more: read-past-size, true (readers see the old end)', () => {
    const { exchanges } = dump(name);
    const lookups = exchanges.filter((x) => x.op === 'LOOKUP' && nameOf(x) === 'notes20.txt' && x.error === 0);
    const sizes = new Set(lookups.map((x) => attrOf(x)!.size));
    assert.equal(sizes.size, 1, 'one size reported throughout');
    const size = [...sizes][0]!;
    const node = (lookups[0]!.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid;
    const past = exchanges.filter((x) => x.op === 'READ' && x.nodeid === node && x.error === 0 &&
      (x.reply!.body as { data: { length: number } }).data.length > size);
    assert.equal(past.length, 1, 'one READ returns more than the reported size');
    const r = run(name);
    assert.deepEqual(kindsOf(r), ['read-past-size']);
    const f = r.model.findings[0]!;
    assert.deepEqual([f.path, f.uniques.map(Number), f.details.size, f.details.end],
      ['/doc/notes20.txt', [Number(past[0]!.unique)], size, (past[0]!.reply!.body as { data: { length: number } }).data.length]);
  });
});

describe('winregfs', { skip: has('thirdparty-winregfs.pcapng') }, () => {
  const name = 'thirdparty-winregfs.pcapng';
  it('answers SETATTR size with the value\'s old size (truncate-size-mismatch) and READs some values one byte past their reported size (read-past-size): all true', () => {
    const { exchanges } = dump(name);
    const setattrs = exchanges.filter((x) => x.op === 'SETATTR' && x.error === 0 &&
      (x.request.body as { fuse_setattr_in?: { valid: number } }).fuse_setattr_in!.valid & 8);
    const mismatched = setattrs.filter((x) => (x.request.body as { fuse_setattr_in: { size: number } }).fuse_setattr_in.size !== attrOf(x)!.size);
    // The reported size of each node, from its last entry or attr reply before a READ.
    const reported = new Map<number, number>();
    const past: Dumped[] = [];
    for (const x of exchanges) {
      if (x.error !== 0) continue;
      if (x.op === 'LOOKUP') reported.set((x.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid, attrOf(x)!.size);
      else if (x.op === 'GETATTR' || x.op === 'SETATTR') reported.set(x.nodeid as number, attrOf(x)!.size);
      else if (x.op === 'READ') {
        const got = (x.reply!.body as { data: { length: number } }).data.length;
        const size = reported.get(x.nodeid as number);
        if (size !== undefined && got > size && past.every((p) => p.nodeid !== x.nodeid)) past.push(x);
      }
    }
    const r = run(name);
    const found = (kind: string): number[] => r.model.findings.filter((f) => f.kind === kind).map((f) => Number(f.uniques[0]));
    assert.deepEqual(found('truncate-size-mismatch'), mismatched.map((x) => Number(x.unique)));
    assert.equal(mismatched.length, 3);
    assert.deepEqual(found('read-past-size'), past.map((x) => Number(x.unique)));
    assert.equal(past.length, 2);
    assert.equal(r.model.findings.length, 5, 'nothing else');
  });
});

describe('cryfs', { skip: has('thirdparty-cryfs.pcapng') }, () => {
  const name = 'thirdparty-cryfs.pcapng';
  it('answers LINK -ERANGE (its handler returns a positive ENOSYS, which libfuse 2 turns into ERANGE): /data keeps one node and its 9009 bytes; no finding', () => {
    const { exchanges } = dump(name);
    const link = exchanges.filter((x) => x.op === 'LINK');
    assert.deepEqual(link.map((x) => x.error_name), ['-ERANGE']);
    const data = entryNodeid(name, 'CREATE', 'data');
    assert.equal((link[0]!.request.body as { fuse_link_in: { oldnodeid: number } }).fuse_link_in.oldnodeid, data);

    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    assert.equal(r.model.files.find((f) => f.path === '/data')!.reportedSize, 9009);
    assert.ok(!r.model.files.some((f) => f.path.includes('data.link')), 'no file for the refused link');
  });

  it('two O_DIRECT writers of /dio (open_flags 0): 64 WRITEs of 64 KiB from 2 pids in turn, never two in flight, one starting past the end; no finding', () => {
    assertDioWritersInTurn(name, 'dio', 4 << 20);
  });
});

describe('fusefat', { skip: has('thirdparty-fusefat.pcapng') }, () => {
  const name = 'thirdparty-fusefat.pcapng';
  /** The nodeid MKNOD gave the file `file` (fusefat answers CREATE with ENOSYS). */
  const made = (file: string): number => entryNodeid(name, 'MKNOD', file);
  /** Answered requests on a node, and LOOKUPs answered with it. */
  const onNode = (node: number): RawExchange[] => pairExchanges(readPcapng(fx(name))).exchanges.filter((e) => e.reply &&
    (e.nodeid === BigInt(node) || (e.opcode === Op.LOOKUP && e.replyError === 0 && e.reply.readBigUInt64LE(16) === BigInt(node))));
  const sizeOf = (e: RawExchange): number => Number(e.reply!.readBigUInt64LE(e.opcode === Op.LOOKUP ? 16 + 40 + 8 : 16 + 16 + 8));

  it('answers CREATE ENOSYS (files made by MKNOD), a truncate that grows a file and an O_APPEND write EPERM, LINK ENOSYS; lists its volume label as a file', () => {
    const { exchanges } = dump(name);
    assert.deepEqual(exchanges.filter((x) => x.op === 'CREATE').map((x) => x.error_name), ['-ENOSYS']);
    assert.ok(exchanges.filter((x) => x.op === 'MKNOD' && x.error === 0).length >= 15);
    const data = made('data');
    const truncates = exchanges.filter((x) => x.op === 'SETATTR' && x.nodeid === data)
      .map((x) => [(x.request.body as { fuse_setattr_in: { size: number } }).fuse_setattr_in.size, x.error_name]);
    assert.deepEqual(truncates, [[1000, 'OK'], [9000, '-EPERM']]);
    const appends = exchanges.filter((x) => x.op === 'WRITE' && x.nodeid === data && /O_APPEND/.test(String((x.request.body as { fuse_write_in: { flags_names: string } }).fuse_write_in.flags_names)));
    assert.deepEqual(appends.map((x) => x.error_name), ['-EPERM']);
    assert.deepEqual(exchanges.filter((x) => x.op === 'LINK').map((x) => x.error_name), ['-ENOSYS']);
    const label = exchanges.find((x) => x.op === 'LOOKUP' && x.error === 0 && nameOf(x) === 'FUSETRAC.E');
    assert.ok(label && (attrOf(label)!.mode & 0o170000) === 0o100000, 'the label FUSETRACE, looked up as a regular file');
    assert.equal(run(name).model.files.find((f) => f.path === '/data')!.reportedSize, 1000);
  });

  it('/held: a handle opened at 4096 bytes outlives another\'s extension to 69,632 (answered, reported), writes 3 bytes at 0 and is released; the file is 4096 again with no truncate: size-shrank-externally', () => {
    const on = onNode(made('held'));
    assert.ok(!on.some((e) => e.opcode === Op.SETATTR), 'no truncate');
    const held = on.find((e) => e.opcode === Op.WRITE && writeInfo(e).offset === 0 && writeInfo(e).size === 3)!;
    const fh = writeInfo(held).fh;
    const open = on.filter((e) => e.opcode === Op.OPEN && e.reply!.readBigUInt64LE(16) === fh && e.tReply! < held.tReq).at(-1)!;
    const release = on.find((e) => e.opcode === Op.RELEASE && reqFh(e) === fh && e.tReq > held.tReq)!;
    assert.ok(open && release);
    // The file was 4096 bytes while the handle was opened...
    const reports = on.filter((e) => e.opcode === Op.GETATTR || e.opcode === Op.LOOKUP);
    assert.equal(sizeOf(reports.find((e) => e.tReq > open.tReply!)!), 4096);
    // ... another handle extended it to 69,632 before the held one wrote, and the daemon said so ...
    const others = on.filter((e) => e.opcode === Op.WRITE && writeInfo(e).fh !== fh && e.tReq > open.tReply! && e.tReply! < held.tReq);
    assert.equal(others.length, 16);
    assert.ok(others.every((e) => e.replyError === 0 && writeInfo(e).written === 4096));
    assert.equal(Math.max(...others.map((e) => writeInfo(e).offset + writeInfo(e).size)), 69632);
    assert.ok(reports.some((e) => e.tReq > others.at(-1)!.tReply! && e.tReply! < held.tReq && sizeOf(e) === 69632));
    // ... and after the held handle's release it is 4096 again.
    const after = reports.filter((e) => e.tReq > release.tReply!);
    assert.deepEqual(after.map(sizeOf), [4096]);

    const f = run(name).model.findings.filter((g) => g.path === '/held');
    assert.deepEqual(f.map((g) => g.kind), ['size-shrank-externally']);
    assert.deepEqual(f[0]!.uniques, [after[0]!.unique].map(Number));
    assert.equal(f[0]!.details.reportedSize, 4096);
    assert.equal(f[0]!.details.daemonSize, 69632);
  });

  it('/dio: two O_DIRECT writers interleaved, one WRITE in flight, 0-2 MiB answered end to end; the handle released last wrote 0-1 MiB and the file is then 1 MiB: size-shrank-externally', () => {
    const on = onNode(made('dio'));
    const opens = on.filter((e) => e.opcode === Op.OPEN);
    assert.equal(opens.length, 2);
    for (const e of opens) assert.equal(openReplyFlags(e)! & FOPEN_DIRECT_IO, 0);
    const writes = on.filter((e) => e.opcode === Op.WRITE).sort((a, b) => a.tReq - b.tReq);
    assert.equal(writes.length, 32);
    assert.ok(opens.every((e) => e.tReply! < writes[0]!.tReq), 'both opens answered while the file was empty');
    assert.ok(writes.every((e) => e.replyError === 0 && writeInfo(e).written === 65536));
    const { switches, overlapped } = interleaving(writes);
    assert.ok(switches >= 2, `the writers ran at the same time (${switches} switches)`);
    assert.equal(overlapped, false);
    assert.deepEqual(coverage(writes), { end: 2 << 20, pids: 2 });
    assert.ok(!on.some((e) => e.opcode === Op.SETATTR), 'no truncate');
    const last = on.filter((e) => e.opcode === Op.RELEASE).sort((a, b) => a.tReq - b.tReq).at(-1)!;
    const lastWrites = writes.filter((e) => writeInfo(e).fh === reqFh(last));
    assert.equal(Math.max(...lastWrites.map((e) => writeInfo(e).offset + writeInfo(e).size)), 1 << 20);
    const after = on.filter((e) => e.opcode === Op.GETATTR && e.tReq > last.tReply!);
    assert.deepEqual(after.map(sizeOf), [1 << 20]);

    const r = run(name);
    assert.deepEqual(kindsOf(r), ['size-shrank-externally', 'size-shrank-externally']);
    const f = r.model.findings.find((g) => g.path === '/dio')!;
    assert.deepEqual(f.uniques, [Number(after[0]!.unique)]);
    assert.equal(f.details.reportedSize, 1 << 20);
    assert.equal(f.details.daemonSize, 2 << 20);
    assert.equal(r.model.files.find((g) => g.path === '/dio')!.maxConcurrentWrites, 1);
  });
});

describe('disorderfs', { skip: has('thirdparty-disorderfs.pcapng') }, () => {
  const name = 'thirdparty-disorderfs.pcapng';
  const nodeOf = (x: Dumped): number => (x.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid;

  it('--shuffle-dirents: each listing of a directory comes in a new order; every file of the tree keeps its own size; no finding', () => {
    const { exchanges } = dump(name);
    const dirs = new Map<number, string[][]>();
    for (const x of exchanges) {
      if (x.op !== 'READDIR' || x.error !== 0 || (x.request.body as { fuse_read_in: { offset: number } }).fuse_read_in.offset !== 0) continue;
      const names = ((x.reply!.body as { entries?: { name: string }[] }).entries ?? []).map((e) => e.name);
      dirs.set(x.nodeid, [...(dirs.get(x.nodeid) ?? []), names]);
    }
    const lib = nodeOf(exchanges.find((x) => x.op === 'LOOKUP' && x.error === 0 && nameOf(x) === 'lib')!);
    assert.ok((dirs.get(lib) ?? []).length >= 2, 'src/lib listed twice');
    const reordered = [...dirs.values()].filter((ls) => ls.length >= 2 && ls.some((l) => l.join('/') !== ls[0]!.join('/')));
    assert.ok(reordered.length >= 3, `${reordered.length} directories listed in different orders`);
    const parts = exchanges.filter((x) => x.op === 'LOOKUP' && x.error === 0 && /^part\d+\.bin$/.test(nameOf(x) ?? ''));
    assert.equal(parts.length, 20);

    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    for (let i = 1; i <= 20; i++) assert.equal(r.model.files.find((f) => f.path === `/src/lib/part${i}.bin`)!.reportedSize, i * 997, `part${i}.bin`);
  });

  it('answers an O_DIRECT WRITE -EINVAL (the kernel then truncates back to 0): nothing written; /shared\'s 128 plain WRITEs of 2 pids one at a time', () => {
    const { exchanges } = dump(name);
    const dio = nodeOf(exchanges.find((x) => x.op === 'CREATE' && nameOf(x) === 'dio')!);
    assertDioRefusedThenTurns(name, dio, '-EINVAL', '/shared', writesTo(name, 'shared').writes);
  });

  it('passes the backing inode numbers on: ext4 gives new files the numbers of unlinked ones, and the link /data\'s; each nodeid keeps its own size view', () => {
    const { exchanges } = dump(name);
    const link = exchanges.find((x) => x.op === 'LINK' && x.error === 0)!;
    const data = exchanges.find((x) => x.op === 'CREATE' && nameOf(x) === 'data')!;
    assert.notEqual(nodeOf(link), nodeOf(data));
    assert.equal(String(attrOf(link)!.ino), String(attrOf(data)!.ino));
    const creates = exchanges.filter((x) => x.op === 'CREATE' && x.error === 0);
    const reused = creates.filter((x) => creates.some((y) => y !== x && String(attrOf(y)!.ino) === String(attrOf(x)!.ino)));
    assert.ok(reused.length >= 2, `${reused.length} creates share an ino`);

    const r = run(name);
    assert.equal(r.model.files.find((f) => f.path === '/data')!.reportedSize, 9009);
    for (const x of reused) {
      const files = r.model.files.filter((f) => String(f.ino) === String(attrOf(x)!.ino));
      assert.equal(files.length, new Set(files.map((f) => f.nodeid)).size, 'one view per nodeid');
      assert.ok(files.length >= 2);
    }
    const shared = r.model.files.find((f) => f.path === '/shared')!;
    assert.ok(r.model.files.some((f) => f !== shared && String(f.ino) === String(shared.ino) && f.path.endsWith('(deleted)')), '/shared has the ino of an unlinked file');
    assert.ok(shared.sizeHistory.every((e) => e.value === null || e.value === 0 || e.value >= 4096), 'no 7-byte size of an unlinked file');
  });
});

/** Every whole listing (READDIR from offset 0) of each directory of capture `name`, by path, in capture order. */
function listings(name: string): Map<string, string[][]> {
  const pathOf = new Map(run(name).model.files.map((f) => [Number(f.nodeid), f.path]));
  const out = new Map<string, string[][]>();
  for (const x of dump(name).exchanges) {
    if (x.op !== 'READDIR' || x.error !== 0 || (x.request.body as { fuse_read_in: { offset: number } }).fuse_read_in.offset !== 0) continue;
    const path = pathOf.get(x.nodeid)!;
    out.set(path, [...(out.get(path) ?? []), ((x.reply!.body as { entries: { name: string }[] }).entries).map((e) => e.name)]);
  }
  return out;
}

describe('disorderfs, --reverse-dirents=no then yes over one directory', { skip: has('thirdparty-disorderfs-forward.pcapng') || has('thirdparty-disorderfs-reverse.pcapng') }, () => {
  it('lists each directory the same way twice per mount, the second mount in the first one\'s order reversed; no finding in either', () => {
    const fwd = listings('thirdparty-disorderfs-forward.pcapng');
    const rev = listings('thirdparty-disorderfs-reverse.pcapng');
    assert.deepEqual([...fwd.keys()].sort(), ['/src', '/src/bin', '/src/doc', '/src/lib']);
    assert.deepEqual([...rev.keys()].sort(), [...fwd.keys()].sort());
    // make_tree: 20 files in each of bin, doc and lib (and lib's readme), every name whole (snap length 4096).
    assert.deepEqual(fwd.get('/src/lib')![0]!.filter((n) => n.startsWith('part')).length, 20);
    for (const [path, [a, b]] of fwd) {
      assert.deepEqual(b, a, `${path}: listed twice the same way`);
      const [c, d] = rev.get(path)!;
      assert.deepEqual(d, c, `${path}: listed twice the same way, reversed`);
      assert.deepEqual(c, [...a!].reverse(), `${path}: the reverse of the forward listing`);
      assert.notDeepEqual(c, a, path);
    }
    for (const name of ['thirdparty-disorderfs-forward.pcapng', 'thirdparty-disorderfs-reverse.pcapng']) {
      const r = run(name);
      assert.deepEqual(kindsOf(r), []);
      for (let i = 1; i <= 20; i++) assert.equal(r.model.files.find((f) => f.path === `/src/lib/part${i}.bin`)!.reportedSize, i * 997, `${name}: part${i}.bin`);
    }
  });
});

describe('zfs-fuse', { skip: has('thirdparty-zfs-fuse.pcapng') }, () => {
  const name = 'thirdparty-zfs-fuse.pcapng';
  it('a hard link is one node with two names: after data.link is unlinked the file is still /data; two buffered writers of /par; no finding', () => {
    const { exchanges } = dump(name);
    const { link, node } = hardLinkOf(exchanges, 'data', 'data.link');
    const unlink = exchanges.find((x) => x.op === 'UNLINK' && nameOf(x) === 'data.link' && x.error === 0)!;
    assert.ok(Number(unlink.reply_ns) > Number(link.reply_ns));
    assert.ok(!exchanges.some((x) => x.op === 'UNLINK' && nameOf(x) === 'data'), '/data itself is never unlinked');

    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    assert.deepEqual(r.model.files.filter((f) => f.nodeid === node).map((f) => f.path), ['/data']);
    const par = r.model.files.find((f) => f.path === '/par')!;
    assert.equal(par.writes, 128);
    assert.equal(par.reportedSize, 8 << 20);
    assert.equal(par.daemonSize, 8 << 20);
  });
});

describe('GlusterFS, one client', { skip: has('thirdparty-glusterfs.pcapng') }, () => {
  const name = 'thirdparty-glusterfs.pcapng';
  it('answers the kernel\'s STATX ENOSYS (beyond its opcode table); LINK, truncates down and up, an O_DIRECT READ; no finding', () => {
    const { exchanges } = dump(name);
    assert.deepEqual(exchanges.filter((x) => x.op === 'STATX').map((x) => x.error_name), ['-ENOSYS']);
    assert.ok(exchanges.some((x) => x.op === 'LINK' && x.error === 0));
    const data = entryNodeid(name, 'CREATE', 'data');
    const sizes = exchanges.filter((x) => x.op === 'SETATTR' && x.nodeid === data && x.error === 0).map((x) => attrOf(x)!.size);
    assert.deepEqual(sizes.slice(0, 2), [1000, 9000]);
    assert.ok(exchanges.some((x) => x.op === 'READ' && x.nodeid === data && x.error === 0));

    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    assert.equal(r.model.files.find((f) => f.path === '/data')!.reportedSize, 9009);
  });
});

describe('GlusterFS, two clients of one volume: the stale-size race', { skip: has('thirdparty-glusterfs-race-A.pcapng') || has('thirdparty-glusterfs-race-B.pcapng') }, () => {
  const A = 'thirdparty-glusterfs-race-A.pcapng';
  const B = 'thirdparty-glusterfs-race-B.pcapng';
  it('A\'s kernel cached 4 GiB, B truncated to 2 GiB, A wrote at 3 GiB: one stale-size write, the two writes one at a time (DIRECT_IO without PARALLEL_DIRECT_WRITES)', () => {
    const a = absExchanges(A);
    const b = absExchanges(B);
    const { exchanges: da } = dump(A);
    const { exchanges: db } = dump(B);
    // A: one LOOKUP of /file, answered 4 GiB and valid for an hour.
    const lookup = da.find((x) => x.op === 'LOOKUP' && nameOf(x) === 'file')!;
    assert.equal(attrOf(lookup)!.size, 4 * 2 ** 30);
    assert.equal((lookup.reply!.body as { fuse_entry_out: { attr_valid: number } }).fuse_entry_out.attr_valid, 3600);
    const fileA = BigInt((lookup.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid);
    // B: the truncate to 2 GiB, of the same file (one ino).
    const trunc = db.find((x) => x.op === 'SETATTR' && attrOf(x)!.size === 2 * 2 ** 30)!;
    assert.equal(String(attrOf(trunc)!.ino), String(attrOf(lookup)!.ino));
    const truncB = b.find((e) => e.opcode === Op.SETATTR && e.unique === BigInt(trunc.unique))!;
    const writes = a.filter((e) => e.opcode === Op.WRITE && e.nodeid === fileA).sort((x, y) => x.from - y.from);
    assert.deepEqual(writes.map((w) => [writeInfo(w).offset, writeInfo(w).size]), [[3 * 2 ** 30, 65536], [3584 * 2 ** 20, 65536]]);
    assert.equal(new Set(writes.map((w) => w.pid)).size, 2);
    const lookupA = a.find((e) => e.opcode === Op.LOOKUP && e.unique === BigInt(lookup.unique))!;
    assert.ok(lookupA.to < truncB.from && truncB.to < writes[0]!.from, 'LOOKUP, then the truncate, then the first WRITE');
    // Nothing told A's kernel another size between its LOOKUP and the first WRITE.
    assert.ok(!a.some((e) => e.nodeid === fileA && (e.opcode === Op.GETATTR || e.opcode === Op.LOOKUP) && e.from > lookupA.to && e.from < writes[0]!.from));
    // The opens: FOPEN_DIRECT_IO|FOPEN_KEEP_CACHE, no FOPEN_PARALLEL_DIRECT_WRITES; the writes never overlapped.
    const opens = a.filter((e) => e.opcode === Op.OPEN && e.nodeid === fileA).map(openReplyFlags);
    assert.deepEqual(opens, [0x3, 0x3]);
    assert.equal(maxInFlight(writes), 1);
    // Before the second WRITE a GETATTR reported 3 GiB + 64 KiB: the kernel knew that one extends the file.
    const getattr = da.find((x) => x.op === 'GETATTR' && BigInt(x.nodeid) === fileA)!;
    assert.equal(attrOf(getattr)!.size, 3 * 2 ** 30 + 65536);

    const r = analyze({ files: [fx(A), fx(B)] });
    assert.equal(r.fatal, undefined);
    assert.deepEqual(kindsOf(r), ['stale-size-write']);
    const f = r.model.findings[0]!;
    assert.deepEqual([f.conn, f.path, f.uniques.map(String)], [0, '/file', [String(writes[0]!.unique)]]);
    assert.equal(r.model.files.find((g) => g.conn === 0 && g.path === '/file')!.maxConcurrentWrites, 1);
  });
});

describe('MooseFS, one client', { skip: has('thirdparty-moosefs.pcapng') }, () => {
  const name = 'thirdparty-moosefs.pcapng';
  it('answers opens 0 or FOPEN_KEEP_CACHE as its master decides, DIRECT_IO for O_APPEND, never PARALLEL_DIRECT_WRITES: four O_DIRECT writers of /par sent one at a time; no finding', () => {
    const { writes, openFlags } = writesTo(name, 'par');
    assert.equal(openFlags.length, 5, 'the CREATE, three writers\' OPENs and the read-back');
    assert.ok(openFlags.every((f) => f === 0 || f === FOPEN_KEEP_CACHE), `open_flags ${openFlags.join(', ')}`);
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const data = BigInt(entryNodeid(name, 'CREATE', 'data'));
    const O_APPEND = 0o2000;
    const appends = all.filter((e) => e.opcode === Op.OPEN && e.nodeid === data && (e.req.readUInt32LE(40) & O_APPEND) !== 0);
    assert.deepEqual(appends.map(openReplyFlags), [FOPEN_DIRECT_IO]);
    assert.ok(all.every((e) => ((openReplyFlags(e) ?? 0) & FOPEN_PARALLEL_DIRECT_WRITES) === 0));

    // writers_in_turn: 4 rounds of 64 KiB from each of 0, 1, 2 and 3 MiB.
    const starts = [0, 1, 2, 3].map((m) => m << 20);
    const expected = starts.flatMap((s) => [0, 1, 2, 3].map((k) => s + k * 65536)).sort((a, b) => a - b);
    assert.deepEqual(writes.map((w) => writeInfo(w).offset).sort((a, b) => a - b), expected);
    assert.ok(writes.every((w) => writeInfo(w).size === 65536 && writeInfo(w).written === 65536 && (writeInfo(w).flags & 0o40000) !== 0), 'O_DIRECT, 64 KiB each');
    assert.equal(new Set(writes.map((w) => w.pid)).size, 4);
    const { switches, overlapped } = interleaving(writes);
    assert.ok(switches >= 8, `the writers ran at the same time (${switches} switches)`);
    assert.equal(overlapped, false, 'the kernel sent them one at a time');

    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    const par = r.model.files.find((f) => f.path === '/par')!;
    assert.deepEqual([par.writes, par.maxConcurrentWrites, par.reportedSize, par.daemonSize], [16, 1, (3 << 20) + 4 * 65536, (3 << 20) + 4 * 65536]);
    assert.equal(r.model.files.find((f) => f.path === '/data')!.reportedSize, 9009);
  });
});

describe('MooseFS, two clients of one master: the stale-size race', { skip: has('thirdparty-moosefs-race-A.pcapng') || has('thirdparty-moosefs-race-B.pcapng') }, () => {
  const A = 'thirdparty-moosefs-race-A.pcapng';
  const B = 'thirdparty-moosefs-race-B.pcapng';
  const GiB = 2 ** 30;

  it('A\'s kernel cached 4 GiB for an hour, B truncated to 2 GiB, A wrote at 3 and 3.5 GiB one at a time: a stale-size write for each one past the real end inside the size A\'s kernel was last told', () => {
    const a = absExchanges(A);
    const b = absExchanges(B);
    const { exchanges: da } = dump(A);
    const { exchanges: db } = dump(B);
    const lookup = da.find((x) => x.op === 'LOOKUP' && nameOf(x) === 'file')!;
    assert.equal(attrOf(lookup)!.size, 4 * GiB);
    const entry = (lookup.reply!.body as { fuse_entry_out: { nodeid: number; attr_valid: number; entry_valid: number } }).fuse_entry_out;
    assert.deepEqual([entry.attr_valid, entry.entry_valid], [3600, 3600]);
    const fileA = BigInt(entry.nodeid);
    const trunc = db.find((x) => x.op === 'SETATTR' && attrOf(x)!.size === 2 * GiB)!;
    assert.equal(String(attrOf(trunc)!.ino), String(attrOf(lookup)!.ino));
    const truncB = b.find((e) => e.opcode === Op.SETATTR && e.unique === BigInt(trunc.unique))!;
    const writes = a.filter((e) => e.opcode === Op.WRITE && e.nodeid === fileA).sort((x, y) => x.from - y.from);
    assert.deepEqual(writes.map((w) => [writeInfo(w).offset, writeInfo(w).size]).sort((x, y) => x[0]! - y[0]!), [[3 * GiB, 65536], [3.5 * GiB, 65536]]);
    assert.equal(new Set(writes.map((w) => w.pid)).size, 2);
    const lookupA = a.find((e) => e.opcode === Op.LOOKUP && e.unique === BigInt(lookup.unique))!;
    assert.ok(lookupA.to < truncB.from && truncB.to < writes[0]!.from, 'LOOKUP, then the truncate, then the first WRITE');
    // No notification told A's kernel of B's truncate.
    assert.equal(pairExchanges(readPcapng(fx(A))).notifications, 0);
    // mfscachemode=DIRECT: FOPEN_DIRECT_IO alone; the writes never overlapped.
    assert.deepEqual(a.filter((e) => e.opcode === Op.OPEN && e.nodeid === fileA).map(openReplyFlags), [FOPEN_DIRECT_IO, FOPEN_DIRECT_IO]);
    assert.equal(maxInFlight(writes), 1);
    // The stale writes: past the real end (B's 2 GiB, then wherever the earlier writes left it) but inside the size A's
    // kernel was last told (the LOOKUP's 4 GiB; a GETATTR of the file between the writes tells it the real size, as the
    // writers' order may bring), so the kernel did not treat them as extending.
    let end = 2 * GiB;
    let kernel = 4 * GiB;
    const stale: number[] = [];
    for (const e of a.filter((x) => x.nodeid === fileA && (x.opcode === Op.WRITE || x.opcode === Op.GETATTR)).sort((x, y) => x.from - y.from)) {
      if (e.opcode === Op.GETATTR) {
        kernel = Number(e.reply!.readBigUInt64LE(16 + 16 + 8)); // fuse_attr_out { attr_valid, attr_valid_nsec, dummy }, then fuse_attr { ino, size }
        continue;
      }
      const w = writeInfo(e);
      if (w.offset > end && w.offset + w.size <= kernel) stale.push(Number(w.unique));
      end = Math.max(end, w.offset + w.size);
      kernel = Math.max(kernel, w.offset + w.size);
    }
    assert.ok(stale.length >= 1);

    const r = analyze({ files: [fx(A), fx(B)] });
    assert.equal(r.fatal, undefined);
    assert.deepEqual(kindsOf(r), ['stale-size-write']);
    const f = r.model.findings[0]!;
    assert.deepEqual([f.conn, f.path, f.uniques.map(Number)], [0, '/file', stale]);
    const file = r.model.files.find((g) => g.conn === 0 && g.path === '/file')!;
    assert.equal(file.maxConcurrentWrites, 1);
    assert.equal(file.kernelSize['0'], kernel, 'what A\'s kernel was last told or its writes made it');
  });

  it('B\'s kernel is sent NOTIFY_INVAL_INODE of the file after A\'s writes, then its LOOKUP reports 3.5 GiB + 64 KiB: alone, B\'s capture shows the growth as size-grew-externally; A\'s shows the shrink only if a GETATTR told it', () => {
    const { exchanges: db } = dump(B);
    const node = entryNodeid(B, 'CREATE', 'file');
    const raw = rawNotifications(B);
    assert.ok(raw.length >= 1);
    for (const n of raw) {
      assert.equal(n.code, 2, 'FUSE_NOTIFY_INVAL_INODE');
      assert.equal(Number(n.body.readBigUInt64LE(0)), node);
    }
    const last = db.filter((x) => x.op === 'LOOKUP' && nameOf(x) === 'file' && x.error === 0).at(-1)!;
    assert.equal(attrOf(last)!.size, 3.5 * GiB + 65536);
    assert.ok(!db.some((x) => x.op === 'WRITE'), 'B wrote nothing');

    const rb = run(B);
    assert.deepEqual(kindsOf(rb), ['size-grew-externally']);
    assert.deepEqual(rb.model.findings[0]!.uniques.map(Number), [last.unique]);
    // A's capture alone holds no truncate: a GETATTR of the file answered below the LOOKUP's 4 GiB (sent between the
    // writes when the one at 3 GiB goes first) is a shrink it cannot see the cause of; without one, nothing.
    const { exchanges: da } = dump(A);
    const fileA = entryNodeid(A, 'LOOKUP', 'file');
    const below = da.filter((x) => x.op === 'GETATTR' && x.nodeid === fileA && attrOf(x)!.size < 4 * GiB);
    const ra = run(A);
    assert.deepEqual(kindsOf(ra), below.length ? ['size-shrank-externally'] : []);
    if (below.length) assert.deepEqual(ra.model.findings[0]!.uniques.map(Number), [below[0]!.unique]);
  });
});

/** entry_valid and attr_valid of an entry or attribute reply (dump's body), in seconds. */
function validities(x: Dumped): number[] {
  const b = x.reply!.body as { fuse_entry_out?: { entry_valid: number; attr_valid: number }; fuse_attr_out?: { attr_valid: number } };
  return b.fuse_entry_out ? [b.fuse_entry_out.entry_valid, b.fuse_entry_out.attr_valid] : [b.fuse_attr_out!.attr_valid];
}

describe('ceph-fuse, one client', { skip: has('thirdparty-ceph-fuse.pcapng') }, () => {
  const name = 'thirdparty-ceph-fuse.pcapng';
  it('answers every entry and attribute valid for 0 s; a truncate down is followed by NOTIFY_INVAL_INODE of the cut range before its SETATTR reply; LINK, truncates down and up, O_DIRECT READs; no finding', () => {
    const { exchanges } = dump(name);
    const withAttrs = exchanges.filter((x) => x.error === 0 && attrOf(x) !== undefined);
    assert.ok(withAttrs.length >= 100);
    for (const x of withAttrs) assert.ok(validities(x).every((v) => v === 0), `${x.op} #${x.unique}`);
    assert.ok(exchanges.some((x) => x.op === 'LINK' && x.error === 0));
    const data = entryNodeid(name, 'CREATE', 'data');
    const cuts = exchanges.filter((x) => x.op === 'SETATTR' && x.nodeid === data && x.error === 0);
    assert.deepEqual(cuts.slice(0, 2).map((x) => attrOf(x)!.size), [1000, 9000]);
    // The notification, from the daemon's own thread: the bytes from 1000 to the 6000 it had.
    const r = runCli(['dump', '--json', fx(name)]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').filter((l) => l.includes('"kind":"notify"'));
    assert.equal(lines.length, 1);
    const note = JSON.parse(lines[0]!) as { data: { decoded: { op: string; body: { fuse_notify_inval_inode_out: { ino: number; off: number; len: number } } } } };
    assert.equal(note.data.decoded.op, 'INVAL_INODE');
    const inval = note.data.decoded.body.fuse_notify_inval_inode_out;
    assert.deepEqual([inval.ino, inval.off, inval.len], [data, 1000, 5000]);
    // t_ns as written (beyond 2^53: not through JSON.parse).
    const t = BigInt(/"t_ns":(\d+)/.exec(lines[0]!)![1]!);
    assert.ok(t > BigInt(cuts[0]!.req_ns) && t < BigInt(cuts[0]!.reply_ns!), 'while the SETATTR was in flight');
    assert.ok(exchanges.filter((x) => x.op === 'READ' && x.nodeid === data && x.error === 0).length >= 3);

    const a = run(name);
    assert.deepEqual(kindsOf(a), []);
  });
});

describe('ceph-fuse, two clients of one CephFS: the stale-size race', { skip: has('thirdparty-ceph-fuse-race-A.pcapng') || has('thirdparty-ceph-fuse-race-B.pcapng') }, () => {
  const A = 'thirdparty-ceph-fuse-race-A.pcapng';
  const B = 'thirdparty-ceph-fuse-race-B.pcapng';
  it('A\'s kernel caches nothing (valid 0 s): it looks /file up again after B\'s truncate and gets 2 GiB before its writes, which go one at a time (DIRECT_IO without PARALLEL_DIRECT_WRITES): no race. Alone, A shows the shrink and B the growth the other made; together, no finding', () => {
    const a = absExchanges(A);
    const b = absExchanges(B);
    const { exchanges: da } = dump(A);
    const { exchanges: db } = dump(B);
    const first = da.find((x) => x.op === 'LOOKUP' && nameOf(x) === 'file')!;
    assert.equal(attrOf(first)!.size, 4 * 2 ** 30);
    assert.deepEqual(validities(first), [0, 0]);
    const fileA = BigInt((first.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid);
    const trunc = db.find((x) => x.op === 'SETATTR' && attrOf(x)!.size === 2 * 2 ** 30)!;
    assert.equal(String(attrOf(trunc)!.ino), String(attrOf(first)!.ino));
    const truncB = b.find((e) => e.opcode === Op.SETATTR && e.unique === BigInt(trunc.unique))!;
    const writes = a.filter((e) => e.opcode === Op.WRITE && e.nodeid === fileA).sort((x, y) => x.from - y.from);
    // The two writers race to the kernel: either may be first.
    assert.deepEqual(writes.map((w) => [writeInfo(w).offset, writeInfo(w).size]).sort((x, y) => x[0]! - y[0]!), [[3 * 2 ** 30, 65536], [3584 * 2 ** 20, 65536]]);
    assert.equal(new Set(writes.map((w) => w.pid)).size, 2);
    // Between B's truncate and A's first WRITE, A's kernel asked again and was told 2 GiB.
    const between = da.filter((x) => x.error === 0 && (x.op === 'LOOKUP' ? nameOf(x) === 'file' : x.op === 'GETATTR' && BigInt(x.nodeid) === fileA) &&
      Number(BigInt(x.req_ns)) > truncB.to && Number(BigInt(x.req_ns)) < writes[0]!.from);
    assert.ok(between.length >= 2);
    for (const x of between) assert.equal(attrOf(x)!.size, 2 * 2 ** 30);
    const opens = a.filter((e) => e.opcode === Op.OPEN && e.nodeid === fileA).map(openReplyFlags);
    assert.deepEqual(opens, [0x1, 0x1]);
    assert.equal(maxInFlight(writes), 1);

    assert.deepEqual(kindsOf(run(A)), ['size-shrank-externally']);
    assert.deepEqual(kindsOf(run(B)), ['size-grew-externally']);
    const r = analyze({ files: [fx(A), fx(B)] });
    assert.equal(r.fatal, undefined);
    assert.deepEqual(kindsOf(r), []);
  });
});

describe('fuse-convmvfs', { skip: has('thirdparty-fuse-convmvfs.pcapng') }, () => {
  const name = 'thirdparty-fuse-convmvfs.pcapng';
  /** Name bytes of a LOOKUP/MKNOD request as the independent reader has them: after the header (and MKNOD's fuse_mknod_in), up to the NUL. */
  const rawName = (e: RawExchange): Buffer => e.req.subarray(40 + (e.opcode === Op.MKNOD ? 16 : 0), -1);
  /** The nodeid MKNOD gave `file` (convmvfs answers CREATE with ENOSYS). */
  const made = (file: string): number => entryNodeid(name, 'MKNOD', file);

  it('shows the source directory\'s Latin-1 name caf\\xe9.txt as UTF-8 café.txt (listed, looked up at 13 bytes, read) and stores über made through it; no finding', () => {
    const ind = pairExchanges(readPcapng(fx(name))).exchanges;
    const utf8 = Buffer.from('café.txt', 'utf8');
    assert.deepEqual([...utf8.subarray(3, 5)], [0xc3, 0xa9], 'é as UTF-8');
    const lookup = ind.find((e) => e.opcode === Op.LOOKUP && e.replyError === 0 && rawName(e).equals(utf8));
    assert.ok(lookup, 'a LOOKUP of the UTF-8 name, answered');
    const node = lookup.reply!.readBigUInt64LE(16);
    assert.equal(Number(lookup.reply!.readBigUInt64LE(16 + 40 + 8)), 13, 'attr.size');
    const read = ind.find((e) => e.opcode === Op.READ && e.nodeid === node && e.reply)!;
    assert.equal(read.reply!.length - 16, 13, 'the 13 bytes of the file');
    const { exchanges } = dump(name);
    const listing = exchanges.find((x) => x.op === 'READDIR' && x.nodeid === 1 && x.error === 0)!;
    assert.ok(((listing.reply!.body as { entries: { name: string }[] }).entries).some((e) => e.name === 'café.txt'), 'listed in UTF-8');
    assert.ok(ind.some((e) => e.opcode === Op.MKNOD && e.replyError === 0 && rawName(e).equals(Buffer.from('über', 'utf8'))), 'MKNOD über in UTF-8');

    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    const cafe = r.model.files.find((f) => f.path === '/café.txt')!;
    assert.equal(String(cafe.nodeid), String(node));
    assert.equal(cafe.reportedSize, 13);
    assert.equal(r.model.files.find((f) => f.path === '/über')!.daemonSize, 11);
  });

  it('answers LINK with a new nodeid and ino (libfuse 2 numbers, no use_ino), both names 9009 bytes; /data keeps its size after data.link is unlinked', () => {
    const { exchanges } = dump(name);
    const link = exchanges.find((x) => x.op === 'LINK' && x.error === 0)!;
    const data = made('data');
    const linkNode = (link.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid;
    assert.equal((link.request.body as { fuse_link_in: { oldnodeid: number } }).fuse_link_in.oldnodeid, data);
    assert.notEqual(linkNode, data);
    assert.equal(String(attrOf(link)!.ino), String(linkNode));
    assert.equal(attrOf(link)!.size, 9009);
    assert.ok(exchanges.some((x) => x.op === 'UNLINK' && nameOf(x) === 'data.link' && x.error === 0));

    const r = run(name);
    assert.equal(r.model.files.find((f) => f.path === '/data')!.reportedSize, 9009);
    assert.equal(r.model.files.find((f) => f.path === '/data.link (deleted)')!.reportedSize, 9009);
  });

  it('answers an O_DIRECT WRITE -EPERM (the kernel then truncates back to 0): nothing written; /par\'s 128 buffered WRITEs of 2 pids one at a time, 0-512 KiB', () => {
    const { exchanges } = dump(name);
    assert.deepEqual(exchanges.filter((x) => x.op === 'CREATE').map((x) => x.error_name), ['-ENOSYS']);
    const par = BigInt(made('par'));
    const writes = pairExchanges(readPcapng(fx(name))).exchanges.filter((e) => e.opcode === Op.WRITE && e.nodeid === par && e.reply).sort((a, b) => a.tReq - b.tReq);
    assertDioRefusedThenTurns(name, made('dio'), '-EPERM', '/par', writes);
  });
});

describe('fuseext2', { skip: has('thirdparty-fuseext2.pcapng') }, () => {
  const name = 'thirdparty-fuseext2.pcapng';
  it('one thread; every open of a regular file answered with one fh, also the two opens of /dio held at once; no LINK sent (the daemon never answers one); no finding', () => {
    assert.equal(peakInFlight(name), 1);
    const { exchanges } = dump(name);
    assert.equal(exchanges.filter((x) => x.op === 'LINK').length, 0);
    const opens = exchanges.filter((x) => (x.op === 'OPEN' || x.op === 'CREATE') && x.error === 0);
    assert.ok(opens.length >= 18, `${opens.length} opens`);
    assert.equal(new Set(opens.map((x) => String((x.reply!.body as { fuse_open_out: { fh: unknown } }).fuse_open_out.fh))).size, 1);
    const dio = entryNodeid(name, 'CREATE', 'dio');
    const dioOpens = opens.filter((x) => x.nodeid === dio || nameOf(x) === 'dio');
    const firstRelease = exchanges.find((x) => x.op === 'RELEASE' && x.nodeid === dio)!;
    assert.equal(dioOpens.length, 2);
    assert.ok(dioOpens.every((x) => Number(x.reply_ns) < Number(firstRelease.req_ns)), 'both opens answered before either is released');

    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    assert.equal(r.model.connections[0]!.threads, 1);
    const data = r.model.files.find((f) => f.path === '/data')!;
    assert.deepEqual(data.sizeHistory.filter((e) => e.event === 'truncate').map((e) => e.value), [1000, 9000]);
    assert.equal(data.reportedSize, 9009);
  });

  it('two O_DIRECT writers of /dio (open_flags 0): 32 WRITEs of 64 KiB from 2 pids in turn, never two in flight, one starting past the end; no finding', () => {
    assertDioWritersInTurn(name, 'dio', 2 << 20);
  });
});

describe('httpfs2', { skip: has('thirdparty-httpfs2.pcapng') }, () => {
  const name = 'thirdparty-httpfs2.pcapng';
  it('sizes its one file by the server\'s Content-Length: READs end at 100,000 whatever they ask, none past the end is sent; after the server cut it the daemon reports 50,000 and a READ ends there: size-shrank-externally, right', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges.sort((a, b) => a.tReq - b.tReq);
    const lookups = all.filter((e) => e.opcode === Op.LOOKUP && e.replyError === 0);
    const node = lookups[0]!.reply!.readBigUInt64LE(16);
    const sizeOf = (e: RawExchange): number => Number(e.reply!.readBigUInt64LE(e.opcode === Op.LOOKUP ? 16 + 40 + 8 : 16 + 16 + 8));
    const reports = all.filter((e) => e.reply && e.replyError === 0 && ((e.opcode === Op.LOOKUP && e.reply.readBigUInt64LE(16) === node) || (e.opcode === Op.GETATTR && e.nodeid === node)));
    const cut = reports.findIndex((e) => sizeOf(e) !== 100000);
    assert.ok(cut > 1, 'reported 100,000 first');
    assert.deepEqual(reports.slice(cut).map(sizeOf), [50000], 'then 50,000');
    assert.ok(!all.some((e) => e.opcode === Op.SETATTR), 'no truncate in the capture');
    const reads = all.filter((e) => e.opcode === Op.READ && e.nodeid === node && e.replyError === 0)
      .map((e) => ({ t: e.tReq, offset: Number(e.req.readBigUInt64LE(48)), asked: e.req.readUInt32LE(56), got: e.reply!.readUInt32LE(0) - 16 }));  // fuse_out_header.len: the data are cut at the snap length
    const before = reads.filter((r) => r.t < reports[cut]!.tReq);
    const after = reads.filter((r) => r.t > reports[cut]!.tReply!);
    const ends = (rs: typeof reads): number => Math.max(...rs.map((r) => r.offset + r.got));
    assert.equal(ends(before), 100000);
    assert.ok(before.every((r) => r.offset + r.asked <= 100000 || r.offset + r.got === 100000), 'a READ across the end stops at it');
    assert.ok(before.some((r) => r.offset + r.asked > 100000), 'a READ asked past the end');
    assert.ok(before.every((r) => r.offset < 100000), 'none starts past the end (dd at 122,880 sent none)');
    assert.equal(ends(after), 50000);

    const r = run(name);
    assert.deepEqual(kindsOf(r), ['size-shrank-externally']);
    const f = r.model.findings[0]!;
    assert.equal(f.path, '/blob.bin');
    assert.deepEqual(f.uniques, [Number(reports[cut]!.unique)]);
    assert.equal(f.details.reportedSize, 50000);
    assert.equal(f.details.daemonSize, 100000);
  });
});

/**
 * Name, nodeid, attr.ino, attr.size and attr.mode of every successful LOOKUP
 * and of every READDIRPLUS entry but . and .. (fuse_entry_out: attr at 40;
 * a fuse_direntplus is the 128-byte fuse_entry_out, then a fuse_dirent: ino,
 * off, namelen, type, the name, padded to 8).
 */
function entriesOf(all: RawExchange[]): { name: string; nodeid: bigint; ino: bigint; size: number; mode: number }[] {
  const entry = (b: Buffer, at: number, name: string) => ({
    name, nodeid: b.readBigUInt64LE(at), ino: b.readBigUInt64LE(at + 40), size: Number(b.readBigUInt64LE(at + 48)), mode: b.readUInt32LE(at + 100),
  });
  const out: ReturnType<typeof entry>[] = [];
  for (const e of all) {
    if (e.replyError !== 0) continue;
    if (e.opcode === Op.LOOKUP) out.push(entry(e.reply!, 16, e.req.subarray(40, e.req.indexOf(0, 40)).toString('latin1')));
    if (e.opcode !== Op.READDIRPLUS) continue;
    for (let o = 16; o + 152 <= e.reply!.length;) {
      const len = e.reply!.readUInt32LE(o + 128 + 16);
      const name = e.reply!.toString('latin1', o + 152, o + 152 + len);
      if (name !== '.' && name !== '..') out.push(entry(e.reply!, o, name));
      o += 152 + ((len + 7) & ~7);
    }
  }
  return out;
}

/**
 * Every successful READ starts before its file's size as its entry gave it and
 * answers what it asked up to that size (the data may be cut at the snap
 * length: the reply header's len counts them); some ask past the end.
 * Returns how many READs there are.
 */
function assertReadsStopAtTheEnd(all: RawExchange[]): number {
  const sizes = new Map(entriesOf(all).map((x) => [x.nodeid, x.size]));
  const reads = all.filter((e) => e.opcode === Op.READ && e.replyError === 0)
    .map((e) => ({ size: sizes.get(e.nodeid)!, offset: Number(e.req.readBigUInt64LE(48)), asked: e.req.readUInt32LE(56), got: e.reply!.readUInt32LE(0) - 16 }));
  for (const rd of reads) {
    assert.ok(rd.offset < rd.size, `READ at ${rd.offset} before ${rd.size}`);
    assert.equal(rd.got, Math.min(rd.asked, rd.size - rd.offset), `READ at ${rd.offset} of ${rd.asked}: up to ${rd.size}`);
  }
  assert.ok(reads.filter((rd) => rd.offset + rd.asked > rd.size).length >= 5, 'READs asked past the end');
  return reads.length;
}

/** Every file's size events carry the size it was last reported at: one size throughout (nothing written). */
function assertOneSizeEach(r: ReturnType<typeof run>): void {
  for (const f of r.model.files) {
    for (const e of f.sizeHistory) assert.equal(e.value, f.reportedSize, `${f.path}: one size throughout`);
  }
}

describe('restic mount', { skip: has('thirdparty-restic.pcapng') }, () => {
  const name = 'thirdparty-restic.pcapng';
  it('bazil.org/fuse answers INIT with 7.12 and FUSE_BIG_WRITES alone; its attr.ino are 64-bit hashes, kept exact; each snapshot\'s mid.bin is its own file (70,000 and 90,000 bytes); no finding', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const init = all.find((e) => e.opcode === Op.INIT)!;
    assert.deepEqual([init.reply!.readUInt32LE(16), init.reply!.readUInt32LE(20), init.reply!.readUInt32LE(28)], [7, 12, 1 << 5]);
    const entries = entriesOf(all);
    assert.ok(entries.filter((x) => x.ino > 2n ** 53n).length >= 20, 'inode numbers beyond 2^53');
    const mids = entries.filter((x) => x.name === 'mid.bin');
    assert.deepEqual(mids.map((x) => x.size).sort(), [70000, 90000]);
    assert.notEqual(mids[0]!.nodeid, mids[1]!.nodeid);

    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    for (const x of entries) {
      const f = r.model.files.find((g) => BigInt(g.nodeid) === x.nodeid);
      assert.ok(f, `nodeid ${x.nodeid}`);
      assert.equal(String(f.ino), String(x.ino), `${f.path}: attr.ino exact`);
      if ((x.mode & 0o170000) === 0o100000) assert.equal(f.reportedSize, x.size, f.path);
    }
    const paths = r.model.files.filter((f) => f.path.endsWith('/data/mid.bin')).map((f) => `${f.path.split('/')[2]} ${f.reportedSize}`).sort();
    assert.deepEqual(paths, ['2024-01-02T03:04:05Z 70000', '2024-01-03T03:04:05Z 90000'], 'reached through the latest symlink: under the snapshot it names');
  });

  it('READs across the end stop at the reported size, none starts past it (the kernel knew the size); every open answered fh 1, none in the state as a wrong size', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    assert.ok(assertReadsStopAtTheEnd(all) >= 15);
    const opens = all.filter((e) => e.opcode === Op.OPEN);
    assert.ok(opens.length >= 10);
    for (const e of opens) assert.equal(e.reply!.readBigUInt64LE(16), 1n);
    assert.ok(opens.some((e) => (e.req.readUInt32LE(40) & 0o40000) !== 0), 'an O_DIRECT open');

    assertOneSizeEach(run(name));
  });
});

for (const [impl, name] of [['llfuse', 'thirdparty-borg.pcapng'], ['pyfuse3', 'thirdparty-borg-pyfuse3.pcapng']] as const) {
  describe(`borg mount through ${impl}`, { skip: has(name) }, () => {
    it('a hard link of an archive is one node: both names answered with one nodeid and one size; inode numbers are the nodeids; each archive\'s mid.bin its own file; no finding', () => {
      const all = pairExchanges(readPcapng(fx(name))).exchanges;
      const entries = entriesOf(all);
      for (const x of entries) assert.equal(x.ino, x.nodeid, x.name);
      const links = entries.filter((x) => x.name === 'numbers.link');
      assert.ok(links.length >= 1);
      for (const l of links) assert.ok(entries.some((x) => x.name === 'numbers.txt' && x.nodeid === l.nodeid && x.size === l.size), `numbers.link (${l.size} bytes) is a numbers.txt`);
      assert.deepEqual([...new Set(entries.filter((x) => x.name === 'numbers.txt').map((x) => x.size))].sort((p, q) => p - q), [21, 8893], 'in the two archives');
      assert.deepEqual([...new Set(entries.filter((x) => x.name === 'mid.bin').map((x) => x.size))].sort(), [70000, 90000]);

      const r = run(name);
      assert.deepEqual(kindsOf(r), []);
      for (const l of links) {
        const files = r.model.files.filter((f) => BigInt(f.nodeid) === l.nodeid);
        assert.equal(files.length, 1, 'one file for the two names');
        assert.equal(files[0]!.reportedSize, l.size);
      }
      const mids = r.model.files.filter((f) => f.path.endsWith('/tree/data/mid.bin')).map((f) => `${f.path} ${f.reportedSize}`).sort();
      assert.deepEqual(mids, ['/first/tree/data/mid.bin 70000', '/second/tree/data/mid.bin 90000']);
    });

    it('every OPEN answered with the node\'s number as fh and FOPEN_KEEP_CACHE, RELEASE, RELEASEDIR and the one FLUSH ENOSYS; READs across the end stop at the size; each file keeps one size', () => {
      const all = pairExchanges(readPcapng(fx(name))).exchanges;
      const opens = all.filter((e) => e.opcode === Op.OPEN);
      assert.ok(opens.length >= 10);
      for (const e of opens) {
        assert.equal(e.reply!.readBigUInt64LE(16), e.nodeid, 'fh = nodeid');
        assert.equal(openReplyFlags(e), 2);
      }
      const closes = all.filter((e) => e.opcode === Op.RELEASE || e.opcode === Op.RELEASEDIR || e.opcode === Op.FLUSH);
      assert.equal(closes.filter((e) => e.opcode === Op.FLUSH).length, 1, 'the kernel sends no FLUSH after the first ENOSYS');
      for (const e of closes) assert.equal(e.replyError, -38);
      assert.ok(assertReadsStopAtTheEnd(all) >= 15);

      assertOneSizeEach(run(name));
    });
  });
}

describe('bup fuse', { skip: has('thirdparty-bup.pcapng') }, () => {
  const name = 'thirdparty-bup.pcapng';
  it('one connection: the git helpers bup runs (vforked by Python\'s subprocess, closing every fd) leave the recording of /dev/fuse on its interface; no finding', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    assert.deepEqual([...new Set(all.map((e) => e.conn))], [0]);
    assert.ok(all.length > 900);
    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    assert.equal(r.model.connections.length, 1);
  });

  it('a hard link is two nodes of one size (bup answers nlink 1); `latest` is a symlink read again on every path through it; every OPEN answered fh 0 and no open flags; READs across the end stop at the size; each file keeps one size', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const entries = entriesOf(all);
    for (const x of entries) assert.equal(x.ino, x.nodeid, x.name);
    const link = entries.find((x) => x.name === 'notes3.link')!;
    const txt = entries.find((x) => x.name === 'notes3.txt')!;
    assert.notEqual(link.nodeid, txt.nodeid);
    assert.equal(link.size, txt.size);
    const latest = entries.find((x) => x.name === 'latest')!;
    assert.equal(latest.mode & 0o170000, 0o120000);
    assert.ok(all.filter((e) => e.opcode === Op.READLINK && e.nodeid === latest.nodeid).length >= 100);
    assert.equal(entries.find((x) => x.name === 'big.bin')!.size, 4000000);
    const opens = all.filter((e) => e.opcode === Op.OPEN);
    assert.ok(opens.length >= 100);
    for (const e of opens) {
      assert.equal(e.reply!.readBigUInt64LE(16), 0n);
      assert.equal(openReplyFlags(e), 0);
    }
    assert.ok(opens.some((e) => (e.req.readUInt32LE(40) & 0o40000) !== 0), 'an O_DIRECT open');
    assert.ok(assertReadsStopAtTheEnd(all) >= 200);
    assert.equal(maxInFlight(all), 1, 'one daemon thread');

    assertOneSizeEach(run(name));
  });
});

describe('fuseiso', { skip: has('thirdparty-fuseiso.pcapng') }, () => {
  const name = 'thirdparty-fuseiso.pcapng';
  it('answers with the image\'s own inode numbers, directories of 2048 bytes (a sector) and a symlink of 0 bytes whose READLINK gives 15: no size view for either; each file the size it has in the image; no finding', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const entries = entriesOf(all);
    assert.ok(entries.some((x) => x.ino !== x.nodeid), 'attr.ino is not the nodeid');
    const dirs = entries.filter((x) => (x.mode & 0o170000) === 0o040000);
    assert.ok(dirs.length >= 3);
    for (const d of dirs) assert.equal(d.size, 2048, d.name);
    const link = entries.find((x) => x.name === 'big')!;
    assert.deepEqual([link.mode & 0o170000, link.size], [0o120000, 0]);
    const readlinks = all.filter((e) => e.opcode === Op.READLINK && e.nodeid === link.nodeid);
    assert.ok(readlinks.length >= 1);
    for (const e of readlinks) assert.equal(e.reply!.toString('latin1', 16), '../data/big.bin');
    const sizes = Object.fromEntries(entries.filter((x) => (x.mode & 0o170000) === 0o100000).map((x) => [x.name, x.size]));
    assert.deepEqual(sizes, {
      'empty': 0, 'hello.txt': 10, 'a-rather-long-file-name.text': 23, 'numbers.txt': 21, 'big.bin': 300000, 'mid.bin': 90000, 'short.txt': 292,
    });

    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    for (const f of r.model.files) {
      const x = entries.find((e) => e.nodeid === BigInt(f.nodeid));
      if (!x) continue;
      assert.equal(String(f.ino), String(x.ino), f.path);
      if ((x.mode & 0o170000) !== 0o100000) {
        assert.equal(f.reportedSize, undefined, `${f.path}: no size view`);
        assert.deepEqual(f.sizeHistory, []);
      } else {
        assert.equal(f.reportedSize, x.size, f.path);
      }
    }
  });

  it('every OPEN answered fh 0 and open_flags 0, also the O_DIRECT ones; READs across the end stop at the size', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const opens = all.filter((e) => e.opcode === Op.OPEN);
    assert.ok(opens.length >= 10);
    for (const e of opens) assert.deepEqual([e.reply!.readBigUInt64LE(16), openReplyFlags(e)], [0n, 0]);
    assert.ok(opens.some((e) => (e.req.readUInt32LE(40) & 0o40000) !== 0), 'an O_DIRECT open');
    assert.ok(assertReadsStopAtTheEnd(all) >= 15);
  });
});

/**
 * fuseiso9660 0.3 (libfuse 2.9, one daemon thread) over an ISO 9660 image with Rock Ridge and Joliet.
 * No finding, and the capture supports none: nothing was written, one request was in flight at a time
 * throughout, every entry and attribute reply of a file gave the size it has in the image, and every READ
 * stopped at that size. What the daemon shows of the image is its own reading of it, not the tree's: every
 * mode is 0555 (the tree's files were 0644), and the Rock Ridge symlink docs/big is a regular file of 0
 * bytes, so `readlink` fails in the kernel without a READLINK and `cat` opens it and reads nothing.
 */
describe('fuseiso9660', { skip: has('thirdparty-fuseiso9660.pcapng') }, () => {
  const name = 'thirdparty-fuseiso9660.pcapng';
  it('negotiates 7.19 with FUSE_ASYNC_READ|FUSE_EXPORT_SUPPORT alone; inode numbers are the nodeids; directories of 2048 bytes (a sector), every mode 0555, the symlink a regular file of 0 bytes (no READLINK sent); each file the size it has in the image; no finding', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    assert.deepEqual(initReplyWords(all), [19, 0x1 | 0x10, 131072]);
    const entries = entriesOf(all);
    for (const x of entries) assert.equal(x.ino, x.nodeid, x.name);
    const dirs = entries.filter((x) => (x.mode & 0o170000) === 0o040000);
    assert.deepEqual(dirs.map((x) => x.name).sort(), ['data', 'docs', 'old']);
    for (const d of dirs) assert.equal(d.size, 2048, d.name);
    for (const x of entries) assert.equal(x.mode & 0o7777, 0o555, x.name);
    const link = entries.find((x) => x.name === 'big')!;
    assert.deepEqual([link.mode & 0o170000, link.size], [0o100000, 0]);
    assert.ok(!all.some((e) => e.opcode === Op.READLINK));
    const sizes = Object.fromEntries(entries.filter((x) => (x.mode & 0o170000) === 0o100000).map((x) => [x.name, x.size]));
    assert.deepEqual(sizes, {
      'empty': 0, 'hello.txt': 14, 'a-rather-long-file-name.text': 23, 'big': 0, 'numbers.txt': 21, 'big.bin': 300000,
      'large.bin': 3145728, 'mid.bin': 90000, 'short.txt': 292,
    });

    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    for (const f of r.model.files) {
      const x = entries.find((e) => e.nodeid === BigInt(f.nodeid));
      if (!x) continue;
      if ((x.mode & 0o170000) !== 0o100000) {
        assert.equal(f.reportedSize, undefined, `${f.path}: no size view`);
        assert.deepEqual(f.sizeHistory, []);
      } else {
        assert.equal(f.reportedSize, x.size, f.path);
      }
    }
    assertOneSizeEach(r);
  });

  it('OPENs answered with a heap pointer as fh and open_flags 0, also the O_DIRECT ones; the 0-byte files are opened and released without a READ; READs across the end stop at the size, none starts past it; large.bin read whole in 24 READs of 128 KiB; FLUSH, GETXATTR and STATX ENOSYS once each; peak 1 in flight', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const opens = all.filter((e) => e.opcode === Op.OPEN);
    assert.equal(opens.length, 15);
    for (const e of opens) {
      assert.equal(openReplyFlags(e), 0, `OPEN #${e.unique}`);
      assert.ok(e.reply!.readBigUInt64LE(16) > 0xffffn, `OPEN #${e.unique}: a pointer`);
    }
    assert.equal(opens.filter((e) => (e.req.readUInt32LE(40) & 0o40000) !== 0).length, 2, 'two O_DIRECT opens');
    const zero = entriesOf(all).filter((x) => x.size === 0 && (x.mode & 0o170000) === 0o100000).map((x) => x.nodeid);
    assert.equal(zero.length, 2);
    for (const n of zero) {
      assert.ok(opens.some((e) => e.nodeid === n));
      assert.ok(!all.some((e) => e.opcode === Op.READ && e.nodeid === n));
    }
    assert.equal(assertReadsStopAtTheEnd(all), 44);

    const large = entriesOf(all).find((x) => x.name === 'large.bin')!.nodeid;
    const whole = all.filter((e) => e.opcode === Op.READ && e.nodeid === large && e.req.readUInt32LE(56) === 131072);
    assert.deepEqual(whole.map((e) => Number(e.req.readBigUInt64LE(48))), Array.from({ length: 24 }, (_, i) => i * 131072));
    // The pread of 64 KiB 10,000 bytes before the end: the kernel asked for the pages up to the size, no further.
    const tail = all.filter((e) => e.opcode === Op.READ && e.nodeid === large && e.req.readUInt32LE(56) !== 131072);
    assert.deepEqual(tail.map((e) => [Number(e.req.readBigUInt64LE(48)), e.req.readUInt32LE(56)]), [[3133440, 8192], [3141632, 4096]]);

    // GETXATTR is opcode 22, STATX 52 (the independent reader names only the opcodes its tests use).
    for (const op of [Op.FLUSH, 22, 52]) assert.deepEqual(all.filter((e) => e.opcode === op).map((e) => e.replyError), [-38]);
    assert.equal(peakInFlight(name), 1);
  });
});

/**
 * s3fs 1.90 (libfuse 2.9, 3 daemon threads) over a bucket of moto_server. s3fs keeps what is written in a
 * local cache file and uploads it on FLUSH and RELEASE; its sizes are the cache's, not the bucket's. No
 * finding, and the capture supports none: every CREATE answered size 0, every later size a reply gave is
 * the end of the WRITEs before it (data.bin 200,000 after its four WRITEs, file-2.txt 16 after the append
 * at 7, late.bin 50,000 after its first WRITE, while the bucket still held 0 bytes of it: the script's curl
 * saw Content-Length 0, the stat(1) beside it was answered from the kernel's cache, no request), every
 * WRITE answered whole; the requests in flight together, two at most, are RELEASEs (sent by the kernel
 * without waiting for them) with the next LOOKUP, GETATTR or OPEN, and a READ with the readahead READ after
 * it: none of them changes a size. late.bin's last report is the 50,000 between its writes; its size after
 * them, 80,000, is what the WRITEs (answered whole) observed, and no reply contradicts it.
 */
describe('s3fs (a bucket of moto_server)', { skip: has('thirdparty-s3fs.pcapng') }, () => {
  const name = 'thirdparty-s3fs.pcapng';
  const node = (all: RawExchange[], file: string): bigint => createdEntries(all).find((x) => x.name === file)!.nodeid;
  /** fuse_entry_out of each answered CREATE, named by the request's name (after fuse_create_in's 16 bytes). */
  const createdEntries = (all: RawExchange[]): { name: string; nodeid: bigint; size: number }[] =>
    all.filter((e) => e.opcode === Op.CREATE && e.replyError === 0).map((e) => ({
      name: e.req.subarray(56, e.req.indexOf(0, 56)).toString('latin1'), nodeid: e.reply!.readBigUInt64LE(16), size: Number(e.reply!.readBigUInt64LE(64)),
    }));
  const getattrSizes = (all: RawExchange[], n: bigint): number[] =>
    all.filter((e) => e.opcode === Op.GETATTR && e.nodeid === n && e.replyError === 0).map((e) => Number(e.reply!.readBigUInt64LE(16 + 16 + 8)));
  const writeEnds = (all: RawExchange[], n: bigint): number[] =>
    all.filter((e) => e.opcode === Op.WRITE && e.nodeid === n).map((e) => Number(e.req.readBigUInt64LE(48)) + e.req.readUInt32LE(56));

  it('negotiates 7.19 with FUSE_ASYNC_READ|FUSE_ATOMIC_O_TRUNC|FUSE_EXPORT_SUPPORT|FUSE_BIG_WRITES; every CREATE answered size 0; every WRITE whole; each later size the end of the WRITEs before it, also while the data was only in s3fs\'s cache; no finding', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    assert.deepEqual(initReplyWords(all), [19, 0x1 | 0x8 | 0x10 | 0x20, 131072]);
    const created = createdEntries(all);
    assert.deepEqual(created.map((x) => [x.name, x.size]), [['file-1.txt', 0], ['file-2.txt', 0], ['file-3.txt', 0], ['data.bin', 0], ['late.bin', 0]]);
    for (const e of all.filter((x) => x.opcode === Op.WRITE)) assert.equal(e.reply!.readUInt32LE(16), e.req.readUInt32LE(56), `WRITE #${e.unique} answered whole`);

    assert.deepEqual(writeEnds(all, node(all, 'data.bin')), [65536, 131072, 196608, 200000]);
    assert.deepEqual(getattrSizes(all, node(all, 'data.bin')), [200000]);
    assert.deepEqual(writeEnds(all, node(all, 'file-2.txt')), [7, 16], 'the append at 7');
    assert.deepEqual(getattrSizes(all, node(all, 'file-2.txt')), [16]);
    // renamed.txt is file-1.txt's node: RENAME keeps it.
    assert.deepEqual(getattrSizes(all, node(all, 'file-1.txt')), [7, 7]);
    // late.bin: the fstat between its two writes, before any FLUSH of it; the bucket held 0 bytes then.
    const late = node(all, 'late.bin');
    const lateOps = all.filter((e) => e.nodeid === late).map((e) => e.opcode);
    assert.deepEqual(lateOps, [Op.WRITE, Op.GETATTR, Op.WRITE, Op.WRITE, Op.FLUSH, Op.RELEASE]);
    assert.deepEqual(getattrSizes(all, late), [50000]);
    assert.deepEqual(writeEnds(all, late), [50000, 53248, 80000], 'the second write split at the page boundary');

    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    // late.bin's last report is the 50,000 of the GETATTR between its writes; the daemon observed 80,000 after them.
    const sizes = Object.fromEntries(r.model.files.filter((f) => f.reportedSize !== undefined).map((f) => [f.path, [f.reportedSize, f.daemonSize]]));
    assert.deepEqual(sizes, {
      '/data.bin': [200000, 200000], '/dir/file-2.txt': [16, 16], '/dir/renamed.txt': [7, 7], '/dir/file-3.txt (deleted)': [7, 7], '/late.bin': [50000, 80000],
    });
  });

  it('peak 2 in flight: RELEASEs (the kernel sends them without waiting) with the next LOOKUP, GETATTR or OPEN, and a READ with the readahead READ after it; every FLUSH and RELEASE answered OK; the UNLINKed node forgotten; READs stop at the size', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    assert.equal(peakInFlight(name), 2);
    const data = node(all, 'data.bin');
    const pairs = all.flatMap((a, i) => all.slice(i + 1).filter((b) => together(a, b)).map((b) => [a.opcode, b.opcode, a.nodeid === data, b.nodeid === data]));
    assert.deepEqual(pairs, [
      [Op.RELEASE, Op.LOOKUP, false, false], [Op.RELEASE, Op.LOOKUP, false, false], [Op.RELEASE, Op.GETATTR, true, true],
      [Op.RELEASE, Op.OPEN, false, true], [Op.READ, Op.READ, true, true],
    ]);
    for (const e of all.filter((x) => x.opcode === Op.FLUSH || x.opcode === Op.RELEASE)) assert.equal(e.replyError, 0, `#${e.unique}`);
    const unlinked = node(all, 'file-3.txt');
    assert.deepEqual(all.filter((e) => e.opcode === 10).map((e) => e.replyError), [0], 'one UNLINK (opcode 10), answered OK');
    assert.ok(all.some((e) => e.opcode === Op.FORGET && e.nodeid === unlinked));
    const reads = all.filter((e) => e.opcode === Op.READ).map((e) => [Number(e.req.readBigUInt64LE(48)), e.req.readUInt32LE(56), e.reply!.readUInt32LE(0) - 16]);
    assert.deepEqual(reads, [[0, 4096, 7], [0, 131072, 131072], [131072, 69632, 68928], [0, 4096, 7], [0, 4096, 16]]);
  });
});

/**
 * guestmount 1.48 (libguestfs; libfuse 2.9 high-level, one daemon thread) over an ext2 image, every
 * request a round trip to the libguestfs appliance (qemu in TCG). No finding, and the capture supports
 * none: one request in flight at a time throughout; CREATE is answered ENOSYS, so files are made by MKNOD
 * (size 0) and OPEN; every size a reply gave follows the WRITEs and SETATTRs before it (data: 6000 after
 * its three WRITEs, 1000 and 9000 from the SETATTRs, 9009 after the append); every WRITE answered whole.
 * The hard link data.link is a node of its own (libfuse 2 numbers paths, and attr.ino is that number,
 * not ext2's inode) with data's size, 9009; its UNLINK leaves data as it was.
 */
describe('guestmount (an ext2 image through the libguestfs appliance)', { skip: has('thirdparty-guestmount.pcapng') }, () => {
  const name = 'thirdparty-guestmount.pcapng';
  /** fuse_entry_out (nodeid, ino, size) of an answered entry reply. */
  const entryOut = (e: RawExchange): { nodeid: bigint; ino: bigint; size: number } =>
    ({ nodeid: e.reply!.readBigUInt64LE(16), ino: e.reply!.readBigUInt64LE(56), size: Number(e.reply!.readBigUInt64LE(64)) });
  const attrSize = (e: RawExchange): number => Number(e.reply!.readBigUInt64LE(16 + 16 + 8));

  it('negotiates 7.19 with FUSE_ASYNC_READ|FUSE_EXPORT_SUPPORT alone; inode numbers are the nodeids, not ext2\'s; directories of 1024 bytes (a block), lost+found 12,288; each file the size it has in the image; CREATE ENOSYS, files made by MKNOD at size 0; no finding', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    assert.deepEqual(initReplyWords(all), [19, 0x1 | 0x10, 131072]);
    const entries = entriesOf(all);
    for (const x of entries) assert.equal(x.ino, x.nodeid, x.name);
    // ext2 gives lost+found inode 11; here it is the nodeid libfuse gave it.
    const lostFound = entries.filter((x) => x.name === 'lost+found');
    assert.deepEqual(lostFound.map((x) => x.size), [12288]);
    assert.ok(lostFound[0]!.ino !== 11n && lostFound[0]!.ino < 11n, `lost+found: ino ${lostFound[0]!.ino}, a nodeid libfuse numbered in lookup order`);
    for (const x of entries.filter((e) => (e.mode & 0o170000) === 0o040000 && e.name !== 'lost+found')) assert.equal(x.size, 1024, x.name);
    const sizes = Object.fromEntries(entries.filter((x) => (x.mode & 0o170000) === 0o100000 && x.name !== 'renamed.txt').map((x) => [x.name, x.size]));
    assert.deepEqual(sizes, { 'empty': 0, 'hello.txt': 11, 'mid.bin': 70000, 'big.bin': 300000, 'numbers.txt': 8893 });
    assert.deepEqual(all.filter((e) => e.opcode === 35).map((e) => e.replyError), [-38], 'CREATE (35) ENOSYS');
    const mknods = all.filter((e) => e.opcode === 8);
    assert.equal(mknods.length, 13, 'MKNOD (8): file-1 to file-12 and data');
    for (const e of mknods) assert.deepEqual([e.replyError, entryOut(e).size], [0, 0], `MKNOD #${e.unique}`);

    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    // The image's own files keep one size; what the workload wrote under /load is the next test's.
    assertOneSizeEach({ ...r, model: { ...r.model, files: r.model.files.filter((f) => !f.path.startsWith('/load/')) } });
  });

  it('data: WRITEs whole, SETATTR sizes answered as asked, the append at 9000, the hard link a new node of 9009 bytes unlinked and forgotten, data read back whole; peak 1 in flight; every OPEN answered fh 0 and open_flags 0', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const data = entryOut(all.find((e) => e.opcode === 8 && e.req.toString('latin1', 56, 60) === 'data')!).nodeid;
    const writes = all.filter((e) => e.opcode === Op.WRITE && e.nodeid === data);
    for (const e of writes) assert.equal(e.reply!.readUInt32LE(16), e.req.readUInt32LE(56), `WRITE #${e.unique} answered whole`);
    assert.deepEqual(writes.map((e) => Number(e.req.readBigUInt64LE(48)) + e.req.readUInt32LE(56)), [4096, 5120, 6000, 9009]);
    const setattrs = all.filter((e) => e.opcode === Op.SETATTR && e.nodeid === data);
    assert.deepEqual(setattrs.map((e) => [Number(e.req.readBigUInt64LE(56)), attrSize(e)]), [[1000, 1000], [9000, 9000]]);
    assert.deepEqual(all.filter((e) => e.opcode === Op.GETATTR && e.nodeid === data).map(attrSize), [6000, 9009]);

    const link = all.find((e) => e.opcode === 13)!;
    assert.equal(link.req.readBigUInt64LE(40), data, 'LINK (13) of data');
    const made = entryOut(link);
    assert.notEqual(made.nodeid, data, 'a node of its own');
    assert.deepEqual([made.ino, made.size], [made.nodeid, 9009]);
    assert.ok(all.some((e) => e.opcode === Op.FORGET && e.nodeid === made.nodeid));
    assert.deepEqual(all.filter((e) => e.opcode === Op.READ && e.nodeid === data).map((e) => e.reply!.readUInt32LE(0) - 16), [9009]);
    assert.equal(peakInFlight(name), 1);
    const opens = all.filter((e) => e.opcode === Op.OPEN);
    assert.equal(opens.length, 20);
    for (const e of opens) assert.deepEqual([e.reply!.readBigUInt64LE(16), openReplyFlags(e)], [0n, 0], `OPEN #${e.unique}`);

    const files = run(name).model.files.filter((f) => f.path.startsWith('/load/data')).map((f) => `${f.path} ${f.reportedSize}`).sort();
    assert.deepEqual(files, ['/load/data 9009', '/load/data.link (deleted) 9009']);
  });
});

describe('ciopfs', { skip: has('thirdparty-ciopfs.pcapng') }, () => {
  const name = 'thirdparty-ciopfs.pcapng';
  /** Names in the READDIR replies of a directory (struct fuse_dirent: ino, off, namelen, type, name padded to 8). */
  const listed = (e: RawExchange): string[] => {
    const names: string[] = [];
    for (let o = 16; o + 24 <= e.reply!.length;) {
      const len = e.reply!.readUInt32LE(o + 16);
      names.push(e.reply!.toString('latin1', o + 24, o + 24 + len));
      o += 24 + ((len + 7) & ~7);
    }
    return names;
  };

  it('names differing only in case are one backing file and several nodes (libfuse 2 numbers names; ino = nodeid): each keeps the size its own replies give, one grown by another\'s append (a size-grew-externally, true: the capture cannot tie the two nodes, whose inos differ, to one file); listings keep the case a name was made with', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const entries = entriesOf(all);
    for (const x of entries) assert.equal(x.ino, x.nodeid, x.name);
    const create = all.find((e) => e.opcode === Op.CREATE && e.req.includes('README.Txt\0'))!;
    const made = create.reply!.readBigUInt64LE(16);
    const aliases = entries.filter((x) => x.name.toLowerCase() === 'readme.txt');
    assert.deepEqual(aliases.map((x) => x.name), ['readme.txt', 'README.TXT', 'ReadMe.txt', 'readme.TXT', 'README.txt']);
    assert.equal(new Set([made, ...aliases.map((x) => x.nodeid)]).size, 6, 'six nodeids for one file');
    const appendNode = aliases.find((x) => x.name === 'ReadMe.txt')!.nodeid;
    const append = all.find((e) => e.opcode === Op.WRITE && e.nodeid === appendNode)!;
    assert.deepEqual([writeInfo(append).offset, writeInfo(append).size], [8, 5], 'the append through ReadMe.txt');
    const grown = all.find((e) => e.opcode === Op.GETATTR && e.nodeid === made && e.tReq > append.tReply!)!;
    assert.equal(Number(grown.reply!.readBigUInt64LE(16 + 16 + 8)), 13, 'README.Txt\'s node reports the 13 bytes');
    assert.ok(!all.some((e) => e.opcode === Op.WRITE && e.nodeid === made && e.tReq > create.tReply! && writeInfo(e).offset > 0), 'nothing more written through it');
    assert.ok(!all.some((e) => e.opcode === Op.CREATE && e.req.includes('readme.TXT\0')), 'the O_EXCL create of readme.TXT refused by the kernel, which found the name');
    const root = all.filter((e) => e.opcode === Op.READDIR && e.nodeid === 1n && e.reply!.length > 16).map(listed).at(-1)!;
    assert.ok(root.includes('README.Txt') && !root.includes('readme.txt'), root.join(' '));
    const docs = all.filter((e) => e.opcode === Op.READDIR && e.reply!.length > 16).map(listed).find((n) => n.includes('Doc-1.TXT'));
    assert.ok(docs, 'DOCS/ lists the names as made');

    const r = run(name);
    assert.deepEqual(kindsOf(r), ['size-grew-externally']);
    const g = r.model.findings[0]!;
    assert.deepEqual([g.path, g.uniques, g.details.daemonSize, g.details.reportedSize], ['/README.Txt', [Number(grown.unique)], 8, 13]);
    const file = (nodeid: bigint) => r.model.files.find((f) => BigInt(f.nodeid) === nodeid)!;
    assert.equal(file(made).path, '/README.Txt');
    assert.equal(file(made).reportedSize, 13);
    assert.equal(file(appendNode).daemonSize, 13);
    assert.equal(file(aliases.find((x) => x.name === 'README.txt')!.nodeid).path, '/Notes.MD', 'renamed by the name it was looked up with');
  });

  it('refuses an O_DIRECT WRITE (-EINVAL; the kernel truncates back to 0); par.bin and PAR.BIN: two nodes, 64 WRITEs each from their own pid, 0-256 KiB and 256-512 KiB, each file\'s size its own writes\' end', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const dio = all.filter((e) => e.opcode === Op.WRITE && (e.req.readUInt32LE(72) & 0o40000) !== 0);
    assert.deepEqual(dio.map((e) => e.replyError), [-22]);
    const back = all.find((e) => e.opcode === Op.SETATTR && e.nodeid === dio[0]!.nodeid && e.tReq > dio[0]!.tReply!)!;
    assert.equal(Number(back.req.readBigUInt64LE(40 + 16)), 0, 'SETATTR size 0');
    const entries = entriesOf(all);
    const lower = entries.find((x) => x.name === 'par.bin')!.nodeid;
    const upper = entries.find((x) => x.name === 'PAR.BIN')!.nodeid;
    const span = (node: bigint): number[] => {
      const ws = all.filter((e) => e.opcode === Op.WRITE && e.nodeid === node).map(writeInfo);
      assert.equal(ws.length, 64);
      assert.equal(new Set(ws.map((w) => w.pid)).size, 1);
      for (const w of ws) assert.equal(w.written, w.size);
      return [Math.min(...ws.map((w) => w.offset)), Math.max(...ws.map((w) => w.offset + w.size))];
    };
    assert.deepEqual(span(lower), [0, 262144]);
    assert.deepEqual(span(upper), [262144, 524288]);

    const r = run(name);
    const file = (nodeid: bigint) => r.model.files.find((f) => BigInt(f.nodeid) === nodeid)!;
    assert.deepEqual([file(lower).path, file(lower).daemonSize, file(lower).maxConcurrentWrites], ['/par.bin', 262144, 1]);
    assert.deepEqual([file(upper).path, file(upper).daemonSize, file(upper).maxConcurrentWrites], ['/PAR.BIN', 524288, 1]);
  });
});

describe('mp3fs', { skip: has('thirdparty-mp3fs.pcapng') }, () => {
  const name = 'thirdparty-mp3fs.pcapng';
  it('reports the estimated MP3 size before transcoding and the same after it (the transcoded output is as long as the estimate): every LOOKUP and GETATTR of a file gives one size, the whole-file READs return exactly it; no finding', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const entries = entriesOf(all).filter((x) => x.name.endsWith('.mp3'));
    const sizes = new Map(entries.map((x) => [x.nodeid, x.size]));
    assert.deepEqual([...sizes.values()].sort((p, q) => p - q), [34465, 66230, 97995]);
    const getattrs = all.filter((e) => e.opcode === Op.GETATTR && sizes.has(e.nodeid));
    assert.ok(getattrs.length >= 5);
    for (const e of getattrs) assert.equal(Number(e.reply!.readBigUInt64LE(16 + 16 + 8)), sizes.get(e.nodeid), `GETATTR #${e.unique}`);
    // The first READ of each file transcodes it; a whole-file READ from 0 returns all of it, as many bytes as the estimate said.
    const whole = all.filter((e) => e.opcode === Op.READ && e.req.readBigUInt64LE(48) === 0n);
    assert.equal(new Set(whole.map((e) => e.nodeid)).size, 3, 'each file read from 0');
    for (const e of whole) assert.equal(e.reply!.readUInt32LE(0) - 16, sizes.get(e.nodeid), `READ #${e.unique}`);
    assert.ok(getattrs.some((g) => whole.some((w) => w.nodeid === g.nodeid && w.tReply! < g.tReq)), 'a GETATTR after the transcoding');

    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    for (const [nodeid, size] of sizes) {
      const f = r.model.files.find((g) => BigInt(g.nodeid) === nodeid)!;
      assert.equal(f.reportedSize, size, f.path);
      for (const e of f.sizeHistory) assert.equal(e.value, size, `${f.path}: one size throughout`);
    }
  });

  it('READs across the end stop at the size, none past it; three readers of tone3.mp3 at once share the page cache (two READs from 0); the O_DIRECT pread goes in 4 KiB READs that stop at the end', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    assert.ok(assertReadsStopAtTheEnd(all) >= 15);
    const tone3 = entriesOf(all).find((x) => x.name === 'tone3.mp3')!.nodeid;
    const fromZero = all.filter((e) => e.opcode === Op.READ && e.nodeid === tone3 && e.req.readBigUInt64LE(48) === 0n);
    assert.equal(fromZero.length, 2);
    const direct = all.filter((e) => e.opcode === Op.READ && (e.req.readUInt32LE(72) & 0o40000) !== 0);
    assert.deepEqual(direct.map((e) => Number(e.req.readBigUInt64LE(48))), Array.from({ length: 8 }, (_, i) => 65536 + i * 4096));
    assert.equal(direct.at(-1)!.reply!.readUInt32LE(0) - 16, 97995 - 94208);
  });
});

describe('davfs2', { skip: has('thirdparty-davfs2.pcapng') }, () => {
  const name = 'thirdparty-davfs2.pcapng';
  it('speaks protocol 7.5 itself (a 24-byte INIT reply, max_write 16,321, a 24-byte fuse_write_in): the WRITEs decode with their whole payload; every READDIR answered -EINVAL, the RELEASE after the truncate -EINVAL and the file\'s later OPENs -ENOENT; no finding', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const init = all.find((e) => e.opcode === Op.INIT)!;
    assert.deepEqual([init.reply!.length, init.reply!.readUInt32LE(16), init.reply!.readUInt32LE(20), init.reply!.readUInt32LE(36)], [40, 7, 5, 16321]);
    const writes = all.filter((e) => e.opcode === Op.WRITE);
    assert.ok(writes.length >= 100);
    for (const e of writes) assert.equal(e.reqLen, 40 + 24 + e.req.readUInt32LE(56), `WRITE #${e.unique}: FUSE_COMPAT_WRITE_IN_SIZE`);
    const readdirs = all.filter((e) => e.opcode === Op.READDIR);
    assert.ok(readdirs.length >= 3);
    for (const e of readdirs) assert.equal(e.replyError, -22);
    const { exchanges } = dump(name);
    const data = exchanges.find((x) => x.op === 'CREATE' && nameOf(x) === 'data')!;
    const node = (data.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid;
    const cut = exchanges.find((x) => x.op === 'SETATTR' && x.nodeid === node && x.error === 0)!;
    const release = exchanges.find((x) => x.op === 'RELEASE' && x.nodeid === node && Number(x.req_ns) > Number(cut.req_ns))!;
    assert.equal(release.error_name, '-EINVAL');
    const later = exchanges.filter((x) => x.op === 'OPEN' && x.nodeid === node && Number(x.req_ns) > Number(release.req_ns));
    assert.ok(later.length >= 2);
    for (const x of later) assert.equal(x.error_name, '-ENOENT');

    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    const f = r.model.files.find((g) => g.path === '/data')!;
    assert.deepEqual([f.reportedSize, f.daemonSize], [1000, 1000], 'the last size davfs2 answered');
  });

  it('its nodeids are node addresses, given again after a FORGET: the forgotten file and the new one stay two files, each with its own size', () => {
    const { exchanges } = dump(name);
    const reused = exchanges.filter((x) => x.op === 'CREATE' && x.error === 0).flatMap((c) => {
      const node = (c.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid;
      const forget = exchanges.find((x) => x.op === 'FORGET' && x.nodeid === node && Number(x.req_ns) < Number(c.req_ns));
      return forget ? [{ name: nameOf(c)!, node }] : [];
    });
    assert.deepEqual(reused.map((x) => x.name).sort(), ['cached', 'dio']);

    const r = run(name);
    for (const { name: n, node } of reused) {
      const files = r.model.files.filter((g) => String(g.nodeid) === String(node)).map((g) => `${g.path} ${g.daemonSize}`);
      assert.equal(files.length, 2, files.join(', '));
      assert.ok(files.includes(`/${n} 524288`), files.join(', '));
      assert.ok(files.some((p) => /^\/dir\/file-\d+\.txt \(deleted\) [78]$/.test(p)), files.join(', '));
    }
  });

  it('two O_DIRECT writers of /dio: WRITEs of 16,321 bytes and the rest from two pids on two fhs, one at a time (one daemon thread); each write answered whole; max 1 concurrent write', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const { exchanges } = dump(name);
    const create = exchanges.find((x) => x.op === 'CREATE' && nameOf(x) === 'dio')!;
    const node = BigInt((create.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid);
    // The nodeid was a forgotten file's before: its writes are not /dio's.
    const made = all.find((e) => e.unique === BigInt(create.unique))!;
    const ws = all.filter((e) => e.opcode === Op.WRITE && e.nodeid === node && e.tReq > made.tReq);
    // writeInfo reads the 7.9+ fuse_write_in; these are the 24-byte one: fh, offset, size, write_flags.
    const info = ws.map((e) => ({ pid: e.pid, fh: e.req.readBigUInt64LE(40), size: e.req.readUInt32LE(56), written: e.reply!.readUInt32LE(16) }));
    assert.equal(new Set(info.map((w) => w.pid)).size, 2);
    assert.equal(new Set(info.map((w) => w.fh)).size, 2);
    assert.ok(info.every((w) => w.size <= 16321 && w.written === w.size));
    assert.equal(info.reduce((s, w) => s + w.size, 0), 524288);
    const sorted = [...ws].sort((p, q) => p.tReq - q.tReq);
    for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i]!.tReq >= sorted[i - 1]!.tReply!, 'one at a time');

    const f = run(name).model.files.find((g) => g.path === '/dio')!;
    assert.deepEqual([f.daemonSize, f.maxConcurrentWrites], [524288, 1]);
  });
});

/** Two exchanges in flight together: each reached the daemon before the other was answered. */
const together = (a: RawExchange, b: RawExchange): boolean => a.tReq < b.tReply! && b.tReq < a.tReply!;

/** The answered WRITEs of `node` (the independent reader's view), in request order. */
const writesOf = (all: RawExchange[], node: bigint): RawExchange[] =>
  all.filter((e) => e.opcode === Op.WRITE && e.nodeid === node && e.reply).sort((a, b) => a.tReq - b.tReq);

/** The INIT reply's minor, flags and max_write (fuse_init_out at 16: minor at +4, flags at +12, max_write at +20). */
function initReplyWords(all: RawExchange[]): number[] {
  const init = all.find((e) => e.opcode === Op.INIT)!;
  return [init.reply!.readUInt32LE(20), init.reply!.readUInt32LE(28), init.reply!.readUInt32LE(36)];
}

/**
 * The WRITEs of gen/lib.sh fixed_file_workload through a daemon with a
 * 128 KiB max_write and no direct-I/O open flags: four O_DIRECT writers in
 * the first 4 MiB, fed in turn; the 4 MiB O_DIRECT write at 16 MiB as 32
 * WRITEs of 128 KiB from one process, one after the other; 2 MiB through the
 * page cache at 8 MiB as 128 WRITEs of 4 KiB, each written whole.
 */
/** fixed_file_workload opens its one file 15 times or more: every OPEN answered with `flags` (FOPEN_*). */
function assertFixedFileOpens(all: RawExchange[], node: bigint, flags: number): void {
  const opens = all.filter((e) => e.opcode === Op.OPEN && e.nodeid === node);
  assert.ok(opens.length >= 15, `${opens.length} OPENs`);
  for (const e of opens) assert.equal(openReplyFlags(e), flags, `OPEN #${e.unique}`);
}

function fixedFileWrites(writes: RawExchange[]): void {
  const first = writes.filter((w) => writeInfo(w).offset < 4 * MiB);
  assert.equal(new Set(first.map((w) => w.pid)).size, 4);
  assert.ok(interleaving(first).switches >= 4, 'four O_DIRECT writers at the same time');
  const big = writes.filter((w) => writeInfo(w).offset >= 16 * MiB && writeInfo(w).offset < 20 * MiB);
  assert.equal(big.length, 32);
  assert.ok(big.every((w, i) => writeInfo(w).offset === 16 * MiB + i * 131072 && writeInfo(w).size === 131072 && w.pid === big[0]!.pid));
  const cached = writes.filter((w) => writeInfo(w).offset >= 8 * MiB && writeInfo(w).offset < 10 * MiB);
  assert.equal(cached.length, 128);
  assert.ok(cached.every((w) => writeInfo(w).size === 4096 && writeInfo(w).written === 4096));
}

/**
 * The WRITEs of a fixed-size file (gen/lib.sh fixed_file_workload) that reach
 * past its end `size`: `count` of them, each 4 KiB at `size` answered 0 bytes
 * and no error, `direct` of them O_DIRECT (write_flags LOCKOWNER), each of
 * those retried by the kernel through the page cache, from the same process,
 * after its answer.
 */
function writesPastEnd(writes: RawExchange[], size: number, count: number, direct: number): RawExchange[] {
  const atEnd = writes.filter((w) => writeInfo(w).offset + writeInfo(w).size > size);
  assert.equal(atEnd.length, count);
  for (const w of atEnd.map(writeInfo)) assert.deepEqual([w.offset, w.size, w.written], [size, 4096, 0]);
  const od = atEnd.filter((w) => writeInfo(w).writeFlags & 2);
  assert.equal(od.length, direct);
  for (const d of od) assert.ok(atEnd.some((w) => w.pid === d.pid && w.tReq > d.tReply! && !(writeInfo(w).writeFlags & 2)), `#${d.unique} retried`);
  return atEnd;
}

/** The analysis of `name` raised one short-write for each of `writes` and nothing else. */
function onlyShortWrites(name: string, writes: { unique: number | bigint }[]): AnalyzeResult {
  const r = run(name);
  assert.deepEqual(kindsOf(r), Array(writes.length).fill('short-write'));
  assert.deepEqual(r.model.findings.flatMap((f) => f.uniques.map(String)).sort(), writes.map((w) => String(w.unique)).sort());
  return r;
}

/** Pairs of WRITEs from two processes whose byte ranges overlap. */
function overlappingPairs(writes: RawExchange[]): [RawExchange, RawExchange][] {
  const out: [RawExchange, RawExchange][] = [];
  for (const [i, a] of writes.entries()) {
    for (const b of writes.slice(i + 1)) {
      const p = writeInfo(a);
      const q = writeInfo(b);
      if (a.pid !== b.pid && p.offset < q.offset + q.size && q.offset < p.offset + p.size) out.push([a, b]);
    }
  }
  return out;
}

/** fuse_setattr_in.size of a SETATTR request, and attr.size of its fuse_attr_out reply (undefined on error). */
const setattrSizes = (e: RawExchange): [number, number | undefined] => [
  Number(e.req.readBigUInt64LE(56)),
  e.replyError === 0 ? Number(e.reply!.readBigUInt64LE(16 + 16 + 8)) : undefined,
];

const MiB = 1 << 20;

describe('nbdfuse', { skip: has('thirdparty-nbdfuse.pcapng') }, () => {
  const name = 'thirdparty-nbdfuse.pcapng';
  it('serves one file of 64 MiB (every LOOKUP and GETATTR), opened with open_flags 0: writers of different processes are never in flight together, overlapping ranges included; the chunks of one 4 MiB O_DIRECT write are (FUSE_ASYNC_DIO): 4 at once', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const init = all.find((e) => e.opcode === Op.INIT)!;
    assert.ok(init.reply!.readUInt32LE(28) & (1 << 15), 'FUSE_ASYNC_DIO');
    const node = BigInt(entryNodeid(name, 'LOOKUP', 'disk'));
    const { exchanges } = dump(name);
    const attrs = exchanges.filter((x) => (x.op === 'GETATTR' && x.nodeid === Number(node)) || (x.op === 'LOOKUP' && nameOf(x) === 'disk'));
    assert.ok(attrs.length >= 10);
    for (const x of attrs) assert.equal(attrOf(x)!.size, 64 * MiB, `${x.op} #${x.unique}`);
    assertFixedFileOpens(all, node, 0);

    const writes = writesOf(all, node);
    const pairs = writes.flatMap((a, i) => writes.slice(i + 1).filter((b) => together(a, b)).map((b) => [a, b] as const));
    assert.ok(pairs.length >= 6);
    for (const [a, b] of pairs) assert.equal(a.pid, b.pid, `#${a.unique} and #${b.unique} in flight together`);
    assert.equal(maxInFlight(writes), 4);
    const big = writes.filter((w) => writeInfo(w).offset >= 16 * MiB && writeInfo(w).offset < 20 * MiB);
    assert.deepEqual(big.map((w) => writeInfo(w).size), [MiB, MiB, MiB, MiB]);
    assert.equal(new Set(big.map((w) => w.pid)).size, 1);
    assert.equal(maxInFlight(big), 4);
    const first = writes.filter((w) => writeInfo(w).offset < 4 * MiB);
    assert.equal(new Set(first.map((w) => w.pid)).size, 4);
    assert.ok(interleaving(first).switches >= 4, 'four O_DIRECT writers at the same time');
    const overlaps = overlappingPairs(writes);
    assert.ok(overlaps.length >= 4, 'the overlapping writers at 4 MiB and at 24/25 MiB');
    for (const [a, b] of overlaps) assert.equal(together(a, b), false, `#${a.unique} and #${b.unique}`);

    const r = run(name);
    const f = r.model.files.find((g) => g.path === '/disk')!;
    assert.deepEqual([f.maxConcurrentWrites, f.reportedSize, f.daemonSize, f.openFlags], [4, 64 * MiB, 64 * MiB, []]);
    assert.ok(!kindsOf(r).some((k) => k === 'parallel-write-beyond-size' || k === 'overlapping-parallel-writes' || k === 'write-truncate-race'));
  });

  it('answers a WRITE at the end of the 64 MiB with 0 bytes and no error (4 times: O_DIRECT and not), a write ending at it whole; truncates (SETATTR size 32 MiB, 128 MiB, and 64 MiB after each failed O_DIRECT write) -ENOSYS: four short-write findings, those WRITEs, and nothing else', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const node = BigInt(entryNodeid(name, 'LOOKUP', 'disk'));
    const writes = writesOf(all, node).map(writeInfo);
    const atEnd = writes.filter((w) => w.offset + w.size > 64 * MiB);
    assert.equal(atEnd.length, 4);
    for (const w of atEnd) assert.deepEqual([w.offset, w.size, w.written], [64 * MiB, 4096, 0]);
    for (const w of writes.filter((v) => v.offset + v.size <= 64 * MiB)) assert.equal(w.written, w.size, `#${w.unique}`);
    assert.ok(writes.some((w) => w.offset + w.size === 64 * MiB));
    const setattrs = all.filter((e) => e.opcode === Op.SETATTR);
    assert.deepEqual(setattrs.map((e) => [...setattrSizes(e), e.replyError]), [[64 * MiB, undefined, -38], [64 * MiB, undefined, -38], [32 * MiB, undefined, -38], [128 * MiB, undefined, -38]]);

    onlyShortWrites(name, atEnd);
  });
});

describe('s3backer --test', { skip: has('thirdparty-s3backer.pcapng') }, () => {
  const name = 'thirdparty-s3backer.pcapng';
  it('negotiates 7.19 with FUSE_ASYNC_READ|FUSE_EXPORT_SUPPORT alone (no ASYNC_DIO, no BIG_WRITES) and opens its one 64 MiB file with FOPEN_KEEP_CACHE alone: every WRITE alone in flight, from 6 writer processes; a 4 MiB O_DIRECT write goes as 32 WRITEs of 128 KiB one after the other, page-cache writes as 4 KiB ones', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    assert.deepEqual(initReplyWords(all), [19, 0x1 | 0x10, 131072]);
    const node = BigInt(entryNodeid(name, 'LOOKUP', 'file'));
    assertFixedFileOpens(all, node, 2);
    const writes = writesOf(all, node);
    assert.equal(maxInFlight(writes), 1);
    fixedFileWrites(writes);
    assert.ok(new Set(writes.filter((w) => writeInfo(w).offset < 10 * MiB).map((w) => w.pid)).size >= 8);
    assert.ok(overlappingPairs(writes).length >= 4);

    const f = run(name).model.files.find((g) => g.path === '/file')!;
    assert.deepEqual([f.maxConcurrentWrites, f.openFlags], [1, ['FOPEN_KEEP_CACHE']]);
  });

  it('answers a WRITE at the end with 0 bytes and no error (6 times: an O_DIRECT one, then the kernel\'s page-cache retry of it at the same offset); answers SETATTR size 32 MiB and 128 MiB OK with attr.size still 64 MiB: six short-write findings, a truncate-size-mismatch on each SETATTR, the size stays 64 MiB', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const node = BigInt(entryNodeid(name, 'LOOKUP', 'file'));
    const writes = writesOf(all, node);
    // O_DIRECT on a file opened without FOPEN_DIRECT_IO: a short direct write (write_flags LOCKOWNER) falls back to the page cache.
    const atEnd = writesPastEnd(writes, 64 * MiB, 6, 2);
    const setattrs = all.filter((e) => e.opcode === Op.SETATTR);
    assert.deepEqual(setattrs.map((e) => [...setattrSizes(e), e.replyError]), [[32 * MiB, 64 * MiB, 0], [128 * MiB, 64 * MiB, 0]]);
    const { exchanges } = dump(name);
    const last = exchanges.filter((x) => x.op === 'GETATTR' && x.nodeid === Number(node)).at(-1)!;
    assert.equal(attrOf(last)!.size, 64 * MiB);

    const r = run(name);
    const short = r.model.findings.filter((x) => x.kind === 'short-write');
    assert.deepEqual(short.flatMap((x) => x.uniques.map(String)).sort(), atEnd.map((w) => String(w.unique)).sort());
    // The truncates succeeded to a size they did not ask for: the fixed-size file ignores them.
    const mismatched = r.model.findings.filter((x) => x.kind === 'truncate-size-mismatch');
    assert.deepEqual(mismatched.map((x) => [x.uniques.map(String), x.details.asked, x.details.answered]),
      setattrs.map((e) => [[String(e.unique)], ...setattrSizes(e)]));
    assert.equal(r.model.findings.length, short.length + mismatched.length, 'no other finding');
    const f = r.model.files.find((g) => g.path === '/file')!;
    const cuts = f.sizeHistory.filter((e) => e.event === 'truncate');
    assert.deepEqual(cuts.map((e) => [e.value, e.daemonSize, e.kernelSize]), [[64 * MiB, 64 * MiB, 64 * MiB], [64 * MiB, 64 * MiB, 64 * MiB]], 'the size the reply gave, not the one asked');
    assert.deepEqual([f.reportedSize, f.daemonSize], [64 * MiB, 64 * MiB]);
  });
});

describe('wimlib wimmountrw', { skip: has('thirdparty-wimlib.pcapng') }, () => {
  const name = 'thirdparty-wimlib.pcapng';
  it('serves one request at a time (one thread): two writers of /dio (O_DIRECT) and of /cached interleave, one WRITE in flight, 0-512 KiB end to end; CREATE answered ENOSYS, files made by MKNOD; no finding', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    assert.equal(peakInFlight(name), 1);
    const { exchanges } = dump(name);
    assert.deepEqual(exchanges.filter((x) => x.op === 'CREATE').map((x) => x.error_name), ['-ENOSYS']);
    for (const file of ['dio', 'cached']) {
      const node = BigInt(entryNodeid(name, 'MKNOD', file));
      const writes = writesOf(all, node);
      assert.ok(interleaving(writes).switches >= 2, `${file}: the writers ran at the same time`);
      assert.deepEqual(coverage(writes), { end: 512 << 10, pids: 2 });
      for (const e of all.filter((o) => o.opcode === Op.OPEN && o.nodeid === node)) assert.equal(openReplyFlags(e), 2, `${file}: FOPEN_KEEP_CACHE`);
    }

    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    for (const file of ['/dio', '/cached']) {
      const f = r.model.files.find((g) => g.path === file)!;
      assert.deepEqual([f.maxConcurrentWrites, f.daemonSize, f.reportedSize], [1, 512 << 10, 512 << 10], file);
    }
  });

  it('answers LINK with a new nodeid and the same ino; truncates a captured file to 1000 bytes; wimunmount --commit reads wimfs.* xattrs of the root, sets wimfs.unmount_info and reads wimfs.unmount, the last exchange (no DESTROY)', () => {
    const { exchanges } = dump(name);
    const data = exchanges.find((x) => x.op === 'MKNOD' && nameOf(x) === 'data')!;
    const link = exchanges.find((x) => x.op === 'LINK' && x.error === 0)!;
    const linkEntry = (link.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out;
    assert.notEqual(linkEntry.nodeid, entryNodeid(name, 'MKNOD', 'data'));
    assert.equal(attrOf(link)!.ino, attrOf(data)!.ino);
    assert.equal(attrOf(link)!.size, 9009);
    const big = exchanges.find((x) => x.op === 'LOOKUP' && nameOf(x) === 'big.bin')!;
    assert.equal(attrOf(big)!.size, 300000);
    const bigNode = (big.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid;
    const cut = exchanges.filter((x) => x.op === 'SETATTR' && x.nodeid === bigNode);
    assert.deepEqual(cut.map((x) => [(x.request.body as { fuse_setattr_in: { size: number } }).fuse_setattr_in.size, attrOf(x)!.size]), [[1000, 1000]]);
    const xattrs = exchanges.filter((x) => x.op === 'SETXATTR' || (x.op === 'GETXATTR' && nameOf(x)!.startsWith('wimfs.')));
    assert.deepEqual(xattrs.map((x) => `${x.op} ${nameOf(x)} ${x.error_name}`), [
      'GETXATTR wimfs.mount_flags OK', 'GETXATTR wimfs.mounted_image OK', 'GETXATTR wimfs.wim_filename OK', 'GETXATTR wimfs.wim_filename OK',
      'SETXATTR wimfs.unmount_info OK', 'GETXATTR wimfs.unmount OK',
    ]);
    assert.equal(exchanges.at(-1), xattrs.at(-1), 'the last exchange');
    assert.ok(!exchanges.some((x) => x.op === 'DESTROY'));

    const r = run(name);
    assert.equal(r.model.files.find((g) => g.path === '/snap/data/big.bin')!.daemonSize, 1000);
    assert.equal(r.model.files.find((g) => g.path === '/data')!.daemonSize, 9009);
  });
});

describe('tup upd -j4 (three builds)', { skip: has('thirdparty-tup.pcapng') }, () => {
  const name = 'thirdparty-tup.pcapng';
  /** gen/thirdparty-tup.sh's src/modNN.c, and what the second build appended to three of them. */
  const nn = (i: number): string => String(i).padStart(2, '0');
  const source = (i: number): string => `#include "common.h"\nint mod${nn(i)}(int x) { int s = 0; for (int k = 0; k < x; k++) s += k * ${i}; return s; }\n`;
  const extra = (i: number): string => `int mod${nn(i)}_extra(void) { return ${nn(i)}; }\n`;
  const COMMON_H = '#ifndef COMMON_H\n#define COMMON_H\nint mod_value(int which);\n#endif\n';
  /** The analysis with every file in the model (561 of them; the default keeps the 100 busiest). */
  let whole: AnalyzeResult | undefined;
  const runAll = (): AnalyzeResult => (whole ??= analyze({ files: [fx(name)], limits: { maxFiles: 100_000 } }));
  const entryOut = (x: Dumped): { nodeid: number } => (x.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out;

  /** Paths of every node per connection, from the answered LOOKUPs and CREATEs (nodeid 1 is the root). */
  function pathsByConn(): Map<number, Map<number, string>> {
    const out = new Map<number, Map<number, string>>();
    for (const x of dump(name).exchanges) {
      if ((x.op !== 'LOOKUP' && x.op !== 'CREATE') || x.error !== 0) continue;
      const paths = out.get(x.conn) ?? new Map<number, string>([[1, '']]);
      out.set(x.conn, paths);
      const parent = paths.get(x.nodeid);
      assert.ok(parent !== undefined, `conn ${x.conn} #${x.unique}: parent ${x.nodeid} known`);
      paths.set(entryOut(x).nodeid, `${parent}/${nameOf(x)!}`);
    }
    return out;
  }

  it('records one connection (pcapng section) per `tup upd`, each 7.31 served by one thread: never two requests in flight, while up to 4 build commands (pids) ran at once; every open answered open_flags 0; errors only LOOKUP -ENOENT and one GETXATTR -ENOSYS per build', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    assert.deepEqual([...new Set(all.map((e) => e.conn))], [0, 1, 2]);
    const peakPids: number[] = [];
    for (const conn of [0, 1, 2]) {
      const ex = all.filter((e) => e.conn === conn);
      const init = ex.find((e) => e.opcode === Op.INIT)!;
      assert.equal(init.reply!.readUInt32LE(20), 31, `conn ${conn}: minor`);
      assert.equal(maxInFlight(ex), 1, `conn ${conn}: one request in flight at a time`);
      // Each pid (a compiler, an assembler, a linker) from its first request to its last.
      const span = new Map<number, [number, number]>();
      for (const e of ex.filter((o) => o.opcode !== Op.INIT && o.opcode !== Op.RELEASE)) {
        const s = span.get(e.pid);
        span.set(e.pid, s ? [Math.min(s[0], e.tReq), Math.max(s[1], e.tReq)] : [e.tReq, e.tReq]);
      }
      peakPids.push(maxInFlight([...span.values()].map(([a, b]) => ({ tReq: a, tReply: b }) as RawExchange)));
      for (const e of ex.filter((o) => o.opcode === Op.OPEN || o.opcode === Op.CREATE)) assert.equal(openReplyFlags(e), 0, `#${e.unique}`);
    }
    assert.equal(peakPids[0], 4, '-j4: four commands at once in the full build');
    assert.ok(peakPids[1]! >= 2, 'the incremental build: three compiles, some at once');
    const errors = dump(name).exchanges.filter((x) => x.error !== 0).map((x) => `${x.conn} ${x.op} ${x.error_name}`);
    assert.deepEqual([...new Set(errors)].sort(), ['0 GETXATTR -ENOSYS', '0 LOOKUP -ENOENT', '1 GETXATTR -ENOSYS', '1 LOOKUP -ENOENT', '2 GETXATTR -ENOSYS', '2 LOOKUP -ENOENT']);
    assert.equal(errors.filter((e) => e.endsWith('GETXATTR -ENOSYS')).length, 3);
    const r = run(name);
    assert.deepEqual((dump(name).summary.connections as { peak_inflight: number }[]).map((c) => c.peak_inflight), [1, 1, 1]);
    assert.ok(r.model.files.every((f) => f.maxConcurrent <= 1));
  });

  it('each command sees the project under its own /@tupjob-N directory: the full build compiles every source into its object (src/modNN.c read, modNN.o created in one job) and links them into prog; the second build recompiles the three changed sources and relinks, the third only relinks without mod40.o; the analysis\'s paths are those of the capture\'s LOOKUPs and CREATEs', () => {
    const paths = pathsByConn();
    const { exchanges } = dump(name);
    const created = (conn: number): string[] => exchanges.filter((x) => x.conn === conn && x.op === 'CREATE' && x.error === 0).map((x) => paths.get(conn)!.get(entryOut(x).nodeid)!);
    const prog = created(0).find((p) => p.endsWith('/prog'))!;
    const m = /^\/(@tupjob-\d+)(\/.*\/proj)\/prog$/.exec(prog);
    assert.ok(m, prog);
    const proj = m[2]!;
    const job = (p: string): string => p.split('/')[1]!;
    const objects = (conn: number): string[] => created(conn).map((p) => p.slice(p.lastIndexOf('/') + 1)).sort();
    const mods = Array.from({ length: 40 }, (_, k) => `mod${nn(k + 1)}.o`);
    assert.deepEqual(objects(0), ['main.o', ...mods, 'prog']);
    assert.deepEqual(objects(1), ['mod03.o', 'mod17.o', 'mod29.o', 'prog']);
    assert.deepEqual(objects(2), ['prog']);
    for (const conn of [0, 1, 2]) {
      const jobs = created(conn).map(job);
      assert.equal(new Set(jobs).size, jobs.length, `conn ${conn}: one object per job`);
      for (const p of created(conn)) assert.equal(p, `/${job(p)}${proj}/${p.slice(p.lastIndexOf('/') + 1)}`);
      // The sources each job looked up (answered) under its own src/.
      const looked = (j: string): string[] => exchanges.filter((x) => x.conn === conn && x.op === 'LOOKUP' && x.error === 0)
        .map((x) => paths.get(conn)!.get(entryOut(x).nodeid)!).filter((p) => p.startsWith(`/${j}${proj}/src/`)).map((p) => p.slice(p.lastIndexOf('/') + 1));
      for (const p of created(conn)) {
        const o = p.slice(p.lastIndexOf('/') + 1);
        if (o === 'prog') {
          // The link reads the objects: the 41 of the build, 40 after mod40.c was deleted.
          const read = exchanges.filter((x) => x.conn === conn && x.op === 'LOOKUP' && x.error === 0 && /\.o$/.test(nameOf(x)!)
            && paths.get(conn)!.get(entryOut(x).nodeid)!.startsWith(`/${job(p)}${proj}/`)).map((x) => nameOf(x)!);
          assert.deepEqual([...new Set(read)].sort(), ['main.o', ...(conn === 2 ? mods.slice(0, 39) : mods)], `conn ${conn}: the link's inputs`);
        } else {
          assert.deepEqual([...new Set(looked(job(p)))], [o.replace(/\.o$/, '.c')], `conn ${conn}: ${p}`);
        }
      }
    }

    assert.deepEqual(kindsOf(run(name)), []);
    const r = runAll();
    assert.deepEqual(kindsOf(r), []);
    assert.equal(r.model.files.length, [...paths.values()].reduce((n, m) => n + m.size, 0), 'a file per node looked up or created');
    for (const f of r.model.files) {
      const p = paths.get(f.conn)!.get(Number(f.nodeid));
      if (p !== undefined) assert.equal(f.path, p === '' ? '/' : p, `conn ${f.conn} node ${f.nodeid}`);
    }
    const file = (conn: number, path: string): (typeof r.model.files)[number] => {
      const f = r.model.files.find((g) => g.conn === conn && g.path === path);
      assert.ok(f, `conn ${conn} ${path}`);
      return f;
    };
    assert.equal(file(0, prog).writes, writesOf(pairExchanges(readPcapng(fx(name))).exchanges.filter((e) => e.conn === 0), BigInt(entryNodeid(name, 'CREATE', 'prog'))).length);
    // The sizes the daemon reported for the project's sources are those gen/thirdparty-tup.sh wrote.
    const sourceFiles = r.model.files.filter((f) => /\/src\/mod\d\d\.c$/.test(f.path));
    assert.equal(sourceFiles.length, 43);
    for (const f of sourceFiles) {
      const i = Number(/mod(\d\d)\.c$/.exec(f.path)![1]);
      const changed = f.conn > 0 && [3, 17, 29].includes(i);
      assert.equal(f.reportedSize, Buffer.byteLength(source(i) + (changed ? extra(i) : '')), `conn ${f.conn} ${f.path}`);
    }
    const headers = r.model.files.filter((f) => f.path.endsWith(`${proj}/include/common.h`));
    assert.equal(headers.length, 44, 'one per compile job');
    for (const f of headers) assert.equal(f.reportedSize, COMMON_H.length);
  });

  it('an object is written with holes and rewrites (as(1) seeks): each one\'s end of writes is the size the link job\'s LOOKUP reports for it later, and the analysis\'s daemon-observed size', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const paths = pathsByConn();
    const { exchanges } = dump(name);
    const r = runAll();
    let checked = 0;
    for (const conn of [0, 1]) {
      const link = exchanges.find((x) => x.conn === conn && x.op === 'CREATE' && nameOf(x) === 'prog')!;
      const linkJob = paths.get(conn)!.get(entryOut(link).nodeid)!.split('/')[1]!;
      for (const c of exchanges.filter((x) => x.conn === conn && x.op === 'CREATE' && x.error === 0 && nameOf(x) !== 'prog')) {
        const node = entryOut(c).nodeid;
        const writes = writesOf(all.filter((e) => e.conn === conn), BigInt(node)).map(writeInfo);
        assert.ok(writes.length >= 5);
        assert.ok(writes.some((w, i) => writes.slice(0, i).some((v) => v.offset + v.size > w.offset)), `${nameOf(c)}: a write below an earlier one's end`);
        for (const w of writes) assert.equal(w.written, w.size);
        const end = Math.max(...writes.map((w) => w.offset + w.size));
        const later = exchanges.find((x) => x.conn === conn && x.op === 'LOOKUP' && x.error === 0 && nameOf(x) === nameOf(c)
          && paths.get(conn)!.get(entryOut(x).nodeid)!.split('/')[1] === linkJob)!;
        assert.equal(attrOf(later)!.size, end, `conn ${conn} ${nameOf(c)}`);
        const f = r.model.files.find((g) => g.conn === conn && Number(g.nodeid) === node)!;
        assert.equal(f.daemonSize, end);
        checked++;
      }
    }
    assert.equal(checked, 41 + 3);
  });
});

describe('xmount --cache', { skip: has('thirdparty-xmount.pcapng') }, () => {
  const name = 'thirdparty-xmount.pcapng';
  it('negotiates 7.19 with FUSE_ASYNC_READ|FUSE_EXPORT_SUPPORT alone, serves disk.dd (64 MiB, 0666) and disk.info (285 bytes, 0444, read whole) and opens disk.dd with open_flags 0: every WRITE alone in flight, from 4 O_DIRECT writers fed in turn, overlapping ones included; a 4 MiB O_DIRECT write as 32 WRITEs of 128 KiB, page-cache writes as 4 KiB ones; peak 2 in flight (a WRITE and a STATFS); no parallel-write finding', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    assert.deepEqual(initReplyWords(all), [19, 0x1 | 0x10, 131072]);
    const { exchanges } = dump(name);
    const looked = exchanges.filter((x) => x.op === 'LOOKUP' && x.error === 0).map((x) => [nameOf(x), attrOf(x)!.size, attrOf(x)!.mode & 0o7777]);
    assert.deepEqual(looked, [['disk.info', 285, 0o444], ['disk.dd', 64 * MiB, 0o666]]);
    const info = BigInt(entryNodeid(name, 'LOOKUP', 'disk.info'));
    const infoRead = all.filter((e) => e.opcode === Op.READ && e.nodeid === info);
    assert.deepEqual(infoRead.map((e) => e.reply!.length - 16), [285]);
    const node = BigInt(entryNodeid(name, 'LOOKUP', 'disk.dd'));
    for (const x of exchanges.filter((y) => y.op === 'GETATTR' && y.nodeid === Number(node))) assert.equal(attrOf(x)!.size, 64 * MiB, `GETATTR #${x.unique}`);
    assertFixedFileOpens(all, node, 0);

    const writes = writesOf(all, node);
    assert.equal(maxInFlight(writes), 1);
    fixedFileWrites(writes);
    const overlaps = overlappingPairs(writes);
    assert.ok(overlaps.length >= 4, 'the overlapping writers at 4 MiB and at 24/25 MiB');
    for (const [a, b] of overlaps) assert.equal(together(a, b), false, `#${a.unique} and #${b.unique}`);
    assert.equal(peakInFlight(name), 2);
    const pair = all.filter((e) => e.opcode !== Op.WRITE && writes.some((w) => together(w, e)));
    assert.ok(pair.length >= 1 && pair.every((e) => e.opcode === Op.STATFS));

    const r = run(name);
    const f = r.model.files.find((g) => g.path === '/disk.dd')!;
    assert.deepEqual([f.maxConcurrentWrites, f.openFlags], [1, []]);
    assert.ok(!kindsOf(r).some((k) => k === 'parallel-write-beyond-size' || k === 'overlapping-parallel-writes' || k === 'write-truncate-race'));
  });

  it('answers a WRITE at the end of the 64 MiB with 0 bytes and no error (6 times: each O_DIRECT one followed by the kernel\'s page-cache retry), a write ending at it whole; SETATTR size 32 MiB and 128 MiB, FSYNC and FLUSH -ENOSYS: six short-write findings, those WRITEs, the size stays 64 MiB', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const node = BigInt(entryNodeid(name, 'LOOKUP', 'disk.dd'));
    const writes = writesOf(all, node);
    const atEnd = writesPastEnd(writes, 64 * MiB, 6, 2);
    for (const w of writes.map(writeInfo).filter((v) => v.offset + v.size <= 64 * MiB)) assert.equal(w.written, w.size, `#${w.unique}`);
    assert.ok(writes.some((w) => writeInfo(w).offset + writeInfo(w).size === 64 * MiB));
    const setattrs = all.filter((e) => e.opcode === Op.SETATTR);
    assert.deepEqual(setattrs.map((e) => [...setattrSizes(e), e.replyError]), [[32 * MiB, undefined, -38], [128 * MiB, undefined, -38]]);
    assert.deepEqual(all.filter((e) => e.opcode === Op.FSYNC || e.opcode === Op.FLUSH).map((e) => e.replyError), [-38, -38]);
    const { exchanges } = dump(name);
    assert.equal(attrOf(exchanges.filter((x) => x.op === 'GETATTR' && x.nodeid === Number(node)).at(-1)!)!.size, 64 * MiB);

    const r = onlyShortWrites(name, atEnd);
    const f = r.model.files.find((g) => g.path === '/disk.dd')!;
    assert.deepEqual([f.reportedSize, f.daemonSize], [64 * MiB, 64 * MiB]);
  });
});

/** `len` bytes at `offset` of gen/lib.sh offset_pattern_raw: every 16-byte record is its own offset in 15 digits and a newline; 1 MiB to 2 MiB and everything past 3,000,000 are zeros. */
function offsetPattern(offset: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) {
    const o = offset + i;
    if ((o >= MiB && o < 2 * MiB) || o >= 3_000_000) continue;
    const rec = o - (o % 16);
    b[i] = `${String(rec).padStart(15, '0')}\n`.charCodeAt(o - rec);
  }
  return b;
}

interface ImageRead { unique: bigint; pid: number; fh: bigint; offset: number; asked: number; got: number; direct: boolean; data: Buffer; tReq: number; tReply: number }

/** The READs of `node` (fuse_read_in: fh at 40, offset 48, size 56, flags 72), each answered (asserted). */
function imageReads(all: RawExchange[], node: bigint): ImageRead[] {
  return all.filter((e) => e.opcode === Op.READ && e.nodeid === node).map((e) => {
    assert.equal(e.replyError, 0, `READ #${e.unique} answered`);
    return {
      unique: e.unique, pid: e.pid, fh: reqFh(e), offset: Number(e.req.readBigUInt64LE(48)), asked: e.req.readUInt32LE(56),
      got: e.reply!.readUInt32LE(0) - 16, direct: (e.req.readUInt32LE(72) & 0o40000) !== 0, data: e.reply!.subarray(16), tReq: e.tReq, tReply: e.tReply!,
    };
  });
}

/**
 * What the captures of the libyal mount tools (qcowmount, ewfmount) share: the tool's one FUSE front end
 * over libfuse 2 (7.19, FUSE_ASYNC_READ|FUSE_EXPORT_SUPPORT, one thread: fuse_loop, so one request in
 * flight at a time however many readers), a root of 0555 and size 0 listing `.`, `..` and `file` with
 * dirent ino 0xffffffff (libfuse's high-level API without use_ino), `file` nodeid and ino 2, 0444, `size`
 * in every reply; every OPEN answered open_flags 0 and a heap pointer as fh, two opens held at once with
 * two pointers. Every READ is answered what it asked up to `size` with the image's known bytes (the
 * first 496 of each, the snap length's share), and none starts at or past `size`. The workload's
 * O_DIRECT preads go as READs of at most 4 KiB (xfs_io's buffer) with FUSE_READ_LOCKOWNER, the two
 * O_DIRECT readers of 1 MiB as 8 READs of 128 KiB each. FLUSH, GETXATTR and STATX ENOSYS once each,
 * no other error. No finding, right: nothing is written, one size throughout. Returns the READs of `file`.
 */
function assertLibyalImage(name: string, file: string, size: number): ImageRead[] {
  const all = pairExchanges(readPcapng(fx(name))).exchanges;
  assert.deepEqual(initReplyWords(all), [19, 0x1 | 0x10, 131072]);
  const { exchanges } = dump(name);
  assert.equal(new Set(exchanges.map((x) => (x as unknown as { tid: number }).tid)).size, 1, 'one daemon thread');
  assert.equal(peakInFlight(name), 1);

  const listing = exchanges.filter((x) => x.op === 'READDIR' && x.error === 0)
    .flatMap((x) => ((x.reply!.body as { entries?: { name: string; ino: number }[] }).entries ?? []));
  assert.deepEqual(listing.map((d) => d.name), ['.', '..', file]);
  for (const d of listing) assert.equal(d.ino, 0xffffffff, d.name);
  for (const x of exchanges.filter((y) => y.op === 'GETATTR' && y.nodeid === 1)) assert.deepEqual([attrOf(x)!.mode, attrOf(x)!.size], [0o40555, 0], `GETATTR #${x.unique}`);
  assert.deepEqual(entriesOf(all).map((x) => [x.name, x.nodeid, x.ino, x.mode, x.size]), [[file, 2n, 2n, 0o100444, size]]);
  const getattrs = exchanges.filter((y) => y.op === 'GETATTR' && y.nodeid === 2);
  assert.ok(getattrs.length >= 10);
  for (const x of getattrs) assert.equal(attrOf(x)!.size, size, `GETATTR #${x.unique}`);

  const opens = all.filter((e) => e.opcode === Op.OPEN);
  assert.equal(opens.length, 14);
  for (const e of opens) {
    assert.equal(openReplyFlags(e), 0, `OPEN #${e.unique}`);
    assert.ok(e.reply!.readBigUInt64LE(16) > 0xffffn, `OPEN #${e.unique}: a pointer`);
  }
  const releases = all.filter((e) => e.opcode === Op.RELEASE);
  const heldTill = (o: RawExchange): number => releases.find((rel) => rel.tReq > o.tReply! && reqFh(rel) === o.reply!.readBigUInt64LE(16))!.tReq;
  const held = opens.filter((a) => opens.some((b) => a !== b && a.tReply! < heldTill(b) && b.tReply! < heldTill(a)));
  assert.ok(held.length >= 4, 'opens held at once');
  for (const a of held) {
    for (const b of held) {
      if (a !== b && a.tReply! < heldTill(b) && b.tReply! < heldTill(a)) assert.notEqual(a.reply!.readBigUInt64LE(16), b.reply!.readBigUInt64LE(16), `OPEN #${a.unique} and #${b.unique}`);
    }
  }

  const reads = imageReads(all, 2n);
  for (const rd of reads) {
    assert.ok(rd.offset < size, `READ #${rd.unique} at ${rd.offset}`);
    assert.equal(rd.got, Math.min(rd.asked, size - rd.offset), `READ #${rd.unique} at ${rd.offset} of ${rd.asked}`);
    assert.equal(rd.data.length, Math.min(rd.got, 496), `READ #${rd.unique}: the snap length's share`);
    assert.ok(rd.data.equals(offsetPattern(rd.offset, rd.data.length)), `READ #${rd.unique} at ${rd.offset}: the image's bytes`);
  }
  assert.ok(reads.some((rd) => rd.offset >= MiB && rd.offset < 2 * MiB), 'READs of the zeroed MiB');
  const direct = reads.filter((rd) => rd.direct);
  assert.deepEqual(direct.filter((rd) => rd.asked <= 4096).map((rd) => [rd.offset, rd.asked]), [[12345, 4096], [16441, 904], [2990000, 4096], [2994096, 4096], [2998192, 4096]]);
  const big = direct.filter((rd) => rd.asked > 4096);
  assert.equal(new Set(big.map((rd) => rd.pid)).size, 2);
  assert.deepEqual(big.map((rd) => [rd.offset, rd.asked]).sort((a, b) => a[0]! - b[0]!), Array.from({ length: 16 }, (_, i) => [i * 131072, 131072]));
  for (const e of all.filter((x) => x.opcode === Op.READ && x.nodeid === 2n)) assert.equal(e.req.readUInt32LE(60) & 2, (e.req.readUInt32LE(72) & 0o40000) ? 2 : 0, `READ #${e.unique}: FUSE_READ_LOCKOWNER with O_DIRECT alone`);

  // GETXATTR is opcode 22, STATX 52.
  for (const op of [Op.FLUSH, 22, 52]) assert.deepEqual(all.filter((e) => e.opcode === op).map((e) => e.replyError), [-38]);
  assert.equal(all.filter((e) => e.replyError !== 0).length, 3);

  const r = run(name);
  assert.deepEqual(kindsOf(r), []);
  const c = r.model.connections[0]!;
  assert.deepEqual([c.threads, c.peakInflight], [1, 1]);
  const f = r.model.files.find((g) => g.path === `/${file}`)!;
  assert.deepEqual([f.reportedSize, f.daemonSize, f.maxConcurrent, f.writes, f.openFlags], [size, size, 1, 0, []]);
  assertOneSizeEach(r);
  return reads;
}

/**
 * The ranges (offset, size) a reader READ twice through the page cache, in order: each time another
 * reader's OPEN came between the two (answered open_flags 0, no FOPEN_KEEP_CACHE: the kernel drops the
 * file's cached pages at every open).
 */
function assertReReads(name: string, expected: number[][]): void {
  const all = pairExchanges(readPcapng(fx(name))).exchanges;
  const reads = imageReads(all, 2n).filter((rd) => !rd.direct);
  const again = reads.filter((b) => reads.some((a) => a.pid === b.pid && a.tReply < b.tReq && a.offset === b.offset && a.asked === b.asked));
  assert.deepEqual(again.map((rd) => [rd.offset, rd.asked]), expected);
  for (const b of again) {
    const a = reads.find((x) => x.pid === b.pid && x.tReply < b.tReq && x.offset === b.offset)!;
    assert.ok(all.some((e) => e.opcode === Op.OPEN && e.pid !== b.pid && e.tReq > a.tReply && e.tReply! < b.tReq), `an OPEN of another reader between #${a.unique} and #${b.unique}`);
  }
}

describe('qcowmount (a qcow2 image made by qemu-img)', { skip: has('thirdparty-qcowmount.pcapng') }, () => {
  const name = 'thirdparty-qcowmount.pcapng';
  it('one thread, 7.19, one request in flight; qcow1 is 3,000,320 bytes (the raw file\'s 3,000,000 rounded up to 5860 sectors by qemu-img) in every reply; every READ the image\'s bytes up to that size, the zeroed MiB zeros; no finding', () => {
    const reads = assertLibyalImage(name, 'qcow1', 3_000_320);
    // The whole read (cmp) and the dd across the end: READs of 4096 at 2,998,272 answered the 2048 bytes up to
    // 3,000,320, past the raw file's 3,000,000 (the script compared them with zeros).
    assert.deepEqual(reads.filter((rd) => rd.offset + rd.asked > 3_000_320).map((rd) => [rd.offset, rd.asked, rd.got, rd.direct]),
      [[2998272, 4096, 2048, false], [2998272, 4096, 2048, false], [2965504, 36864, 34816, false], [2998192, 4096, 2128, true]]);
  });

  it('a reader\'s range READ twice: another reader\'s OPEN (open_flags 0, no FOPEN_KEEP_CACHE) in between dropped the pages it had read', () => {
    assertReReads(name, [[1499136, 69632]]);
  });
});

describe('ewfmount (an EWF image made by ewfacquire)', { skip: has('thirdparty-ewfmount.pcapng') }, () => {
  const name = 'thirdparty-ewfmount.pcapng';
  it('one thread, 7.19, one request in flight; ewf1 is 2,999,808 bytes (the image\'s 5859 whole sectors: the raw file\'s last 192 bytes are not in it) in every reply; every READ the image\'s bytes up to that size; no finding', () => {
    const reads = assertLibyalImage(name, 'ewf1', 2_999_808);
    assert.deepEqual(reads.filter((rd) => rd.offset + rd.asked > 2_999_808).map((rd) => [rd.offset, rd.asked, rd.got, rd.direct]),
      [[2998272, 4096, 1536, false], [2998272, 4096, 1536, false], [2965504, 36864, 34304, false], [2998192, 4096, 1616, true]]);
  });

  it('a reader\'s ranges READ twice: another reader\'s OPEN (open_flags 0, no FOPEN_KEEP_CACHE) in between dropped the pages it had read', () => {
    assertReReads(name, [[0, 131072], [1499136, 69632]]);
  });
});

/** The names of the entries of a directory listing, sorted ('.' and '..' left out). */
const namesOf = (listing: string[]): string[] => listing.filter((n) => n !== '.' && n !== '..').sort();

/**
 * mhddfs 0.1.39 (libfuse 2.9, 4 threads). No finding, and the capture supports none: no two requests
 * were ever in flight together (every OPEN answered open_flags 0, so the kernel serialised the O_DIRECT
 * writers), so no parallel-write or write-truncate finding can hold; every WRITE was answered with its
 * full size, so no short-write; every size a reply gave follows the WRITEs and SETATTRs before it.
 */
describe('mhddfs (two branches, the first a small tmpfs)', { skip: has('thirdparty-mhddfs.pcapng') }, () => {
  const name = 'thirdparty-mhddfs.pcapng';
  it('negotiates 7.19 with FUSE_ASYNC_READ|FUSE_EXPORT_SUPPORT alone (no BIG_WRITES: page-cache writes are 4 KiB); lists the union of both branches; first.bin written 0-256 KiB, then 256-512 KiB while branch 1 filled up (mhddfs moved the file to branch 2 in the middle): all 128 WRITEs answered whole, GETATTR 256 KiB then 512 KiB; renames between the branches and unlinks answered OK; no finding', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    assert.deepEqual(initReplyWords(all), [19, 0x1 | 0x10, 131072]);
    // The root and `shared` list what both branches hold (shared is in both): before, after the renames, after the unlinks.
    const l = listings(name);
    assert.deepEqual(l.get('/')!.map(namesOf), [
      ['one.txt', 'shared', 'two.txt'], ['b-moved.txt', 'first.bin', 'shared', 'two.txt'], ['b-moved.txt', 'first.bin', 'shared']]);
    assert.deepEqual(l.get('/shared')!.map(namesOf), [['a.txt', 'b.txt'], ['a.txt', 'one.txt', 'second.bin'], ['one.txt']]);

    // Where a file lies is not in the protocol: the move of first.bin to branch 2 (its append found branch 1
    // full: the script's log says so) shows as nothing but WRITEs answered whole, in order, from two processes.
    const node = BigInt(entryNodeid(name, 'CREATE', 'first.bin'));
    const writes = writesOf(all, node).map(writeInfo);
    assert.equal(writes.length, 128);
    writes.forEach((w, i) => assert.deepEqual([w.offset, w.size, w.written], [i * 4096, 4096, 4096], `#${w.unique}`));
    assert.equal(new Set(writes.map((w) => w.pid)).size, 2, 'the create and the append');
    const { exchanges } = dump(name);
    assert.deepEqual(exchanges.filter((x) => x.op === 'GETATTR' && x.nodeid === Number(node)).map((x) => attrOf(x)!.size), [262144, 524288]);
    const renames = exchanges.filter((x) => x.op === 'RENAME');
    assert.deepEqual(renames.map((x) => [x.error, (x.request.body as { oldname: string }).oldname, (x.request.body as { newname: string }).newname]),
      [[0, 'one.txt', 'one.txt'], [0, 'b.txt', 'b-moved.txt'], [0, 'second.bin', 'second.bin']]);
    assert.deepEqual(exchanges.filter((x) => x.op === 'UNLINK').sort((a, b) => a.unique - b.unique).map((x) => [nameOf(x), x.error]), [['two.txt', 0], ['a.txt', 0], ['second.bin', 0]]);

    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    const f = r.model.files.find((g) => g.path === '/first.bin')!;
    assert.deepEqual([f.reportedSize, f.daemonSize, f.maxConcurrentWrites], [524288, 524288, 1]);
  });

  it('fixed_file_workload on a 64 MiB sparse file of branch 1: every OPEN answered open_flags 0 and every request alone in flight (4 daemon threads), so no two WRITEs together; a regular file, so the WRITEs at and across 64 MiB are answered whole (4 of them) and SETATTR sizes 32 MiB and 128 MiB take: no short-write, no finding', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    assert.equal(peakInFlight(name), 1);
    const node = BigInt(entryNodeid(name, 'CREATE', 'disk'));
    assertFixedFileOpens(all, node, 0);
    const writes = writesOf(all, node);
    assert.equal(maxInFlight(writes), 1);
    fixedFileWrites(writes);
    for (const w of writes.map(writeInfo)) assert.equal(w.written, w.size, `#${w.unique}`);
    const past = writes.map(writeInfo).filter((w) => w.offset + w.size > 64 * MiB);
    // xfs_io writes 4 KiB per pwrite(2): the 8 KiB at 64 MiB - 4 KiB is two, O_DIRECT or not.
    assert.deepEqual(past.map((w) => [w.offset, w.size]), Array(4).fill([64 * MiB, 4096]));
    const setattrs = all.filter((e) => e.opcode === Op.SETATTR);
    assert.deepEqual(setattrs.map((e) => [...setattrSizes(e), e.replyError]), [[64 * MiB, 64 * MiB, 0], [32 * MiB, 32 * MiB, 0], [128 * MiB, 128 * MiB, 0]]);

    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    const f = r.model.files.find((g) => g.path === '/disk')!;
    assert.deepEqual([f.maxConcurrentWrites, f.reportedSize, f.daemonSize, f.openFlags], [1, 128 * MiB, 128 * MiB, []]);
  });
});

/**
 * afuse 0.4.1 (libfuse 2.9, one thread) over bindfs 1.17 mounted per name. No finding, and the capture
 * supports none: one request in flight at a time, every WRITE answered whole, every regular file's sizes
 * follow its WRITEs and truncates. The sizes afuse itself answers are of directories (the mount points'
 * placeholders: size 0 before and after the mount), which no size finding judges.
 */
describe('afuse (bindfs mounted on first access)', { skip: has('thirdparty-afuse.pcapng') }, () => {
  const name = 'thirdparty-afuse.pcapng';
  it('negotiates 7.19 with FUSE_EXPORT_SUPPORT alone, one request in flight at a time; answers a name under its root itself (a directory, size 0, mode 0750: alpha, beta, and gamma, which has nothing to mount) and keeps doing so after the mount; below the name the nested bindfs answers (sub 4096 bytes, numbers.txt 1892); gamma\'s mount fails: its OPENDIR is answered ENXIO; the root lists a name once it is mounted', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    assert.deepEqual(initReplyWords(all), [19, 0x10, 131072]);
    assert.equal(peakInFlight(name), 1);
    const { exchanges } = dump(name);
    const top = exchanges.filter((x) => x.op === 'LOOKUP' && x.nodeid === 1);
    assert.deepEqual(top.map((x) => [nameOf(x), x.error, attrOf(x)!.size, attrOf(x)!.mode]), [['alpha', 0, 0, 0o40750], ['beta', 0, 0, 0o40750], ['gamma', 0, 0, 0o40750]]);
    for (const t of top) {
      const id = (t.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid;
      for (const x of exchanges.filter((y) => y.op === 'GETATTR' && y.nodeid === id)) assert.deepEqual([attrOf(x)!.size, attrOf(x)!.mode], [0, 0o40750], `GETATTR #${x.unique}`);
    }
    const alpha = entryNodeid(name, 'LOOKUP', 'alpha');
    const below = exchanges.filter((x) => x.op === 'LOOKUP' && x.nodeid === alpha && x.error === 0).map((x) => [nameOf(x), attrOf(x)!.size]);
    assert.deepEqual(below.slice(0, 2), [['sub', 4096], ['numbers.txt', 1892]]);
    const gamma = entryNodeid(name, 'LOOKUP', 'gamma');
    assert.deepEqual(exchanges.filter((x) => x.nodeid === gamma && x.op !== 'LOOKUP').map((x) => [x.op, x.error_name]), [['OPENDIR', '-ENXIO']]);
    assert.deepEqual(listings(name).get('/')!.map(namesOf), [[], ['alpha']]);
  });

  it('passes daemon_workload under alpha and beta\'s writes on to the nested mount: every OPEN and CREATE answered fh 4 (the descriptor it opened on the nested mount, closed at RELEASE), every WRITE whole, LINK (a node of its own, as libfuse 2 numbers paths), RENAME, UNLINK OK; STATFS answered by afuse itself (no blocks); no finding', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const opens = all.filter((e) => (e.opcode === Op.OPEN || e.opcode === Op.CREATE) && e.replyError === 0);
    assert.equal(opens.length, 20);
    for (const e of opens) assert.equal(e.reply!.readBigUInt64LE(e.opcode === Op.OPEN ? 16 : 16 + 128), 4n, `#${e.unique}`);
    const writes = all.filter((e) => e.opcode === Op.WRITE).map(writeInfo);
    assert.equal(writes.length, 31);
    for (const w of writes) assert.equal(w.written, w.size, `#${w.unique}`);
    const { exchanges } = dump(name);
    assert.deepEqual(['LINK', 'RENAME', 'UNLINK'].map((op) => exchanges.filter((x) => x.op === op).map((x) => x.error_name)), [['OK'], ['OK', 'OK'], Array(12).fill('OK')]);
    for (const x of exchanges.filter((y) => y.op === 'STATFS')) assert.equal((x.reply!.body as { fuse_statfs_out: { st: { blocks: number } } }).fuse_statfs_out.st.blocks, 0);

    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    const sizes = Object.fromEntries(r.model.files.filter((f) => ['/alpha/data', '/alpha/data.link (deleted)', '/beta/renamed.bin'].includes(f.path)).map((f) => [f.path, [f.reportedSize, f.daemonSize]]));
    assert.deepEqual(sizes, { '/alpha/data': [9009, 9009], '/alpha/data.link (deleted)': [9009, 9009], '/beta/renamed.bin': [65536, 65536] });
    // libfuse 2's path-based API without use_ino: the LINK's entry is a node (and ino) of its own, not data's.
    const link = exchanges.find((x) => x.op === 'LINK')!;
    assert.notEqual((link.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid, entryNodeid(name, 'CREATE', 'data'));
  });
});

/**
 * rdiff-backup-fs 1.0.0 (libfuse 2.9, 4 threads) over an rdiff-backup 2.2.2 repository. Read-only: no
 * WRITE, no truncate, so no write or truncate finding can hold; each file's LOOKUPs and GETATTRs give it
 * one size throughout and every READ stops at that size, so no size finding either. No finding: right.
 */
describe('rdiff-backup-fs (two backups)', { skip: has('thirdparty-rdiff-backup-fs.pcapng') }, () => {
  const name = 'thirdparty-rdiff-backup-fs.pcapng';
  it('negotiates 7.19 with FUSE_ASYNC_READ|FUSE_EXPORT_SUPPORT alone; one directory per backup, named by its time; inode numbers are the nodeids; each backup\'s files are nodes of their own: mid.bin 70,000 and 90,000 bytes, numbers.txt 8893 and 21; attr.nlink 0 for everything below the backups, none of it taken as unlinked; no finding', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    assert.deepEqual(initReplyWords(all), [19, 0x1 | 0x10, 131072]);
    assert.deepEqual(listings(name).get('/')!.map(namesOf), [['2024-01-02T03:04:05', '2024-01-03T03:04:05']]);
    const entries = entriesOf(all);
    for (const x of entries) assert.equal(x.ino, x.nodeid, x.name);
    const sizes = (n: string): number[] => [...new Set(entries.filter((x) => x.name === n).map((x) => x.size))].sort((p, q) => p - q);
    assert.deepEqual([sizes('mid.bin'), sizes('numbers.txt'), sizes('big.bin')], [[70000, 90000], [21, 8893], [300000]]);
    assert.equal(new Set(entries.filter((x) => x.name === 'mid.bin').map((x) => x.nodeid)).size, 2);

    // rdiff-backup-fs leaves st_nlink 0 below the backup directories: nothing there was unlinked all the same.
    const { exchanges } = dump(name);
    const below = exchanges.filter((x) => x.op === 'LOOKUP' && x.nodeid !== 1 && x.error === 0);
    assert.ok(below.length >= 20);
    for (const x of below) assert.equal((attrOf(x) as unknown as { nlink: number }).nlink, 0, `LOOKUP #${x.unique} ${nameOf(x)}`);

    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    assert.ok(!r.model.files.some((f) => f.path.endsWith('(deleted)')));
    const mids = r.model.files.filter((f) => f.path.endsWith('/data/mid.bin')).map((f) => `${f.path} ${f.reportedSize}`).sort();
    assert.deepEqual(mids, ['/2024-01-02T03:04:05/data/mid.bin 70000', '/2024-01-03T03:04:05/data/mid.bin 90000']);
  });

  it('every OPEN answered fh 0 and open_flags 0; the empty file is opened and released without a READ; READs across the end stop at the size, none starts past it; the one FLUSH ENOSYS; peak 2 in flight, a RELEASEDIR with the next OPENDIR; each file keeps one size', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const opens = all.filter((e) => e.opcode === Op.OPEN);
    assert.equal(opens.length, 13);
    for (const e of opens) assert.deepEqual([e.reply!.readBigUInt64LE(16), openReplyFlags(e)], [0n, 0], `OPEN #${e.unique}`);
    const empty = entriesOf(all).filter((x) => x.name === 'empty').map((x) => x.nodeid);
    assert.ok(opens.some((e) => empty.includes(e.nodeid)));
    assert.ok(!all.some((e) => e.opcode === Op.READ && empty.includes(e.nodeid)));
    assert.ok(assertReadsStopAtTheEnd(all) >= 15);
    assert.deepEqual(all.filter((e) => e.opcode === Op.FLUSH).map((e) => e.replyError), [-38]);
    assert.equal(peakInFlight(name), 2);
    const pairs = all.flatMap((a, i) => all.slice(i + 1).filter((b) => together(a, b)).map((b) => [a.opcode, b.opcode]));
    assert.deepEqual(pairs, [[Op.RELEASEDIR, Op.OPENDIR], [Op.RELEASEDIR, Op.OPENDIR]]);

    assertOneSizeEach(run(name));
  });
});

/**
 * llfuse 1.4.1's example tmpfs.py (libfuse 2.9 through llfuse, one worker thread): every inode a row of
 * an in-memory sqlite database, a file's data one blob. One finding, and it is true: tmpfs.py's write()
 * splices the buffer in as data[:offset] + buf + data[offset+len(buf):], so a WRITE that starts past the
 * end of the blob lands at its end. hole.bin's two WRITEs (100,000 + 2400 and 102,400 + 1696: the
 * kernel's page-cache split of one pwrite of 4 KiB at 100,000) were answered whole, so the daemon had
 * observed 104,096 bytes and so had the kernel; the next GETATTR said 4096 and nothing truncated the file
 * in between: size-shrank-externally, whose "outside the capture" is here the daemon itself (the
 * detector's doc names that case). The READ of the file at 0 shows where the bytes went. No other
 * finding holds: one request in flight at a time throughout, every other size a reply gave follows the
 * WRITEs and SETATTRs before it, every WRITE answered whole.
 */
describe('llfuse example tmpfs.py (sqlite in memory)', { skip: has('thirdparty-llfuse-tmpfs.pcapng') }, () => {
  const name = 'thirdparty-llfuse-tmpfs.pcapng';
  it('negotiates 7.19 with FUSE_ASYNC_READ|FUSE_BIG_WRITES, one request in flight at a time; every OPEN and CREATE answered with the inode as fh and FOPEN_KEEP_CACHE; LINK answers the same node as data (9009 bytes); listings hold ".." only at the root and no "."; RENAME and 12 UNLINKs OK; RELEASEDIR ENOSYS every time, FLUSH, FSYNC, GETXATTR and STATX once', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    assert.deepEqual(initReplyWords(all), [19, 0x1 | 0x20, 131072]);
    assert.equal(peakInFlight(name), 1);
    const opens = all.filter((e) => (e.opcode === Op.OPEN || e.opcode === Op.CREATE) && e.replyError === 0);
    assert.ok(opens.length >= 40);
    for (const e of opens) {
      const fh = e.reply!.readBigUInt64LE(e.opcode === Op.OPEN ? 16 : 16 + 128);
      const node = e.opcode === Op.OPEN ? e.nodeid : e.reply!.readBigUInt64LE(16);
      assert.deepEqual([fh, openReplyFlags(e)], [node, 0x2], `#${e.unique}`);
    }
    const { exchanges } = dump(name);
    const link = exchanges.find((x) => x.op === 'LINK')!;
    assert.deepEqual([(link.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid, attrOf(link)!.size], [entryNodeid(name, 'CREATE', 'data'), 9009]);
    const l = listings(name);
    assert.deepEqual(l.get('/'), [['..', 'dir', 'data', 'data.link']]);
    assert.deepEqual(l.get('/dir')!.map((n) => n.length), [12, 1]);
    assert.deepEqual(l.get('/dir')![1], ['renamed.txt']);
    assert.deepEqual(['RENAME', 'UNLINK'].map((op) => exchanges.filter((x) => x.op === op).map((x) => x.error_name)), [['OK'], Array(12).fill('OK')]);
    const refused = exchanges.filter((x) => x.error_name === '-ENOSYS').map((x) => x.op).sort();
    assert.deepEqual(refused, ['FLUSH', 'FSYNC', 'GETXATTR', 'RELEASEDIR', 'RELEASEDIR', 'RELEASEDIR', 'STATX']);
  });

  it('stores a WRITE past the end at the old end: hole.bin\'s WRITEs at 100,000 (2400 bytes) and 102,400 (1696) answered whole, the next GETATTR says 4096 with no truncate between, and the READ at 0 returns the written bytes where the hole should read zeros: one size-shrank-externally (104,096 -> 4096), true; nothing else', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const node = BigInt(entryNodeid(name, 'CREATE', 'hole.bin'));
    const writes = writesOf(all, node).map(writeInfo);
    assert.deepEqual(writes.map((w) => [w.offset, w.size, w.written]), [[100000, 2400, 2400], [102400, 1696, 1696]]);
    const own = all.filter((e) => e.nodeid === node);
    assert.ok(!own.some((e) => e.opcode === Op.SETATTR), 'no truncate');
    const { exchanges } = dump(name);
    const getattr = exchanges.find((x) => x.op === 'GETATTR' && x.nodeid === Number(node))!;
    assert.equal(attrOf(getattr)!.size, 4096);
    const read = own.find((e) => e.opcode === Op.READ)!;
    assert.deepEqual([Number(read.req.readBigUInt64LE(48)), read.reply!.readUInt32LE(0) - 16], [0, 4096]);
    const first = writesOf(all, node)[0]!;
    const written = first.req.subarray(80);
    assert.ok(written.length >= 400 && written.some((b) => b !== 0));
    assert.deepEqual(read.reply!.subarray(16, 16 + written.length), written, 'the first WRITE\'s bytes, at 0');

    const r = run(name);
    assert.deepEqual(kindsOf(r), ['size-shrank-externally']);
    const f = r.model.findings[0]!;
    assert.deepEqual([f.path, f.uniques.map(Number), f.details], ['/hole.bin', [getattr.unique],
      { reportedSize: 4096, daemonSize: 104096, shrankBy: 100000, kernelSizeBefore: 104096, opcode: 'GETATTR', correlatedConns: [] }]);
  });

  it('fixed_file_workload on a 64 MiB file made by truncate: every WRITE alone in flight, from 4 O_DIRECT writers fed in turn and overlapping ones; page-cache writes as 64 KiB WRITEs (BIG_WRITES), the 4 MiB O_DIRECT write as 32 of 128 KiB; every WRITE whole, those at 64 MiB too, so the file grows by 4096; SETATTR 64, 32 and 128 MiB take; FSYNC ENOSYS once (the kernel sends no more); no finding on the file', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const node = BigInt(entryNodeid(name, 'CREATE', 'disk'));
    const writes = writesOf(all, node);
    assert.equal(maxInFlight(writes), 1);
    const first = writes.filter((w) => writeInfo(w).offset < 4 * MiB);
    assert.equal(new Set(first.map((w) => w.pid)).size, 4);
    assert.ok(interleaving(first).switches >= 4, 'four O_DIRECT writers at the same time');
    const big = writes.filter((w) => writeInfo(w).offset >= 16 * MiB && writeInfo(w).offset < 20 * MiB);
    assert.ok(big.length === 32 && big.every((w, i) => writeInfo(w).offset === 16 * MiB + i * 131072 && writeInfo(w).size === 131072));
    const cached = writes.filter((w) => writeInfo(w).offset >= 8 * MiB && writeInfo(w).offset < 10 * MiB);
    assert.deepEqual(cached.map((w) => writeInfo(w).size), Array(8).fill(65536));
    assert.ok(overlappingPairs(writes).length >= 4, 'the overlapping writers at 4 MiB and at 24/25 MiB');
    for (const w of writes.map(writeInfo)) assert.equal(w.written, w.size, `#${w.unique}`);
    const past = writes.map(writeInfo).filter((w) => w.offset + w.size > 64 * MiB);
    assert.deepEqual(past.map((w) => [w.offset, w.size]), Array(4).fill([64 * MiB, 4096]));
    const setattrs = all.filter((e) => e.opcode === Op.SETATTR && e.nodeid === node);
    assert.deepEqual(setattrs.map((e) => [...setattrSizes(e), e.replyError]), [[64 * MiB, 64 * MiB, 0], [32 * MiB, 32 * MiB, 0], [128 * MiB, 128 * MiB, 0]]);
    const { exchanges } = dump(name);
    const sizes = exchanges.filter((x) => x.op === 'GETATTR' && x.nodeid === Number(node)).map((x) => attrOf(x)!.size);
    assert.deepEqual([...new Set(sizes)], [64 * MiB, 64 * MiB + 4096]);

    const r = run(name);
    assert.ok(!r.model.findings.some((g) => g.path === '/disk'));
    const f = r.model.files.find((g) => g.path === '/disk')!;
    assert.deepEqual([f.maxConcurrentWrites, f.reportedSize, f.daemonSize, f.openFlags], [1, 128 * MiB, 128 * MiB, ['FOPEN_KEEP_CACHE']]);
  });
});

/**
 * gvfsd-fuse 1.50.3 (libfuse 3.14, 3 daemon threads) over two GVFS mounts of its own D-Bus session:
 * localtest:/// (the local file system through GIO, read-write) and archive:// of a tar. No finding,
 * and the capture supports none: no two WRITEs were ever in flight together (peak 2 in flight: a
 * WRITE only ever beside the CREATE of another file), no truncate reached the daemon (it refuses an
 * OPEN for writing without O_TRUNC or O_APPEND, EOPNOTSUPP, so `truncate` never sent a SETATTR),
 * every WRITE was answered whole, and every size a reply gave follows the WRITEs before it: the write
 * past the end of a new file that llfuse's example loses lands here where it was asked (104,096).
 */
describe('gvfsd-fuse (localtest and archive mounts)', { skip: has('thirdparty-gvfs-fuse.pcapng') }, () => {
  const name = 'thirdparty-gvfs-fuse.pcapng';
  it('negotiates 7.31 with FUSE_DO_READDIRPLUS, FUSE_ASYNC_DIO, FUSE_MAX_PAGES and FUSE_INIT_EXT among others (max_write 1 MiB); the root holds one directory per GVFS mount, the archive read-only (0500) and localtest: the local root; the archive\'s files are opened FOPEN_NONSEEKABLE, so dd reads from 0 whatever it skips and the O_DIRECT preads never reach the daemon; every READ stops at the size', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    assert.deepEqual(initReplyWords(all), [31, 0x8 | 0x10 | 0x20 | 0x1000 | 0x2000 | 0x4000 | 0x8000 | 0x400000 | 0x40000000, 1 << 20]);
    const { exchanges } = dump(name);
    const top = exchanges.filter((x) => x.op === 'LOOKUP' && x.nodeid === 1);
    assert.equal(top.length, 2);
    assert.match(nameOf(top[0]!)!, /^archive:host=file%253A%252F%252F%252Ftmp%252F.*tree\.tar$/);
    assert.deepEqual([attrOf(top[0]!)!.size, attrOf(top[0]!)!.mode], [0, 0o40500]);
    assert.deepEqual([nameOf(top[1]!), attrOf(top[1]!)!.mode], ['localtest:', 0o40755]);

    // The archive: every node below its directory, by LOOKUP, with its size.
    const archive = (top[0]!.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid;
    const sizes = new Map<bigint, number>();
    const parents = new Set([archive]);
    for (const x of exchanges) {
      if (x.op !== 'LOOKUP' || x.error !== 0 || !parents.has(x.nodeid)) continue;
      const id = (x.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid;
      if ((attrOf(x)!.mode & 0o170000) === 0o040000) parents.add(id);
      else sizes.set(BigInt(id), attrOf(x)!.size);
    }
    assert.deepEqual([...sizes.values()].sort((p, q) => p - q), [0, 11, 292, 8893, 70000, 300000]);
    const opens = all.filter((e) => e.opcode === Op.OPEN && sizes.has(e.nodeid));
    assert.ok(opens.length >= 9);
    for (const e of opens) assert.equal(openReplyFlags(e), 0x4, `OPEN #${e.unique}: FOPEN_NONSEEKABLE`);
    const mid = [...sizes].find(([, s]) => s === 70000)![0];
    const reads = all.filter((e) => e.opcode === Op.READ && sizes.has(e.nodeid)).map((e) => ({
      node: e.nodeid, offset: Number(e.req.readBigUInt64LE(48)), asked: e.req.readUInt32LE(56), got: e.reply!.readUInt32LE(0) - 16, size: sizes.get(e.nodeid)!,
    }));
    for (const rd of reads) assert.equal(rd.got, Math.min(rd.asked, rd.size - rd.offset), `READ at ${rd.offset} of ${rd.asked}: up to ${rd.size}`);
    assert.ok(reads.filter((rd) => rd.offset + rd.asked > rd.size).length >= 5, 'READs asked past the end');
    // The md5sum check and three dd runs of mid.bin: each opens it and reads from 0 (dd skips by reading), none starts past 49,152.
    const midOpens = opens.filter((e) => e.nodeid === mid);
    assert.equal(midOpens.filter((e) => (e.req.readUInt32LE(40) & 0o40000) === 0).length, 4);
    assert.equal(reads.filter((rd) => rd.node === mid && rd.offset === 0).length, 4);
    assert.ok(reads.filter((rd) => rd.node === mid).every((rd) => rd.offset <= 65536));
    // The two O_DIRECT opens (xfs_io) are answered; their preads fail in the kernel (ESPIPE): no READ between OPEN and RELEASE.
    const direct = midOpens.filter((e) => e.req.readUInt32LE(40) & 0o40000);
    assert.equal(direct.length, 2);
    for (const d of direct) {
      const rel = all.find((e) => e.opcode === Op.RELEASE && e.req.readBigUInt64LE(40) === d.reply!.readBigUInt64LE(16) && e.tReq > d.tReply!)!;
      assert.ok(!all.some((e) => e.opcode === Op.READ && e.nodeid === mid && e.tReq > d.tReply! && e.tReq < rel.tReq), `no READ after OPEN #${d.unique}`);
    }
  });

  it('passes daemon_workload and the new files on to the local file system: OPEN for writing without O_TRUNC or O_APPEND answered EOPNOTSUPP (the two truncates: no SETATTR ever), the append OK; LINK ENOSYS; RENAME2 (RENAME_NOREPLACE) and 11 UNLINKs OK; hole.bin\'s WRITEs past its end answered whole and its size 104,096; no two WRITEs in flight together, a WRITE beside nothing but the CREATE of another file; no finding', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const { exchanges } = dump(name);
    const data = entryNodeid(name, 'CREATE', 'data');
    const dataOpens = exchanges.filter((x) => x.op === 'OPEN' && x.nodeid === data && (x.request.body as { fuse_open_in: { flags: number } }).fuse_open_in.flags & 3);
    assert.deepEqual(dataOpens.map((x) => x.error_name), ['-EOPNOTSUPP', '-EOPNOTSUPP', 'OK']);
    assert.ok(!all.some((e) => e.opcode === Op.SETATTR));
    assert.deepEqual(exchanges.filter((x) => x.op === 'GETATTR' && x.nodeid === data).map((x) => attrOf(x)!.size), [6000, 6009, 6009]);
    assert.deepEqual(['LINK', 'RENAME2', 'UNLINK'].map((op) => exchanges.filter((x) => x.op === op).map((x) => x.error_name)), [['-ENOSYS'], ['OK'], Array(11).fill('OK')]);

    const hole = BigInt(entryNodeid(name, 'CREATE', 'hole.bin'));
    assert.deepEqual(writesOf(all, hole).map(writeInfo).map((w) => [w.offset, w.size, w.written]), [[100000, 2400, 2400], [102400, 1696, 1696]]);
    assert.deepEqual(exchanges.filter((x) => x.op === 'GETATTR' && x.nodeid === Number(hole)).map((x) => attrOf(x)!.size), [104096]);
    for (const f of ['direct.bin', 'one.bin', 'two.bin']) {
      const ws = writesOf(all, BigInt(entryNodeid(name, 'CREATE', f))).map(writeInfo);
      assert.deepEqual(ws.map((w) => [w.offset, w.size, w.written]), [0, 1, 2, 3].map((i) => [i * 65536, 65536, 65536]), f);
      assert.equal(ws.filter((w) => w.writeFlags & 2).length, f === 'direct.bin' ? 4 : 0, `${f}: O_DIRECT (LOCKOWNER)`);
    }
    const writes = all.filter((e) => e.opcode === Op.WRITE);
    for (const w of writes.map(writeInfo)) assert.equal(w.written, w.size, `#${w.unique}`);
    assert.equal(maxInFlight(writes), 1);
    assert.equal(peakInFlight(name), 2);
    const beside = all.filter((e) => e.opcode !== Op.WRITE && e.opcode !== Op.FORGET && e.opcode !== Op.BATCH_FORGET && writes.some((w) => together(w, e)));
    assert.deepEqual(beside.map((e) => e.opcode), [Op.CREATE]);
    assert.ok(writes.filter((w) => together(w, beside[0]!)).every((w) => w.nodeid !== BigInt(entryNodeid(name, 'CREATE', 'two.bin'))));

    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    const f = (suffix: string) => r.model.files.find((g) => g.path.endsWith(suffix))!;
    assert.deepEqual(['/data/hole.bin', '/data/data', '/data/two.bin'].map((s) => [f(s).reportedSize, f(s).daemonSize, f(s).maxConcurrentWrites]), [[104096, 104096, 1], [6009, 6009, 1], [262144, 262144, 1]]);
  });
});

/**
 * llfuse 1.4.1's example passthroughfs.py (libfuse 2.9 through llfuse, its default worker threads; every
 * handler under llfuse's global lock) over a directory of its own. One finding, and it is true: the last
 * request the daemon read, a SETATTR, was never answered. Its write() lets OSError through: the O_DIRECT
 * WRITE of direct.bin failed os.write with EINVAL (llfuse's buffer is not aligned as O_DIRECT needs),
 * llfuse answered that WRITE EIO and ended its main loop, so the daemon exited holding the SETATTR the
 * kernel sent right after (it truncates back what a failed O_DIRECT write may have extended). No other
 * finding holds: WRITEs of one file were never in flight together (the kernel sends a file's page-cache
 * writes one at a time), WRITEs of two files were, which no finding judges; a RELEASE of pair.bin was
 * answered while a WRITE on the same fh was in flight, but two opens held that fh (the daemon answers every
 * open of a file with its one descriptor), so the RELEASE closed the other writer's open: no
 * reordered-handle-ops; every size a reply gave follows the WRITEs and SETATTRs before it.
 */
/** The independent reader's answered CREATE of `file` (by name) and its node's WRITEs from then on (passthroughfs reuses nodeids). */
function createdWrites(all: RawExchange[], file: string): { create: RawExchange; node: bigint; writes: RawExchange[] } {
  const create = all.find((e) => e.opcode === Op.CREATE && e.replyError === 0 && e.req.subarray(40 + 16).toString('latin1').startsWith(`${file}\0`))!;
  const node = create.reply!.readBigUInt64LE(16);
  return { create, node, writes: writesOf(all, node).filter((w) => w.tReq > create.tReq) };
}

describe('llfuse example passthroughfs.py (multi-threaded, dies on an O_DIRECT write)', { skip: has('thirdparty-llfuse-passthroughfs.pcapng') }, () => {
  const name = 'thirdparty-llfuse-passthroughfs.pcapng';
  it('negotiates 7.19 with FUSE_ASYNC_READ|FUSE_BIG_WRITES and serves from 30 threads; nodeids are the backing inode numbers, reused after FORGET (pair.bin gets file-2.txt\'s, unlinked before), and the analysis keeps them apart; files are created 0755 whatever mode was asked (os.open without a mode); every open of a file answered with one fh while another is open', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    assert.deepEqual(initReplyWords(all), [19, 0x1 | 0x20, 131072]);
    const { exchanges } = dump(name);
    assert.equal(new Set(exchanges.map((x) => (x as unknown as { tid: number }).tid)).size, 30);
    const creates = exchanges.filter((x) => x.op === 'CREATE');
    assert.equal(creates.length, 17);
    for (const x of creates) {
      assert.equal((x.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid, attrOf(x)!.ino, `CREATE #${x.unique}: nodeid = ino`);
      assert.ok([0o644, 0o600].includes((x.request.body as { fuse_create_in: { mode: number } }).fuse_create_in.mode & 0o777), `CREATE #${x.unique} asks 0644 or 0600`);
      assert.equal(attrOf(x)!.mode, 0o100755, `CREATE #${x.unique} answers 0755`);
    }
    const pair = entryNodeid(name, 'CREATE', 'pair.bin');
    assert.equal(pair, entryNodeid(name, 'CREATE', 'file-2.txt'));
    // The kernel forgot file-2.txt's node (FORGET, or an entry of a BATCH_FORGET: nodeid, nlookup at 48 + 16 i) before pair.bin's CREATE.
    const { create } = createdWrites(all, 'pair.bin');
    const forgets = all.filter((e) => e.tReq < create.tReq && (e.opcode === Op.FORGET ? e.nodeid === BigInt(pair)
      : e.opcode === Op.BATCH_FORGET && Array.from({ length: e.req.readUInt32LE(40) }, (_, i) => e.req.readBigUInt64LE(48 + 16 * i)).includes(BigInt(pair))));
    assert.equal(forgets.length, 1);
    const r = run(name);
    assert.deepEqual(r.model.files.filter((f) => Number(f.nodeid) === pair).map((f) => f.path).sort(), ['/dir/file-2.txt (deleted)', '/pair.bin']);

    // The two writers of pair.bin: its CREATE and the other's OPEN, both fh 4 (the one descriptor of the inode).
    const open = all.find((e) => e.opcode === Op.OPEN && e.nodeid === BigInt(pair) && e.tReq > create.tReq)!;
    assert.notEqual(open.pid, create.pid);
    assert.deepEqual([create.reply!.readBigUInt64LE(16 + 128), open.reply!.readBigUInt64LE(16)], [4n, 4n]);
  });

  it('two writers of pair.bin through the page cache: its WRITEs one at a time; a RELEASE on fh 4 answered while the other writer\'s WRITE on fh 4 was in flight, with two opens holding fh 4: no reordered-handle-ops; one.bin\'s and two.bin\'s WRITEs in flight together, no parallel-write finding', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const { create, node: pair, writes } = createdWrites(all, 'pair.bin');
    assert.equal(writes.length, 8);
    assert.equal(new Set(writes.map((w) => w.pid)).size, 2);
    assert.equal(maxInFlight(writes), 1);
    const releases = all.filter((e) => e.opcode === Op.RELEASE && e.nodeid === pair && e.tReq > create.tReq);
    assert.equal(releases.length, 3, 'the two writers\' and cat\'s');
    const early = releases.filter((rel) => writes.some((w) => reqFh(w) === reqFh(rel) && w.tReq < rel.tReq && rel.tReply! < w.tReply!));
    assert.equal(early.length, 1, 'a RELEASE answered while a WRITE sent before it on its fh was in flight');
    const rel = early[0]!;
    const w = writes.find((v) => v.tReq < rel.tReq && rel.tReply! < v.tReply!)!;
    // Two opens held fh 4 then, one per writer, neither released before; the other writer had finished: the RELEASE is its.
    const holders = all.filter((e) => e.tReq >= create.tReq && e.tReq < rel.tReq && (e === create || (e.opcode === Op.OPEN && e.nodeid === pair)));
    assert.deepEqual(holders.map((e) => e.reply!.readBigUInt64LE(e.opcode === Op.OPEN ? 16 : 16 + 128)), [4n, 4n]);
    assert.deepEqual(new Set(holders.map((e) => e.pid)), new Set(writes.map((v) => v.pid)));
    assert.ok(writes.filter((v) => v.pid !== w.pid).every((v) => v.tReply! < rel.tReq), 'the other writer was done');

    const one = createdWrites(all, 'one.bin').writes;
    const two = createdWrites(all, 'two.bin').writes;
    assert.deepEqual([one.length, two.length], [8, 8]);
    assert.ok(one.some((a) => two.some((b) => together(a, b))), 'WRITEs of the two files in flight together');
    assert.deepEqual([maxInFlight(one), maxInFlight(two)], [1, 1]);

    const r = run(name);
    assert.ok(!kindsOf(r).some((k) => k === 'reordered-handle-ops' || k === 'parallel-write-beyond-size' || k === 'overlapping-parallel-writes'));
    const sizes = Object.fromEntries(r.model.files.filter((f) => ['/pair.bin', '/one.bin', '/two.bin', '/data'].includes(f.path)).map((f) => [f.path, [f.reportedSize, f.daemonSize]]));
    assert.deepEqual(sizes, { '/pair.bin': [524288, 524288], '/one.bin': [524288, 524288], '/two.bin': [524288, 524288], '/data': [9009, 9009] });
  });

  it('ends on direct.bin: CREATE with O_DIRECT, the WRITE of 4 KiB answered EIO, then the kernel\'s SETATTR size 0 on the same fh, read by the daemon and never answered: the capture\'s last message; one unanswered-request, true, and no other finding', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const { create, node } = createdWrites(all, 'direct.bin');
    assert.equal(create.req.readUInt32LE(40) & 0o40000, 0o40000, 'O_DIRECT');
    const own = all.filter((e) => e.nodeid === node && e.opcode !== Op.STATFS && e.tReq > create.tReq);
    assert.deepEqual(own.map((e) => [e.opcode, e.replyError]), [[Op.WRITE, -5], [Op.SETATTR, undefined]]);
    const [write, setattr] = own as [RawExchange, RawExchange];
    assert.deepEqual([writeInfo(write).offset, writeInfo(write).size, writeInfo(write).writeFlags & 2], [0, 4096, 2]);
    assert.equal(setattr.req.readUInt32LE(40) & (1 << 3), 1 << 3, 'FATTR_SIZE');
    assert.equal(Number(setattr.req.readBigUInt64LE(56)), 0);
    assert.equal(setattr.req.readBigUInt64LE(48), reqFh(write), 'fuse_setattr_in.fh');
    assert.equal(setattr.reply, undefined);
    assert.ok(all.every((e) => e.tReq <= setattr.tReq && (e.tReply ?? 0) <= setattr.tReq), 'nothing after it');

    const r = run(name);
    assert.deepEqual(kindsOf(r), ['unanswered-request']);
    const f = r.model.findings[0]!;
    assert.deepEqual([f.path, f.uniques.map(Number), f.details.opcode, f.details.inFlightNs], ['/direct.bin', [Number(setattr.unique)], 'SETATTR', 0]);
  });
});

/**
 * smbnetfs 0.6.3 (libfuse 2.9, libsmbclient) over a share of a Samba smbd on 127.0.0.1, SMB1 (NT1;
 * with SMB2/3 its fstat of an open file fails EINVAL and an O_APPEND open ENXIO). The share's
 * files are under /127.0.0.1/share of the mount. While the mount held `shared` open, the script cut
 * it to 100,000 bytes on the server and later appended 5000 there: the kernel's cached size went
 * stale both ways, and the capture shows both.
 */
describe('smbnetfs (a Samba share on 127.0.0.1, SMB1)', { skip: has('thirdparty-smbnetfs.pcapng') }, () => {
  const name = 'thirdparty-smbnetfs.pcapng';
  const share = '/127.0.0.1/share';
  it('negotiates 7.19 with FUSE_ASYNC_READ|FUSE_EXPORT_SUPPORT (no BIG_WRITES), 4 threads, peak 3 in flight; CREATE ENOSYS once, then files by MKNOD and OPEN; FLUSH, LINK, STATX ENOSYS; every GETXATTR EOPNOTSUPP; every OPEN answered open_flags 0; nodeid = ino; the host lists its one share; truncates, RENAMEs, UNLINKs OK', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    assert.deepEqual(initReplyWords(all), [19, 0x1 | 0x10, 131072]);
    assert.equal(peakInFlight(name), 3);
    const { exchanges } = dump(name);
    assert.equal(new Set(exchanges.map((x) => (x as unknown as { tid: number }).tid)).size, 4);
    const refused = exchanges.filter((x) => x.error_name === '-ENOSYS').map((x) => x.op).sort();
    assert.deepEqual(refused, ['CREATE', 'FLUSH', 'LINK', 'STATX']);
    const xattrs = exchanges.filter((x) => x.op === 'GETXATTR');
    assert.ok(xattrs.length >= 100 && xattrs.every((x) => x.error_name === '-EOPNOTSUPP'));
    const mknods = exchanges.filter((x) => x.op === 'MKNOD');
    assert.equal(mknods.length, 16);
    for (const x of [...mknods, ...exchanges.filter((e) => e.op === 'LOOKUP' && e.error === 0)]) {
      assert.equal((x.reply!.body as { fuse_entry_out: { nodeid: number } }).fuse_entry_out.nodeid, attrOf(x)!.ino, `#${x.unique}`);
    }
    const opens = all.filter((e) => e.opcode === Op.OPEN);
    assert.ok(opens.length >= 25);
    for (const e of opens) assert.equal(openReplyFlags(e), 0, `OPEN #${e.unique}`);
    assert.deepEqual(listings(name).get('/127.0.0.1'), [['.', '..', 'share']]);
    assert.deepEqual(all.filter((e) => e.opcode === Op.SETATTR).map((e) => [...setattrSizes(e), e.replyError]), [[1000, 1000, 0], [9000, 9000, 0]]);
    assert.deepEqual(['RENAME', 'UNLINK'].map((op) => exchanges.filter((x) => x.op === op).map((x) => x.error_name)), [['OK', 'OK'], Array(12).fill('OK')]);

    const r = run(name);
    assert.ok(r.model.findings.every((f) => f.path === `${share}/shared`), 'no finding but on shared');
    const data = r.model.files.find((f) => f.path === `${share}/data`)!;
    assert.deepEqual([data.reportedSize, data.daemonSize], [9009, 9009]);
  });

  it('two writers of one file fed in turn, O_DIRECT then through the page cache: interleaved, but the kernel sends their WRITEs one at a time (no FOPEN_PARALLEL_DIRECT_WRITES; page-cache writes under the inode lock), 8 of 64 KiB and 128 of 4 KiB (no BIG_WRITES), from 2 pids each, 0-512 KiB end to end, one starting past the end; no finding (none in flight together), max 1 concurrent write', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    for (const [file, count, size] of [['dio', 8, 65536], ['cached', 128, 4096]] as const) {
      const writes = writesOf(all, BigInt(entryNodeid(name, 'MKNOD', file)));
      assert.equal(writes.length, count, file);
      assert.ok(writes.every((w) => writeInfo(w).size === size && writeInfo(w).written === size), file);
      assert.equal(maxInFlight(writes), 1, `${file}: one at a time`);
      const { switches, overlapped } = interleaving(writes);
      assert.ok(switches >= 4, `${file}: the writers ran at the same time (${switches} switches)`);
      assert.equal(overlapped, false, `${file}: the kernel sent them one at a time`);
      assert.deepEqual(coverage(writes), { end: 512 << 10, pids: 2 }, file);
      let end = 0;
      let holes = 0;
      for (const w of writes.map(writeInfo)) {
        if (w.offset > end) holes++;
        end = Math.max(end, w.offset + w.size);
      }
      assert.ok(holes >= 1, `${file}: a WRITE starting past the end of the file, alone in flight`);
      const f = run(name).model.files.find((g) => g.path === `${share}/${file}`)!;
      assert.deepEqual([f.maxConcurrentWrites, f.daemonSize, f.reportedSize, f.findings], [1, 512 << 10, 512 << 10, 0], file);
    }
  });

  it('shared, cut to 100,000 on the server while held open with 262,144 cached: a READ at 245,760 (inside the cached size) answered 0 bytes, a pwrite at 200,000 sent as WRITEs of 704 and 3392 (inside the size the kernel still had), then GETATTR 204,096: a size-shrank-externally, true (the truncate was the server\'s, outside the capture)', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const node = BigInt(entryNodeid(name, 'MKNOD', 'shared'));
    const own = all.filter((e) => e.nodeid === node && e.reply).sort((a, b) => a.tReq - b.tReq);
    const attrSize = (e: RawExchange): number => Number(e.reply!.readBigUInt64LE(16 + 16 + 8));
    const getattrs = own.filter((e) => e.opcode === Op.GETATTR);
    assert.deepEqual([...new Set(getattrs.map(attrSize))], [262144, 204096, 249096]);
    assert.equal(getattrs[0]!.reply!.readBigUInt64LE(16), 1n, 'attr_valid 1 s');
    const read = own.find((e) => e.opcode === Op.READ && Number(e.req.readBigUInt64LE(48)) === 245760)!;
    assert.ok(read.tReq > getattrs[0]!.tReply! && read.tReq < getattrs[1]!.tReq, 'with 262,144 cached');
    assert.deepEqual([read.req.readUInt32LE(56), read.replyError, read.reply!.length - 16], [8192, 0, 0], 'nothing past the new end');
    const shrank = getattrs.find((e) => attrSize(e) === 204096)!;
    const between = own.filter((e) => e.tReq > read.tReq && e.tReq < shrank.tReq);
    assert.deepEqual(between.filter((e) => e.opcode === Op.WRITE).map((e) => [writeInfo(e).offset, writeInfo(e).size, writeInfo(e).written]), [[200000, 704, 704], [200704, 3392, 3392]]);
    assert.ok(!own.some((e) => e.opcode === Op.SETATTR), 'no truncate through the mount');

    const r = run(name);
    assert.deepEqual(kindsOf(r), ['size-shrank-externally', 'size-grew-externally']);
    const f = r.model.findings[0]!;
    assert.deepEqual([f.path, f.uniques.map(Number), f.details], [`${share}/shared`, [Number(shrank.unique)],
      { reportedSize: 204096, daemonSize: 262144, shrankBy: 58048, kernelSizeBefore: 245760, opcode: 'GETATTR', correlatedConns: [] }]);
  });

  it('after the server appended 5000 bytes (244,096 -> 249,096), the O_APPEND fd\'s WRITE of 27 bytes comes at 244,096, the size the kernel knew from its own writes: inside the file, over the server\'s bytes; the next GETATTR says 249,096 with no WRITE past 244,123: a size-grew-externally, true (the server\'s append); whether the append overwrote its bytes the capture cannot show, and the finding does not say', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const node = BigInt(entryNodeid(name, 'MKNOD', 'shared'));
    const writes = writesOf(all, node);
    const O_APPEND = 0o2000;
    const appends = writes.filter((w) => writeInfo(w).flags & O_APPEND);
    assert.deepEqual(appends.map((w) => [writeInfo(w).offset, writeInfo(w).size, writeInfo(w).written]), [[244096, 27, 27]]);
    const direct = writes.filter((w) => writeInfo(w).flags & 0o40000);
    assert.deepEqual(direct.map((w) => writeInfo(w).offset).sort(), [220000, 240000]);
    assert.equal(maxInFlight(direct), 1);
    const cut = all.find((e) => e.opcode === Op.READ && e.nodeid === node && Number(e.req.readBigUInt64LE(48)) === 245760)!;
    assert.equal(Math.max(...writes.filter((w) => w.tReq > cut.tReq).map((w) => writeInfo(w).offset + writeInfo(w).size)), 244123);
    const after = all.filter((e) => e.opcode === Op.GETATTR && e.nodeid === node && e.tReq > appends[0]!.tReply!);
    assert.ok(after.length >= 1);
    for (const e of after) assert.equal(Number(e.reply!.readBigUInt64LE(16 + 16 + 8)), 249096);

    const r = run(name);
    const f = r.model.files.find((g) => Number(g.nodeid) === Number(node))!;
    assert.deepEqual([f.path, f.reportedSize, f.daemonSize, f.findings], [`${share}/shared.old (deleted)`, 249096, 249096, 2]);
    const grew = r.model.findings.find((g) => g.kind === 'size-grew-externally')!;
    assert.deepEqual([grew.severity, grew.uniques.map(Number), grew.details.daemonSize, grew.details.reportedSize, grew.details.kernelSizeBefore],
      ['info', [Number(after[0]!.unique)], 244123, 249096, 244123]);
  });
});

/**
 * ffmpegfs 2.13 (libfuse 2.9, FFmpeg 5.1) serving album/a440.wav, album/b660.flac and clip.mkv as
 * a440.wav.mp3, b660.flac.mp3 and clip.mkv.mp4, transcoded when read (no prebuffering). Until a file
 * is transcoded ffmpegfs reports a size it estimated from the source, far larger for the MP3s; after,
 * the real one. Every OPEN is answered FOPEN_DIRECT_IO, so every read goes to the daemon and a short
 * READ does not cut the kernel's size (fuse-protocol.md 5.3): the kernel keeps the estimate until a
 * LOOKUP or GETATTR gives the real size, with nothing truncating or writing the files. Each such
 * report is a size-shrank-externally, and true: the size shrank with no truncate on the connection,
 * done by the daemon itself (a case the detector's doc names).
 */
describe('ffmpegfs (audio and video transcoded on the fly)', { skip: has('thirdparty-ffmpegfs.pcapng') }, () => {
  const name = 'thirdparty-ffmpegfs.pcapng';
  const O_DIRECT = 0o40000;
  const ESPIPE = -29;
  const readAt = (e: RawExchange): number => Number(e.req.readBigUInt64LE(48));
  /** Bytes a READ returned, as the reply header counts them (the data may be cut at the snap length). */
  const got = (e: RawExchange): number => e.reply!.readUInt32LE(0) - 16;
  /** The node of each transcoded file by name, and its sizes as LOOKUP and GETATTR replies gave them, in reply order. */
  function files(all: RawExchange[]): Map<string, { node: bigint; sizes: { e: RawExchange; size: number }[] }> {
    const out = new Map<string, { node: bigint; sizes: { e: RawExchange; size: number }[] }>();
    for (const x of entriesOf(all)) if (/\.mp[34]$/.test(x.name)) out.set(x.name, { node: x.nodeid, sizes: [] });
    const attrSize = (e: RawExchange): number => Number(e.reply!.readBigUInt64LE(e.opcode === Op.LOOKUP ? 16 + 40 + 8 : 16 + 16 + 8));
    const reports = all.filter((e) => (e.opcode === Op.LOOKUP || e.opcode === Op.GETATTR) && e.replyError === 0).sort((a, b) => a.tReply! - b.tReply!);
    for (const f of out.values()) {
      const mine = reports.filter((e) => (e.opcode === Op.LOOKUP ? e.reply!.readBigUInt64LE(16) : e.nodeid) === f.node);
      f.sizes = mine.map((e) => ({ e, size: attrSize(e) }));
    }
    return out;
  }

  it('negotiates 7.19 with FUSE_EXPORT_SUPPORT alone, 3 threads, peak 2 in flight; every OPEN read-only and answered FOPEN_DIRECT_IO, with one fh per file; each file reported at its estimate until transcoded, then at its real size (282,896 -> 33,090, 295,342 -> 42,913, 83,045 -> 76,166) with no write or truncate: three size-shrank-externally, true; the kernel kept the estimate (short READs on direct-I/O handles leave it)', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    assert.deepEqual(initReplyWords(all), [19, 0x10, 131072]);
    assert.equal(peakInFlight(name), 2);
    const { exchanges } = dump(name);
    assert.equal(new Set(exchanges.map((x) => (x as unknown as { tid: number }).tid)).size, 3);
    const opens = all.filter((e) => e.opcode === Op.OPEN);
    assert.equal(opens.length, 10);
    for (const e of opens) {
      assert.equal(openReplyFlags(e), 0x1, `OPEN #${e.unique}: FOPEN_DIRECT_IO`);
      assert.equal(e.req.readUInt32LE(40) & (0o3 | 0o1000), 0, `OPEN #${e.unique}: O_RDONLY, no O_TRUNC`);
    }
    for (const node of new Set(opens.map((e) => e.nodeid))) {
      assert.equal(new Set(opens.filter((e) => e.nodeid === node).map((e) => e.reply!.readBigUInt64LE(16))).size, 1, `one fh for node ${node}`);
    }
    assert.ok(!all.some((e) => ([Op.SETATTR, Op.WRITE, Op.CREATE, Op.MKNOD] as number[]).includes(e.opcode)), 'nothing writes or truncates');

    const f = files(all);
    const runs = (sizes: { size: number }[]): [number, number][] =>
      sizes.reduce<[number, number][]>((acc, { size }) => (acc.at(-1)?.[0] === size ? (acc.at(-1)![1]++, acc) : [...acc, [size, 1]]), []);
    assert.deepEqual(Object.fromEntries([...f].map(([n, x]) => [n, runs(x.sizes)])), {
      'a440.wav.mp3': [[282896, 2], [33090, 3]],
      'b660.flac.mp3': [[295342, 1], [42913, 1]],
      'clip.mkv.mp4': [[83045, 1], [76166, 3]],
    });
    // Between the last estimate and the first real size: READs answered short (a page-cache read would cut the kernel's size there), all on direct-I/O handles.
    const shrinks = [...f].map(([n, x]) => {
      const i = x.sizes.findIndex((s) => s.size < x.sizes[0]!.size);
      const before = x.sizes[i - 1]!;
      const reads = all.filter((e) => e.opcode === Op.READ && e.nodeid === x.node && e.tReq > before.e.tReply! && e.tReply! < x.sizes[i]!.e.tReq);
      assert.ok(reads.some((e) => e.replyError === 0 && got(e) < e.req.readUInt32LE(56)), `${n}: a short READ before the real size was reported`);
      return { name: n, at: x.sizes[i]!.e, estimate: before.size, size: x.sizes[i]!.size };
    });
    const aClip = shrinks.find((s) => s.name === 'clip.mkv.mp4')!;
    assert.equal(aClip.at.opcode, Op.GETATTR);

    const r = run(name);
    assert.deepEqual(kindsOf(r), ['size-shrank-externally', 'size-shrank-externally', 'size-shrank-externally']);
    const byUnique = new Map(r.model.findings.map((g) => [Number(g.uniques[0]), g]));
    for (const s of shrinks) {
      const g = byUnique.get(Number(s.at.unique));
      assert.ok(g, `${s.name}: the finding is at the first report of the real size, #${s.at.unique}`);
      assert.equal(g.path?.split('/').at(-1), s.name);
      assert.deepEqual(g.details, {
        reportedSize: s.size, daemonSize: s.estimate, shrankBy: s.estimate - s.size, kernelSizeBefore: s.estimate,
        opcode: s.at.opcode === Op.LOOKUP ? 'LOOKUP' : 'GETATTR', correlatedConns: [],
      }, s.name);
    }
    for (const file of r.model.files.filter((g) => g.path.endsWith('.mp3') || g.path.endsWith('.mp4'))) {
      const s = shrinks.find((x) => file.path.endsWith(`/${x.name}`))!;
      assert.deepEqual([file.reportedSize, file.daemonSize, file.findings], [s.size, s.size, 1], file.path);
    }
  });

  it('serves the estimate\'s last 128 bytes of an MP3 before transcoding (its ID3v1 tag, "TAG"); whole-file READs return the real size, the next READ there 0 bytes; the two cats\' READs of b660.flac.mp3 in flight together; past the real end: 0 bytes inside the estimate (the video transcoded inside that READ), -ESPIPE past the estimate and past the real end once it is known, sent although the kernel knew it (direct I/O); the O_DIRECT pread as 4 KiB READs; STATX, GETXATTR, FLUSH ENOSYS once each', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const f = files(all);
    const node = (n: string): bigint => f.get(n)!.node;
    const reads = all.filter((e) => e.opcode === Op.READ);
    const a440 = reads.filter((e) => e.nodeid === node('a440.wav.mp3'));
    const tag = a440[0]!;
    assert.deepEqual([readAt(tag), tag.req.readUInt32LE(56), tag.replyError, got(tag)], [282896 - 128, 128, 0, 128]);
    assert.equal(tag.reply!.toString('latin1', 16, 19), 'TAG');
    assert.ok(tag.tReply! < f.get('a440.wav.mp3')!.sizes.find((s) => s.size === 33090)!.e.tReq, 'before the real size was reported');

    const whole = reads.filter((e) => readAt(e) === 0);
    assert.deepEqual(whole.map((e) => [e.nodeid, got(e)]), [
      [node('a440.wav.mp3'), 33090], [node('b660.flac.mp3'), 42913], [node('b660.flac.mp3'), 42913], [node('clip.mkv.mp4'), 76166]]);
    for (const w of whole) {
      const next = reads.find((e) => e.tReq > w.tReply! && e.pid === w.pid)!;
      assert.deepEqual([readAt(next), next.replyError, got(next)], [got(w), 0, 0], `the READ after #${w.unique}`);
    }
    assert.ok(together(whole[1]!, whole[2]!), 'two readers of b660.flac.mp3 at once');
    assert.notEqual(whole[1]!.pid, whole[2]!.pid);

    const clip = reads.filter((e) => e.nodeid === node('clip.mkv.mp4'));
    assert.deepEqual([readAt(clip[0]!), clip[0]!.replyError, got(clip[0]!)], [77824, 0, 0]);
    assert.ok(clip[0]!.tReply! - clip[0]!.tReq > 10e6, 'the transcoding inside the READ');
    const refused = reads.filter((e) => e.replyError !== 0);
    assert.deepEqual(refused.map((e) => [e.nodeid, readAt(e), e.replyError]), [
      [node('clip.mkv.mp4'), 90112, ESPIPE], [node('a440.wav.mp3'), 61440, ESPIPE], [node('a440.wav.mp3'), 40960, ESPIPE]]);
    const known = f.get('a440.wav.mp3')!.sizes.find((s) => s.size === 33090)!.e;
    assert.ok(refused[1]!.tReq > known.tReply!, 'sent after the kernel learnt 33,090');
    const direct = reads.filter((e) => (e.req.readUInt32LE(72) & O_DIRECT) !== 0);
    assert.deepEqual(direct.map((e) => [readAt(e), e.req.readUInt32LE(56), e.replyError === 0 ? got(e) : e.replyError]), [
      [28672, 4096, 4096], [32768, 4096, 33090 - 32768], [40960, 4096, ESPIPE]]);

    const { exchanges } = dump(name);
    assert.deepEqual(exchanges.filter((x) => x.error_name === '-ENOSYS').map((x) => x.op).sort(), ['FLUSH', 'GETXATTR', 'STATX']);
  });
});

/** Data of a READ reply (after the 16-byte header), as far as the capture holds it. */
const readData = (e: RawExchange): string => e.reply!.subarray(16).toString('latin1');
/** fuse_read_in.offset and .size of a READ request. */
const readAt = (e: RawExchange): [number, number] => [Number(e.req.readBigUInt64LE(48)), e.req.readUInt32LE(56)];
/** attr.size of a GETATTR or SETATTR reply (fuse_attr_out: attr at 16 + 16, its size 8 bytes in). */
const replySize = (e: RawExchange): number => Number(e.reply!.readBigUInt64LE(16 + 16 + 8));

/**
 * owfs 3.2p4 (Debian's owfs-fuse) with `--fake=10,28,05`: three simulated 1-Wire devices, the
 * addresses drawn by the fake adapter (the same in every run here): a DS18S20 at 10.67C6697351FF, a
 * DS18B20 at 28.4AEC29CDBAAB, a DS2405 switch at 05.F2FBE3467CC2. Every file is a property the daemon
 * generates at each READ; its attributes give the property's fixed width, not what a read returns.
 */
describe('owfs --fake (simulated 1-Wire devices)', { skip: has('thirdparty-owfs.pcapng') }, () => {
  const name = 'thirdparty-owfs.pcapng';
  const T10 = '/10.67C6697351FF/temperature';
  const T28 = '/28.4AEC29CDBAAB/temperature';
  const TEMPS = [T10, T28, `/uncached${T10}`];
  const PIO = '/05.F2FBE3467CC2/PIO';
  const nodeOf = (path: string): bigint => BigInt(run(name).model.files.find((f) => f.path === path)!.nodeid);

  it('negotiates 7.19 with FUSE_ASYNC_READ|FUSE_EXPORT_SUPPORT, 4 daemon threads, peak 2 in flight; every OPEN answered FOPEN_DIRECT_IO with fh 0, so files open at once share fh 0: a RELEASE of one, then a short READ of another through fh 0 is still a direct read, and the kernel size view keeps 12', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    assert.deepEqual(initReplyWords(all), [19, 0x1 | 0x10, 131072]);
    assert.equal(new Set(dump(name).exchanges.map((x) => (x as unknown as { tid: number }).tid)).size, 4);
    assert.equal(peakInFlight(name), 2);
    const opens = all.filter((e) => e.opcode === Op.OPEN);
    assert.equal(opens.length, 49);
    assert.ok(opens.every((e) => e.replyError === 0 && openReplyFlags(e) === FOPEN_DIRECT_IO && e.reply!.readBigUInt64LE(16) === 0n), 'FOPEN_DIRECT_IO, fh 0');
    // A READ of node B answered short, after B's OPEN and after the RELEASE of another node A, B still open (no RELEASE of B between).
    const released = (node: bigint, from: number, to: number): boolean =>
      all.some((e) => e.opcode === Op.RELEASE && e.nodeid === node && e.tReq > from && e.tReq < to);
    const crossed = all.filter((rd) => rd.opcode === Op.READ && readData(rd).length > 0 && readData(rd).length < readAt(rd)[1] && all.some((o) =>
      o.opcode === Op.OPEN && o.nodeid === rd.nodeid && o.tReply! < rd.tReq && !released(rd.nodeid, o.tReq, rd.tReq) &&
      all.some((rel) => rel.opcode === Op.RELEASE && rel.nodeid !== rd.nodeid && rel.tReq > o.tReply! && rel.tReply! < rd.tReq)));
    assert.ok(crossed.length >= 5, `${crossed.length} short READs through fh 0 after another file's RELEASE of fh 0`);
    assert.ok(crossed.some((rd) => TEMPS.some((p) => nodeOf(p) === rd.nodeid)));

    // The kernel does not take a direct read's short answer for the end of the file: no short-read size event, kernel size 12.
    const r = run(name);
    for (const p of TEMPS) {
      const f = r.model.files.find((g) => g.path === p)!;
      assert.deepEqual(f.openFlags, ['FOPEN_DIRECT_IO']);
      assert.ok(!f.sizeHistory.some((e) => e.event === 'short-read'), `${p}: no short-read`);
      assert.deepEqual([f.reportedSize, f.daemonSize, f.kernelSize['0']], [12, 12, 12], p);
    }
  });

  it('generated values: the temperatures are 12 bytes by their attributes, every READ gets a new random reading of 6 or 7 bytes; after 6 the next READ (at 6) returns the 7th byte of another reading, so cat\'s text is torn; id is 12 of 12, type 7 of 32; no finding on them', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    for (const p of TEMPS) {
      const node = nodeOf(p);
      const own = all.filter((e) => e.nodeid === node && e.replyError === 0);
      const sizes = own.filter((e) => e.opcode === Op.GETATTR).map(replySize);
      assert.ok(sizes.length >= 9 && sizes.every((s) => s === 12), `${p}: attr.size ${[...new Set(sizes)].join(', ')}`);
      const first = own.filter((e) => e.opcode === Op.READ && readAt(e)[0] === 0).map(readData);
      assert.ok(first.length >= 10, `${p}: ${first.length} readings`);
      assert.ok(first.every((v) => (v.length === 6 || v.length === 7) && /^\d+\.\d+$/.test(v)), `${p}: ${first.join(' ')}`);
      assert.ok(new Set(first).size >= first.length - 1, `${p}: a new reading each time`);
    }
    // The 28's temperature: "2.0023" then, at offset 6, "2"; "23.828" then "4".
    const torn = all.filter((e) => e.opcode === Op.READ && e.nodeid === nodeOf(T28) && readAt(e)[0] === 6 && readData(e).length === 1);
    assert.ok(torn.length >= 2, `${torn.length} READs at 6 answered one byte`);
    for (const e of torn) {
      const before = all.filter((b) => b.opcode === Op.READ && b.nodeid === e.nodeid && b.pid === e.pid && b.tReply! <= e.tReq).at(-1)!;
      assert.deepEqual([readAt(before)[0], readData(before).length], [0, 6]);
    }
    const dev10 = (file: string): RawExchange[] => {
      const node = nodeOf(`/10.67C6697351FF/${file}`);
      return all.filter((e) => e.nodeid === node && e.replyError === 0);
    };
    for (const [file, size, text] of [['id', 12, '67C6697351FF'], ['type', 32, 'DS18S20']] as const) {
      const own = dev10(file);
      const sizes = own.filter((e) => e.opcode === Op.GETATTR).map(replySize);
      assert.ok(sizes.length >= 2 && sizes.every((s) => s === size), `${file}: ${sizes.join(', ')}`);
      const reads = own.filter((e) => e.opcode === Op.READ);
      assert.deepEqual(reads.map((e) => [readAt(e)[0], readData(e)]), Array.from({ length: 3 }, () => [[0, text], [text.length, '']]).flat());
    }
    const r = run(name);
    const judged = new Set(r.model.findings.map((f) => f.path));
    for (const p of [...TEMPS, '/10.67C6697351FF/id', '/10.67C6697351FF/type']) assert.ok(!judged.has(p), p);
  });

  it('PIO (1 byte by its attributes): `echo 1 >` is an OPEN and a SETATTR size 0 (no FUSE_ATOMIC_O_TRUNC) answered attr.size 1, then WRITE "1\\n" answered 2 bytes; the next GETATTR says 1 and the READ returns 1 byte, "0" (the fake switch keeps no value): size-shrank-externally twice, true: 2 bytes acknowledged, 1 byte after, no truncate between; truncate-size-mismatch on each SETATTR, true: 0 asked, 1 answered; no other finding', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const node = nodeOf(PIO);
    const own = all.filter((e) => e.nodeid === node && e.opcode !== Op.OPEN && e.opcode !== Op.RELEASE);
    const seq = own.map((e) => {
      if (e.opcode === Op.SETATTR) return `SETATTR ${Number(e.req.readBigUInt64LE(56))} -> ${replySize(e)}`;
      if (e.opcode === Op.WRITE) return `WRITE ${JSON.stringify(e.req.subarray(80).toString('latin1'))} -> ${writeInfo(e).written}`;
      if (e.opcode === Op.READ) return `READ ${readAt(e)[0]} ${JSON.stringify(readData(e))}`;
      return `${e.opcode === Op.GETATTR ? 'GETATTR' : e.opcode} -> ${replySize(e)}`;
    });
    assert.deepEqual(seq, [
      'SETATTR 0 -> 1', 'WRITE "1\\n" -> 2', 'GETATTR -> 1', 'READ 0 "0"', 'READ 1 ""',
      'SETATTR 0 -> 1', 'WRITE "0\\n" -> 2', 'GETATTR -> 1', 'READ 0 "1"', 'READ 1 ""',
    ]);
    const getattrs = own.filter((e) => e.opcode === Op.GETATTR);

    const setattrs = own.filter((e) => e.opcode === Op.SETATTR);

    const r = run(name);
    assert.deepEqual(kindsOf(r).sort(), ['size-shrank-externally', 'size-shrank-externally', 'truncate-size-mismatch', 'truncate-size-mismatch']);
    const shrank = r.model.findings.filter((f) => f.kind === 'size-shrank-externally');
    for (const [i, f] of shrank.entries()) {
      assert.deepEqual([f.path, f.uniques.map(Number)], [PIO, [Number(getattrs[i]!.unique)]]);
      assert.deepEqual([f.details.reportedSize, f.details.daemonSize], [1, 2]);
    }
    const mismatched = r.model.findings.filter((f) => f.kind === 'truncate-size-mismatch');
    for (const [i, f] of mismatched.entries()) {
      assert.deepEqual([f.path, f.uniques.map(Number), f.details.asked, f.details.answered], [PIO, [Number(setattrs[i]!.unique)], 0, 1]);
    }
  });
});

/**
 * fuse-python 1.0.5's example xmp.py (Debian's python3-fuse: a passthrough of a directory over
 * libfuse 2.9's high-level API), run as shipped: its main() turns multithreading off.
 */
describe('fuse-python example xmp.py (one thread)', { skip: has('thirdparty-fuse-python.pcapng') }, () => {
  const name = 'thirdparty-fuse-python.pcapng';
  it('negotiates 7.19 with FUSE_ASYNC_READ|FUSE_POSIX_LOCKS|FUSE_EXPORT_SUPPORT (no FUSE_BIG_WRITES: WRITEs of 4 KiB at most); one daemon thread, one request in flight at a time; CREATE answered (the file class makes it), every open answered flags 0', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    assert.deepEqual(initReplyWords(all), [19, 0x1 | 0x2 | 0x10, 131072]);
    assert.equal(new Set(dump(name).exchanges.map((x) => (x as unknown as { tid: number }).tid)).size, 1);
    assert.equal(peakInFlight(name), 1);
    const writes = all.filter((e) => e.opcode === Op.WRITE);
    assert.equal(writes.length, 147);
    assert.ok(writes.every((w) => writeInfo(w).size <= 4096 && writeInfo(w).written === writeInfo(w).size));
    const opens = all.filter((e) => e.opcode === Op.OPEN || e.opcode === Op.CREATE);
    assert.deepEqual([opens.filter((e) => e.opcode === Op.CREATE).length, opens.length], [15, 24]);
    assert.ok(opens.every((e) => e.replyError === 0 && openReplyFlags(e) === 0));
  });

  it('two writers of pair.bin through the page cache: 128 WRITEs of 4 KiB from 2 pids in runs, never two in flight, 0-512 KiB end to end; the truncate to 100,000 answered attr.size 100000 and the READ after it gets 100,000 of 102,400 asked; /data as written (9009 bytes read); no finding', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const { node, writes } = createdWrites(all, 'pair.bin');
    assert.equal(writes.length, 128);
    assert.ok(writes.every((w) => writeInfo(w).size === 4096 && writeInfo(w).written === 4096));
    const { switches, overlapped } = interleaving(writes);
    assert.ok(switches >= 3, `${switches} switches between the writers`);
    assert.equal(overlapped, false);
    assert.deepEqual(coverage(writes), { end: 512 << 10, pids: 2 });
    const cut = all.filter((e) => e.opcode === Op.SETATTR && e.nodeid === node);
    assert.deepEqual(cut.map((e) => [Number(e.req.readBigUInt64LE(56)), replySize(e)]), [[100000, 100000]]);
    const last = all.filter((e) => e.opcode === Op.READ && e.nodeid === node).at(-1)!;
    assert.ok(last.tReq > cut[0]!.tReply!);
    assert.deepEqual([readAt(last), last.reply!.readUInt32LE(0) - 16], [[0, 102400], 100000]);
    const data = BigInt(entryNodeid(name, 'CREATE', 'data'));
    const read = all.filter((e) => e.opcode === Op.READ && e.nodeid === data);
    assert.deepEqual(read.map((e) => e.reply!.readUInt32LE(0) - 16), [9009]);

    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    const sizes = Object.fromEntries(r.model.files.filter((f) => ['/pair.bin', '/data'].includes(f.path)).map((f) => [f.path, [f.reportedSize, f.daemonSize, f.kernelSize['0'], f.maxConcurrentWrites]]));
    assert.deepEqual(sizes, { '/pair.bin': [100000, 100000, 100000, 1], '/data': [9009, 9009, 9009, 1] });
  });
});

/** The notifications of a capture as `dump --json` decodes them, in capture order. */
interface DumpedNotify { index: number; t_rel_ns: number; tid: number; op: string; body: Record<string, Record<string, number | string>> }
function notifications(name: string): DumpedNotify[] {
  const r = runCli(['dump', '--json', fx(name)]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> })
    .filter((l) => l.type === 'message' && l.data.kind === 'notify')
    .map((l) => {
      const d = l.data as { index: number; t_rel_ns: number; tid: number; decoded: { op: string; body: DumpedNotify['body'] } };
      return { index: d.index, t_rel_ns: d.t_rel_ns, tid: d.tid, op: d.decoded.op, body: d.decoded.body };
    });
}

/** The notifications as the independent reader sees them: code, and the body after the 16-byte header. */
const rawNotifications = (name: string): { code: number; body: Buffer }[] =>
  readPcapng(fx(name)).messages.filter((m) => m.dir === 2 && m.data.readBigUInt64LE(8) === 0n)
    .map((m) => ({ code: m.data.readInt32LE(4), body: m.data.subarray(16) }));

describe('libfuse 3.18.2 notify_store_retrieve', { skip: has('thirdparty-libfuse-notify-store-retrieve.pcapng') }, () => {
  const name = 'thirdparty-libfuse-notify-store-retrieve.pcapng';
  const CONTENT = /^The current time is \d\d:\d\d:\d\d\n$/;

  it('decodes each second\'s NOTIFY_STORE (node 2, offset 0, the 29 bytes of current_time) and NOTIFY_RETRIEVE (notify_unique 1, 2, 3; 128 bytes at 0) as the bytes say', () => {
    const n = notifications(name);
    const raw = rawNotifications(name);
    assert.deepEqual(raw.map((x) => x.code), [4, 5, 4, 5, 4, 5]);
    assert.deepEqual(n.map((x) => x.op), ['STORE', 'RETRIEVE', 'STORE', 'RETRIEVE', 'STORE', 'RETRIEVE']);
    for (const [i, x] of n.entries()) {
      const b = raw[i]!.body;
      if (x.op === 'STORE') {
        // fuse_notify_store_out: nodeid, offset, size, padding; then size bytes.
        assert.deepEqual(x.body.fuse_notify_store_out, { nodeid: Number(b.readBigUInt64LE(0)), offset: Number(b.readBigUInt64LE(8)), size: b.readUInt32LE(16) });
        assert.deepEqual(x.body.fuse_notify_store_out, { nodeid: 2, offset: 0, size: 29 });
        assert.deepEqual(x.body.data, { length: 29, captured: 29 });
        assert.match(b.subarray(24).toString(), CONTENT);
      } else {
        // fuse_notify_retrieve_out: notify_unique, nodeid, offset, size, padding.
        assert.deepEqual(x.body.fuse_notify_retrieve_out, {
          notify_unique: Number(b.readBigUInt64LE(0)), nodeid: Number(b.readBigUInt64LE(8)), offset: Number(b.readBigUInt64LE(16)), size: b.readUInt32LE(24),
        });
        assert.deepEqual(x.body.fuse_notify_retrieve_out, { notify_unique: (i + 1) / 2, nodeid: 2, offset: 0, size: 128 });
      }
    }
  });

  it('each RETRIEVE is answered by one NOTIFY_REPLY request carrying its notify_unique: node 2, offset 0, the 29 bytes just stored (the cached size caps the 128 asked); none counted unanswered, orphan or duplicate', () => {
    const { exchanges, summary } = dump(name);
    const replies = exchanges.filter((x) => x.op === 'NOTIFY_REPLY');
    assert.deepEqual(replies.map((x) => x.unique), [1, 2, 3]);
    for (const x of replies) {
      assert.equal(x.nodeid, 2);
      assert.deepEqual(x.request.body.fuse_notify_retrieve_in, { offset: 0, size: 29 });
      assert.equal(x.reply_ns, null, 'no reply to a NOTIFY_REPLY');
    }
    // The independent reader: each NOTIFY_REPLY comes after its RETRIEVE was written (in time; in capture order one of
    // them is recorded first) and carries the bytes the STORE before it pushed.
    const cap = readPcapng(fx(name));
    const stores = cap.messages.filter((m) => m.dir === 2 && m.data.readBigUInt64LE(8) === 0n && m.data.readInt32LE(4) === 4);
    const retrieves = cap.messages.filter((m) => m.dir === 2 && m.data.readBigUInt64LE(8) === 0n && m.data.readInt32LE(4) === 5);
    const nreplies = cap.messages.filter((m) => m.dir === 1 && m.data.readUInt32LE(4) === Op.NOTIFY_REPLY);
    assert.equal(nreplies.length, 3);
    for (const [i, r] of retrieves.entries()) {
      const answer = nreplies.filter((m) => m.data.readBigUInt64LE(8) === r.data.readBigUInt64LE(16));
      assert.equal(answer.length, 1, `one NOTIFY_REPLY for notify_unique ${i + 1}`);
      assert.ok(answer[0]!.t >= stores[i]!.t);
      assert.deepEqual(answer[0]!.data.subarray(80), stores[i]!.data.subarray(40));
    }
    assert.equal(summary.unanswered, 0);
    assert.equal(summary.orphan_replies, 0);
    assert.equal(summary.duplicate_uniques, 0);
  });

  it('the size views take each STORE as a store event at 29 bytes that leaves the kernel\'s size at 29 (it ends at the cached size); no finding', () => {
    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    assert.equal(r.model.connections[0]!.notifications, 6);
    const f = r.model.files.find((x) => x.path === '/current_time')!;
    const stores = f.sizeHistory.filter((e) => e.event === 'store');
    assert.equal(stores.length, 3);
    for (const e of stores) assert.deepEqual([e.value, e.kernelSize, e.daemonSize, e.reportedSize], [29, 29, 29, 29]);
    assert.deepEqual([f.reportedSize, f.daemonSize, f.kernelSize['0']], [29, 29, 29]);
  });
});

describe('libfuse 3.18.2 notify_inval_entry', { skip: has('thirdparty-libfuse-notify-inval-entry.pcapng') }, () => {
  const name = 'thirdparty-libfuse-notify-inval-entry.pcapng';

  it('decodes each NOTIFY_INVAL_ENTRY as parent 1 and the name the kernel last looked up, which a FORGET of node 2 follows', () => {
    const n = notifications(name);
    const raw = rawNotifications(name);
    assert.deepEqual(raw.map((x) => x.code), [3, 3, 3]);
    const { exchanges } = dump(name);
    const lookups = exchanges.filter((x) => x.op === 'LOOKUP').map((x) => x.request.body.name as string);
    assert.equal(lookups.length, 4);
    for (const l of lookups) assert.match(l, /^Time_is_\d\dh_\d\dm_\d\ds$/);
    assert.deepEqual(n.map((x) => x.op), ['INVAL_ENTRY', 'INVAL_ENTRY', 'INVAL_ENTRY']);
    for (const [i, x] of n.entries()) {
      // fuse_notify_inval_entry_out: parent, namelen, flags; then the name and a NUL.
      const b = raw[i]!.body;
      const namelen = b.readUInt32LE(8);
      assert.deepEqual(x.body.fuse_notify_inval_entry_out, { parent: Number(b.readBigUInt64LE(0)), namelen, flags: b.readUInt32LE(12), flags_names: '0' });
      assert.deepEqual(x.body.fuse_notify_inval_entry_out, { parent: 1, namelen: 19, flags: 0, flags_names: '0' });
      assert.equal(x.body.name, b.subarray(16, 16 + namelen).toString());
      assert.equal(x.body.name, lookups[i]);
    }
    const forgets = exchanges.filter((x) => x.op === 'FORGET');
    assert.deepEqual(forgets.map((x) => [x.nodeid, x.request.body.fuse_forget_in]), [[2, { nlookup: 1 }], [2, { nlookup: 1 }], [2, { nlookup: 1 }]]);
  });

  it('node 2 is a new file after each FORGET, named by its own lookup; no finding', () => {
    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    assert.equal(r.model.connections[0]!.notifications, 3);
    const { exchanges } = dump(name);
    const lookups = exchanges.filter((x) => x.op === 'LOOKUP').map((x) => `/${x.request.body.name as string}`);
    assert.deepEqual(r.model.files.filter((f) => f.nodeid === 2).map((f) => f.path).sort(), lookups.sort());
  });
});

/** The node a CREATE or MKNOD of `file` made (fuse_create_in and fuse_mknod_in are 16 bytes: the name follows at 56). */
function madeNode(all: RawExchange[], file: string): { made: RawExchange; node: bigint } {
  const made = all.find((e) => (e.opcode === Op.CREATE || e.opcode === Op.MKNOD) && e.replyError === 0
    && e.req.subarray(40 + 16).toString('latin1').startsWith(`${file}\0`));
  assert.ok(made, `CREATE or MKNOD of ${file}`);
  return { made, node: made.reply!.readBigUInt64LE(16) };
}

/** End of the furthest WRITE of `writes`; asserts each was answered whole. */
function writtenEnd(writes: RawExchange[]): number {
  assert.ok(writes.length > 0);
  for (const w of writes) assert.equal(writeInfo(w).written, writeInfo(w).size, `WRITE #${w.unique} answered whole`);
  return Math.max(...writes.map((w) => writeInfo(w).offset + writeInfo(w).size));
}

const FUSE_ASYNC_READ = 1;
const FUSE_EXPORT_SUPPORT = 1 << 4;

describe('fusepy (ctypes over libfuse 2, multi-threaded)', { skip: has('thirdparty-fusepy.pcapng') }, () => {
  const name = 'thirdparty-fusepy.pcapng';
  it('negotiates 7.19 with FUSE_ASYNC_READ|FUSE_EXPORT_SUPPORT from several threads; no FOPEN flag; a LINK is a node of its own; no two WRITEs of one file in flight though requests overlap; each file ends at the size written: no finding', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    assert.deepEqual(initReplyWords(all), [19, FUSE_ASYNC_READ | FUSE_EXPORT_SUPPORT, 131072]);
    assert.ok(new Set(readPcapng(fx(name)).messages.map((m) => m.tid)).size >= 2, 'several daemon threads');
    assert.ok(maxInFlight(all.filter((e) => e.reply)) >= 2, 'answered requests overlap');
    const opens = all.filter((e) => (e.opcode === Op.OPEN || e.opcode === Op.CREATE) && e.replyError === 0);
    assert.ok(opens.length >= 20);
    for (const e of opens) assert.equal(openReplyFlags(e), 0);
    const data = madeNode(all, 'data').node;
    const link = all.find((e) => e.opcode === Op.LINK)!;
    assert.equal(link.replyError, 0);
    assert.equal(link.req.readBigUInt64LE(40), data, 'LINK of data');
    assert.notEqual(link.reply!.readBigUInt64LE(16), data, 'answered with another node');
    for (const [file, end, count] of [['pair.bin', 524288, 128], ['pair-direct.bin', 524288, 8], ['four.bin', 1 << 20, 16]] as const) {
      const { node } = madeNode(all, file);
      const writes = writesOf(all, node);
      assert.equal(writes.length, count, file);
      assert.equal(writtenEnd(writes), end, file);
      assert.equal(interleaving(writes).overlapped, false, `${file}: one WRITE at a time`);
      const last = all.filter((e) => e.opcode === Op.GETATTR && e.nodeid === node).at(-1)!;
      assert.ok(last.tReq > writes.at(-1)!.tReply!);
      assert.equal(replySize(last), end, `${file}: GETATTR after the writes`);
    }
    assert.deepEqual(kindsOf(run(name)), []);
  });
});

describe('Ruby FuseFS (one thread, writes buffered to RELEASE)', { skip: has('thirdparty-ruby-fusefs.pcapng') }, () => {
  const name = 'thirdparty-ruby-fusefs.pcapng';
  it('answers SETATTR to 1000 and 9000 with size 0, and the kernel then appends at 0: the reply is the size; a truncate-size-mismatch on each SETATTR of /data, true', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    assert.equal(maxInFlight(all.filter((e) => e.reply)), 1, 'one request at a time (FORGET has no reply)');
    assert.deepEqual(all.filter((e) => e.opcode === Op.CREATE).map((e) => e.replyError), [-38]);
    const data = madeNode(all, 'data').node;
    const setattrs = all.filter((e) => e.opcode === Op.SETATTR && e.nodeid === data);
    assert.deepEqual(setattrs.map(setattrSizes), [[1000, 0], [9000, 0]]);
    const append = writesOf(all, data).filter((w) => w.tReq > setattrs.at(-1)!.tReply!);
    assert.deepEqual(append.map((w) => [writeInfo(w).offset, writeInfo(w).size]), [[0, 9]]);
    const r = run(name);
    const f = r.model.files.find((g) => g.path === '/data')!;
    assert.equal(f.reportedSize, 9);
    const onData = r.model.findings.filter((g) => g.path === '/data');
    assert.deepEqual(onData.map((g) => [g.kind, g.uniques.map(String), g.details.asked, g.details.answered]),
      setattrs.map((e) => ['truncate-size-mismatch', [String(e.unique)], ...setattrSizes(e)]));
    assert.equal(f.findings, 2);
  });

  it('a second open for writing is refused EACCES; the other writer\'s WRITEs are answered whole, yet after its RELEASE the GETATTR says 0 with no truncate between: size-shrank-externally on both files (and the two truncate-size-mismatch of /data), nothing else', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    const r = run(name);
    const expected: [string, number, number][] = [];
    for (const file of ['pair.bin', 'pair-direct.bin']) {
      const { node } = madeNode(all, file);
      // fuse_open_in.flags & O_ACCMODE: the two writers' opens, not the reads after them.
      const opens = all.filter((e) => e.opcode === Op.OPEN && e.nodeid === node && (e.req.readUInt32LE(40) & 3) !== 0);
      assert.deepEqual(opens.map((e) => e.replyError), [0, -13], `${file}: the second OPEN for writing refused EACCES`);
      const writes = writesOf(all, node);
      assert.equal(new Set(writes.map((w) => w.pid)).size, 1, `${file}: one writer`);
      const end = writtenEnd(writes);
      assert.ok(!all.some((e) => e.opcode === Op.SETATTR && e.nodeid === node), `${file}: no truncate`);
      const release = all.find((e) => e.opcode === Op.RELEASE && e.nodeid === node && e.tReq > writes.at(-1)!.tReply!)!;
      const after = all.find((e) => e.opcode === Op.GETATTR && e.nodeid === node && e.tReq > release.tReply!)!;
      assert.equal(replySize(after), 0, `${file}: GETATTR after the release`);
      expected.push([`/${file}`, Number(after.unique), end]);
    }
    const shrank = r.model.findings.filter((g) => g.kind !== 'truncate-size-mismatch');
    assert.deepEqual(kindsOf(r).sort(), ['size-shrank-externally', 'size-shrank-externally', 'truncate-size-mismatch', 'truncate-size-mismatch']);
    assert.deepEqual(
      shrank.map((g) => [g.path, g.uniques[0], g.details.daemonSize, g.details.reportedSize]),
      expected.map(([path, unique, end]) => [path, unique, end, 0]),
    );
  });
});

describe('xrootdfs (libfuse 2) over an xrootd server', { skip: has('thirdparty-xrootdfs.pcapng') }, () => {
  const name = 'thirdparty-xrootdfs.pcapng';
  it('negotiates 7.19 with FUSE_ASYNC_READ|FUSE_EXPORT_SUPPORT; answers a missing name with nodeid 0 (a negative entry); a second open for writing is refused EDEADLK and the file ends where the one writer left it; no finding', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    assert.deepEqual(initReplyWords(all), [19, FUSE_ASYNC_READ | FUSE_EXPORT_SUPPORT, 131072]);
    assert.ok(maxInFlight(all.filter((e) => e.reply)) >= 2, 'answered requests overlap');
    for (const e of all.filter((x) => (x.opcode === Op.OPEN || x.opcode === Op.CREATE) && x.replyError === 0)) assert.equal(openReplyFlags(e), 0);
    const lookups = all.filter((e) => e.opcode === Op.LOOKUP);
    assert.ok(lookups.length >= 10);
    for (const e of lookups) {
      assert.equal(e.replyError, 0);
      assert.equal(e.reply!.readBigUInt64LE(16), 0n, 'negative entry');
    }
    for (const file of ['pair.bin', 'pair-direct.bin']) {
      const { made, node } = madeNode(all, file);
      const opens = all.filter((e) => e.opcode === Op.OPEN && e.nodeid === node && e.tReq > made.tReq && e.tReq < made.tReq + 1e8);
      assert.equal(opens[0]!.replyError, -35, `${file}: the second writer's OPEN refused EDEADLK`);
      const writes = writesOf(all, node);
      assert.equal(new Set(writes.map((w) => w.pid)).size, 1, `${file}: one writer`);
      const end = writtenEnd(writes);
      const after = all.find((e) => e.opcode === Op.GETATTR && e.nodeid === node && e.tReq > writes.at(-1)!.tReply!)!;
      assert.equal(replySize(after), end, `${file}: GETATTR after the writes`);
    }
    assert.deepEqual(kindsOf(run(name)), []);
  });
});

/** Messages of `name` cut by the snap length: fewer bytes captured than crossed /dev/fuse. */
const snappedCount = (name: string): number => readPcapng(fx(name)).messages.filter((m) => m.data.length < m.origLen).length;

describe('rbd-fuse (RBD images of a one-node Ceph cluster)', { skip: has('thirdparty-rbd-fuse.pcapng') }, () => {
  const name = 'thirdparty-rbd-fuse.pcapng';
  it('negotiates 7.19 with FUSE_ASYNC_READ|FUSE_EXPORT_SUPPORT|FUSE_BIG_WRITES from several threads; every OPEN answered open_flags 0; two O_DIRECT writers of img1 never have two WRITEs in flight (no FOPEN_PARALLEL_DIRECT_WRITES); every GETXATTR answered OK (security.capability with size 0); img2 grown to 8 MiB by SETATTR; no finding, the one limitation the messages cut', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    assert.deepEqual(initReplyWords(all), [19, FUSE_ASYNC_READ | FUSE_EXPORT_SUPPORT | (1 << 5), 131072]);
    assert.ok(new Set(readPcapng(fx(name)).messages.map((m) => m.tid)).size >= 3, 'several daemon threads');
    assert.ok(maxInFlight(all.filter((e) => e.reply)) >= 3, 'answered requests overlap');
    const opens = all.filter((e) => e.opcode === Op.OPEN);
    assert.equal(opens.length, 6);
    for (const e of opens) assert.equal(openReplyFlags(e), 0);
    const { exchanges } = dump(name);
    const img1 = BigInt(entryNodeid(name, 'LOOKUP', 'img1'));
    const img2 = BigInt(entryNodeid(name, 'LOOKUP', 'img2'));
    const direct = writesOf(all, img1);
    assert.equal(direct.length, 32);
    assert.ok(direct.every((w) => writeInfo(w).size === 65536 && writeInfo(w).written === 65536 && (writeInfo(w).writeFlags & 2)), 'O_DIRECT, 64 KiB, whole');
    assert.equal(new Set(direct.map((w) => w.pid)).size, 2);
    assert.ok(interleaving(direct).switches >= 2, 'the two writers take turns');
    assert.equal(maxInFlight(direct), 1);
    assert.deepEqual(direct.map((w) => writeInfo(w).offset).sort((a, b) => a - b), Array.from({ length: 32 }, (_, i) => i * 65536));
    const cached = writesOf(all, img2);
    assert.equal(cached.length, 17);
    assert.ok(cached.every((w) => writeInfo(w).size === 4096 && writeInfo(w).written === 4096 && !(writeInfo(w).writeFlags & 2)));
    const xattrs = exchanges.filter((x) => x.op === 'GETXATTR');
    assert.ok(xattrs.length >= 50 && xattrs.every((x) => x.error === 0));
    assert.equal(xattrs.filter((x) => nameOf(x) === 'security.capability').length, 50, 'before each WRITE and the truncate');
    const grow = exchanges.filter((x) => x.op === 'SETATTR');
    assert.deepEqual(grow.map((x) => [x.nodeid, attrOf(x)!.size]), [[Number(img2), 8 * 2 ** 20]]);

    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    assert.deepEqual(r.model.limitations.map((l) => l.kind), ['snapped']);
    assert.equal(snappedCount(name), 113);
    assert.match(r.model.limitations[0]!.message, /^113 messages /);
  });
});

describe('Pike Fuse module (an in-memory file system, libfuse 2)', { skip: has('thirdparty-pike-fuse.pcapng') }, () => {
  const name = 'thirdparty-pike-fuse.pcapng';
  it('negotiates 7.19 with FUSE_ASYNC_READ|FUSE_POSIX_LOCKS|FUSE_EXPORT_SUPPORT (no BIG_WRITES); callbacks the script leaves out answer ENOSYS (LINK, GETXATTR, FLUSH; STATX); two page-cache writers of /two: 128 WRITEs of 4 KiB from two processes, one in flight at a time, 0-512 KiB end to end; no finding, the one limitation the messages cut', () => {
    const all = pairExchanges(readPcapng(fx(name))).exchanges;
    assert.deepEqual(initReplyWords(all), [19, FUSE_ASYNC_READ | 0x2 | FUSE_EXPORT_SUPPORT, 131072]);
    assert.ok(new Set(readPcapng(fx(name)).messages.map((m) => m.tid)).size >= 2, 'several daemon threads');
    const opens = all.filter((e) => (e.opcode === Op.OPEN || e.opcode === Op.CREATE) && e.replyError === 0);
    assert.ok(opens.length >= 15 && opens.every((e) => openReplyFlags(e) === 0));
    const { exchanges } = dump(name);
    for (const op of ['LINK', 'GETXATTR', 'FLUSH', 'STATX']) {
      const xs = exchanges.filter((x) => x.op === op);
      assert.equal(xs.length, 1, op);
      assert.equal(xs[0]!.error_name, '-ENOSYS', op);
    }
    // Every WRITE answered with its size: the script's write returns minus the count, which the glue negates.
    const writes = all.filter((e) => e.opcode === Op.WRITE);
    assert.ok(writes.every((w) => writeInfo(w).written === writeInfo(w).size && writeInfo(w).size <= 4096));
    const two = writesOf(all, BigInt(entryNodeid(name, 'CREATE', 'two')));
    assert.equal(two.length, 128);
    assert.equal(new Set(two.map((w) => w.pid)).size, 2);
    assert.equal(maxInFlight(two), 1);
    assert.deepEqual(two.map((w) => writeInfo(w).offset).sort((a, b) => a - b), Array.from({ length: 128 }, (_, i) => i * 4096));

    const r = run(name);
    assert.deepEqual(kindsOf(r), []);
    assert.deepEqual(r.model.limitations.map((l) => l.kind), ['snapped']);
    assert.equal(snappedCount(name), 136);
    assert.match(r.model.limitations[0]!.message, /^136 messages /);
  });
});
