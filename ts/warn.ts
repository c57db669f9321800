/** Warnings on stderr: one line each, what came from a rules file or a capture escaped. */
import { escapeText } from './fields/escape.js';

/** One warning line on stderr; names from a rules file or a capture in it are escaped. */
export function warnLine(message: string): void {
  process.stderr.write(`scapdrift: warning: ${escapeText(message)}\n`);
}
