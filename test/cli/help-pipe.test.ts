/**
 * Help on a pipe whose reader is gone (`fusetrace record --help | head -1`
 * when head has exited): no stack trace, exit 0.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fusetraceBin } from '../helpers/mount.js';

function helpIntoClosedPipe(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [fusetraceBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    // Closed before the child has started Node, let alone written its help.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    child.on('close', (code) => res({ code, stderr }));
  });
}

test('--help into a closed pipe: quiet, exit 0', async () => {
  for (const args of [['--help'], ['record', '--help'], ['analyze', '--help']]) {
    const r = await helpIntoClosedPipe(args);
    assert.equal(r.stderr, '', `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.code, 0, args.join(' '));
  }
});
