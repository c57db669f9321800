/**
 * Reads a Falco rules file: YAML with the core schema, no explicit tags (so
 * nothing but maps, lists, strings, numbers and booleans can be built), a list
 * of items at the top. Each item comes back with its place for messages.
 * Throws {@link RulesError} naming FILE:LINE:COLUMN.
 */
import { readFileSync } from 'node:fs';
import { parseDocument, LineCounter, visit, isNode, isSeq, isMap } from 'yaml';
import { RulesError, type Place } from './rules_error.js';
import { RULES_MSG } from './messages.js';
import { ScapdriftError, ErrorCode } from '../errors.js';

/** One top-level item of a rules file. */
export interface RulesItem {
  value: Record<string, unknown>;
  place: Place;
}

/** Aliases expanded at most this many times (a "billion laughs" file fails). */
const MAX_ALIAS_COUNT = 100;

/** Parses rules-file `text` (named `file` in messages) into its items. */
export function parseRulesText(text: string, file: string): RulesItem[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { schema: 'core', lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const placeOf = (offset: number): Place => {
    const { line, col } = lines.linePos(offset);
    return { file, line, col };
  };
  const yamlError = (problem: { pos: [number, number]; message: string } | undefined): void => {
    if (problem) throw new RulesError(placeOf(problem.pos[0]), RULES_MSG.YAML(problem.message.split('\n')[0]!));
  };
  yamlError(doc.errors[0]);
  // Explicit tags (!!set, !custom, !!js/function) could build other things than data: none allowed.
  visit(doc, (_key, node) => {
    if (isNode(node) && node.tag) throw new RulesError(placeOf(node.range?.[0] ?? 0), RULES_MSG.TAG(node.tag));
  });
  yamlError(doc.warnings[0]);
  const root = doc.contents;
  if (root === null) return [];
  if (!isSeq(root)) throw new RulesError(placeOf(root.range?.[0] ?? 0), RULES_MSG.NOT_A_LIST);
  return root.items.map((node) => {
    const place = placeOf(isNode(node) ? node.range?.[0] ?? 0 : 0);
    if (!isMap(node)) throw new RulesError(place, RULES_MSG.ITEM_NOT_A_MAP);
    try {
      return { value: node.toJS(doc, { maxAliasCount: MAX_ALIAS_COUNT }) as Record<string, unknown>, place };
    } catch (e) {
      // The yaml library throws plain errors for alias problems (unresolved, too many).
      throw new RulesError(place, RULES_MSG.YAML((e as Error).message.split('\n')[0]!));
    }
  });
}

/** Reads and parses the rules file at `path`. */
export function readRulesFile(path: string): RulesItem[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ScapdriftError(ErrorCode.IO, RULES_MSG.READ(path, (e as Error).message), { cause: e });
  }
  return parseRulesText(text, path);
}
