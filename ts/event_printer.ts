/**
 * Events to output lines, as `read` and `capture` print them: the default
 * line, a `-p` format or JSON, or — with rules — the alerts of the rules that
 * matched. One printer owns one Decoder; the parallel workers each run one.
 */
import { Decoder, type DecodeHandlers } from './decoder.js';
import { compileFormat, renderFormat, renderDefault, renderJson, formatFields, DEFAULT_JSON_FIELDS } from './output.js';
import type { EventView } from './event_view.js';
import { selectEvents, hostnameOfThisMachine } from './rules/select.js';

/** What to print: the options `read` and `capture` share. */
export interface PrintOptions {
  json?: boolean;
  print?: string;
  type?: string;
  /** Falco condition (trailing argument). */
  condition?: string;
  /** Falco condition (-f); both given: both must match. */
  filter?: string;
  /** Rules files (-r): print alerts instead of events. */
  rules?: string[];
  /** Load rules/scapdrift_rules.yaml first. */
  defaultRules?: boolean;
  /** The first corrupt frame is fatal (default: reported and skipped when its block is sound). */
  strict?: boolean;
}

/** Builds the per-event line renderer for the options. Throws E_OPTION on a bad format. */
export function lineRenderer(opts: PrintOptions): (v: EventView) => string {
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

export class EventPrinter {
  readonly decoder: Decoder;
  /** Decoder callbacks that turn each delivered event into lines for `out`. */
  readonly handlers: DecodeHandlers;

  /**
   * `out` receives each line (without newline). `warn` receives rule warnings, `skip` the
   * corrupt frames skipped, `forward` each alert as Falco's JSON object (with rules).
   * Throws E_OPTION for a bad format, condition or rules file.
   */
  constructor(opts: PrintOptions, out: (line: string) => void, warn?: (line: string) => void, skip?: (message: string) => void,
    forward?: (alertJson: string) => void) {
    const render = lineRenderer(opts);
    const types = opts.type ? opts.type.split(',').map((t) => t.trim()).filter(Boolean) : undefined;
    const selection = warn ? selectEvents(opts, warn) : selectEvents(opts);
    const decoder = new Decoder({ ...(types ? { types } : {}), ...(selection.programs ? { programs: selection.programs } : {}), strict: opts.strict === true });
    let hostname = hostnameOfThisMachine();
    this.decoder = decoder;
    this.handlers = {
      onEvent(v) {
        if (selection.alerts) for (const line of selection.alerts(v, decoder.module, hostname, forward)) out(line);
        else out(render(v));
      },
      onMachineInfo(mi) {
        if (mi.hostname) hostname = mi.hostname;
      },
      onSkip(error) {
        skip?.(`skipped a corrupt frame: ${error.message}`);
      },
    };
  }
}
