/**
 * Alerts of matched rules, in Falco's two output forms:
 * - text: `HH:MM:SS.nnnnnnnnn: Priority Output` (local time, as Falco prints it);
 * - JSON (one line): `{"hostname","output","output_fields","priority","rule","source","tags","time"}`
 *   with `output` the text form, `output_fields` the values of the output's
 *   %fields (missing → null, 64-bit values exact) plus `evt.time` in epoch ns,
 *   and `time` in ISO 8601 UTC with nanoseconds.
 */
import type { EventView } from '../fields/event_view.js';
import type { LoadedRule } from './load.js';
import { clockText, extractField, type FieldRef } from '../fields/fields.js';
import { renderFormat, fieldJson } from '../output/render.js';
import { escapeText } from '../fields/escape.js';

/** What an alert shows of its rule. */
export type AlertRule = Pick<LoadedRule, 'name' | 'priority' | 'tags' | 'source' | 'output'>;

/** Falco's text line of an alert. */
export function alertText(v: EventView, rule: AlertRule): string {
  return `${clockText(v.ts)}: ${rule.priority} ${renderFormat(v, rule.output)}`;
}

/** ISO 8601 UTC with nanoseconds: 2026-11-29T19:07:31.421539124Z. */
export function isoTime(ts: bigint): string {
  const s = new Date(Number(ts / 1_000_000n)).toISOString().slice(0, 19);
  return `${s}.${String(ts % 1_000_000_000n).padStart(9, '0')}Z`;
}

/** Falco's JSON object of an alert (keys in Falco's order). */
export function alertJson(v: EventView, rule: AlertRule, hostname: string): string {
  const fields = rule.output.filter((p): p is FieldRef => typeof p !== 'string');
  let outputFields = `{"evt.time":${v.ts}`;
  const seen = new Set(['evt.time']); // a map in Falco: a field named twice is one key
  for (const f of fields) {
    if (seen.has(f.text)) continue;
    seen.add(f.text);
    outputFields += `,${JSON.stringify(f.text)}:${fieldJson(f, extractField(v, f))}`;
  }
  outputFields += '}';
  // The hostname (machine-info block) and the rule's name, source and tags (rules file) are
  // escaped like kernel strings.
  return `{"hostname":${JSON.stringify(escapeText(hostname))},"output":${JSON.stringify(alertText(v, rule))},` +
    `"output_fields":${outputFields},"priority":${JSON.stringify(rule.priority)},"rule":${JSON.stringify(escapeText(rule.name))},` +
    `"source":${JSON.stringify(escapeText(rule.source))},"tags":${JSON.stringify(rule.tags.map(escapeText))},"time":${JSON.stringify(isoTime(v.ts))}}`;
}
