/**
 * libsinsp's values for the shared captures, as the tests compare them: the Falco reference files
 * (../shared/captures/reference/falco/<capture>.falco_fields.tsv.gz) and sinsp-example itself
 * (/opt/oracle/bin/sinsp-example, or SCAPDRIFT_ORACLE), next to scapdrift's own values.
 */
import * as assert from 'uvu/assert';
import { createReadStream, existsSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { openByteSource } from '../../ts/scap/byte_source.js';
import { Decoder } from '../../ts/pipeline/decoder.js';
import { resolveField, fieldText, type FieldRef } from '../../ts/fields/fields.js';
import { escapeBytes } from '../../ts/fields/escape.js';
import { compileFilter } from '../../ts/filter/index.js';
import { capture, CAPTURES_DIR } from './captures.js';

export const ORACLE = process.env.SCAPDRIFT_ORACLE ?? '/opt/oracle/bin/sinsp-example';
/** Whether sinsp-example is built (tests that need it say so loudly when it is not). */
export const oracle = existsSync(ORACLE);

/** A reference cell as scapdrift prints it: the TSV's escapes undone, then escaped as scapdrift escapes. */
export function refText(cell: string): string {
  if (cell === '<NA>') return cell;
  const raw = cell.replace(/\\(.)/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c));
  return escapeBytes(Buffer.from(raw, 'utf8'));
}

/** Columns `cols` of every row of `<name>.falco_fields.tsv.gz` by evt.num, each cell through refText then `keep`. */
export async function readReference(name: string, cols: string[], keep: (s: string) => string = (s) => s): Promise<Map<string, string[]>> {
  const rows = new Map<string, string[]>();
  let index: number[] | undefined;
  const lines = createInterface({ input: createReadStream(join(CAPTURES_DIR, 'reference', 'falco', `${name}.falco_fields.tsv.gz`)).pipe(createGunzip()), crlfDelay: Infinity });
  for await (const line of lines) {
    const cells = line.split('\t');
    if (!index) { index = cols.map((c) => cells.indexOf(c)); continue; }
    rows.set(cells[0]!, index.map((i) => keep(refText(cells[i]!))));
  }
  return rows;
}

/**
 * The old sysdig captures (enter and exit events, event versions without fd parameters): libscap
 * converts each old enter/exit pair into today's exit event before libsinsp numbers it, so at
 * the same evt.num libsinsp has another event than scapdrift (which keeps both events, as the
 * file holds them). Rows whose evt.type or evt.dir differ are counted here, exactly.
 */
export const OTHER_EVENT: Record<string, number> = {
  drop_exec: 0, memfd_exec: 0, busy: 0, curl_google: 692, curl_google_comments: 692, single_ipv6_conn: 32, test_ipv6_client: 63,
};
/** The capture's path; busy.scap.gz is read through gunzip (the byte source detects it). */
export function captureFile(name: string): string {
  return capture(name === 'busy' ? 'busy.scap.gz' : `${name}.scap`);
}

/** sinsp-example's rows for `fields` ('|'-joined, <NA> for missing) on `file`, filtered by `filter`. */
export function sinsp(file: string, filter: string, fields: string[]): string[] {
  const r = spawnSync(ORACLE, ['-a', '-s', file, '-f', filter, '-o', `*${fields.map((f) => `%${f}`).join('|')}`], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.is(r.stderr.includes('ERROR'), false, r.stderr);
  return r.stdout.split('\n').filter((l) => /^\d+(\||$)/.test(l));
}

/** scapdrift's rows for the same (see sinsp). */
export async function ours(file: string, filter: string, fields: string[]): Promise<string[]> {
  const out: string[] = [];
  const refs = fields.map((f) => resolveField(f)!) as FieldRef[];
  await new Decoder({ programs: [compileFilter(filter)] }).run(await openByteSource(file), {
    onEvent(v) { out.push(refs.map((r) => fieldText(v, r)).join('|')); },
  });
  return out;
}
