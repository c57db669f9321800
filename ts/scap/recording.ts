/**
 * Telling a complete live recording from one that was cut short (killed, disk full) even
 * when it happens to end on a block boundary. The loader names itself in the section
 * header's pcapng `userappl` option and writes `section_length` = -1; whoever closes the
 * recording cleanly sets `section_length` to the bytes after the SHB (pcapng's meaning).
 * libs skips SHB options and ignores `section_length`, so Falco's tools open both kinds.
 *
 * ```
 * file offset 0: u32 block type | u32 total length | u32 magic | u16 major | u16 minor | i64 section_length (offset 16) | options...
 * ```
 */
// fs.promises, read where a recording is closed: a read (which imports this module for the checks
// below) does not load node:fs/promises and its modules at start-up (bench/RESULTS.md, start-up).
import { promises as fsp } from 'node:fs';
import { ScapdriftError, ErrorCode } from '../errors.js';
import type { SectionHeader } from './section_header.js';

/** The loader's name in the SHB `userappl` option (driver/loader/scap_writer.h SD_SHB_USERAPPL; checked by test/capture_live.test.ts). */
export const RECORDER = 'scapdrift-loader';
/** File offset of the SHB's section_length (driver/loader/scap_writer.h SD_SHB_SECTION_LENGTH_OFFSET). */
const SECTION_LENGTH_OFFSET = 16;
/** File offset of the SHB's total length. */
const SHB_LENGTH_OFFSET = 4;

/**
 * Marks the recording at `path` complete: section_length = file size − SHB length.
 * Throws E_IO naming the file when it cannot be read or written.
 */
export async function closeRecording(path: string): Promise<void> {
  try {
    const fh = await fsp.open(path, 'r+');
    try {
      const head = Buffer.alloc(8);
      await fh.read(head, 0, 4, SHB_LENGTH_OFFSET);
      const shbLength = head.readUInt32LE(0);
      const { size } = await fh.stat();
      head.writeBigInt64LE(BigInt(size - shbLength), 0);
      await fh.write(head, 0, 8, SECTION_LENGTH_OFFSET);
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw new ScapdriftError(ErrorCode.IO, `cannot close the recording ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { cause: e });
  }
}

/**
 * The stream offset of the section_length of `header` (the SHB at stream offset `offset`) when it
 * is a scapdrift recording that was never closed; undefined for a closed one and for any other
 * writer's capture (libs always writes -1: it cannot be told).
 */
export function unclosedRecordingAt(header: SectionHeader, offset: number): number | undefined {
  const recorder = header.options.find((o) => o.name === 'userappl')?.text;
  return recorder === RECORDER && header.sectionLength === -1n ? offset + SECTION_LENGTH_OFFSET : undefined;
}

/** E_TRUNCATED for the recording at `path` whose section header says it was never closed (at stream offset `at`). */
export function unclosedRecordingError(path: string, at: number): ScapdriftError {
  return new ScapdriftError(ErrorCode.TRUNCATED,
    `recording cut short: ${path} was written by a live capture that never closed it (killed, or its disk filled); every event it holds was read`,
    { offset: at });
}
