/**
 * Wasm tiering that suits a short process (issue 17, start-up). V8 runs a Wasm function first
 * as baseline code (Liftoff) and compiles a hot one again with TurboFan on a background thread
 * once it has spent its tiering budget (`--wasm-tiering-budget`, ~bytes of code executed; 1.8 M
 * in Node 20's V8 11.3). V8 fixes a module's budget when it compiles the module, and at exit the
 * process waits for the TurboFan jobs still running: a `read` of a 22 KB capture waited ~15 ms
 * after its last output for code it would never run (bench/RESULTS.md, session 8). So a process
 * that decodes a short input compiles the decoder with a budget it never spends: every function
 * stays on Liftoff, which costs less than the wait up to inputs of ~10 MB and ~5–10 % of the
 * decode above ~30 MB (measured, same table), hence the bound below.
 */

/** Inputs of at most this many bytes (a file's size; a gzip file's ISIZE) count as short. */
export const SHORT_INPUT_BYTES = 8 * 1024 * 1024;

/** The tiering budget for a short input: no decoder function reaches it on such an input. */
export const SHORT_INPUT_TIERING_BUDGET = 1_000_000_000;

/**
 * Whether a process decoding `inputBytes` (undefined: unknown, a pipe or a live capture) should
 * compile the decoder with {@link SHORT_INPUT_TIERING_BUDGET}: a known size up to
 * {@link SHORT_INPUT_BYTES}, and no tiering budget set by the user (`nodeFlags`: Node's
 * `process.execArgv` and the words of NODE_OPTIONS).
 */
export function isShortInput(inputBytes: number | undefined, nodeFlags: readonly string[]): boolean {
  if (inputBytes === undefined || inputBytes > SHORT_INPUT_BYTES) return false;
  return !nodeFlags.some((f) => /^--wasm[-_]tiering[-_]budget/.test(f));
}

/**
 * Sets V8's tiering budget for the decoder module when this process decodes a short input
 * ({@link isShortInput}). Process-wide and read by V8 when a module is compiled: call it before
 * the first decoder of the process (ts/pipeline/wasm.ts wasmModule compiles once per process);
 * later, it changes nothing. For one-capture processes (the `read` command), not the library.
 */
export async function tierForInput(inputBytes: number | undefined): Promise<void> {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  if (!isShortInput(inputBytes, flags)) return;
  const { setFlagsFromString } = await import('node:v8');
  setFlagsFromString(`--wasm-tiering-budget=${SHORT_INPUT_TIERING_BUDGET}`);
}
