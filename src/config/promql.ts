// PromQL in the config (named queries, label matchers) is parsed at load with the Prometheus
// project's own grammar, @prometheus-io/lezer-promql, so a typo is a config error (exit 2)
// rather than a failed poll. Lezer does not throw on bad input: it inserts error nodes (⚠)
// into the tree and carries on, so the first error node is the problem and its offset the position.
import { lazyRequire } from '../lazyRequire.js';
import { regexProblem } from './regex.js';

type LezerPromql = typeof import('@prometheus-io/lezer-promql');

/** The PromQL grammar, loaded on first use (config validation is synchronous), so configs without PromQL never pay for it. */
const lezerPromql = lazyRequire<LezerPromql>('@prometheus-io/lezer-promql');

/** The PromQL parser. */
function promqlParser(): LezerPromql['parser'] {
  return lezerPromql().parser;
}

/** Offset of the first error node (⚠) in a parse tree, or null when there is none. */
function firstErrorIn(tree: ReturnType<LezerPromql['parser']['parse']>): number | null {
  let at: number | null = null;
  tree.iterate({
    enter: (node) => {
      if (at !== null) return false;
      if (node.type.isError) at = node.from;
      return undefined;
    },
  });
  return at;
}

/** 1-based line and column of `offset` in `text`. */
function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, col: before[before.length - 1]!.length + 1 };
}

/** What stands at `offset`: the text up to the next space or bracket, or the end. */
function describeAt(text: string, offset: number): string {
  const rest = text.slice(offset).trimStart();
  if (!rest) return 'unexpected end of expression';
  const token = /^[^\s(){}[\],"'`]+|^\S/.exec(rest)![0];
  return `unexpected "${token}"`;
}

/** Why `expr` is not valid PromQL (`…at line L, column C of the expression: …`), or null when it parses. */
export function promqlProblem(expr: string): string | null {
  const at = firstErrorIn(promqlParser().parse(expr));
  if (at === null) return null;
  const { line, col } = lineCol(expr, at);
  return `PromQL syntax error at line ${line}, column ${col} of the expression: ${describeAt(expr, at)}`;
}

const MATCHER_EXAMPLE = 'must be a PromQL label matcher such as job="kube-state-metrics"';

/** Go's one-character string escapes, as PromQL strings use them. */
const ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
  "'": "'",
};

/** The value of a PromQL string literal (Go quoting: "…", '…' or raw `…`), or an error for an escape PromQL does not know. */
function unquote(literal: string): { value: string } | { error: string } {
  const body = literal.slice(1, -1);
  if (literal[0] === '`') return { value: body };
  let out = '';
  for (let i = 0; i < body.length; i++) {
    if (body[i] !== '\\') {
      out += body[i];
      continue;
    }
    const c = body[++i] ?? '';
    const hex = { x: 2, u: 4, U: 8 }[c];
    if (hex !== undefined && /^[0-9a-fA-F]+$/.test(body.slice(i + 1, i + 1 + hex)) && body.length >= i + 1 + hex) {
      out += String.fromCodePoint(parseInt(body.slice(i + 1, i + 1 + hex), 16));
      i += hex;
    } else if (/^[0-7]{3}$/.test(body.slice(i, i + 3))) {
      out += String.fromCodePoint(parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else if (c in ESCAPES) {
      out += ESCAPES[c];
    } else {
      return { error: `unknown escape sequence \\${c}` };
    }
  }
  return { value: out };
}

/**
 * Why `matcher` (such as `job="x"`) is not one valid PromQL label matcher, or null. It is parsed
 * inside `{…}`, as podglow places it in its selectors; a regex matcher's value must also parse in RE2.
 */
export function matcherProblem(matcher: string): string | null {
  const wrapped = `{${matcher}}`;
  const tree = promqlParser().parse(wrapped);
  const at = firstErrorIn(tree);
  if (at !== null) {
    // The position inside the matcher itself (the wrapping `{` is not the user's).
    const inner = Math.min(Math.max(at - 1, 0), matcher.length);
    const { line, col } = lineCol(matcher, inner);
    return `${MATCHER_EXAMPLE}: PromQL syntax error at line ${line}, column ${col} of the matcher: ${describeAt(matcher, inner)}`;
  }
  // Exactly one matcher, and nothing around the selector (`a="b"} or vector(1) or {c="d"` parses too).
  const selector = tree.topNode.firstChild;
  const list = selector?.firstChild;
  const one = list?.firstChild;
  if (
    selector?.name !== 'VectorSelector' ||
    selector.from !== 0 ||
    selector.to !== wrapped.length ||
    list?.name !== 'LabelMatchers' ||
    !one ||
    one.nextSibling ||
    !one.name.endsWith('LabelMatcher')
  ) {
    return `${MATCHER_EXAMPLE}, one per list entry`;
  }
  const op = one.getChild('MatchOp')?.firstChild?.name;
  const literal = one.lastChild;
  if (!literal || literal.name !== 'StringLiteral') return MATCHER_EXAMPLE;
  const value = unquote(wrapped.slice(literal.from, literal.to));
  if ('error' in value) return `${MATCHER_EXAMPLE}: ${value.error}`;
  if (op === 'EqlRegex' || op === 'NeqRegex') {
    const problem = regexProblem(value.value);
    if (problem) return `the regex of this matcher ${problem}`;
  }
  return null;
}
