/**
 * What `read` selects and prints, from its options: a filter condition (the
 * trailing argument and/or -f, both must match) and rules files (-r,
 * --default-rules). With rules, each event some rule matched becomes one alert
 * per matched rule (text, or JSON with --json); rule warnings go to stderr.
 */
import { hostname as osHostname } from 'node:os';
import type { EventView } from '../event_view.js';
import type { DecoderModule } from '../wasm.js';
import type { Expr } from '../filter/ast.js';
import { parseCondition, compileProgram, matchedPrograms, type Program } from '../filter/index.js';
import { loadRules, rulePrograms } from './load.js';
import { alertJson, alertText } from './alert.js';
import { DEFAULT_RULES_PATH } from './default_rules.js';
import { warnLine } from '../warn.js';

export interface SelectOptions {
  condition?: string;
  filter?: string;
  rules?: string[];
  defaultRules?: boolean;
  json?: boolean;
}

export interface Selection {
  /** Programs for the decoder; undefined: every event. */
  programs?: Program[];
  /**
   * With rules: the alert lines of the current event; `forward`, when given, also receives
   * each alert as Falco's JSON object (for --output-http / --output-file).
   */
  alerts?: (v: EventView, module: DecoderModule, hostname: string, forward?: (alertJson: string) => void) => string[];
}

/** The host name for alerts when the capture names none. */
export function hostnameOfThisMachine(): string {
  return osHostname();
}

/** Builds the selection. Throws E_OPTION naming the position of a bad condition or rules file. */
export function selectEvents(opts: SelectOptions, warn: (line: string) => void = warnLine): Selection {
  const conditions = [opts.condition, opts.filter].filter((c): c is string => c !== undefined).map((c) => parseCondition(c));
  const filter: Expr | undefined = conditions.length > 1 ? { kind: 'and', children: conditions, pos: 1 } : conditions[0];
  const files = [...(opts.defaultRules ? [DEFAULT_RULES_PATH] : []), ...(opts.rules ?? [])];
  if (files.length === 0) return filter ? { programs: [compileProgram(filter)] } : {};
  const set = loadRules(files);
  for (const w of set.warnings) warn(w);
  const programs = rulePrograms(set, filter);
  return {
    programs,
    alerts: (v, module, hostname, forward) => matchedPrograms(module, programs.length).map((i) => {
      const rule = set.rules[i]!;
      if (!forward) return opts.json ? alertJson(v, rule, hostname) : alertText(v, rule);
      const json = alertJson(v, rule, hostname);
      forward(json);
      return opts.json ? json : alertText(v, rule);
    }),
  };
}
