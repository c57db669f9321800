/** Falco rule priorities: parsed case-insensitively, printed capitalised as Falco prints them. */

const NAMES: Record<string, string> = {
  emergency: 'Emergency', alert: 'Alert', critical: 'Critical', error: 'Error', warning: 'Warning',
  notice: 'Notice', informational: 'Informational', info: 'Informational', debug: 'Debug',
};

/** The printed form of priority `text` ("WARNING" → "Warning"), or undefined when it is none. */
export function parsePriority(text: string): string | undefined {
  return NAMES[text.toLowerCase()];
}

/** Falco's order of priorities, most severe first (falco_common::priority_type). */
const ORDER = ['Emergency', 'Alert', 'Critical', 'Error', 'Warning', 'Notice', 'Informational', 'Debug'];

/** Rank of priority `text` (0 = Emergency … 7 = Debug), or undefined when it is none. */
export function priorityRank(text: string): number | undefined {
  const p = parsePriority(text);
  return p === undefined ? undefined : ORDER.indexOf(p);
}
