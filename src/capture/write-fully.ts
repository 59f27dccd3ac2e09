/**
 * Writes a whole buffer to a file descriptor synchronously, as the streaming
 * outputs (CLI output, convert) need: standard output may be a non-blocking
 * pipe, whose EAGAIN means "wait for the reader", and a reader that went away
 * (EPIPE) ends the output quietly (`OutputClosed`) rather than as an error.
 * Other errors are thrown as they are, for the caller to word.
 */
import { writeSync } from 'node:fs';
import { OutputClosed } from './errors.js';

export function writeFullySync(fd: number, buf: Buffer): void {
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
