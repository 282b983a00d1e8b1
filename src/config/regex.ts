// Namespace and node regexes are compiled by two engines: Prometheus (Go's regexp, RE2
// syntax) evaluates the namespace matchers, and JavaScript runs the node filter and the
// demo source. A pattern is accepted only when both parse it and read it the same way.
// The RE2 rules below follow Go's src/regexp/syntax/parse.go (golang/go), which Prometheus
// uses through regexp.Compile; no RE2 engine is bundled (no new dependency).

/** Go's largest count in `x{n,m}`; the product of nested counts is bounded by it too. */
const MAX_REPEAT = 1000;
/** Go's limit on the compiled program (128 MiB of 40-byte instructions), in its size units. */
const MAX_SIZE = Math.floor((128 << 20) / 40);
/** Go's limit on the parse tree height; groups are counted, which is close to it. */
const MAX_DEPTH = 1000;

const POSIX_CLASSES = new Set(['alnum', 'alpha', 'ascii', 'blank', 'cntrl', 'digit', 'graph', 'lower', 'print', 'punct', 'space', 'upper', 'word', 'xdigit']);

class Re2Error extends Error {}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isOctal = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '7';
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);
const isAlnum = (c: string): boolean => /^[0-9A-Za-z]$/.test(c);

/** One open group: the largest product of nested repetition counts in it, and Go's size estimate. */
interface Frame {
  product: number;
  /** Sizes of the finished alternatives, and how many there are. */
  alts: number;
  altCount: number;
  /** Size of the alternative being read. */
  cur: number;
  capture: boolean;
}

/** The last atom (what a repetition applies to). */
interface Atom {
  product: number;
  size: number;
}

/**
 * A parse of `src` with Go's RE2 rules (Perl flags, as regexp.Compile uses them).
 * Throws Re2Error with Go's message when Go rejects the pattern; `divergence` names the
 * first construct Go accepts but JavaScript (without flags) reads differently.
 */
class Re2Scanner {
  private i = 0;
  private readonly frames: Frame[] = [newFrame(false)];
  /** The last atom, or null when there is none to repeat. */
  private last: Atom | null = null;
  /** The previous token was a repetition operator (Go rejects a second one: `a**`, `a++`). */
  private lastWasRepeat = false;
  /** Where that repetition operator started, for Go's error text. */
  private prevRepeatAt = 0;
  /** The first RE2 construct JavaScript reads differently, if any. */
  divergence: string | null = null;

  constructor(private readonly src: string) {}

  run(): void {
    const s = this.src;
    while (this.i < s.length) {
      const c = s[this.i]!;
      const repeat = c === '*' || c === '+' || c === '?' || (c === '{' && this.countAt(this.i) !== null);
      if (!repeat) this.lastWasRepeat = false;
      switch (c) {
        case '(':
          this.group();
          break;
        case ')':
          this.close();
          break;
        case '|': {
          const f = this.top();
          f.alts += Math.max(1, f.cur);
          f.altCount++;
          f.cur = 0;
          this.i++;
          this.last = null;
          break;
        }
        case '[':
          this.atom(1, this.charClass());
          break;
        case '*':
        case '+':
        case '?':
          this.repetition(this.i + 1, null);
          break;
        case '{': {
          const count = this.countAt(this.i);
          if (count) this.repetition(count.end, count);
          else {
            if (/^\{0\d/.test(s.slice(this.i)) || /^\{\d+,0\d/.test(s.slice(this.i))) {
              this.diverge(`a count with a leading zero (${s.slice(this.i, s.indexOf('}', this.i) + 1)}) is literal text in RE2 but a repetition in JavaScript`);
            }
            this.atom(1, this.i + 1);
          }
          break;
        }
        case '\\':
          this.escape();
          break;
        default:
          // A character, or ^ $ . (atoms Go lets a repetition follow).
          this.atom(1, this.i + (s.codePointAt(this.i)! > 0xffff ? 2 : 1));
      }
    }
    if (this.frames.length > 1) throw new Re2Error(`missing closing ): \`${s}\``);
    if (frameSize(this.top()) > MAX_SIZE) throw new Re2Error(`expression too large: \`${s}\``);
  }

  private top(): Frame {
    return this.frames[this.frames.length - 1]!;
  }

  private atom(product: number, next: number, size = 1): void {
    this.last = { product, size };
    const f = this.top();
    f.product = Math.max(f.product, product);
    f.cur += size;
    this.i = next;
  }

  private group(): void {
    const s = this.src;
    const start = this.i;
    if (s[start + 1] !== '?') {
      this.open(start + 1);
      return;
    }
    const named = s.startsWith('(?P<', start) ? start + 4 : s.startsWith('(?<', start) ? start + 3 : -1;
    if (named >= 0) {
      const end = s.indexOf('>', start);
      if (end < 0) throw new Re2Error(`invalid named capture: \`${s.slice(start)}\``);
      if (!/^[A-Za-z0-9_]+$/.test(s.slice(named, end))) throw new Re2Error(`invalid named capture: \`${s.slice(start, end + 1)}\``);
      this.open(end + 1);
      return;
    }
    // Flags (i, m, s, U, with one optional `-`), then `:` (a group) or `)` (flags only).
    let j = start + 2;
    let negated = false;
    let sawFlag = false;
    for (; j < s.length; j++) {
      const c = s[j]!;
      if ('imsU'.includes(c)) sawFlag = true;
      else if (c === '-' && !negated) {
        negated = true;
        sawFlag = false;
      } else if ((c === ':' || c === ')') && (!negated || sawFlag)) {
        if (j > start + 2) this.diverge(`inline flags (${s.slice(start, j + 1)}) do not exist in JavaScript regexes`);
        if (c === ':') this.open(j + 1, false);
        else this.i = j + 1;
        return;
      } else break;
    }
    throw new Re2Error(`invalid or unsupported Perl syntax: \`${s.slice(start, Math.min(j + 1, s.length))}\``);
  }

  private open(next: number, capture = true): void {
    if (this.frames.length >= MAX_DEPTH) throw new Re2Error(`expression nests too deeply: \`${this.src}\``);
    this.frames.push(newFrame(capture));
    this.last = null;
    this.i = next;
  }

  private close(): void {
    if (this.frames.length === 1) throw new Re2Error(`unexpected ): \`${this.src}\``);
    const f = this.frames.pop()!;
    this.atom(f.product, this.i + 1, frameSize(f) + (f.capture ? 2 : 0));
  }

  /** `{n}`, `{n,}` or `{n,m}` at `at` as Go parses it (no leading zeros), or null (then `{` is literal). */
  private countAt(at: number): { min: number; max: number; end: number } | null {
    const m = /^\{(0|[1-9]\d*)(,(0|[1-9]\d*)?)?\}/.exec(this.src.slice(at));
    if (!m) return null;
    const min = Number(m[1]!.length > 8 ? Infinity : m[1]);
    const max = m[2] === undefined ? min : m[3] === undefined ? -1 : Number(m[3].length > 8 ? Infinity : m[3]);
    return { min, max, end: at + m[0].length };
  }

  private repetition(next: number, count: { min: number; max: number } | null): void {
    const s = this.src;
    const op = s.slice(this.i, next);
    if (count && (count.min > MAX_REPEAT || count.max > MAX_REPEAT || (count.max >= 0 && count.min > count.max))) {
      throw new Re2Error(`invalid repeat count: \`${op}\``);
    }
    if (s[next] === '?') next++; // non-greedy
    if (this.lastWasRepeat) throw new Re2Error(`invalid nested repetition operator: \`${s.slice(this.prevRepeatAt, next)}\``);
    if (this.last === null) throw new Re2Error(`missing argument to repetition operator: \`${op}\``);
    const f = this.top();
    const sub = this.last.size;
    let size: number;
    if (count) {
      const m = count.max >= 0 ? count.max : count.min;
      const product = m === 0 ? 0 : m * this.last.product;
      if (product > MAX_REPEAT) throw new Re2Error(`invalid repeat count: \`${op}\``);
      this.last.product = product;
      f.product = Math.max(f.product, product);
      size = count.max < 0 ? (count.min === 0 ? 2 + sub : 1 + count.min * sub) : count.max * sub + (count.max - count.min);
    } else size = (op[0] === '*' ? 2 : 1) + sub;
    size = Math.max(1, size);
    f.cur += size - sub;
    this.last.size = size;
    if (size > MAX_SIZE) throw new Re2Error(`expression too large: \`${s}\``);
    this.prevRepeatAt = this.i;
    this.lastWasRepeat = true;
    this.i = next;
  }

  /** An escape outside a class: zero-width assertions, Perl classes, or one character. */
  private escape(): void {
    const s = this.src;
    const c = s[this.i + 1];
    if (c === undefined) throw new Re2Error('trailing backslash at end of expression: ``');
    if (c === 'b' || c === 'B' || 'dDsSwW'.includes(c)) {
      this.atom(1, this.i + 2);
      return;
    }
    if (c === 'A' || c === 'z' || c === 'Q' || c === 'p' || c === 'P') {
      this.diverge(`\\${c} is RE2 syntax that JavaScript reads as the letter ${c}`);
      if (c === 'A' || c === 'z') this.atom(1, this.i + 2);
      else if (c === 'Q') this.quote();
      else this.atom(1, this.unicodeClass(this.i));
      return;
    }
    if (c === 'C') throw new Re2Error('invalid escape sequence: `\\C`');
    this.atom(1, this.escapedChar(this.i));
  }

  private diverge(why: string): void {
    this.divergence ??= why;
  }

  /** `\Q…\E`: literal characters up to `\E` or the end (an empty quote adds no atom). */
  private quote(): void {
    const s = this.src;
    const end = s.indexOf('\\E', this.i + 2);
    const text = s.slice(this.i + 2, end < 0 ? s.length : end);
    this.i += 2;
    for (const ch of text) this.atom(1, this.i + ch.length);
    if (end >= 0) this.i = end + 2;
  }

  /** `\pL` or `\p{Name}` at `at` (names are not checked against Go's tables); returns where it ends. */
  private unicodeClass(at: number): number {
    const s = this.src;
    if (s[at + 2] !== '{') {
      if (at + 2 >= s.length) throw new Re2Error(`invalid character class range: \`${s.slice(at)}\``);
      return at + 3;
    }
    const end = s.indexOf('}', at);
    if (end < 0) throw new Re2Error(`invalid character class range: \`${s.slice(at)}\``);
    return end + 1;
  }

  /** One escaped character at `at` (Go's parseEscape); returns where it ends. */
  private escapedChar(at: number): number {
    const s = this.src;
    const c = s[at + 1];
    if (c === undefined) throw new Re2Error('trailing backslash at end of expression: ``');
    if (c.charCodeAt(0) < 0x80 && !isAlnum(c)) return at + 2;
    if (c >= '1' && c <= '7' && isOctal(s[at + 2])) return at + (isOctal(s[at + 3]) ? 4 : 3);
    if (c === '0') return at + 2 + (isOctal(s[at + 2]) ? (isOctal(s[at + 3]) ? 2 : 1) : 0);
    if (c === 'x') {
      if (s[at + 2] === '{') {
        const end = s.indexOf('}', at);
        const hex = end < 0 ? '' : s.slice(at + 3, end);
        if (/^[0-9a-fA-F]+$/.test(hex) && parseInt(hex, 16) <= 0x10ffff) {
          this.diverge(`\\x{${hex}} is RE2 syntax that JavaScript reads as literal text`);
          return end + 1;
        }
      } else if (isHex(s[at + 2]) && isHex(s[at + 3])) return at + 4;
      throw new Re2Error(`invalid escape sequence: \`${s.slice(at, at + 4)}\``);
    }
    if ('fnrtv'.includes(c)) return at + 2;
    if (c === 'a') {
      this.diverge('\\a is the bell character in RE2 but the letter a in JavaScript');
      return at + 2;
    }
    if (isDigit(c)) throw new Re2Error(`invalid escape sequence: \`\\${c}\` (RE2 has no backreferences)`);
    throw new Re2Error(`invalid escape sequence: \`\\${String.fromCodePoint(s.codePointAt(at + 1)!)}\``);
  }

  /** A bracketed class (Go's parseClass); returns where it ends. */
  private charClass(): number {
    const s = this.src;
    const start = this.i;
    let j = start + 1;
    if (s[j] === '^') j++;
    if (s[j] === ']') this.diverge(`a class opening with ] (${s.slice(start, j + 1)}) holds ] in RE2 but is empty in JavaScript`);
    let first = true;
    while (first || s[j] !== ']') {
      if (j >= s.length) throw new Re2Error(`missing closing ]: \`${s.slice(start)}\``);
      first = false;
      if (s.startsWith('[:', j)) {
        const end = s.indexOf(':]', j + 2);
        if (end >= 0) {
          const name = s.slice(j + 2, end).replace(/^\^/, '');
          if (!POSIX_CLASSES.has(name)) throw new Re2Error(`invalid character class range: \`${s.slice(j, end + 2)}\``);
          this.diverge(`POSIX classes such as ${s.slice(j, end + 2)} do not exist in JavaScript regexes`);
          j = end + 2;
          continue;
        }
      }
      if (s[j] === '\\' && 'dDsSwW'.includes(s[j + 1] ?? '')) {
        j += 2;
        continue;
      }
      if (s[j] === '\\' && (s[j + 1] === 'p' || s[j + 1] === 'P')) {
        this.diverge(`\\${s[j + 1]} is RE2 syntax that JavaScript reads as the letter ${s[j + 1]}`);
        j = this.unicodeClass(j);
        continue;
      }
      const loStart = j;
      const [lo, afterLo] = this.classChar(j);
      j = afterLo;
      if (s[j] === '-' && s[j + 1] !== ']' && j + 1 < s.length) {
        const [hi, afterHi] = this.classChar(j + 1);
        if (hi < lo) throw new Re2Error(`invalid character class range: \`${s.slice(loStart, afterHi)}\``);
        j = afterHi;
      }
    }
    return j + 1;
  }

  /** One class member character at `at` (charClass checks it is inside the pattern): its code point and where it ends. */
  private classChar(at: number): [number, number] {
    const s = this.src;
    if (s[at] !== '\\') {
      const cp = s.codePointAt(at)!;
      return [cp, at + (cp > 0xffff ? 2 : 1)];
    }
    const c = s[at + 1];
    if (c === 'b') throw new Re2Error('invalid escape sequence: `\\b` (write \\x08 for a backspace)');
    const end = this.escapedChar(at);
    return [escapedValue(s.slice(at, end)), end];
  }
}

function newFrame(capture: boolean): Frame {
  return { product: 1, alts: 0, altCount: 0, cur: 0, capture };
}

/** Go's size estimate of a group's contents: its alternatives and the branches between them. */
function frameSize(f: Frame): number {
  return f.alts + Math.max(1, f.cur) + f.altCount;
}

/** The code point of a one-character escape accepted by escapedChar. */
function escapedValue(esc: string): number {
  const c = esc[1]!;
  if (isOctal(c) && esc.length > 2) return parseInt(esc.slice(1), 8);
  if (c === '0') return 0;
  if (c === 'x') return parseInt(esc.slice(2), 16);
  const named: Record<string, number> = { f: 0x0c, n: 0x0a, r: 0x0d, t: 0x09, v: 0x0b };
  return named[c] ?? c.codePointAt(0)!;
}

/** Go's RE2 parse error for `pattern` (as `regexp.Compile` words it), or null when Go accepts it. */
export function re2Error(pattern: string): string | null {
  try {
    new Re2Scanner(pattern).run();
    return null;
  } catch (e) {
    if (e instanceof Re2Error) return e.message;
    throw e;
  }
}

/**
 * Why `pattern` cannot be used as a namespace or node regex, or null when it can: it must
 * parse in RE2 (Prometheus) and in JavaScript, with the same meaning in both.
 */
export function regexProblem(pattern: string): string | null {
  const scanner = new Re2Scanner(pattern);
  try {
    scanner.run();
  } catch (e) {
    if (e instanceof Re2Error) return `must be a valid regular expression: RE2 (Prometheus) rejects it: ${e.message}`;
    throw e;
  }
  if (scanner.divergence) return `must be a regular expression that RE2 (Prometheus) and JavaScript read alike: ${scanner.divergence}`;
  try {
    new RegExp(pattern);
  } catch (e) {
    return `must be a valid regular expression: ${(e as Error).message}`;
  }
  return null;
}
