/**
 * What a baseline knows about one exec: read from the fields of a successful execve/execveat
 * exit (ts/fields/fields.ts), the same way when learning (`scapdrift learn`) and when detecting
 * (`--baseline`). The writer of a binary is named by its executable (path and SHA-256), never
 * by its comm: a process can set its comm, not the file it runs.
 */
import type { FieldValue } from '../fields/fields.js';
import type { ExeRef, Origin } from './profile.js';

/** The fields an exec's facts are read from. */
export const FACT_FIELDS = [
  'evt.type', 'evt.dir', 'evt.rawres', 'evt.rawtime', 'proc.pid', 'container.id', 'evt.arg.cgroups',
  'proc.exepath', 'proc.exe_sha256', 'proc.pexepath', 'proc.exe_interpreter', 'proc.exe_interpreter_sha256',
  'proc.is_exe_lower_layer', 'proc.is_exe_upper_layer', 'proc.is_exe_from_memfd', 'drift.exe_written_ts', 'drift.exe_writer.pid',
] as const;

export type FactField = (typeof FACT_FIELDS)[number];

/** One exec, as a baseline sees it. */
export interface ExecFacts {
  /** Epoch ns. */
  ts: bigint;
  pid: bigint | null;
  workload: string;
  path: string;
  sha256: string | null;
  parent: string;
  interpreter: ExeRef | null;
  origin: Origin;
  /** The process that wrote the file during the capture, by its executable; null when not written. */
  writer: ExeRef | null;
}

/** Most processes whose executable is remembered to name writers (oldest forgotten first). */
const MAX_REMEMBERED_PROCESSES = 65_536;

/** A systemd unit or scope name in a cgroup path (systemd.unit(5): letters, digits, ":-_.\\@"). */
const UNIT = /[\w:@\\-]+\.service(?![\w:@\\-])/g;
const SCOPE = /[\w:@\\-]+\.scope(?![\w:@\\-])/g;

/**
 * The workload of an exec: `container:ID` in a container; else the systemd unit its cgroup
 * names (`unit:cron.service`), or its scope with the numbers taken out (`scope:session-*.scope`);
 * else `host`.
 */
export function workloadOf(containerId: FieldValue, cgroups: FieldValue): string {
  if (typeof containerId === 'string' && containerId !== 'host') return `container:${containerId}`;
  if (typeof cgroups === 'string') {
    // The subsystems' paths, as the field prints them ("cpuset=/.memory=/system.slice/cron.service").
    const unit = cgroups.match(UNIT)?.pop();
    if (unit) return `unit:${unit}`;
    const scope = cgroups.match(SCOPE)?.pop();
    if (scope) return `scope:${scope.replace(/\d+/g, '*')}`;
  }
  return 'host';
}

/**
 * Turns exec exits into facts, remembering each process's executable so that a writer seen
 * by its pid is named by its executable.
 */
export class FactReader {
  private readonly exes = new Map<bigint, ExeRef>();

  /** The facts of the event whose fields `get` reads, or undefined when it is not a successful exec exit. */
  read(get: (f: FactField) => FieldValue): ExecFacts | undefined {
    const type = get('evt.type');
    const res = get('evt.rawres');
    if ((type !== 'execve' && type !== 'execveat') || get('evt.dir') !== '<' || (typeof res !== 'bigint' && typeof res !== 'number') || BigInt(res) !== 0n) return undefined;
    const str = (f: FactField): string | null => { const x = get(f); return typeof x === 'string' ? x : null; };
    const pid = get('proc.pid');
    const path = str('proc.exepath') ?? '';
    const sha256 = str('proc.exe_sha256');
    const written = get('drift.exe_written_ts') !== null || get('proc.is_exe_upper_layer') === true || get('proc.is_exe_from_memfd') === true;
    const writerPid = get('drift.exe_writer.pid');
    const writer = !written ? null : (typeof writerPid === 'bigint' ? this.exes.get(writerPid) : undefined) ?? { path: null, sha256: null };
    const interpreterPath = str('proc.exe_interpreter');
    const facts: ExecFacts = {
      ts: get('evt.rawtime') as bigint,
      pid: typeof pid === 'bigint' ? pid : null,
      workload: workloadOf(get('container.id'), get('evt.arg.cgroups')),
      path,
      sha256,
      parent: str('proc.pexepath') ?? '',
      interpreter: interpreterPath ? { path: interpreterPath, sha256: str('proc.exe_interpreter_sha256') } : null,
      origin: get('proc.is_exe_lower_layer') === true ? 'image' : written ? 'runtime' : 'host',
      writer,
    };
    if (facts.pid !== null) {
      this.exes.delete(facts.pid);
      this.exes.set(facts.pid, { path, sha256 });
      if (this.exes.size > MAX_REMEMBERED_PROCESSES) this.exes.delete(this.exes.keys().next().value!);
    }
    return facts;
  }
}
