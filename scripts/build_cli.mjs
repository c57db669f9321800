#!/usr/bin/env node
// Bundles the command line (dist/ts/cli/main.js, compiled by tsc) into dist/bin/ with esbuild:
// ES modules split at every dynamic import() (filter compiler, rules and YAML, live capture,
// workers, … load only when a command uses them), npm dependencies included. A tiny `read` then
// loads ~20 files instead of ~50 modules and their package lookups (bench/RESULTS.md,
// start-up). Run by `npm run build:ts` after tsc and the rules validator; package.json's `bin`
// is dist/bin/cli/main.js. The library (dist/ts/api/) is not bundled.
//
// A module that names another file by `new URL(path, import.meta.url)` (a worker, a job module
// a worker imports, the Wasm decoder, the rules) keeps working in the bundle: every folder of
// dist/bin/ is one level below it, as in dist/ts/, so `../../../x` still names the checkout's
// x; a JavaScript target is one more entry, written where its path says
// (dist/bin/parallel/worker.js); and a same-folder path (`./worker.js`, which a chunk in
// dist/bin/chunks/ would miss) is rewritten through its folder (`../parallel/worker.js`).
// The build fails if any such path of the output names no file of the bundle, or leaves the
// checkout.
//
//   node scripts/build_cli.mjs
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'dist', 'ts');
const OUT = join(ROOT, 'dist', 'bin');
const MAIN = join(SRC, 'cli', 'main.js');
/** `new URL('<path>', import.meta.url)`, as tsc and esbuild print it. */
const URL_REF = /new URL\((['"])([^'"]+)\1,\s*import\.meta\.url\)/g;

/** Same-folder paths go through the folder: valid from dist/ts/D/ and from any folder of dist/bin/. */
const throughFolder = {
  name: 'url-through-folder',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(SRC + sep)) return undefined;
      const folder = basename(dirname(args.path));
      const text = readFileSync(args.path, 'utf8');
      return { contents: text.replace(URL_REF, (m, q, p) => (p.startsWith('./') ? `new URL(${q}../${folder}/${p.slice(2)}${q}, import.meta.url)` : m)), loader: 'js' };
    });
  },
};

const options = (entryPoints, write) => ({
  entryPoints,
  absWorkingDir: ROOT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: OUT,
  outbase: SRC,
  entryNames: '[dir]/[name]',
  chunkNames: 'chunks/[name]-[hash]',
  // Bundled CommonJS packages (yaml, cli-progress) require Node's built-in modules.
  banner: { js: "import { createRequire as __scapdriftRequire } from 'node:module'; const require = __scapdriftRequire(import.meta.url);" },
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  metafile: true,
  write,
  plugins: [throughFolder],
  logLevel: 'warning',
});

/** The JavaScript files of dist/ts that the bundled modules name by URL (workers, job modules). */
function urlTargets(metafile) {
  const targets = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const file = resolve(ROOT, input);
    if (!file.startsWith(SRC + sep)) continue;
    for (const [, , p] of readFileSync(file, 'utf8').matchAll(URL_REF)) {
      const target = resolve(dirname(file), p);
      if (target.endsWith('.js') && target.startsWith(SRC + sep)) targets.add(target);
    }
  }
  return targets;
}

// Entries: the CLI, then every module named by URL from what is bundled, until no new one.
const entries = new Set([MAIN]);
for (;;) {
  const { metafile } = await build(options([...entries], false));
  const before = entries.size;
  for (const t of urlTargets(metafile)) entries.add(t);
  if (entries.size === before) break;
}
rmSync(OUT, { recursive: true, force: true });
const { metafile } = await build(options([...entries], true));

// Every URL path in the output names an emitted file (dist/bin), or a path of the checkout outside
// dist/ (the Wasm, rules, samples, the driver: the same as from dist/ts).
const outputs = new Set(Object.keys(metafile.outputs).map((o) => resolve(ROOT, o)));
const missing = [];
for (const o of outputs) {
  for (const [, , p] of readFileSync(o, 'utf8').matchAll(URL_REF)) {
    const target = resolve(dirname(o), p);
    const ok = target.startsWith(OUT + sep) ? outputs.has(target) : !target.startsWith(join(ROOT, 'dist') + sep) && target.startsWith(ROOT);
    if (!ok) missing.push(`${relative(ROOT, o)}: ${p} → ${relative(ROOT, target)}`);
  }
}
if (missing.length) throw new Error(`build_cli: paths of the bundle that name nothing:\n${missing.join('\n')}`);
console.error(`build_cli: dist/bin: ${outputs.size} files, entries ${[...entries].map((e) => relative(SRC, e)).join(', ')}`);
