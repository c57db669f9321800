/** Jazzer.js entry point: npx jazzer fuzz/rules.fuzz.js fuzz/corpus/rules (see fuzz/README.md). */
import { fuzzRules } from './targets.js';

export function fuzz(data) {
  fuzzRules(data);
}
