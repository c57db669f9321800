/**
 * A preload (`node --import dist/test/helpers/probe.js …`) that reports, on stderr, one line
 * per event the start-up and plan tests count, from any thread, as it happens:
 * `PROBE load URL` for every module loaded (through the loader hooks of probe_hooks.js, and for a
 * built-in module required, as the bundle does, through CommonJS's loader),
 * `PROBE wasm-instance` for every WebAssembly instance made, `PROBE read PATH` for every
 * readFileSync, `PROBE open PATH` for every file opened through node:fs (openSync, open — which
 * createReadStream uses — and fs/promises open). It changes no behaviour.
 */
import Module, { register, syncBuiltinESMExports } from 'node:module';
import fs from 'node:fs';
import wt from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

const say = (line: string): void => { (process as unknown as { _rawDebug(s: string): void })._rawDebug(`PROBE ${line}`); };

register('./probe_hooks.js', import.meta.url);

// The bundle is CommonJS and requires Node's built-in modules (scripts/build_cli.mjs): those loads
// bypass the loader hooks, and are reported here, as the hooks name them (`node:fs`, a file's
// URL), a file at its first load on the thread.
const cjs = Module as unknown as {
  _load(request: string, parent: unknown, isMain: boolean): unknown;
  _resolveFilename(request: string, parent: unknown, isMain: boolean): string;
  _cache: Record<string, unknown>;
};
const load = cjs._load;
cjs._load = function (request: string, parent: unknown, isMain: boolean) {
  if (request.startsWith('node:')) say(`load ${request}`);
  else if (!Module.isBuiltin(request)) {
    const file = cjs._resolveFilename(request, parent, isMain);
    if (!(file in cjs._cache)) say(`load ${pathToFileURL(file).href}`);
  }
  return load.call(this, request, parent, isMain);
};

const Instance = WebAssembly.Instance;
WebAssembly.Instance = new Proxy(Instance, {
  construct(target, args: [WebAssembly.Module, WebAssembly.Imports?]) {
    say('wasm-instance');
    return Reflect.construct(target, args) as object;
  },
});

const readFileSync = fs.readFileSync;
fs.readFileSync = ((path: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
  say(`read ${path instanceof URL ? path.pathname : String(path)}`);
  return (readFileSync as (...a: unknown[]) => unknown)(path, ...rest);
}) as typeof fs.readFileSync;

const pathOf = (path: fs.PathLike): string => (path instanceof URL ? path.pathname : String(path));
const openSync = fs.openSync;
fs.openSync = ((path: fs.PathLike, ...rest: unknown[]) => {
  say(`open ${pathOf(path)}`);
  return (openSync as (...a: unknown[]) => number)(path, ...rest);
}) as typeof fs.openSync;
const open = fs.open;
fs.open = ((path: fs.PathLike, ...rest: unknown[]) => {
  say(`open ${pathOf(path)}`);
  return (open as (...a: unknown[]) => void)(path, ...rest);
}) as typeof fs.open;
const openHandle = fs.promises.open;
fs.promises.open = ((path: fs.PathLike, ...rest: unknown[]) => {
  say(`open ${pathOf(path)}`);
  return (openHandle as (...a: unknown[]) => Promise<fs.promises.FileHandle>)(path, ...rest);
}) as typeof fs.promises.open;
syncBuiltinESMExports();

// Workers run this preload too (Node 20 runs no --import preload in workers): each starts as a
// small script that imports this file, then the worker's own module.
const Worker = wt.Worker;
wt.Worker = class extends Worker {
  constructor(url: string | URL, options: wt.WorkerOptions = {}) {
    const script = `import(${JSON.stringify(import.meta.url)}).then(() => import(${JSON.stringify(String(url))}))`;
    super(script, { ...options, eval: true });
  }
};
syncBuiltinESMExports();
