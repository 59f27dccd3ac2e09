/**
 * A lock held across processes for a test that changes, or depends on, a
 * setting of the whole machine (a sysctl, a module parameter). Test files run
 * two at a time, and other checkouts on the same machine run their own tests:
 * without it, one file's setting would leak into another's run, and two
 * files saving and restoring one value in overlapping order would leave the
 * wrong one behind.
 *
 * The lock is flock(1) on a file under the OS temp dir, held by a child
 * process until its stdin closes: the kernel releases it when that child
 * ends, so a test process that dies (killed by the runner's timeout) never
 * leaves it taken.
 */
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs `fn` while holding the machine-wide lock of `setting` (its path, e.g.
 * /proc/sys/fs/pipe-max-size), waiting as long as another process holds it.
 */
export async function withMachineLock<T>(setting: string, fn: () => Promise<T>): Promise<T> {
  const file = join(tmpdir(), `fusetrace-test${setting.replace(/[^A-Za-z0-9_-]+/g, '-')}.lock`);
  const holder = spawn('flock', [file, 'sh', '-c', 'echo locked; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  holder.stderr.on('data', (b: Buffer) => (err += b.toString()));
  await new Promise<void>((res, rej) => {
    holder.stdout.once('data', () => res());
    holder.once('error', (e) => rej(new Error(`flock ${file}: ${e.message} (util-linux)`)));
    holder.once('exit', (code) => rej(new Error(`flock ${file} exited ${String(code)} before taking the lock: ${err}`)));
  });
  try {
    return await fn();
  } finally {
    const gone = holder.exitCode === null && holder.signalCode === null ? new Promise((res) => holder.once('exit', res)) : undefined;
    holder.stdin.end();
    await gone;
  }
}
