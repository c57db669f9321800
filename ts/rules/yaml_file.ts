/**
 * Reads a Falco rules file: YAML with the core schema, no explicit tags (so
 * nothing but maps, lists, strings, numbers and booleans can be built), a list
 * of items at the top. Each item comes back with its place for messages.
 * Throws {@link RulesError} naming FILE:LINE:COLUMN.
 */
import { readFileSync } from 'node:fs';
import { parseDocument, LineCounter, visit, isNode, isSeq, isMap, isScalar, type Node, type YAMLMap } from 'yaml';
import { checkItem } from './schema.js';
import { RulesError, type Place } from './rules_error.js';
import { RULES_MSG } from './messages.js';
import { ScapdriftError, ErrorCode } from '../errors.js';

/** One top-level item of a rules file. */
export interface RulesItem {
  value: Record<string, unknown>;
  place: Place;
  /** Where the value of each key starts (the condition's place names an unknown field). */
  keyPlaces: Record<string, Place>;
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
    let value: Record<string, unknown>;
    try {
      value = node.toJS(doc, { maxAliasCount: MAX_ALIAS_COUNT }) as Record<string, unknown>;
    } catch (e) {
      // The yaml library throws plain errors for alias problems (unresolved, too many).
      throw new RulesError(place, RULES_MSG.YAML((e as Error).message.split('\n')[0]!));
    }
    const bad = checkItem(value);
    if (bad) {
      const at = nodeAt(node, bad.path, bad.unknownKey);
      throw new RulesError(at?.range ? placeOf(at.range[0]) : place, RULES_MSG.SCHEMA(itemName(value), bad.message));
    }
    const keyPlaces: Record<string, Place> = {};
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      const at = isNode(pair.value) ? pair.value : isNode(pair.key) ? pair.key : undefined;
      if (key !== undefined && at?.range) keyPlaces[key] = placeOf(at.range[0]);
    }
    return { value, place, keyPlaces };
  });
}

/** How an item is named in messages: "rule 'X'", "macro 'X'", "list 'X'", or "item". */
function itemName(value: Record<string, unknown>): string {
  for (const kind of ['rule', 'macro', 'list']) if (typeof value[kind] === 'string') return `${kind} '${value[kind] as string}'`;
  return 'item';
}

/** The node at `path` inside `item` (for an unknown key, the key itself), or the deepest one found. */
function nodeAt(item: YAMLMap, path: readonly (string | number)[], unknownKey: boolean): Node | undefined {
  let node: Node | undefined = item;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg);
      if (!pair) return node;
      const next: unknown = unknownKey && i === path.length - 1 ? pair.key : pair.value;
      if (!isNode(next)) return node;
      node = next;
    } else if (isSeq(node) && typeof seg === 'number' && isNode(node.items[seg])) {
      node = node.items[seg] as Node;
    } else {
      return node;
    }
  }
  return node;
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
