/** The eBPF recorder (`fusetrace record --bpf`, build/ftrec-bpf) for real-mount tests. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fusetraceBin, makeTempDir, repoRoot, run } from './mount.js';

export const bpfRecorder = join(repoRoot, 'build', 'ftrec-bpf');

/** Why the eBPF recorder is not there, if it is not. */
export function bpfBuildSkipReason(): string | undefined {
  return existsSync(bpfRecorder) ? undefined : `${bpfRecorder} is not built (needs clang, bpftool, libbpf-dev; run npm run build)`;
}

/** argv of `fusetrace record --bpf -o out [opts] -- cmd`. */
export function bpfRecord(out: string, opts: string[], cmd: string[]): string[] {
  return [process.execPath, fusetraceBin, 'record', '--bpf', '-q', '-o', out, ...opts, '--', ...cmd];
}

/**
 * The recorder itself says whether this kernel lets it load (root is not
 * always enough: a container may refuse BPF): a run on `true`.
 */
export async function bpfLoadSkipReason(): Promise<string | undefined> {
  const dir = makeTempDir('bpf-probe');
  try {
    const r = await run(bpfRecorder, ['-q', '-o', dir.sub('p.pcapng'), '--', 'true'], { timeoutMs: 30000 });
    return r.code === 0 ? undefined : `the eBPF recorder cannot load here: ${r.stderr.trim().split('\n')[0]}`;
  } finally {
    dir.remove();
  }
}
