/**
 * Unmounting what a killed daemon left behind: its FUSE mount stays in the
 * mount table, and every access fails with ENOTCONN ("Transport endpoint is
 * not connected") until someone unmounts it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Mount points of FUSE file systems in our mount namespace. */
function fuseMounts(): Set<string> {
  const out = new Set<string>();
  let text = '';
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fields = line.slice(0, sep).split(' ');
    const fstype = line.slice(sep + 3).split(' ')[0] ?? '';
    if (!/^fuse(blk)?(\.|$)/.test(fstype) || fields[4] === undefined) continue;
    // mountinfo escapes space, tab, newline and backslash as \ooo.
    out.add(fields[4].replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return out;
}

/**
 * True when `mnt` answers ENOTCONN: its daemon is gone. Asked in a child
 * process with a time limit, so that a mount whose daemon hangs cannot hang
 * us.
 */
function isDeadMount(mnt: string): boolean {
  const r = spawnSync('stat', ['-c', '%i', '--', mnt], { encoding: 'utf8', timeout: 5000, env: { ...process.env, LC_ALL: 'C' } });
  return r.status !== 0 && /Transport endpoint is not connected/.test(r.stderr ?? '');
}

/** Tries the unmount commands that exist here; true when `mnt` is gone from the mount table. */
function unmount(mnt: string): boolean {
  const tries: string[][] = [['fusermount3', '-u', '-z', mnt], ['fusermount', '-u', '-z', mnt]];
  if (process.getuid?.() === 0) tries.unshift(['umount', '-l', mnt]);
  for (const [cmd, ...args] of tries) {
    const r = spawnSync(cmd!, args, { stdio: 'ignore', timeout: 10000 });
    if (r.status === 0 || !fuseMounts().has(mnt)) return !fuseMounts().has(mnt);
  }
  return false;
}

export interface DeadMountOutcome {
  unmounted: string[];
  failed: string[];
}

/** Unmounts those of `mountpoints` that are FUSE mounts whose daemon is gone. */
export function unmountDead(mountpoints: string[]): DeadMountOutcome {
  const res: DeadMountOutcome = { unmounted: [], failed: [] };
  if (mountpoints.length === 0) return res;
  const mounted = fuseMounts();
  for (const m of mountpoints) {
    if (!mounted.has(m) || !isDeadMount(m)) continue;
    (unmount(m) ? res.unmounted : res.failed).push(m);
  }
  return res;
}
