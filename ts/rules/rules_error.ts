/**
 * The error of a bad rules file: a ScapdriftError (code E_RULES) whose message starts with
 * FILE:LINE:COLUMN of the offending item or YAML node, and that carries the place and, when
 * the error is in one, the rule, macro or list, as data.
 */
import { ScapdriftError, ErrorCode } from '../errors.js';

/** Where in which file: 1-based line and column. */
export interface Place { file: string; line: number; col: number }

/** The rules-file item an error is in: its kind and its `rule:`, `macro:` or `list:` name. */
export interface RulesItem { kind: 'rule' | 'macro' | 'list'; name: string }

export function placeText(p: Place): string {
  return `${p.file}:${p.line}:${p.col}`;
}

export class RulesError extends ScapdriftError {
  /** The file, line and column the error is at. */
  readonly place: Place;
  /** The rule, macro or list the error is in, when known (not for YAML syntax or a malformed item). */
  readonly item?: RulesItem;
  constructor(place: Place, detail: string, item?: RulesItem) {
    super(ErrorCode.RULES, `${placeText(place)}: ${detail}`);
    this.place = place;
    if (item) this.item = item;
  }
}
