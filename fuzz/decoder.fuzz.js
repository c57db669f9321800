/** Jazzer.js entry point: npx jazzer fuzz/decoder.fuzz.js fuzz/corpus/decoder (see fuzz/README.md). */
import { fuzzDecoder } from './targets.js';

export function fuzz(data) {
  fuzzDecoder(data);
}
