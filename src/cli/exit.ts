// The CLI's exit codes and usage error, apart from common.ts so that `podglow --version` and
// `--help` load nothing else (SPEC §10).

/** Exit code for config and usage errors (SPEC §10). */
export const EXIT_CONFIG = 2;
/** Exit code for a failed poll or runtime failure. */
export const EXIT_FAILURE = 1;

/** Bad command-line usage; the CLI prints it and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
