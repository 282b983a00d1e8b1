// Namespace, node, condition and alert regexes are RE2: Prometheus evaluates the namespace
// matchers with Go's regexp, and podglow's own filters (nodes, the demo source) match with
// re2js, a port of the same engine, so one pattern means the same thing in both places.
// Prometheus anchors a label regex as `^(?s:<v>)$` (model/labels/regexp.go in
// prometheus/prometheus); compileAnchored does the same.
import { lazyRequire } from '../lazyRequire.js';

type Re2js = typeof import('re2js');

/** re2js, loaded on first use (synchronously: config validation is synchronous), so configs without regexes never pay for it. */
const re2js = lazyRequire<Re2js>('re2js');

/** RE2's parse error for `pattern` (Go's wording, as `regexp.Compile` reports it), or null when RE2 accepts it. */
export function re2Error(pattern: string): string | null {
  const { RE2JS, RE2JSSyntaxException } = re2js();
  try {
    RE2JS.compile(pattern);
    return null;
  } catch (e) {
    if (e instanceof RE2JSSyntaxException) return e.message.replace(/^error parsing regexp: /, '');
    throw e;
  }
}

/** Why `pattern` cannot be used as a config regex, or null when it can (it must parse in RE2, as Prometheus parses it). */
export function regexProblem(pattern: string): string | null {
  const error = re2Error(pattern);
  return error === null ? null : `must be a valid regular expression: RE2 (Prometheus) rejects it: ${error}`;
}

/** A predicate that is true when any of `patterns` matches the whole string, as Prometheus' `=~` matches a label value. */
export function compileAnchored(patterns: readonly string[]): (s: string) => boolean {
  const { RE2JS } = re2js();
  const body = patterns.length === 1 ? patterns[0]! : patterns.map((p) => `(?:${p})`).join('|');
  const re = RE2JS.compile(`^(?s:${body})$`);
  return (s) => re.test(s);
}
