/**
 * The library as an npm user meets it (issue 17): `npm pack` runs `prepack` (the Wasm decoder,
 * dist/ts and the bundled command line dist/bin built from the sources), the tarball is installed
 * into a temporary app outside the checkout (its dependencies from the npm cache, or the
 * registry), the README's library example — events, then alerts of the default rules — runs
 * there and is type-checked without @types/node (lib ES2022 + DOM; on ES2022 alone the types lack
 * URL and WebAssembly, as README says), and the installed `scapdrift` bin runs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { capture } from './helpers/captures.js';

const ROOT = process.cwd();
const app = mkdtempSync(join(tmpdir(), 'scapdrift-app-'));

/** The environment of the children: no colours (uvu sets FORCE_COLOR, which console.log obeys). */
const { FORCE_COLOR: _color, ...ENV } = process.env;

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 26, timeout: 600_000, env: { ...ENV, NO_COLOR: '1', ...env } });
  assert.is(r.status, 0, `${cmd} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The first ```ts block of the README's Library section. */
function readmeExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const library = readme.slice(readme.indexOf('\n## Library\n'));
  const m = /```ts\n([\s\S]*?)```/.exec(library);
  assert.ok(m, 'the README has a library example');
  return m[1]!;
}

test('npm pack builds and ships dist/ts and the Wasm decoder; the README example runs in an app outside the checkout, with rules', () => {
  run('npm', ['pack', '--pack-destination', app, '--silent'], ROOT);
  const tarball = readdirSync(app).find((f) => f.endsWith('.tgz'));
  assert.ok(tarball, 'a tarball');
  const listing = run('tar', ['tzf', join(app, tarball)], app).split('\n');
  for (const f of ['package/dist/ts/api/index.js', 'package/dist/ts/api/index.d.ts', 'package/dist/ts/parallel/worker.js', 'package/dist/bin/cli/main.cjs', 'package/dist/bin/parallel/worker.cjs', 'package/build/scapdrift.wasm', 'package/build/decoder_tables.bin', 'package/rules/scapdrift_rules.yaml']) {
    assert.ok(listing.includes(f), `the tarball ships ${f}`);
  }
  assert.not.ok(listing.some((f) => f.startsWith('package/dist/test/') || f.startsWith('package/driver/build/')), 'no tests or machine-built driver objects');

  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  run('npm', ['install', join(app, tarball), '--prefer-offline', '--no-audit', '--no-fund', '--silent'], app);
  copyFileSync(capture('drop_exec.scap'), join(app, 'drop_exec.scap'));
  const example = readmeExample();
  writeFileSync(join(app, 'example.mjs'), example);
  const out = run(process.execPath, ['example.mjs'], app).trimEnd().split('\n');
  // Events: execve exits of drop_exec.scap, evt.num first; the copied ls among them.
  assert.ok(/^139 \/usr\/bin\/grep -?\d+n$/.test(out[0]!), `first line: ${out.slice(0, 3).join('\n')}`);
  assert.ok(out.some((l) => /^\d+ \/tmp\/dropped_ls -?\d+n$/.test(l)), 'the dropped binary is an event');
  assert.ok(out.includes('vm 6471'), 'hostname and event count');
  // Alerts of the default rules, typed objects with JSON-safe values.
  const alert = out.find((l) => l.startsWith('Critical Binary written and made executable during the capture, then run '));
  assert.ok(alert, `the drift alert, in:\n${out.slice(-4).join('\n')}`);
  const fields = JSON.parse(alert!.slice(alert!.indexOf('{'))) as Record<string, unknown>;
  assert.is(fields['proc.exepath'], '/tmp/dropped_ls');
  assert.is(fields['drift.exe_writer.name'], 'cp');
  assert.is(fields['proc.pid'], '14429', '64-bit values as strings (jsonSafe)');

  // The command line as `npm install` links it (package.json bin: the bundle, dist/bin/): the
  // drift alert of the default rules, with YAML and the workers' modules from the tarball's bundle.
  const bin = join(app, 'node_modules', '.bin', 'scapdrift');
  const alerts = run(bin, ['read', 'drop_exec.scap', '--default-rules', '--workers', '2'], app, { SCAPDRIFT_BATCH_BYTES: '65536' }); // ~10 batches: the worker runs
  assert.match(alerts, /: Critical Binary written and made executable during the capture, then run \(proc\.exepath=\/tmp\/dropped_ls .*writer\.name=cp /);
  assert.is(run(bin, ['-V'], app).trim(), JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);

  // The public types, with no @types/node (no Node globals) and every declaration checked, on
  // ES2022 and DOM (TypeScript's default lib for that target, named here as README says).
  writeFileSync(join(app, 'example.ts'), example);
  const tsconfig = (lib: string[]): string => JSON.stringify({
    compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib, strict: true, noEmit: true, types: [], skipLibCheck: false },
    files: ['example.ts'],
  });
  const tsc = resolve(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  writeFileSync(join(app, 'tsconfig.json'), tsconfig(['ES2022', 'DOM']));
  run(process.execPath, [tsc, '-p', '.'], app);
  // README's library section: on ES2022 alone the declarations lack exactly two globals, in two
  // internal files (the example's own `console` is the app's affair).
  writeFileSync(join(app, 'tsconfig.json'), tsconfig(['ES2022']));
  const bare = spawnSync(process.execPath, [tsc, '-p', '.'], { cwd: app, encoding: 'utf8', env: ENV });
  const missing = new Set([...bare.stdout.matchAll(/node_modules\/scapdrift\/dist\/ts\/(\S+?)\(\d+,\d+\): error TS\d+: Cannot find (?:name|namespace) '(\w+)'/g)].map((m) => `${m[1]} ${m[2]}`));
  assert.equal([...missing].sort(), ['parallel/job.d.ts URL', 'pipeline/wasm.d.ts WebAssembly'], bare.stdout);
  assert.not.ok(/node_modules\/scapdrift\/.*error TS(?!2304|2503)/.test(bare.stdout), `no other error in the package's types:\n${bare.stdout}`);
});

test.after(() => rmSync(app, { recursive: true, force: true }));
test.run();
