import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Debian installs libfaketime under /usr/lib/<multiarch>/faketime/ (package `faketime`). */
export function libfaketime(): string {
  for (const arch of readdirSync('/usr/lib')) {
    const p = join('/usr/lib', arch, 'faketime', 'libfaketimeMT.so.1');
    if (existsSync(p)) return p;
  }
  throw new Error('libfaketime not found: install faketime (apt-get install faketime)');
}

/**
 * Environment that fakes a child's wall clock only, from a timestamp file re-read on every
 * call (libfaketime README: FAKETIME_TIMESTAMP_FILE, FAKETIME_NO_CACHE, and
 * FAKETIME_DONT_FAKE_MONOTONIC so timers and performance.now stay real). The library is
 * preloaded directly: the `faketime` wrapper's own FAKETIME variable would win over the file.
 */
export function wallClockOnlyEnv(stampFile: string): Record<string, string> {
  return {
    LD_PRELOAD: libfaketime(),
    FAKETIME_TIMESTAMP_FILE: stampFile,
    FAKETIME_NO_CACHE: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
}

/** Steps the wall clock of every process reading `stampFile` to real time + `seconds`. */
export function setFakeOffset(stampFile: string, seconds: number): void {
  writeFileSync(stampFile, `${seconds >= 0 ? '+' : ''}${Math.round(seconds)}\n`);
}
