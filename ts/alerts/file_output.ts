/**
 * `--output-file PATH`: each alert appended to PATH as one JSON line (the same
 * payload as `--output-http`), the file rotated by size: when the next line would
 * take PATH past `maxBytes`, PATH becomes PATH.1, PATH.1 becomes PATH.2, … and
 * the oldest beyond `keep` is removed (logrotate's numbering). Lines are written
 * with one write(2) each, so a reader (a log shipper) never sees half a line.
 * A failing write (a full disk) loses that alert, counted, and never stops the
 * capture.
 */
import { closeSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { ScapdriftError, ErrorCode } from '../errors.js';

/** Default size at which the file is rotated, bytes. */
export const FILE_MAX_BYTES_DEFAULT = 100 * 1024 * 1024;
/** Default number of rotated files kept besides PATH. */
export const FILE_KEEP_DEFAULT = 5;

/** Counters of one file output. */
export interface FileOutputStats {
  written: number;
  /** Alerts lost because the write failed. */
  failed: number;
  rotations: number;
  lastError: string | undefined;
}

export class FileAlertOutput {
  private fd: number;
  private size: number;
  private readonly counts = { written: 0, failed: 0, rotations: 0 };
  private lastError: string | undefined;

  /** Opens (appends to) `path`. Throws E_IO naming the path when it cannot be opened. */
  constructor(readonly path: string, private readonly maxBytes: number, private readonly keep: number) {
    try {
      this.fd = openSync(path, 'a', 0o640);
      this.size = fstatSync(this.fd).size;
    } catch (e) {
      throw new ScapdriftError(ErrorCode.IO, `cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { cause: e });
    }
  }

  /** Appends one alert (a JSON object's text, without newline). */
  push(payload: string): void {
    const line = Buffer.from(payload + '\n');
    try {
      if (this.size > 0 && this.size + line.length > this.maxBytes) this.rotate();
      writeSync(this.fd, line);
      this.size += line.length;
      this.counts.written++;
    } catch (e) {
      this.counts.failed++;
      this.lastError = (e as NodeJS.ErrnoException).code ?? String(e);
    }
  }

  stats(): FileOutputStats {
    return { ...this.counts, lastError: this.lastError };
  }

  close(): void {
    closeSync(this.fd);
  }

  /** PATH → PATH.1 → … → PATH.keep (removed beyond), then a new PATH (reopened even when a rename failed). */
  private rotate(): void {
    closeSync(this.fd);
    try {
      rmSync(`${this.path}.${this.keep}`, { force: true });
      for (let i = this.keep - 1; i >= 1; i--) {
        try { renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`); } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
      }
      if (this.keep > 0) renameSync(this.path, `${this.path}.1`);
      else rmSync(this.path, { force: true });
      this.counts.rotations++;
    } finally {
      this.fd = openSync(this.path, 'a', 0o640);
      this.size = fstatSync(this.fd).size;
    }
  }
}
