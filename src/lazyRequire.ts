import { createRequire } from 'node:module';

/**
 * A loader for a package that is required on first call and kept: synchronous (its CommonJS
 * build), so config validation can use it, and a command that never calls it never pays for
 * it (STYLE: optional parts are loaded only when used).
 */
export function lazyRequire<T>(name: string): () => T {
  let mod: T | undefined;
  return () => (mod ??= createRequire(import.meta.url)(name) as T);
}
