/** Falco rule priorities: parsed case-insensitively, printed capitalised as Falco prints them. */

const NAMES: Record<string, string> = {
  emergency: 'Emergency', alert: 'Alert', critical: 'Critical', error: 'Error', warning: 'Warning',
  notice: 'Notice', informational: 'Informational', info: 'Informational', debug: 'Debug',
};

/** The printed form of priority `text` ("WARNING" → "Warning"), or undefined when it is none. */
export function parsePriority(text: string): string | undefined {
  return NAMES[text.toLowerCase()];
}
