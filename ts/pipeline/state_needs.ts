/**
 * What state a decode must keep for what it is asked. The fd table (assembly/fd_table.ts) and
 * the cwd are kept from fd events (open, close, dup, socket, chdir, ... : assembly/fd_events.ts)
 * and read only by the fields {@link readsFdTable} names. When no condition, rule or output field
 * of a plan reads them, the decoder skips fd events, fd inheritance at clone and close-on-exec
 * (ts/pipeline/decoder.ts option `fdTable`): a filtered read of busy.scap spent ~15 % of its
 * decode there (bench/RESULTS.md). test/state_needs.test.ts prints every other field with and
 * without the fd table on real captures and asserts the same bytes.
 */
import type { Expr } from '../filter/ast.js';
import type { FilterEnv } from '../filter/compiler.js';
import { resolveField } from '../fields/fields.js';

/** Field-name prefixes whose values come from the fd table. */
const FD_TABLE_PREFIXES = ['fd.', 'fs.path.', 'proc.stdin.', 'proc.stdout.', 'proc.stderr.'];
/**
 * Other fields that read it: evt.arg, evt.args and evt.info name an fd argument as
 * "3(<f>/etc/passwd)", evt.category takes the I/O subcategory from the fd, proc.cwd is kept by
 * chdir/fchdir, proc.fdopencount counts the table's fds.
 */
const FD_TABLE_FIELDS: ReadonlySet<string> = new Set(['evt.arg', 'evt.args', 'evt.info', 'evt.category', 'proc.cwd', 'proc.fdopencount']);

/**
 * Whether field `name` (as written: "fd.name", "evt.arg.fd", "evt.arg[0]") reads the fd table or
 * the cwd; a name no field resolves counts as reading it.
 */
export function readsFdTable(name: string): boolean {
  const def = resolveField(name)?.def;
  if (!def) return true;
  return FD_TABLE_FIELDS.has(def.name) || FD_TABLE_PREFIXES.some((p) => def.name.startsWith(p));
}

/**
 * The fields condition `expr` reads, both sides of every check, macros expanded from `env` (a
 * macro already being expanded, or unknown, adds nothing more: the compiler refuses those).
 */
export function conditionFields(expr: Expr, env: FilterEnv, into: Set<string> = new Set(), expanding: ReadonlySet<string> = new Set()): Set<string> {
  switch (expr.kind) {
    case 'and': case 'or':
      for (const c of expr.children) conditionFields(c, env, into, expanding);
      break;
    case 'not':
      conditionFields(expr.child, env, into, expanding);
      break;
    case 'macro': {
      const body = env.macro(expr.name);
      if (body && !expanding.has(expr.name)) conditionFields(body, env, into, new Set([...expanding, expr.name]));
      break;
    }
    case 'check':
      into.add(expr.field);
      if (expr.operand?.kind === 'field') into.add(expr.operand.field);
      break;
  }
  return into;
}
