/**
 * Errors raised by scapdrift.
 *
 * Every error carries a stable string `code` (one of {@link ErrorCode}) so callers can branch on
 * it without parsing messages. Class identity does not survive a structured clone between worker
 * threads, so test errors with {@link isScapdriftError}, never with `instanceof`, and send them
 * across threads as {@link ScapdriftErrorData}.
 */

/** Stable error codes. Values never change once released; add new ones at the end. */
export const ErrorCode = {
  /** The stream ended inside a block (or inside a gzip member). */
  TRUNCATED: 'E_TRUNCATED',
  /** The section header's byte-order magic is not SHB_MAGIC. */
  BAD_MAGIC: 'E_BAD_MAGIC',
  /** The section header's byte-order magic is SHB_MAGIC byte-swapped: a big-endian capture. */
  BIG_ENDIAN: 'E_BIG_ENDIAN',
  /** The section header's major version is newer than this reader understands. */
  UNSUPPORTED_VERSION: 'E_UNSUPPORTED_VERSION',
  /** A block's contents disagree with its own lengths (entry overruns, bad string length, ...). */
  BAD_BLOCK: 'E_BAD_BLOCK',
  /** A block's total length is absurd, or its trailing copy differs from the header. */
  BAD_BLOCK_LENGTH: 'E_BAD_BLOCK_LENGTH',
  /** The input does not start with a section header block: not a scap capture. */
  NOT_SCAP: 'E_NOT_SCAP',
  /** The input holds no bytes at all. */
  EMPTY: 'E_EMPTY',
  /** An event frame inside an event block is malformed. */
  CORRUPT_FRAME: 'E_CORRUPT_FRAME',
  /** The gzip layer is corrupt (bad header, bad deflate data, bad checksum). */
  CORRUPT_GZIP: 'E_CORRUPT_GZIP',
  /** The operating system refused an operation (missing file, permission, read error). */
  IO: 'E_IO',
  /** A public API option is invalid or unknown. */
  OPTION: 'E_OPTION',
  /**
   * A rules file is invalid: YAML syntax, an item Falco's schema rejects, a bad condition (unknown
   * field, unknown macro) or output. A RulesError (ts/rules/rules_error.ts): its `place` names the
   * file, line and column, its `item` the rule, macro or list when the error is in one.
   */
  RULES: 'E_RULES',
} as const;

/** One of the values of {@link ErrorCode}. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The `name` every scapdrift error carries, also after a structured clone. */
export const SCAPDRIFT_ERROR_NAME = 'ScapdriftError';

/** Options of the {@link ScapdriftError} constructor. */
export interface ScapdriftErrorOptions {
  /** Absolute byte offset in the (decompressed) stream that the error is about. */
  offset?: number;
  /** The lower-level error that caused this one. */
  cause?: unknown;
}

/** An error raised by scapdrift, with a stable {@link ErrorCode} and, when known, a byte offset. */
export class ScapdriftError extends Error {
  /** Stable machine-readable code, one of {@link ErrorCode}. */
  readonly code: ErrorCodeValue;
  /** Absolute byte offset in the (decompressed) stream that the error is about, when known. */
  readonly offset?: number;

  /** Makes an error; `message` should already name the offset (see {@link messageAt}). */
  constructor(code: ErrorCodeValue, message: string, options: ScapdriftErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = SCAPDRIFT_ERROR_NAME;
    this.code = code;
    if (options.offset !== undefined) this.offset = options.offset;
  }
}

/** The plain-object shape of a {@link ScapdriftError}, safe to post between worker threads. */
export interface ScapdriftErrorData {
  name: typeof SCAPDRIFT_ERROR_NAME;
  code: ErrorCodeValue;
  message: string;
  offset?: number;
}

/**
 * True for a {@link ScapdriftError} and for its structured clone or {@link ScapdriftErrorData}:
 * an object whose `name` is "ScapdriftError" and whose `code` is a string starting with "E_".
 */
export function isScapdriftError(e: unknown): e is ScapdriftError {
  if (typeof e !== 'object' || e === null) return false;
  const o = e as { name?: unknown; code?: unknown };
  return o.name === SCAPDRIFT_ERROR_NAME && typeof o.code === 'string' && o.code.startsWith('E_');
}

/** Copies an error into a plain object that survives `postMessage`. */
export function toErrorData(e: ScapdriftError | ScapdriftErrorData): ScapdriftErrorData {
  const data: ScapdriftErrorData = { name: SCAPDRIFT_ERROR_NAME, code: e.code, message: e.message };
  if (e.offset !== undefined) data.offset = e.offset;
  return data;
}

/** Rebuilds a throwable {@link ScapdriftError} from {@link ScapdriftErrorData}. */
export function fromErrorData(data: ScapdriftErrorData): ScapdriftError {
  return new ScapdriftError(data.code, data.message, { offset: data.offset });
}

/**
 * Formats a message that names the offset, in the one shape every scapdrift message uses:
 * `messageAt('truncated capture', 1234, 'expected 56 more bytes of block 0x216 (EV_BLOCK_TYPE_V2)')`
 * → "truncated capture at byte 1234: expected 56 more bytes of block 0x216 (EV_BLOCK_TYPE_V2)".
 */
export function messageAt(what: string, offset: number, detail: string): string {
  return `${what} at byte ${offset}: ${detail}`;
}

/** Shorthand for a {@link ScapdriftError} whose message and `offset` name the same byte. */
export function errorAt(
  code: ErrorCodeValue,
  what: string,
  offset: number,
  detail: string,
  cause?: unknown,
): ScapdriftError {
  return new ScapdriftError(code, messageAt(what, offset, detail), { offset, cause });
}
