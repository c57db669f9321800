/**
 * What a live capture tells the user on stderr while it runs: lost events as soon as
 * the loader's counters show them (every COUNTERS_INTERVAL_MS, whatever stderr is),
 * a one-line status every STATUS_INTERVAL_MS on a terminal (so a quiet host can be
 * told from a hung tool), and the totals at exit.
 */
import { DROP_COUNTERS, lostEvents, type LoaderCounters } from './loader.js';
import { escapeText } from '../fields/escape.js';
import type { AlertOutputs } from '../alerts/outputs.js';

/** How long standard output may stay blocked before a warning says so (once per blockage), ms. */
export const OUTPUT_BLOCKED_WARN_MS = 5000;

/** Default interval of the status line on a terminal, ms (`capture --status-interval`). */
export const STATUS_INTERVAL_MS = 10_000;

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Events the driver tried to send: those it sent and those it lost itself. */
function produced(c: LoaderCounters): number {
  return c.events + c.drop_ringbuf_full + c.drop_no_scratch + c.drop_too_large;
}

/** "drop_ringbuf_full=12 drop_start_spool=3": the causes that are not zero. */
export function lossCauses(now: LoaderCounters, before?: LoaderCounters): string {
  return DROP_COUNTERS.map((k) => [k, now[k] - (before?.[k] ?? 0)] as const)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k}=${n}`)
    .join(' ');
}

/** Follows the loader's counters; writes warning and status lines to `err`. */
export class LiveStatus {
  private last: LoaderCounters | undefined;
  private lastAt = Date.now();
  private lastStatus: { at: number; written: number } = { at: Date.now(), written: 0 };

  /**
   * @param intervalMs ms between status lines; 0: none. Default: {@link STATUS_INTERVAL_MS}
   *   when `err` is a terminal, else none.
   */
  constructor(
    private readonly err: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
    private readonly intervalMs: number = err.isTTY === true ? STATUS_INTERVAL_MS : 0,
    /** --output-http / --output-file: their losses are warned of with the events', their counts in the status line. */
    private readonly alerts?: AlertOutputs,
    /** Ms standard output has refused more for (its reader not reading); 0 while it takes lines. */
    private readonly outputBlockedMs: () => number = () => 0,
  ) {}

  /** Whether the current blockage of standard output was warned of. */
  private blockedWarned = false;

  /** The loader printed its counters. */
  update(c: LoaderCounters): void {
    const now = Date.now();
    const lost = lostEvents(c) - (this.last ? lostEvents(this.last) : 0);
    if (lost > 0) {
      const secs = ((now - this.lastAt) / 1000).toFixed(1);
      this.line(`warning: ${fmt(lost)} events lost in the last ${secs} s (${lossCauses(c, this.last)}); ${fmt(lostEvents(c))} lost since the start`);
    }
    this.last = c;
    this.lastAt = now;
    const alertLoss = this.alerts?.lossWarning();
    if (alertLoss) this.line(`warning: ${alertLoss}`);
    const blockedMs = this.outputBlockedMs();
    if (blockedMs < OUTPUT_BLOCKED_WARN_MS) this.blockedWarned = false;
    else if (!this.blockedWarned) {
      this.blockedWarned = true;
      this.line(`warning: ${this.blockedText(blockedMs, c)}`);
    }
    if (this.intervalMs > 0 && now - this.lastStatus.at >= this.intervalMs) {
      const rate = ((c.written - this.lastStatus.written) * 1000) / (now - this.lastStatus.at);
      const alerts = this.alerts ? `, ${this.alerts.statusText()}` : '';
      // Blocked output: "0 lost" would hide that the events pile up unread.
      this.line(blockedMs > 0
        ? `capturing: ${this.blockedText(blockedMs, c)}${alerts}`
        : `capturing: ${fmt(rate)} events/s, ${fmt(c.written)} events, ${fmt(lostEvents(c))} lost${alerts}`);
      this.lastStatus = { at: now, written: c.written };
    }
  }

  private blockedText(blockedMs: number, c: LoaderCounters): string {
    return `standard output blocked for ${(blockedMs / 1000).toFixed(0)} s (not being read): ${fmt(produced(c))} events produced, ` +
      `${fmt(c.written)} written, ${fmt(lostEvents(c))} lost so far; the rest wait in the ring buffer, lost once it is full`;
  }

  /**
   * The totals at exit: what the driver produced, what was lost and why, what the loader
   * wrote and how many events were `decoded`. Returns the line (also written to `err`).
   */
  final(c: LoaderCounters | undefined, decoded: number, unprinted?: { cause: string; lines: number }): string {
    const notPrinted = unprinted ? `; ${this.unprintedText(c ? c.written - decoded : undefined, unprinted)}` : '';
    if (!c) return this.line(`capture ended: ${fmt(decoded)} events decoded; the loader printed no counters${notPrinted}`);
    const lost = lostEvents(c);
    const causes = lost > 0 ? ` (${lossCauses(c)})` : '';
    const kept = c.read_fault + c.truncated > 0 ? `; kept with a parameter empty or cut: read_fault=${c.read_fault} truncated=${c.truncated}` : '';
    return this.line(`capture ended: ${fmt(produced(c))} events produced, ${fmt(lost)} lost${causes}, ${fmt(c.written)} written, ${fmt(decoded)} decoded${kept}${notPrinted}`);
  }

  /** "12 written events not decoded and 340 output lines not printed: CAUSE". */
  private unprintedText(notDecoded: number | undefined, u: { cause: string; lines: number }): string {
    const parts = [...(notDecoded !== undefined && notDecoded > 0 ? [`${fmt(notDecoded)} written events not decoded`] : []), `${fmt(u.lines)} output lines not printed`];
    return `${parts.join(' and ')}: ${u.cause}`;
  }

  /** Enforcement's totals at exit: "enforcement (enforce): K killed, W would-kill (R over the rate limit, S spared: pid 1 or the capture's own)". */
  enforcementTotals(mode: string, c: LoaderCounters): void {
    this.line(`enforcement (${mode}): ${fmt(c.enforce_killed ?? 0)} killed, ${fmt(c.enforce_would_kill ?? 0)} would-kill ` +
      `(${fmt(c.enforce_rate_limited ?? 0)} over the rate limit, ${fmt(c.enforce_spared ?? 0)} spared: pid 1 or the capture's own)`);
  }

  /** The alert outputs' totals at exit (after {@link final}). */
  alertTotals(text: string): void {
    this.line(text);
  }

  private line(text: string): string {
    this.err.write(`scapdrift: ${escapeText(text)}\n`);
    return text;
  }
}
