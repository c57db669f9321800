/**
 * The section header block (SHB), first block of every capture.
 *
 * ```
 * body:
 * +------------------------+-----------+-----------+-----------------------+-------------------+
 * | byte_order_magic (u32) | major u16 | minor u16 | section_length (i64)  | pcapng options... |
 * +------------------------+-----------+-----------+-----------------------+-------------------+
 * option: code u16 | length u16 | value (padded to 4 bytes); code 0 ends the list.
 * ```
 *
 * libs reads the 16 fixed bytes, skips the options unread, rejects any magic other than
 * SHB_MAGIC and any major version greater than 1 (it accepts 0).
 */

import { ErrorCode, errorAt } from '../errors.js';
import { ByteCursor, decodeUtf8 } from './byte_cursor.js';
import {
  BLOCK_HEADER_BYTES,
  SHB_BLOCK_TYPE,
  SHB_CURRENT_MAJOR_VERSION,
  SHB_MAGIC,
  SHB_MAGIC_SWAPPED,
  describeBlock,
  hexId,
} from './block_types.js';

/** Bytes of the fixed part of the section header body. */
export const SECTION_HEADER_BYTES = 16;

/** pcapng option code that ends the option list. */
const OPT_ENDOFOPT = 0;
/** pcapng option code of the application that wrote the section (UTF-8 text). */
export const SHB_OPT_USERAPPL = 4;
/** pcapng option codes of the section header, by name (all hold UTF-8 text). */
const SHB_OPTION_NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'comment'],
  [2, 'hardware'],
  [3, 'os'],
  [SHB_OPT_USERAPPL, 'userappl'],
]);
/** pcapng option values are padded to this many bytes. */
const OPTION_ALIGN_BYTES = 4;

/** One pcapng option of the section header (e.g. an editcap comment). */
export interface SectionOption {
  /** pcapng option code (1 comment, 2 hardware, 3 os, 4 userappl, others as found). */
  code: number;
  /** "comment", "hardware", "os", "userappl", or "option <code>". */
  name: string;
  /** The value decoded as UTF-8. */
  text: string;
}

/** What the section header says. */
export interface SectionHeader {
  /** Always SHB_MAGIC (0x1A2B3C4D) once parsed: other values are rejected. */
  byteOrderMagic: number;
  /** Format major version (1 in every known capture). */
  majorVersion: number;
  /** Format minor version (0..2 seen; not used to pick layouts since 1.2). */
  minorVersion: number;
  /** Bytes in this section, or -1n when unspecified (what libs always writes). */
  sectionLength: bigint;
  /** pcapng options after the fixed fields, in file order (usually none). */
  options: SectionOption[];
}

/**
 * Checks the byte-order magic, as the first 4 bytes of a section-header body: throws E_BIG_ENDIAN
 * for a byte-swapped magic and E_BAD_MAGIC for anything else. `magicOffset` is its stream offset.
 */
export function checkByteOrderMagic(magic: number, magicOffset: number): void {
  if (magic === SHB_MAGIC) return;
  if (magic === SHB_MAGIC_SWAPPED) {
    throw errorAt(
      ErrorCode.BIG_ENDIAN,
      'big-endian capture',
      magicOffset,
      `big-endian captures are not supported (byte-order magic ${hexId(magic)})`,
    );
  }
  throw errorAt(
    ErrorCode.BAD_MAGIC,
    'bad section header',
    magicOffset,
    `byte-order magic is ${hexId(magic)}, expected ${hexId(SHB_MAGIC)}`,
  );
}

/**
 * Parses a section-header block body (without block header and trailer). `blockOffset` is the
 * stream offset of the block start. Throws E_BAD_BLOCK (body under 16 bytes), E_BIG_ENDIAN,
 * E_BAD_MAGIC or E_UNSUPPORTED_VERSION (major version > 1).
 */
export function parseSectionHeader(body: Uint8Array, blockOffset: number): SectionHeader {
  const bodyOffset = blockOffset + BLOCK_HEADER_BYTES;
  const c = new ByteCursor(body, { baseOffset: bodyOffset, what: describeBlock(SHB_BLOCK_TYPE) });
  if (body.byteLength < SECTION_HEADER_BYTES) {
    c.fail(`body is ${body.byteLength} bytes, a section header needs ${SECTION_HEADER_BYTES}`);
  }
  const byteOrderMagic = c.u32('byte_order_magic');
  checkByteOrderMagic(byteOrderMagic, bodyOffset);
  const majorVersion = c.u16('major_version');
  const minorVersion = c.u16('minor_version');
  if (majorVersion > SHB_CURRENT_MAJOR_VERSION) {
    throw errorAt(
      ErrorCode.UNSUPPORTED_VERSION,
      'unsupported capture',
      bodyOffset + 4,
      `format version ${majorVersion}.${minorVersion} is newer than the supported ` +
        `${SHB_CURRENT_MAJOR_VERSION}.x`,
    );
  }
  const sectionLength = c.i64('section_length');
  return { byteOrderMagic, majorVersion, minorVersion, sectionLength, options: readOptions(c) };
}

/**
 * Reads pcapng options up to the end option or the end of the body. libs skips options without
 * looking at them, so a malformed option list ends the list here instead of rejecting a capture
 * that libs opens.
 */
function readOptions(c: ByteCursor): SectionOption[] {
  const options: SectionOption[] = [];
  while (c.remaining() >= OPTION_ALIGN_BYTES) {
    const code = c.u16('option code');
    const len = c.u16('option length');
    if (code === OPT_ENDOFOPT) break;
    const padded = Math.ceil(len / OPTION_ALIGN_BYTES) * OPTION_ALIGN_BYTES;
    if (padded > c.remaining()) break; // malformed: see above
    const text = decodeUtf8(c.bytes(len, 'option value'));
    c.skip(padded - len, 'option padding');
    options.push({ code, name: SHB_OPTION_NAMES.get(code) ?? `option ${code}`, text });
  }
  return options;
}
