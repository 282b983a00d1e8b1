const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Matches durations such as `500ms`, `10s`, `1.5m`, `1h30m`. */
export const DURATION_RE = /^(\d+(\.\d+)?(ms|s|m|h))+$/;

/** Parses a duration like `10s`, `1m30s` or `250ms` into milliseconds; throws on anything else. */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (!DURATION_RE.test(s)) throw new Error(`not a duration (use e.g. 500ms, 10s, 1m): ${text}`);
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * UNITS[m[2]!]!;
  return Math.round(total);
}

/** Formats milliseconds compactly (`10s`, `1m30s`, `250ms`) for messages. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  if (rest) parts.push(`${rest}ms`);
  return parts.join('');
}
