/**
 * Output of events: sysdig-style `-p` formats ("%evt.num %proc.name"), the
 * default line, and JSON lines with flat keys named by the field. 64-bit values
 * are written as exact JSON numbers (never rounded through a double).
 */
import type { EventView } from '../fields/event_view.js';
import { resolveField, suggestField, fieldText, extractField, type FieldRef, type FieldValue } from '../fields/fields.js';
import { ScapdriftError, ErrorCode } from '../errors.js';

/** A bad format (code E_OPTION); `unknownField` names the field when that is the cause. */
export class FormatError extends ScapdriftError {
  constructor(message: string, readonly unknownField?: string) {
    super(ErrorCode.OPTION, message);
  }
}

/** A compiled `-p` format: literal text and field references. */
export type FormatPart = string | FieldRef;

/**
 * Compiles a format: `%field` or `%{field}` where field is any name of `scapdrift fields`
 * (with `.NAME` or `[N]` for evt.arg, `[N]` for proc.aname, `[KEY]` for k8s.pod.label and the other
 * keyed fields); `%%` is a literal `%`. A leading `*` (sysdig: print
 * events with missing fields too) is accepted and dropped: scapdrift always prints them, as
 * `<NA>`. Throws FormatError (E_OPTION) naming the character position of an unknown field or an unclosed `%{`.
 */
export function compileFormat(format: string): FormatPart[] {
  const parts: FormatPart[] = [];
  const re = /%(?:\{([^}]+)\}|([A-Za-z0-9_.]+(?:\[[^\]\s]+\])?)|(%)|(\{))/g;
  let last = format.startsWith('*') ? 1 : 0;
  re.lastIndex = last;
  for (let m = re.exec(format); m; m = re.exec(format)) {
    if (m.index > last) parts.push(format.slice(last, m.index));
    if (m[3] !== undefined) { parts.push('%'); last = re.lastIndex; continue; }
    if (m[4] !== undefined) throw new FormatError(`unclosed %{ at character ${m.index + 1} of the format`);
    const raw = m[1] ?? m[2]!;
    // A trailing dot is punctuation ("%proc.name."), not part of the name.
    const name = m[1] === undefined ? raw.replace(/\.$/, '') : raw;
    const ref = resolveField(name);
    if (!ref) {
      const hint = suggestField(name);
      throw new FormatError(`unknown field ${name} at character ${m.index + 1} of the format${hint ? `; did you mean ${hint}?` : ''}`, name);
    }
    parts.push(ref);
    last = m.index + m[0].length - (raw.length - name.length);
    re.lastIndex = last;
  }
  if (last < format.length) parts.push(format.slice(last));
  return parts;
}

/** Renders a compiled format for the current event. */
export function renderFormat(v: EventView, parts: readonly FormatPart[]): string {
  let out = '';
  for (const p of parts) out += typeof p === 'string' ? p : fieldText(v, p);
  return out;
}

/** The drift fields shown on exec events by the default line. */
export const EXEC_FIELDS = [
  'proc.exepath', 'proc.exe_ino', 'proc.exe_ino.ctime', 'proc.exe_ino.mtime',
  'proc.exe_ino.ctime_duration_proc_start', 'proc.exe_ino.ctime_duration_pidns_start',
  'proc.pidns_init_start_ts', 'proc.is_exe_writable', 'proc.is_exe_upper_layer',
  'proc.is_exe_lower_layer', 'proc.is_exe_from_memfd', 'container.id',
].map((n) => resolveField(n)!);
/** Origin fields shown on exec events by the default line only when the capture saw the file made (or a script). */
export const EXEC_ORIGIN_FIELDS = [
  'drift.exe_writer.pid', 'drift.exe_writer.name', 'drift.exe_written_duration', 'drift.exe_chmod.pid',
  'drift.exe_chmod.name', 'drift.exe_chmod_duration', 'proc.exe_interpreter', 'drift.enforced', 'drift.enforced_policy',
].map((n) => resolveField(n)!);
/** The head of the default line, every event. */
export const DEFAULT_HEAD = compileFormat('%evt.num %evt.time %evt.cpu %proc.name (%thread.tid:%proc.pid) %evt.dir %evt.type res=%evt.res');
/** Exits of these events get EXEC_FIELDS and the present EXEC_ORIGIN_FIELDS on the default line. */
export const EXEC_NAMES = new Set(['execve', 'execveat']);

/** The default line: number, time, cpu, process, tid:pid, direction, type, result; drift fields on exec. */
export function renderDefault(v: EventView): string {
  let line = renderFormat(v, DEFAULT_HEAD);
  if (v.info && v.info.direction === '<' && EXEC_NAMES.has(v.info.name)) {
    for (const ref of EXEC_FIELDS) line += ` ${ref.text}=${fieldText(v, ref)}`;
    for (const ref of EXEC_ORIGIN_FIELDS) {
      if (extractField(v, ref) !== null) line += ` ${ref.text}=${fieldText(v, ref)}`;
    }
  }
  return line;
}

/** The fields of `--json` when no format narrows them. */
export const DEFAULT_JSON_FIELDS: readonly FieldRef[] = [
  'evt.num', 'evt.rawtime', 'evt.type', 'evt.dir', 'evt.cpu', 'evt.res', 'thread.tid', 'proc.pid', 'proc.ppid',
  'proc.vpid', 'thread.vtid', 'proc.name', 'proc.exe', 'proc.exepath', 'proc.args', 'proc.cwd', 'user.uid',
  'proc.pid.ts', 'proc.exe_ino', 'proc.exe_ino.ctime', 'proc.exe_ino.mtime', 'proc.exe_ino.ctime_duration_proc_start',
  'proc.exe_ino.ctime_duration_pidns_start', 'proc.pidns_init_start_ts', 'proc.is_exe_writable',
  'proc.is_exe_upper_layer', 'proc.is_exe_lower_layer', 'proc.is_exe_from_memfd', 'container.id',
  'container.start_ts', 'container.duration', 'proc.is_exe_script', 'proc.exe_interpreter', 'drift.exe_writer.pid',
  'drift.exe_writer.name', 'drift.exe_written_ts', 'drift.exe_written_duration', 'drift.exe_chmod.pid',
  'drift.exe_chmod.name', 'drift.exe_chmod_ts', 'drift.exe_chmod_duration',
].map((n) => resolveField(n)!);

/** JSON text of one value; bigint as an exact number. */
export function jsonValue(v: FieldValue): string {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return v.toString();
  return JSON.stringify(v);
}

/** The JSON of field `ref`'s value `v`: a list field's "(a,b)" as the array ["a","b"] (libsinsp tojson). */
export function fieldJson(ref: FieldRef, v: FieldValue): string {
  if (!ref.def.list || typeof v !== 'string') return jsonValue(v);
  return JSON.stringify(v.length > 2 ? v.slice(1, -1).split(',') : []);
}

/** One JSON object (one line) with the given fields of the current event. */
export function renderJson(v: EventView, fields: readonly FieldRef[]): string {
  let out = '{';
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (i > 0) out += ',';
    out += JSON.stringify(f.text) + ':' + fieldJson(f, extractField(v, f));
  }
  return out + '}';
}

/** The field references of a compiled format, for `--json -p FORMAT`. */
export function formatFields(parts: readonly FormatPart[]): FieldRef[] {
  return parts.filter((p): p is FieldRef => typeof p !== 'string');
}
