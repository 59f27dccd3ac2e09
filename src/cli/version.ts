/**
 * The package version, read from package.json. Its own module because the
 * entry (main.ts) and the commands that stamp their output with it
 * (baseline, export, wireshark) both need it, and main.ts imports those
 * commands.
 */
import { readFileSync } from 'node:fs';

export function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return '0.0.0';
  }
}
