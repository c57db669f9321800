/**
 * Falco conditions → filter programs for the Wasm VM.
 *
 * ```ts
 * const program = compileFilter('evt.type = execve and proc.is_exe_writable = true');
 * new Decoder({ programs: [program] });
 * ```
 */
import { parseCondition } from './parser.js';
import { compileProgram, EMPTY_ENV, type FilterEnv, type Program } from './compiler.js';

export { parseCondition } from './parser.js';
export { compileProgram, EMPTY_ENV, type FilterEnv, type Program } from './compiler.js';
export { FilterError } from './filter_error.js';
export { installPrograms, matchedPrograms } from './blob.js';

/** Parses and compiles one condition. Throws FilterError (code E_OPTION) naming the position. */
export function compileFilter(condition: string, env: FilterEnv = EMPTY_ENV): Program {
  return compileProgram(parseCondition(condition), env);
}
