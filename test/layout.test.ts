/**
 * The shell's layout (README "Layout", issue 17): every TypeScript module of ts/ sits in a folder
 * named for its concept (only errors.ts and warn.ts, used everywhere, at the top), and no module
 * imports itself back through others — type imports included, since a type cycle is a design
 * cycle too. Walks the sources, not dist/, so a stale build cannot hide a cycle.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const ROOT = process.cwd();

/** The .ts files under `dir` (with `declarations`, the .d.ts files instead). */
function sources(dir: string, declarations = false): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p, declarations));
    else if (e.name.endsWith('.ts') && e.name.endsWith('.d.ts') === declarations) out.push(p);
  }
  return out;
}

/** Relative module specifiers of a source: static imports/exports (type-only too) and dynamic import(). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*'(\.[^']+)'|\bimport\(\s*'(\.[^']+)'\s*\)/g)].map((m) => m[1] ?? m[2]!);
  return specs.map((s) => normalize(join(dirname(file), s.replace(/\.js$/, '.ts'))));
}

/** Every cycle of the graph, as the chain of files that closes it (depth-first, one per back edge). */
function cycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (u: string): void => {
    state.set(u, 1);
    stack.push(u);
    for (const v of graph.get(u) ?? []) {
      if (state.get(v) === 1) found.push([...stack.slice(stack.indexOf(v)), v]);
      else if (!state.has(v)) visit(v);
    }
    stack.pop();
    state.set(u, 2);
  };
  for (const u of graph.keys()) if (!state.has(u)) visit(u);
  return found;
}

const files = sources(join(ROOT, 'ts'));
const graph = new Map(files.map((f) => [f, imports(f)]));

test('the walk sees the shell: every folder of the layout, and imports that resolve to sources', () => {
  const folders = new Set(files.map((f) => relative(ROOT, dirname(f))));
  for (const dir of ['ts/cli', 'ts/api', 'ts/live', 'ts/pipeline', 'ts/parallel', 'ts/fields', 'ts/output', 'ts/scap', 'ts/filter', 'ts/rules', 'ts/events']) {
    assert.ok(folders.has(dir), `${dir} holds modules`);
  }
  // A module the build generates (ts/rules/item_validate.js) is declared by a .d.ts beside the sources.
  const known = new Set([...files, ...sources(join(ROOT, 'ts'), true).map((f) => f.replace(/\.d\.ts$/, '.ts'))]);
  const edges = [...graph.values()].flat();
  assert.ok(edges.length > 300, `the walk found ${edges.length} relative imports`);
  const dangling = edges.filter((t) => !known.has(t));
  assert.equal(dangling, [], 'every relative import names a source file of ts/ (or a generated module it declares)');
  // The entry points import across folders as expected (the walk follows real edges).
  assert.ok(graph.get(join(ROOT, 'ts/cli/main.ts'))!.some((t) => t.includes('/ts/pipeline/') || t.includes('/ts/cli/')));
});

test('no module sits loose at the top of ts/ but the shared error and warning helpers', () => {
  const top = files.filter((f) => dirname(f) === join(ROOT, 'ts')).map((f) => relative(ROOT, f)).sort();
  assert.equal(top, ['ts/errors.ts', 'ts/warn.ts']);
});

test('no import cycle in ts/, type imports included', () => {
  const found = cycles(graph).map((c) => c.map((f) => relative(ROOT, f)).join(' -> '));
  assert.equal(found, []);
});

test('the cycle finder finds a cycle when there is one (so an empty answer means something)', () => {
  const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
  assert.equal(cycles(g), [['a', 'b', 'c', 'a']]);
});

test.run();
