#!/usr/bin/env node
// Bundles the command line (dist/ts/cli/main.js, compiled by tsc) into dist/bin/ with esbuild:
// ES modules split at every dynamic import() (filter compiler, rules and YAML, live capture,
// workers, … load only when a command uses them), npm dependencies included. A tiny `read` then
// loads ~20 files instead of ~50 modules and their package lookups (bench/RESULTS.md,
// start-up), each then converted to a CommonJS file (.cjs: no ES module loader at run time, see
// commonJs below). Run by `npm run build:ts` after tsc and the rules validator; package.json's
// `bin` is dist/bin/cli/main.cjs. The library (dist/ts/api/) is not bundled.
//
// A module that names another file by `new URL(path, import.meta.url)` (a worker, a job module
// a worker imports, the Wasm decoder, the rules) keeps working in the bundle: every folder of
// dist/bin/ is one level below it, as in dist/ts/, so `../../../x` still names the checkout's
// x; a JavaScript target is one more entry, written where its path says
// (dist/bin/parallel/worker.cjs); and a same-folder path (`./worker.js`, which a chunk in
// dist/bin/chunks/ would miss) is rewritten through its folder (`../parallel/worker.js`).
// The build fails if any such path of the output names no file of the bundle, or leaves the
// checkout.
//
// Node pays ~2 ms of CPU per ES module file it loads (resolve, realpath, read, compile, link),
// and esbuild makes one chunk per set of entries (dynamic import() targets included) sharing a
// module: the read path alone came out as ~17 files. So every entry whose modules overlap the
// read path (cli/read.js and what it imports statically: the decoder, fields, plan, output)
// imports cli/read.js first — except cli/main.js, which stays small for help and -V: the read
// path then loads as ~5 files (read path modules shared with one more entry, a worker's job
// module, are a chunk of their own), for ~40 ms less CPU (bench/RESULTS.md).

//
//   node scripts/build_cli.mjs
import { build, transform } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'dist', 'ts');
const OUT = join(ROOT, 'dist', 'bin');
const MAIN = join(SRC, 'cli', 'main.js');
/** `new URL('<path>', import.meta.url)`, as tsc and esbuild print it. */
const URL_REF = /new URL\((['"])([^'"]+)\1,\s*import\.meta\.url\)/g;

const READ = join(SRC, 'cli', 'read.js');

/**
 * Generated tables of libs' facts that every `read` loads, bundled as JSON.parse of their values:
 * V8 parses a large array or object literal as code (an AST node per element, a boilerplate, then
 * the copy) — the event table's ~48 KB took ~3.2 ms to import, as JSON ~2.0 ms (bench/RESULTS.md,
 * start-up).
 */
const JSON_TABLES = new Set(['events/event_table_data.js', 'events/syscall_table_data.js', 'events/ppm_constants.js'].map((f) => join(SRC, f)));

/**
 * The module `file` of dist/ts as JSON.parse of each export's value; an export that is an object
 * of an earlier export (ppm_constants' FILE_FLAG_NAMES = FLAG_TABLES.file_flags) stays that
 * object. Throws when an export is not plain JSON data (the value would change), or has an
 * object twice or frozen (its identity or state would be lost).
 */
async function jsonModule(file) {
  const fail = (what) => { throw new Error(`build_cli: ${relative(ROOT, file)}: ${what}`); };
  const exports = Object.entries(await import(pathToFileURL(file).href));
  /** Each object inside the exports (not an export itself), and the expression that reads it. */
  const paths = new Map();
  const visit = (v, path) => {
    for (const [k, x] of typeof v === 'object' && v !== null ? Object.entries(v) : []) {
      if (typeof x !== 'object' || x === null) continue;
      const at = `${path}[${JSON.stringify(Array.isArray(v) ? Number(k) : k)}]`;
      if (paths.has(x) || Object.isFrozen(x)) fail(`${at} is an object met twice or frozen`);
      paths.set(x, at);
      visit(x, at);
    }
  };
  /** Every object inside an export, at any depth: an export among them is read from the other. */
  const inside = new Set();
  const collect = (v) => {
    for (const x of typeof v === 'object' && v !== null ? Object.values(v) : []) if (typeof x === 'object' && x !== null && !inside.has(x)) { inside.add(x); collect(x); }
  };
  for (const [, value] of exports) collect(value);
  const own = exports.filter(([, value]) => !inside.has(value));
  for (const [name, value] of own) visit(value, name);
  const lines = [];
  for (const [name, value] of own) {
    const text = JSON.stringify(value);
    if (text === undefined || !isDeepStrictEqual(JSON.parse(text), value)) fail(`${name} is not JSON data`);
    if (typeof value === 'object' && value !== null && Object.isFrozen(value)) fail(`${name} is frozen`);
    lines.push(`export const ${name} = ${typeof value === 'object' && value !== null ? `JSON.parse(${JSON.stringify(text)})` : text};`);
  }
  // An export that is an object of another export: that object.
  for (const [name, value] of exports) if (inside.has(value)) lines.push(`export const ${name} = ${paths.get(value)};`);
  return lines.join('\n');
}

/**
 * Same-folder paths go through the folder: valid from dist/ts/D/ and from any folder of dist/bin/.
 * The files of `withRead` import cli/read.js first; the modules of JSON_TABLES are their values.
 */
const sources = (withRead) => ({
  name: 'scapdrift-sources',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      if (!args.path.startsWith(SRC + sep)) return undefined;
      if (JSON_TABLES.has(args.path)) return { contents: await jsonModule(args.path), loader: 'js' };
      const folder = basename(dirname(args.path));
      const text = readFileSync(args.path, 'utf8').replace(URL_REF, (m, q, p) => (p.startsWith('./') ? `new URL(${q}../${folder}/${p.slice(2)}${q}, import.meta.url)` : m));
      return { contents: withRead.has(args.path) ? `import ${JSON.stringify(READ)};\n${text}` : text, loader: 'js' };
    });
  },
});

/**
 * Node's built-in modules (but node:module, which the banner imports) are required through the
 * banner's `require`, not imported: an ES import makes Node build the module's ES facade, which
 * reads every export once — for node:fs its lazy ones too (fs.promises, the stream classes), ~3 ms
 * at every start (bench/RESULTS.md, start-up); a require hands the module object over, read
 * where the code uses it. The stand-in's exports are an object whose prototype is the module, with
 * no own properties: esbuild's interop (__toESM) copies an accessor for every own property of a
 * CommonJS module's exports into a namespace at start-up (~300 KB of a tiny read's allocations for
 * fs, zlib, url, os, util), while a name read through the prototype is the module's own.
 */
const builtinsRequired = {
  name: 'scapdrift-builtins-required',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => {
      if (args.path === 'node:module') return undefined;
      // The require() of the stand-in below: Node's own module, at run time. A dynamic import()
      // stays one (the stand-in would give it a default export only, not the module's names).
      if (args.kind === 'require-call' || args.kind === 'dynamic-import') return { path: args.path, external: true };
      return { path: args.path, namespace: 'builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({ contents: `module.exports = Object.create(require(${JSON.stringify(args.path)}));`, loader: 'js' }));
  },
};

const options = (entryPoints, write, withRead = new Set()) => ({
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
  plugins: [sources(withRead), builtinsRequired],
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

/** The dist/ts files statically imported, transitively, by `file` (itself included). */
function staticClosure(metafile, file) {
  const seen = new Set();
  const walk = (f) => {
    if (seen.has(f)) return;
    seen.add(f);
    for (const i of metafile.inputs[relative(ROOT, f)]?.imports ?? []) if (i.kind === 'import-statement' && !i.external) walk(resolve(ROOT, i.path));
  };
  walk(file);
  return seen;
}

// Entries: the CLI, then every module named by URL from what is bundled, until no new one.
const entries = new Set([MAIN]);
let found;
for (;;) {
  found = (await build(options([...entries], false))).metafile;
  const before = entries.size;
  for (const t of urlTargets(found)) entries.add(t);
  if (entries.size === before) break;
}
// Entries of esbuild's splitting (named by URL, or a dynamic import() target) outside the read
// path that share modules with it import it first (header).
const readPath = staticClosure(found, READ);
const splitPoints = new Set([...entries].filter((e) => e !== MAIN));
for (const input of Object.values(found.inputs)) {
  for (const i of input.imports) if (i.kind === 'dynamic-import' && !i.external) splitPoints.add(resolve(ROOT, i.path));
}
const withRead = new Set([...splitPoints].filter((e) => e.startsWith(SRC + sep) && !readPath.has(e) && [...staticClosure(found, e)].some((f) => readPath.has(f))));
const { metafile, outputFiles } = await build(options([...entries], false, withRead));
/** The bundle's ES modules by absolute path (.js). */
const texts = new Map(outputFiles.map((f) => [f.path, f.text]));

// Every URL path in the output names an emitted file (dist/bin), or a path of the checkout outside
// dist/ (the Wasm, rules, samples, the driver: the same as from dist/ts).
const outputs = new Set(Object.keys(metafile.outputs).map((o) => resolve(ROOT, o)));
const missing = [];
for (const o of outputs) {
  for (const [, , p] of texts.get(o).matchAll(URL_REF)) {
    const target = resolve(dirname(o), p);
    const ok = target.startsWith(OUT + sep) ? outputs.has(target) : !target.startsWith(join(ROOT, 'dist') + sep) && target.startsWith(ROOT);
    if (!ok) missing.push(`${relative(ROOT, o)}: ${p} → ${relative(ROOT, target)}`);
  }
}
if (missing.length) throw new Error(`build_cli: paths of the bundle that name nothing:\n${missing.join('\n')}`);

/** The line the `banner` option puts first in every ES module of the bundle. */
const BANNER = options([], false).banner.js;

/**
 * The bundle's ES module at `path` as a CommonJS module (.cjs): Node then loads the command line
 * with `require` and never starts its ES module loader (module jobs, resolution, linking, and
 * the fs/promises and readline modules it reads files with): 10–20 ms of CPU and ~170–250 page
 * faults less for a tiny read, with or without rules (bench/RESULTS.md, start-up, session 10).
 * The bundle's own paths (imports, `new URL`) name the .cjs files; an `import()` of one of them
 * or of a built-in module is a `require` (the ES loader would start for it); an `import()` of a
 * URL (the job module of a decode worker) stays one, the ES loader then handing the .cjs file to
 * CommonJS's (same instances); `import.meta.url` is the file's URL; strict mode, as in a module.
 */
async function commonJs(path, text) {
  const shebang = /^#![^\n]*\n/.exec(text)?.[0] ?? '';
  if (!text.startsWith(BANNER, shebang.length)) throw new Error(`build_cli: ${relative(ROOT, path)} does not start with the banner`);
  const code = text
    .slice(shebang.length + BANNER.length)
    .replace(/(["'])(\.\.?\/[^"']*)\.js\1/g, (m, q, p) => (texts.has(resolve(dirname(path), `${p}.js`)) ? `${q}${p}.cjs${q}` : m))
    .replace(/\bimport\((["'])((?:\.\.?\/[^"']*\.cjs)|(?:node:[^"']*))\1\)/g, 'Promise.resolve().then(() => require($1$2$1))');
  const out = await transform(code, {
    format: 'cjs',
    loader: 'js',
    platform: 'node',
    target: 'node20',
    define: { 'import.meta.url': '__importMetaUrl' },
    banner: "'use strict';const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;",
    minifyWhitespace: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  return shebang + out.code;
}

rmSync(OUT, { recursive: true, force: true });
for (const [path, text] of texts) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path.replace(/\.js$/, '.cjs'), await commonJs(path, text), { mode: text.startsWith('#!') ? 0o755 : 0o644 });
}
console.error(`build_cli: dist/bin: ${outputs.size} files (CommonJS), entries ${[...entries].map((e) => relative(SRC, e)).join(', ')}`);
