/** Loader hooks of probe.js: a `PROBE load URL` line on stderr for every module loaded. */
export async function load(url: string, context: unknown, next: (url: string, context: unknown) => Promise<unknown>): Promise<unknown> {
  (process as unknown as { _rawDebug(s: string): void })._rawDebug(`PROBE load ${url}`);
  return next(url, context);
}
