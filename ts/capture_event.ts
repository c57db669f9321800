/**
 * One event of the library API (openCapture): a plain object, field name →
 * value, copied out of the decoder's view — on the caller's thread or in a
 * parallel worker, which sends it over by structured clone.
 */
import { extractField, type FieldRef, type FieldValue } from './fields.js';
import type { EventView } from './event_view.js';

/** One event: field name → value (bigint for 64-bit values, null when missing). */
export type CaptureEvent = Record<string, FieldValue>;

/** The values of `fields` for the event `v` is on. */
export function captureEvent(v: EventView, fields: readonly FieldRef[]): CaptureEvent {
  const ev: CaptureEvent = {};
  for (const f of fields) ev[f.text] = extractField(v, f);
  return ev;
}
