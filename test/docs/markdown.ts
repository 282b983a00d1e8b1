// What the docs tests read from the Markdown: the pages, their fenced blocks, links and headings.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The repository root. */
export const ROOT = new URL('../../', import.meta.url).pathname;

/** README.md and every Markdown page under docs/, as paths relative to the root. */
export function docPages(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : [],
    );
  return ['README.md', ...walk('docs')].map((p) => relative(ROOT, join(ROOT, p)));
}

/** A fenced code block: its info string (`yaml kubernetes`), text and first line (1-based). */
export interface Fence {
  info: string;
  text: string;
  line: number;
}

/** Splits a page into its fenced blocks (``` or ~~~, indented under list items too) and the prose outside them. */
export function splitFences(md: string): { fences: Fence[]; prose: string } {
  const fences: Fence[] = [];
  const prose: string[] = [];
  let open: { marker: string; indent: number; info: string; line: number; body: string[] } | undefined;
  md.split('\n').forEach((l, i) => {
    const m = /^( *)(`{3,}|~{3,})\s*(.*)$/.exec(l);
    if (!open) {
      if (m) open = { marker: m[2]!, indent: m[1]!.length, info: m[3]!.trim(), line: i + 1, body: [] };
      prose.push(m ? '' : l);
      return;
    }
    if (m && m[2]!.startsWith(open.marker) && m[3] === '') {
      fences.push({ info: open.info, text: open.body.join('\n'), line: open.line });
      open = undefined;
      prose.push('');
      return;
    }
    // List-item fences are indented: their lines lose that indentation.
    prose.push('');
    open.body.push(l.slice(Math.min(open.indent, l.length - l.trimStart().length)));
  });
  if (open) throw new Error(`unclosed code fence at line ${open.line}`);
  return { fences, prose: prose.join('\n') };
}

/** The page read from the root. */
export function readPage(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

/**
 * GitHub's anchor for a heading (github-slugger, which github.com uses): the rendered text
 * lower-cased, everything but letters, marks, numbers, `_`, `-` and spaces dropped, spaces
 * turned into `-`; a repeated slug gets `-1`, `-2`, … .
 */
export function headingAnchors(md: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const l of splitFences(md).prose.split('\n')) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(l);
    if (!m) continue;
    const text = m[1]!
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
      .replace(/<[^>]+>/g, '') // inline HTML tags
      .replace(/[`*]/g, ''); // code spans and emphasis: their content (`_` is kept, as github-slugger keeps it)
    let slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(slug);
    seen.set(slug, (n ?? 0) + 1);
    if (n !== undefined) slug = `${slug}-${n}`;
    out.add(slug);
  }
  return out;
}

/** Inline links and images of the prose, `[text](target)`, outside code spans. */
export function links(md: string): { target: string; line: number }[] {
  const out: { target: string; line: number }[] = [];
  // Code spans (which may run over a line break) become blanks of the same lines.
  const prose = splitFences(md).prose.replace(/(`+)[\s\S]*?[^`]\1(?!`)/g, (s) => s.replace(/[^\n]/g, ' '));
  prose.split('\n').forEach((l, i) => {
    for (const m of l.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push({ target: m[1]!, line: i + 1 });
  });
  return out;
}
