/**
 * bench/RESULTS.md holds one section per harness (read.bench.ts, workers.ts, rss.ts; and
 * before-after, written by hand), each between `<!-- NAME:begin -->` and `<!-- NAME:end -->`; a
 * harness rewrites its own section and keeps the others. Paths are relative to the project root (run the harnesses from there).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const RESULTS_PATH = path.resolve(process.cwd(), 'bench', 'RESULTS.md');
/** The order of the sections in a new file. */
const SECTIONS = ['sinsp', 'workers', 'before-after', 'rss', 'read', 'capture'];
const HEADER = '# Benchmark results\n\nEach section is rewritten by the harness it names; see README.md (Benchmarks).\n';

/**
 * Replaces section `name` of bench/RESULTS.md with `markdown`, in place: text outside the
 * markers (hand-written notes between sections) is kept. A missing section is added after the
 * last section that comes before it in SECTIONS order (or at the end).
 */
export function writeSection(name: string, markdown: string): void {
  const block = `<!-- ${name}:begin -->\n${markdown.trimEnd()}\n<!-- ${name}:end -->`;
  const text = existsSync(RESULTS_PATH) ? readFileSync(RESULTS_PATH, 'utf8') : HEADER;
  const found = new RegExp(`<!-- ${name}:begin -->\\n[\\s\\S]*?\\n<!-- ${name}:end -->`).exec(text);
  if (found) {
    writeFileSync(RESULTS_PATH, text.slice(0, found.index) + block + text.slice(found.index + found[0].length));
    return;
  }
  // After the end marker of the last earlier section present, else at the end.
  let at = text.trimEnd().length;
  for (const earlier of SECTIONS.slice(0, Math.max(0, SECTIONS.indexOf(name)))) {
    const end = text.indexOf(`<!-- ${earlier}:end -->`);
    if (end >= 0) at = end + `<!-- ${earlier}:end -->`.length;
  }
  writeFileSync(RESULTS_PATH, `${text.slice(0, at)}\n\n${block}\n${text.slice(at).replace(/^\n+/, '\n')}`.replace(/\n*$/, '\n'));
}
