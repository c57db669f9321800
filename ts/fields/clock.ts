/**
 * Local wall-clock text of an epoch second, as evt.time and evt.datetime print it (the shell's
 * ts/fields/fields.ts and the Wasm formatter's clockText import, which caches it per second).
 */

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

/** "HH:MM:SS" of epoch second `sec` in local time; "YYYY-MM-DD HH:MM:SS" when `withDate`. */
export function localSecondText(sec: number, withDate: boolean): string {
  const d = new Date(sec * 1000);
  const time = `${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}`;
  return withDate ? `${d.getFullYear()}-${pad(d.getMonth() + 1, 2)}-${pad(d.getDate(), 2)} ${time}` : time;
}

/** Nanoseconds of the second of an epoch-ns time, 9 digits. */
export function nanosText(ts: bigint): string {
  return pad(Number(ts % 1_000_000_000n), 9);
}
