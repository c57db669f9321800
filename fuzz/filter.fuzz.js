/** Jazzer.js entry point: npx jazzer fuzz/filter.fuzz.js fuzz/corpus/filter (see fuzz/README.md). */
import { fuzzFilter } from './targets.js';

export function fuzz(data) {
  fuzzFilter(data);
}
