/**
 * The error of a bad rules file: a ScapdriftError (code E_OPTION) whose
 * message starts with FILE:LINE:COLUMN of the offending item or YAML node.
 */
import { ScapdriftError, ErrorCode } from '../errors.js';

/** Where in which file: 1-based line and column. */
export interface Place { file: string; line: number; col: number }

export function placeText(p: Place): string {
  return `${p.file}:${p.line}:${p.col}`;
}

export class RulesError extends ScapdriftError {
  readonly place: Place;
  constructor(place: Place, detail: string) {
    super(ErrorCode.OPTION, `${placeText(place)}: ${detail}`);
    this.place = place;
  }
}
