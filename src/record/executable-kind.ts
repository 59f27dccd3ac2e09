/**
 * What kind of program a daemon is, as far as recording goes: the LD_PRELOAD
 * library sees only programs that call libc's read/write through the
 * dynamic loader. A Go program makes raw syscalls (even when dynamically
 * linked), and a static one has no loader to preload anything. A 32-bit
 * program cannot load the 64-bit library, and the syscall tracepoints the
 * eBPF recorder attaches to ignore 32-bit (compat) syscalls on x86
 * (ARCH_TRACE_IGNORE_COMPAT_SYSCALLS): strace sees them. A program built for
 * another machine runs under an emulator (qemu-user), whose syscalls are the
 * host's: eBPF sees them, the library (the host's) cannot load.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import { join } from 'node:path';

export type ExecutableKind = 'go' | 'static' | 'dynamic' | 'elf32' | 'foreign' | 'not-elf';

/** ELF e_machine of the machines fusetrace's recorders are built on (node's process.arch). */
const HOST_ELF_MACHINE: Partial<Record<string, number>> = { x64: 62, arm64: 183, ppc64: 21, riscv64: 243, s390x: 22, loong64: 258 };

/** The file `cmd` runs: itself when it has a slash, else the first match in PATH. */
export function resolveCommand(cmd: string): string | undefined {
  if (cmd.includes('/')) return cmd;
  for (const d of (process.env.PATH ?? '').split(':')) {
    if (!d) continue;
    const p = join(d, cmd);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

function readAt(fd: number, pos: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  const n = readSync(fd, b, 0, len, pos);
  return b.subarray(0, n);
}

/**
 * Reads the ELF headers of `file`: a 32-bit one is 'elf32', a 64-bit one
 * of another byte order or machine than this host's 'foreign'; of the
 * host's own, a `.go.buildinfo` section says Go, no PT_INTERP program header
 * says static. Anything unreadable or not an ELF is 'not-elf' (a script,
 * say, whose interpreter is what runs).
 */
export function executableKind(file: string): ExecutableKind {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return 'not-elf';
  }
  try {
    const h = readAt(fd, 0, 64);
    if (h.length < 20 || h.readUInt32BE(0) !== 0x7f454c46) return 'not-elf';
    if (h[4] === 1) return 'elf32';
    if (h[4] !== 2 || h.length < 64) return 'not-elf';
    const host = HOST_ELF_MACHINE[process.arch];
    if (h[5] !== (endianness() === 'LE' ? 1 : 2) || (host !== undefined && (h[5] === 1 ? h.readUInt16LE(18) : h.readUInt16BE(18)) !== host)) return 'foreign';
    if (h[5] !== 1) return 'not-elf';
    const size = statSync(file).size;
    const phoff = Number(h.readBigUInt64LE(32));
    const shoff = Number(h.readBigUInt64LE(40));
    const phentsize = h.readUInt16LE(54);
    const phnum = h.readUInt16LE(56);
    const shentsize = h.readUInt16LE(58);
    const shnum = h.readUInt16LE(60);
    const shstrndx = h.readUInt16LE(62);
    if (shoff > 0 && shentsize >= 64 && shnum > 0 && shstrndx < shnum && shoff + shnum * shentsize <= size) {
      const sh = readAt(fd, shoff, shnum * shentsize);
      const strHdr = shstrndx * shentsize;
      const strOff = Number(sh.readBigUInt64LE(strHdr + 24));
      const strSize = Number(sh.readBigUInt64LE(strHdr + 32));
      if (strOff + strSize <= size && strSize < 1 << 20) {
        const names = readAt(fd, strOff, strSize);
        for (let i = 0; i < shnum; i++) {
          const at = sh.readUInt32LE(i * shentsize);
          const end = names.indexOf(0, at);
          if (names.toString('latin1', at, end < 0 ? names.length : end) === '.go.buildinfo') return 'go';
        }
      }
    }
    if (phoff > 0 && phentsize >= 56 && phoff + phnum * phentsize <= size) {
      const ph = readAt(fd, phoff, phnum * phentsize);
      for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3 /* PT_INTERP */) return 'dynamic';
      return 'static';
    }
    return 'not-elf';
  } catch {
    return 'not-elf';
  } finally {
    closeSync(fd);
  }
}
