/**
 * Fuzz targets of scapdrift (issue 6), shared by Jazzer.js (fuzz/*.fuzz.js) and by the
 * dependency-free runner (fuzz/run.js) that `npm test` and `npm run fuzz` use.
 *
 * Each target takes the fuzzer's bytes and may throw only a ScapdriftError (isScapdriftError):
 * anything else — a TypeError, a RangeError, a Wasm trap, an "internal error" abort — is a crash.
 * They import the built library (dist/), so run `npm run build` first.
 */
import { Decoder } from '../dist/ts/pipeline/decoder.js';
import { isScapdriftError } from '../dist/ts/errors.js';
import { FIELDS, resolveField, extractField, fieldText } from '../dist/ts/fields/fields.js';
import { renderDefault, renderJson, DEFAULT_JSON_FIELDS } from '../dist/ts/output/render.js';
import { parseCondition, compileProgram, EMPTY_ENV } from '../dist/ts/filter/index.js';
import { parseRulesText } from '../dist/ts/rules/yaml_file.js';
import { collect, emptyDefinitions } from '../dist/ts/rules/collect.js';
import { buildRuleSet, rulePrograms } from '../dist/ts/rules/load.js';

/** Every field without an argument, and the argument fields with a few names/indexes. */
const ALL_FIELDS = [
  ...FIELDS.filter((d) => !d.takesArg).map((d) => resolveField(d.name)),
  ...FIELDS.filter((d) => d.takesArg).flatMap((d) => ['res', 'filename', 'exe', 'flags', '[0]', '[1]', '[5]', '[31]']
    .map((a) => resolveField(a.startsWith('[') ? `${d.name}${a}` : `${d.name}.${a}`))),
].filter((r) => r !== undefined);

/**
 * Rethrows `e` unless it is a ScapdriftError (an expected, reported input problem); returns the
 * error's shape (code and message without numbers), which the runner uses as cheap feedback.
 */
function expected(e) {
  if (!isScapdriftError(e)) throw e;
  return `${e.code}:${e.message.replace(/[0-9]+/g, '#').slice(0, 160)}`;
}

/** Reads every field of the event in every output form (values, -p text, default line, JSON). */
function touchEvent(v) {
  for (const f of ALL_FIELDS) {
    extractField(v, f);
    fieldText(v, f);
  }
  renderDefault(v);
  renderJson(v, DEFAULT_JSON_FIELDS);
}

/**
 * Block reader + Wasm frame decoder: the bytes as a capture, fed in up to 3 chunks (split points
 * from the first byte, so the same input always splits the same way), every event fully read.
 */
export function fuzzDecoder(data) {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const d = new Decoder();
  let events = 0;
  const handlers = { onEvent(v) { events++; touchEvent(v); } };
  try {
    const k = bytes.length > 0 ? bytes[0] % 3 : 0;
    const cuts = k === 0 ? [] : k === 1 ? [bytes.length >> 1] : [bytes.length / 3 | 0, (2 * bytes.length) / 3 | 0];
    let at = 0;
    for (const c of [...cuts, bytes.length]) {
      d.feed(bytes.subarray(at, c), handlers);
      at = c;
    }
    const s = d.finish();
    return `ok:${Math.min(events, 8)}:${s.skippedBlocks > 0}`;
  } catch (e) {
    return expected(e);
  }
}

const ENV = (() => {
  const macros = new Map([
    ['spawned_process', parseCondition('evt.type in (execve, execveat) and evt.dir = <')],
    ['container', parseCondition('container.id != host')],
  ]);
  const lists = new Map([['shells', ['bash', 'sh', 'zsh']], ['empty', []]]);
  return { macro: (n) => macros.get(n), list: (n) => lists.get(n) };
})();

/** A small real capture the compiled filters run on (set by the runner; optional). */
let filterCapture;
export function setFilterCapture(bytes) { filterCapture = bytes; }

/**
 * Condition parser and compiler: the bytes as UTF-8 text → parseCondition → compileProgram
 * (with and without macros/lists); a program that compiles is also run by the Wasm VM over a
 * small capture when one was set.
 */
export function fuzzFilter(data) {
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  let program;
  try {
    const expr = parseCondition(text);
    try { compileProgram(expr, EMPTY_ENV); } catch (e) { expected(e); }
    program = compileProgram(expr, ENV);
  } catch (e) {
    return expected(e);
  }
  if (!filterCapture) return `compiled:${program.length}`;
  let events = 0;
  try {
    const d = new Decoder({ programs: [program] });
    d.feed(filterCapture, { onEvent(v) { events++; touchEvent(v); } });
    d.finish();
    return `ran:${events}`;
  } catch (e) {
    return expected(e);
  }
}

/** Rules loader: the bytes as a rules file's text → items → definitions → compiled rule set. */
export function fuzzRules(data) {
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  try {
    const defs = emptyDefinitions();
    collect(parseRulesText(text, 'fuzz.yaml'), defs);
    const set = buildRuleSet(defs);
    rulePrograms(set);
    if (set.rules.length > 0) rulePrograms(set, parseCondition('evt.type = execve'));
    return `ok:${set.rules.length}:${set.warnings.map((w) => w.replace(/[0-9]+/g, '#').slice(0, 60)).join('|')}`;
  } catch (e) {
    return expected(e);
  }
}

export const TARGETS = { decoder: fuzzDecoder, filter: fuzzFilter, rules: fuzzRules };
