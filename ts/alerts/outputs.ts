/**
 * Where alerts go besides stdout: `--output-http URL` (Falcosidekick) and
 * `--output-file PATH` (JSON lines, rotated by size). Both get the same payload
 * per alert: Falco's `json_output` object (ts/rules/alert.ts alertJson) with a
 * `uuid` first — the fields Falcosidekick's FalcoPayload has (uuid, output,
 * priority, rule, time, output_fields, source, tags, hostname).
 *
 * Shared by `read` and `capture`; what is lost is counted and told on stderr as
 * it happens ({@link AlertOutputs.lossWarning}) and at exit ({@link AlertOutputs.close}).
 */
import { randomUUID } from 'node:crypto';
import { ScapdriftError, ErrorCode } from '../errors.js';
import { HttpAlertOutput, HTTP_QUEUE_DEFAULT } from './http_output.js';
import { FileAlertOutput, FILE_KEEP_DEFAULT, FILE_MAX_BYTES_DEFAULT } from './file_output.js';

/** How long the outputs may take at exit to send what is queued, ms. */
export const CLOSE_GRACE_MS = 5_000;

/** Command-line options of the alert outputs (strings as given, or numbers from the API). */
export interface AlertOutputOptions {
  /** POST each alert to this http(s) URL (Falcosidekick's `/`). */
  outputHttp?: string;
  /** Most alerts held for the HTTP output; default {@link HTTP_QUEUE_DEFAULT}. */
  outputHttpQueue?: string | number;
  /** Append each alert as a JSON line to this file. */
  outputFile?: string;
  /** Rotate the file at this size: bytes, or with a K, M or G suffix (1024-based); default 100M. */
  outputFileMaxSize?: string | number;
  /** Rotated files kept (PATH.1 … PATH.N); default {@link FILE_KEEP_DEFAULT}. */
  outputFileKeep?: string | number;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

function positiveInt(v: string | number, name: string, zero = false): number {
  const n = typeof v === 'number' ? v : /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 0 || (n === 0 && !zero)) {
    throw new ScapdriftError(ErrorCode.OPTION, `${name} must be a ${zero ? 'non-negative' : 'positive'} integer, got ${String(v)}`);
  }
  return n;
}

/** "100M" → 104857600. Throws E_OPTION naming the option. */
export function parseSize(v: string | number, name: string): number {
  if (typeof v === 'number') return positiveInt(v, name);
  const m = /^(\d+)\s*([KMG]?)i?B?$/i.exec(v.trim());
  const n = m ? Number(m[1]) * 1024 ** ' KMG'.indexOf((m[2] || ' ').toUpperCase()) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new ScapdriftError(ErrorCode.OPTION, `${name} must be a size in bytes (e.g. 1048576, 512K, 100M, 1G), got ${v}`);
  return n;
}

function parseUrl(v: string): string {
  let url: URL;
  try { url = new URL(v); } catch {
    throw new ScapdriftError(ErrorCode.OPTION, `--output-http must be an http:// or https:// URL, got ${v}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ScapdriftError(ErrorCode.OPTION, `--output-http must be an http:// or https:// URL, got ${v}`);
  return url.href;
}

/** The alert outputs of one command. */
export class AlertOutputs {
  private lastLost = 0;
  private lastAt = Date.now();

  private constructor(readonly http: HttpAlertOutput | undefined, readonly file: FileAlertOutput | undefined) {}

  /**
   * The outputs the options ask for, undefined when none. Throws E_OPTION for a bad value,
   * or for an output without rules (only rules make alerts); E_IO when the file cannot be opened.
   */
  static open(opts: AlertOutputOptions & { rules?: string[]; defaultRules?: boolean }): AlertOutputs | undefined {
    if (opts.outputHttp === undefined && opts.outputFile === undefined) {
      const orphan = (['outputHttpQueue', 'outputFileMaxSize', 'outputFileKeep'] as const).find((k) => opts[k] !== undefined);
      if (orphan) throw new ScapdriftError(ErrorCode.OPTION, `--${orphan.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} needs --output-http or --output-file`);
      return undefined;
    }
    if (!opts.defaultRules && !(opts.rules?.length)) {
      throw new ScapdriftError(ErrorCode.OPTION, '--output-http and --output-file send alerts: give rules (-r FILE or --default-rules)');
    }
    const http = opts.outputHttp === undefined ? undefined : new HttpAlertOutput(parseUrl(opts.outputHttp), {
      queueMax: opts.outputHttpQueue === undefined ? HTTP_QUEUE_DEFAULT : positiveInt(opts.outputHttpQueue, '--output-http-queue'),
    });
    const maxBytes = opts.outputFileMaxSize === undefined ? FILE_MAX_BYTES_DEFAULT : parseSize(opts.outputFileMaxSize, '--output-file-max-size');
    const keep = opts.outputFileKeep === undefined ? FILE_KEEP_DEFAULT : positiveInt(opts.outputFileKeep, '--output-file-keep', true);
    const file = opts.outputFile === undefined ? undefined : new FileAlertOutput(opts.outputFile, maxBytes, keep);
    return new AlertOutputs(http, file);
  }

  /** One alert, Falco's JSON object (`{"hostname":…}`): given a uuid and handed to each output. */
  forward(alertJson: string): void {
    const payload = `{"uuid":"${randomUUID()}",${alertJson.slice(1)}`;
    this.http?.push(payload);
    this.file?.push(payload);
  }

  /** Alerts lost so far, all outputs and causes. */
  lost(): number {
    const h = this.http?.stats();
    const f = this.file?.stats();
    return (h ? h.dropped + h.rejected : 0) + (f ? f.failed : 0);
  }

  /** A warning when alerts were lost since the last call (for stderr), else undefined. */
  lossWarning(): string | undefined {
    const now = Date.now();
    const lost = this.lost();
    const fresh = lost - this.lastLost;
    const secs = ((now - this.lastAt) / 1000).toFixed(1);
    this.lastLost = lost;
    this.lastAt = now;
    if (fresh <= 0) return undefined;
    return `${fmt(fresh)} alerts lost in the last ${secs} s (${this.causes()}); ${fmt(lost)} lost since the start`;
  }

  /** "120 alerts sent, 3 lost" for the status line. */
  statusText(): string {
    const sent = (this.http?.stats().sent ?? 0);
    const written = this.file?.stats().written ?? 0;
    const parts = [];
    if (this.http) parts.push(`${fmt(sent)} alerts sent`);
    if (this.file) parts.push(`${fmt(written)} alerts written`);
    parts.push(`${fmt(this.lost())} alerts lost`);
    return parts.join(', ');
  }

  /**
   * Sends what is queued (at most `graceMs`), closes the file, and returns the totals line:
   * `alerts: http://…: S sent, D dropped (queue full), R rejected, U unsent at exit; FILE: W written, F failed`.
   */
  async close(graceMs = CLOSE_GRACE_MS): Promise<string> {
    const parts: string[] = [];
    if (this.http) {
      const unsent = await this.http.close(graceMs);
      const s = this.http.stats();
      const why = s.dropped + s.rejected + unsent > 0 && s.lastError ? ` (last error: ${s.lastError})` : '';
      parts.push(`${this.http.url}: ${fmt(s.sent)} sent, ${fmt(s.dropped)} dropped (queue full), ${fmt(s.rejected)} rejected, ${fmt(unsent)} unsent at exit${why}`);
    }
    if (this.file) {
      this.file.close();
      const s = this.file.stats();
      parts.push(`${this.file.path}: ${fmt(s.written)} written, ${fmt(s.failed)} failed${s.lastError ? ` (${s.lastError})` : ''}, ${fmt(s.rotations)} rotations`);
    }
    return `alerts: ${parts.join('; ')}`;
  }

  private causes(): string {
    const out: string[] = [];
    const h = this.http?.stats();
    if (h && h.dropped > 0) out.push(`http queue full: dropped=${h.dropped}${h.lastError ? `, receiver: ${h.lastError}` : ''}`);
    if (h && h.rejected > 0) out.push(`http rejected=${h.rejected}`);
    const f = this.file?.stats();
    if (f && f.failed > 0) out.push(`file failed=${f.failed} (${f.lastError})`);
    return out.join('; ');
  }
}
