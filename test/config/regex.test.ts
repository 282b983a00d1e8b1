// The RE2 check of config regexes (re2js underneath). Expected verdicts come from Go's own tests,
// src/regexp/syntax/parse_test.go in golang/go (invalidRegexps, onlyPerl, onlyPOSIX: Prometheus
// parses with the Perl flags), and from the error texts of src/regexp/syntax/parse.go.
import { describe, expect, it } from 'vitest';
import { compileAnchored, re2Error, regexProblem } from '../../src/config/regex.js';
import { nameFilter } from '../../src/source/promql.js';

describe('re2Error (Go regexp/syntax, Perl flags)', () => {
  // parse_test.go invalidRegexps, minus the invalid-UTF-8 ones (a JavaScript string holds none).
  const INVALID = [
    '(',
    ')',
    '(a',
    'a)',
    '(a))',
    '(a|b|',
    'a|b|)',
    '(a|b|))',
    '(a|b',
    'a|b)',
    '(a|b))',
    '[a-z',
    '([a-z)',
    '[a-z)',
    '([a-z]))',
    'x{1001}',
    'x{9876543210}',
    'x{2,1}',
    'x{1,9876543210}',
    '(?P<name>a',
    '(?P<name>',
    '(?P<name',
    '(?P<x y>a)',
    '(?P<>a)',
    '(?<name>a',
    '(?<name>',
    '(?<name',
    '(?<x y>a)',
    '(?<>a)',
    '[a-Z]',
    '(?i)[a-Z]',
    '\\Q\\E*',
    'a{100000}',
    'a{100000,}',
    '((((((((((x{2}){2}){2}){2}){2}){2}){2}){2}){2}){2})',
    '(?:[a-z]{4}){0,251}',
    '('.repeat(1000) + ')'.repeat(1000),
    '(?:'.repeat(1000) + ')*'.repeat(1000),
    '(' + '(xx?)'.repeat(1000) + '){1000}',
    '(xx?){1000}'.repeat(1000),
    '\\pL'.repeat(27000), // too many runes
    // parse_test.go onlyPOSIX: stacked repetition is an error with the Perl flags.
    'a++',
    'a**',
    'a?*',
    'a+*',
    'a{1}*',
    '.{1}{2}.{3}',
  ];
  it.each(INVALID.map((r) => [r.length > 40 ? `${r.slice(0, 40)}… (${r.length} chars)` : r, r]))('rejects %s', (_name, re) => {
    expect(re2Error(re)).not.toBeNull();
  });

  // What PromQL users write and what Go accepts (parse_test.go onlyPerl and parseTests).
  const VALID = [
    'team-.*',
    'kube-system|monitoring',
    '^prod-[0-9]+$',
    'a{2,5}?',
    'x{1000}',
    '(?:[a-z]{4}){0,250}',
    '[a-b-c]',
    '\\Qabc\\E',
    '(?:a)',
    '(?P<name>a)',
    '(?<name>a)',
    '(?i)abc',
    '(?i:ab)c',
    '(?s).',
    '[[:alpha:]]',
    '\\pL',
    '\\p{Greek}',
    '\\d+\\s\\w',
    '[\\d-z]',
    '\\x41\\x{41}',
    '\\012',
    '\\.\\-\\_',
    '[]a]',
    'a{,5}',
    'x{',
    '()',
    '(?)',
    '('.repeat(999) + ')'.repeat(999),
  ];
  it.each(VALID.map((r) => [r.length > 40 ? `${r.slice(0, 40)}… (${r.length} chars)` : r, r]))('accepts %s', (_name, re) => {
    expect(re2Error(re)).toBeNull();
  });

  it('words the errors as Go does (parse.go)', () => {
    expect(re2Error('(?=a)')).toBe('invalid or unsupported Perl syntax: `(?=`');
    expect(re2Error('(?!a)')).toBe('invalid or unsupported Perl syntax: `(?!`');
    expect(re2Error('(?<=a)b')).toBe('invalid named capture: `(?<=a)b`');
    expect(re2Error('(?<!a)b')).toMatch(/^invalid named capture: /);
    expect(re2Error('(a)\\1')).toBe('invalid escape sequence: `\\1`');
    expect(re2Error('(?<n>a)\\k<n>')).toBe('invalid escape sequence: `\\k`');
    expect(re2Error('a*+')).toBe('invalid nested repetition operator: `*+`');
    expect(re2Error('a++')).toBe('invalid nested repetition operator: `++`');
    expect(re2Error('a{2}+')).toBe('invalid nested repetition operator: `{2}+`');
    expect(re2Error('a*?+')).toBe('invalid nested repetition operator: `*?+`');
    expect(re2Error('x{1001}')).toBe('invalid repeat count: `{1001}`');
    expect(re2Error('team-(')).toBe('missing closing ): `team-(`');
    expect(re2Error('a)')).toBe('unexpected ): `a)`');
    expect(re2Error('[pi')).toBe('missing closing ]: `[pi`');
    expect(re2Error('[z-a]')).toBe('invalid character class range: `z-a`');
    expect(re2Error('[[:foo:]]')).toBe('invalid character class range: `[:foo:]`');
    expect(re2Error('*a')).toBe('missing argument to repetition operator: `*`');
    // Go appends the (empty) expression, "``"; re2js leaves it out.
    expect(re2Error('a\\')).toBe('trailing backslash at end of expression');
    expect(re2Error('\\C')).toBe('invalid escape sequence: `\\C`');
    expect(re2Error('\\e')).toBe('invalid escape sequence: `\\e`');
    expect(re2Error('\\u0041')).toBe('invalid escape sequence: `\\u`');
    expect(re2Error('[\\b]')).toMatch(/^invalid escape sequence: `\\b`/);
    expect(re2Error('(?#note)')).toBe('invalid or unsupported Perl syntax: `(?#`');
    expect(re2Error('(?P=n)')).toBe('invalid or unsupported Perl syntax: `(?P`');
  });
});

describe('regexProblem (what the config accepts)', () => {
  it('accepts what RE2 accepts, Go-only syntax included', () => {
    for (const re of [
      'team-.*',
      'kube-system|monitoring',
      'prod-[0-9]+',
      '(?:a|b){2,3}',
      'x{1000}',
      '(?<n>a)',
      '[a-z]\\d\\.',
      'a{,5}',
    ]) {
      expect(regexProblem(re), re).toBeNull();
    }
    for (const re of [
      '(?i)prod',
      '[[:alpha:]]+',
      '\\Aprod',
      'prod\\z',
      '\\pL+',
      '\\x{41}',
      '[]a]',
      'a{01}',
      '\\Qa.b\\E',
      '(?)',
    ]) {
      expect(regexProblem(re), re).toBeNull();
    }
  });

  it('names RE2 as the engine that rejects lookarounds, backreferences and possessive quantifiers', () => {
    expect(regexProblem('team-(?!legacy).*')).toBe(
      'must be a valid regular expression: RE2 (Prometheus) rejects it: invalid or unsupported Perl syntax: `(?!`',
    );
    expect(regexProblem('(?<=x)y')).toMatch(
      /^must be a valid regular expression: RE2 \(Prometheus\) rejects it: invalid named capture/,
    );
    expect(regexProblem('(a)\\1')).toMatch(/RE2 \(Prometheus\) rejects it: invalid escape sequence: `\\1`/);
    expect(regexProblem('a{2000}')).toMatch(/RE2 \(Prometheus\) rejects it: invalid repeat count/);
  });
});

describe('compileAnchored and nameFilter (RE2 matching, anchored as Prometheus anchors)', () => {
  it('matches the whole name, never a part of it', () => {
    const m = compileAnchored(['prod']);
    expect(m('prod')).toBe(true);
    expect(m('prod-1')).toBe(false);
    expect(m('xprod')).toBe(false);
    // Each pattern is its own group: `a|b` in one pattern does not escape the anchors.
    const two = compileAnchored(['a|b', 'c.*']);
    expect(['a', 'b', 'cde', 'ab', 'xc'].map(two)).toEqual([true, true, true, false, false]);
  });

  it('reads Go-only syntax as RE2 does', () => {
    expect(compileAnchored(['(?i)prod-.*'])('PROD-eu')).toBe(true);
    expect(compileAnchored(['\\pL+'])('nöde')).toBe(true);
    expect(compileAnchored(['\\pL+'])('node1')).toBe(false);
    expect(compileAnchored(['[[:digit:]]+'])('42')).toBe(true);
    expect(compileAnchored(['\\Qa.b\\E'])('a.b')).toBe(true);
    expect(compileAnchored(['\\Qa.b\\E'])('axb')).toBe(false);
    // `.` matches a newline, as in Prometheus' `^(?s:…)$`.
    expect(compileAnchored(['a.b'])('a\nb')).toBe(true);
  });

  it('filters names by include and exclude', () => {
    const keep = nameFilter(['(?i)worker-.*'], ['.*-2']);
    expect(['Worker-1', 'worker-2', 'control-1'].filter(keep)).toEqual(['Worker-1']);
    expect(nameFilter([], [])('anything')).toBe(true);
  });
});
