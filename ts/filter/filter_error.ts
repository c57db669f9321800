/**
 * The error of a bad filter condition: a {@link ScapdriftError} with code
 * E_OPTION, the 1-based position in the condition text and, when the cause is
 * a field scapdrift does not have, that field (the rules loader skips such a
 * rule with a warning instead of failing).
 */
import { ScapdriftError, ErrorCode } from '../errors.js';
import { at } from './messages.js';

export class FilterError extends ScapdriftError {
  /** 1-based character index into the condition text. */
  readonly pos: number;
  /** The unknown or unfilterable field name, when that is the error. */
  readonly unsupportedField: string | undefined;

  /** `message` is the full text; use {@link filterError} to make one from a detail and position. */
  constructor(message: string, pos: number, unsupportedField?: string) {
    super(ErrorCode.OPTION, message);
    this.pos = pos;
    this.unsupportedField = unsupportedField;
  }
}

/** "DETAIL at POS" as a FilterError. */
export function filterError(detail: string, pos: number, unsupportedField?: string): FilterError {
  return new FilterError(at(detail, pos), pos, unsupportedField);
}
