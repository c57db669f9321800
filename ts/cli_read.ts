/**
 * `scapdrift read`: decode a capture and print its events — the default line,
 * a `-p` format, or JSON lines. Output waits for a slow consumer (backpressure)
 * and a progress bar goes to stderr on a terminal.
 */
import { SingleBar, Presets } from 'cli-progress';
import { openByteSource, type ByteSource } from './scap/byte_source.js';
import { Decoder, type DecodeSummary } from './decoder.js';
import { compileFormat, renderFormat, renderDefault, renderJson, formatFields, DEFAULT_JSON_FIELDS } from './output.js';
import type { EventView } from './event_view.js';
import { selectEvents, hostnameOfThisMachine } from './rules/select.js';

/** Options of the read command. */
export interface ReadCommandOptions {
  json?: boolean;
  print?: string;
  type?: string;
  quiet?: boolean;
  /** Falco condition (trailing argument). */
  condition?: string;
  /** Falco condition (-f); both given: both must match. */
  filter?: string;
  /** Rules files (-r): print alerts instead of events. */
  rules?: string[];
  /** Load rules/scapdrift_rules.yaml first. */
  defaultRules?: boolean;
}

/** Writes to stdout, awaiting 'drain' when the pipe is full. */
export class OutputSink {
  private buf: string[] = [];
  private size = 0;
  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}
  push(line: string): void {
    this.buf.push(line);
    this.size += line.length;
  }
  /** Flushes buffered lines; resolves when the stream accepts more. */
  async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    const text = this.buf.join('\n') + '\n';
    this.buf = [];
    this.size = 0;
    if (!this.out.write(text)) await new Promise<void>((r) => this.out.once('drain', r));
  }
  get pending(): number {
    return this.size;
  }
}

/** Builds the per-event line renderer for the options. */
export function lineRenderer(opts: ReadCommandOptions): (v: EventView) => string {
  if (opts.json) {
    const fields = opts.print ? formatFields(compileFormat(opts.print)) : DEFAULT_JSON_FIELDS;
    return (v) => renderJson(v, fields);
  }
  if (opts.print) {
    const parts = compileFormat(opts.print);
    return (v) => renderFormat(v, parts);
  }
  return renderDefault;
}

/** How {@link printEvents} reports progress and flushes. */
export interface PrintMode {
  /** A progress bar on stderr (only on a terminal; needs the total size). */
  progress: boolean;
  /** Flush after every chunk (live capture) instead of when 64 KiB are pending. */
  live: boolean;
}

/**
 * Decodes `source` and prints its events, or the alerts of the rules, to stdout
 * with backpressure. Shared by `read` and `capture`. Rejects with a
 * ScapdriftError after printing every event decoded before the fault.
 */
export async function printEvents(source: ByteSource, opts: ReadCommandOptions, mode: PrintMode): Promise<DecodeSummary> {
  const render = lineRenderer(opts);
  const types = opts.type ? opts.type.split(',').map((t) => t.trim()).filter(Boolean) : undefined;
  const selection = selectEvents(opts);
  const decoder = new Decoder({ ...(types ? { types } : {}), ...(selection.programs ? { programs: selection.programs } : {}) });
  let hostname = hostnameOfThisMachine();
  const sink = new OutputSink();
  const showBar = mode.progress && process.stderr.isTTY === true && source.totalBytes !== undefined;
  const bar = showBar
    ? new SingleBar({ format: 'reading [{bar}] {percentage}% | {value}/{total} bytes | {rate} events/s', stream: process.stderr, hideCursor: true, clearOnComplete: true }, Presets.shades_classic)
    : undefined;
  const started = Date.now();
  let events = 0;
  bar?.start(source.totalBytes ?? 0, 0, { rate: 0 });
  try {
    return await decoder.run(source, {
      onEvent(v) {
        events++;
        if (selection.alerts) for (const line of selection.alerts(v, decoder.module, hostname)) sink.push(line);
        else sink.push(render(v));
      },
      onMachineInfo(mi) {
        if (mi.hostname) hostname = mi.hostname;
      },
      async afterChunk() {
        bar?.update(source.bytesConsumed(), { rate: Math.round(events / Math.max(0.001, (Date.now() - started) / 1000)) });
        if (mode.live || sink.pending > 1 << 16) await sink.flush();
      },
    });
  } finally {
    bar?.stop();
    await sink.flush(); // what was decoded before a fault is still printed
  }
}

/** Runs `read` on `file`; resolves with the summary, rejects with a ScapdriftError. */
export async function readCommand(file: string, opts: ReadCommandOptions): Promise<DecodeSummary> {
  lineRenderer(opts); // a bad -p fails before the file is opened
  selectEvents(opts, () => {});
  const source = await openByteSource(file);
  try {
    return await printEvents(source, opts, { progress: !opts.quiet, live: false });
  } finally {
    await source.close();
  }
}
