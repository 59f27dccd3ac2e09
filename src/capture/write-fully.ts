/**
 * The streaming outputs' file (CLI output, convert), written synchronously
 * and whole: standard output may be a non-blocking pipe, whose EAGAIN means
 * "wait for the reader", and a reader that went away (EPIPE) ends the output
 * quietly (`OutputClosed`) rather than as an error. Other errors name the
 * output and the system's reason (`writeError`).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { OutputClosed, writeError } from './errors.js';

/**
 * A command's output: a file opened for writing (replaced), or standard
 * output for `-`. Whatever fails (open, a write, a close: a network file
 * system may report a failed write only then) is worded by `writeError`
 * (exit 2); a reader gone away ends it quietly (`OutputClosed`).
 */
export class OutputFile {
  readonly fd: number;
  private readonly own: boolean;

  constructor(readonly path: string) {
    if (path === '-') {
      this.fd = 1;
      this.own = false;
      return;
    }
    try {
      this.fd = openSync(path, 'w');
    } catch (e) {
      throw writeError(path, e);
    }
    this.own = true;
  }

  write(b: Buffer): void {
    try {
      writeFullySync(this.fd, b);
    } catch (e) {
      if (e instanceof OutputClosed) throw e;
      throw writeError(this.path, e);
    }
  }

  close(): void {
    if (!this.own) return;
    try {
      closeSync(this.fd);
    } catch (e) {
      throw writeError(this.path, e);
    }
  }
}

function writeFullySync(fd: number, buf: Buffer): void {
  for (let off = 0; off < buf.length;) {
    try {
      off += writeSync(fd, buf, off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
        continue;
      }
      if (code === 'EPIPE') throw new OutputClosed();
      throw e;
    }
  }
}
