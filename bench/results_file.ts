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

/** Replaces section `name` of bench/RESULTS.md with `markdown` (added in SECTIONS order when missing). */
export function writeSection(name: string, markdown: string): void {
  const block = `<!-- ${name}:begin -->\n${markdown.trimEnd()}\n<!-- ${name}:end -->`;
  const text = existsSync(RESULTS_PATH) ? readFileSync(RESULTS_PATH, 'utf8') : HEADER;
  const blocks = new Map<string, string>();
  for (const m of text.matchAll(/<!-- ([\w-]+):begin -->\n[\s\S]*?\n<!-- \1:end -->/g)) blocks.set(m[1]!, m[0]);
  blocks.set(name, block);
  const order = [...SECTIONS, ...[...blocks.keys()].filter((k) => !SECTIONS.includes(k))];
  const head = text.includes('<!-- ') ? text.slice(0, text.indexOf('<!-- ')) : HEADER + '\n';
  writeFileSync(RESULTS_PATH, head + order.filter((k) => blocks.has(k)).map((k) => blocks.get(k)).join('\n\n') + '\n');
}
