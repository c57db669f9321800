/** Paths of the shared real captures (read-only, beside the repo: ../shared/captures). */
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';

export const CAPTURES_DIR = resolve(process.cwd(), '..', 'shared', 'captures');
export const capture = (name: string): string => join(CAPTURES_DIR, name);

/** Rows of a reference TSV (libsinsp output) as objects keyed by column name. */
export function readTsv(name: string): Record<string, string>[] {
  const [head, ...lines] = readFileSync(join(CAPTURES_DIR, 'reference', name), 'utf8').trimEnd().split('\n');
  const cols = head!.split('\t');
  return lines.map((l) => Object.fromEntries(l.split('\t').map((v, i) => [cols[i]!, v])));
}
