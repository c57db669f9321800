#!/usr/bin/env node
/**
 * The scapdrift command line. Every error from bad input or options is one line
 * on stderr ("scapdrift: ...") and exit code 1; never a stack trace unless
 * SCAPDRIFT_DEBUG=1.
 *
 * Arguments are parsed with Node's own `util.parseArgs` (no CLI library to load at start-up),
 * and each command's modules are loaded when it runs: a `read` of a tiny capture pays only for
 * the decoder (README, Start-up).
 */
import { parseArgs } from 'node:util';
import { readFileSync, statSync } from 'node:fs';
import { isScapdriftError, ScapdriftError, ErrorCode } from '../errors.js';
import { escapeText } from '../fields/escape.js';
import {
  HEAVY_JSON_FIELDS, MAX_DEFAULT_WORKERS, PARALLEL_MIN_BYTES, SPARE_CORES, SPARE_CORES_MIN_BYTES,
} from '../parallel/worker_count.js';

/** One option of a command: its long name, short letter, value placeholder, help text. */
interface OptionSpec {
  long: string;
  short?: string;
  /** The value's placeholder in help ("<condition>"); absent: a flag. */
  value?: string;
  /** Given more than once, every value is kept (-r). */
  multiple?: boolean;
  help: string;
}

/**
 * One command (a name of one or two words: `baseline merge`): positional arguments
 * (`<required>` or `[optional]`; the last may be `variadic`: it takes the rest, as a list),
 * options, and what it runs.
 */
interface CommandSpec {
  name: string;
  description: string;
  args: { name: string; required: boolean; variadic?: boolean; help: string }[];
  options: OptionSpec[];
  /** `list`: the values of the variadic argument (empty when there is none). */
  run(args: (string | undefined)[], opts: Record<string, unknown>, list: string[]): Promise<unknown>;
}

const FILTER: OptionSpec = { long: 'filter', short: 'f', value: '<condition>', help: 'Falco filter condition (same as the trailing argument)' };
const RULES: OptionSpec = { long: 'rules', short: 'r', value: '<file>', multiple: true, help: 'Falco rules file, or a directory of them (name order): print alerts of its rules (repeatable)' };
/** Rule selection, spelled as Falco spells it (-t, -T; the priority setting). */
const RULE_SELECTION: OptionSpec[] = [
  { long: 'priority', value: '<level>', help: 'only rules of this priority or more severe (emergency … debug)' },
  { long: 'tag', short: 't', value: '<tag>', multiple: true, help: 'only rules with this tag (repeatable), as Falco -t' },
  { long: 'disable-tag', short: 'T', value: '<tag>', multiple: true, help: 'no rule with this tag (repeatable), as Falco -T' },
];
const MIB = 1 << 20;
/** `read --workers`: the default of ts/parallel/worker_count.ts defaultWorkers, from its constants. */
const WORKERS_HELP = `decode on N threads: this one and N-1 workers (default 1; ${MAX_DEFAULT_WORKERS} when every event is printed `
  + `(no filter, no rules) from a file known to hold, decompressed, ${PARALLEL_MIN_BYTES / MIB} MiB or more as JSON of `
  + `${HEAVY_JSON_FIELDS} fields or more, or ${SPARE_CORES_MIN_BYTES / MIB} MiB or more on ${SPARE_CORES} cores or more, `
  + 'and a core is free: 2 cores or more, 1-minute load average below the cores; 1 with --output-* or --alert-capture)';
const DEFAULT_RULES: OptionSpec = { long: 'default-rules', help: 'load the shipped drift rules (rules/scapdrift_rules.yaml)' };
const JSON_OPT: OptionSpec = { long: 'json', short: 'j', help: 'one JSON object per line, keys named by field' };
const TYPE: OptionSpec = { long: 'type', value: '<names>', help: 'only these event types, comma-separated (e.g. execve,clone,fadvise64)' };
/** --output-http, --output-file and their settings (ts/alerts/outputs.ts), for read and capture. */
const ALERT_OUTPUTS: OptionSpec[] = [
  { long: 'output-http', value: '<url>', help: "POST each alert to URL as Falcosidekick's payload (Falco's JSON alert with a uuid)" },
  { long: 'output-http-queue', value: '<n>', help: 'most alerts held for --output-http while the receiver is slow or down; beyond, dropped and counted (default 10000)' },
  { long: 'output-file', value: '<path>', help: 'append each alert to PATH as a JSON line (the same payload)' },
  { long: 'output-file-max-size', value: '<size>', help: 'rotate --output-file at this size: bytes, or K/M/G (default 100M)' },
  { long: 'output-file-keep', value: '<n>', help: 'rotated files kept: PATH.1 … PATH.N (default 5)' },
  { long: 'alert-capture', value: '<prefix>', help: "capture-on-alert: write the stream around each alert to PREFIX_<ts>_<evt.num>.scap (Falco's capture)" },
  { long: 'alert-capture-mode', value: '<mode>', help: "rules: for rules with 'capture: true' (default, as Falco); all_rules: for every alert" },
  { long: 'alert-capture-duration', value: '<ms>', help: "ms kept after an alert when its rule has no capture_duration (default 5000)" },
  { long: 'alert-capture-before', value: '<ms>', help: 'ms kept before an alert (default 5000; held in at most 64 MiB)' },
  { long: 'alert-capture-max-mb', value: '<n>', help: 'a file ends at this size, MiB; 0: no limit (default 100)' },
];

const BASELINE: OptionSpec = { long: 'baseline', value: '<profile>', help: "learned baseline (scapdrift learn): alert on execs outside their workload's profile" };
const OUTPUT_PROFILE: OptionSpec = { long: 'output', short: 'o', value: '<file>', help: 'the profile to write (required)' };

const COMMANDS: CommandSpec[] = [
  {
    name: 'read',
    description: 'print the events of a capture file (.scap, plain or gzip)',
    args: [
      { name: 'file', required: true, help: "capture file, or '-' for standard input" },
      { name: 'condition', required: false, help: "Falco filter condition, e.g. 'evt.type = execve and proc.is_exe_writable = true'" },
    ],
    options: [
      FILTER, RULES, DEFAULT_RULES, ...RULE_SELECTION, JSON_OPT,
      { long: 'print', short: 'p', value: '<format>', help: 'sysdig-style format, e.g. "%evt.num %proc.name %proc.exe_ino"' },
      TYPE,
      { long: 'quiet', short: 'q', help: 'no progress bar' },
      { long: 'strict', help: 'the first corrupt frame is fatal (default: reported, skipped, reading goes on)' },
      { long: 'workers', value: '<n>', help: WORKERS_HELP },
      BASELINE,
      ...ALERT_OUTPUTS,
    ],
    async run([file, condition], opts) {
      const { readCommand } = await import('./read.js');
      try {
        return await readCommand(file!, { ...opts, ...(condition !== undefined ? { condition } : {}) });
      } catch (e) {
        // `read a.scap b.scap`: the second file was parsed as the condition (a FilterError has `pos`).
        if (condition !== undefined && isScapdriftError(e) && 'pos' in e && statSync(condition, { throwIfNoEntry: false })?.isFile()) {
          throw new ScapdriftError(ErrorCode.OPTION, `the condition ${JSON.stringify(condition)} is a file: read takes one capture, and its second argument is a filter condition (read each capture in its own run) — ${e.message}`);
        }
        throw e;
      }
    },
  },
  {
    name: 'bench',
    description: 'read throughput of a capture for each worker count, against memcpy: prints a Markdown table',
    args: [{ name: 'file', required: true, help: 'capture file (.scap, plain or gzip)' }],
    options: [
      { long: 'workers', value: '<list>', help: 'worker counts, comma-separated, e.g. 1,2,4 (default: 1, 2, 4, … up to the cores)' },
      { long: 'filter', short: 'f', value: '<condition>', help: 'condition of row (d) (default: event types that make up ~1 % of the events)' },
      { long: 'runs', value: '<n>', help: 'runs per row; the table shows the median (default 3)' },
    ],
    async run([file], opts) {
      const { benchCommand } = await import('./bench.js');
      return benchCommand(file!, opts);
    },
  },
  {
    name: 'fields',
    description: 'list the supported fields with type, unit and description',
    args: [],
    options: [{ long: 'json', short: 'j', help: 'as JSON' }],
    async run(_args, opts) {
      const { FIELDS } = await import('../fields/fields.js');
      if (opts.json) {
        process.stdout.write(JSON.stringify(FIELDS.map(({ name, type, unit, description, takesArg }) => ({ name, type, unit, description, takesArg: !!takesArg })), null, 2) + '\n');
        return;
      }
      for (const f of FIELDS) {
        const name = f.takesArg ? `${f.name}.NAME | ${f.name}[N]` : f.name;
        process.stdout.write(`${name.padEnd(42)} ${f.type.padEnd(8)} ${(f.unit || '-').padEnd(9)} ${f.description}\n`);
      }
    },
  },
  {
    name: 'capture',
    description: 'live capture with the eBPF driver (root, kernel with BTF); prints events as read does',
    args: [{ name: 'condition', required: false, help: 'Falco filter condition' }],
    options: [
      FILTER, RULES, DEFAULT_RULES, ...RULE_SELECTION,
      { long: 'write', short: 'w', value: '<file>', help: 'also save the raw scap stream to this file' },
      JSON_OPT,
      { long: 'print', short: 'p', value: '<format>', help: 'sysdig-style format' },
      TYPE,
      { long: 'duration', short: 'd', value: '<seconds>', help: 'stop after this many seconds (default: until Ctrl-C)' },
      { long: 'status-interval', value: '<seconds>', help: 'a status line (events/s, lost) on stderr this often; 0: never (default: 10 on a terminal, else never)' },
      { long: 'hash-wait-ms', value: '<ms>', help: "how long an exec's events wait for its executable's SHA-256 (proc.exe_sha256), ms (default 500; 0 to 2147483647)" },
      { long: 'no-exe-hash', help: 'do not hash executables' },
      BASELINE,
      ...ALERT_OUTPUTS,
      { long: 'enforce', value: '<mode>', help: 'decide at each exec in the kernel: audit (report drift.enforced = would-kill) or enforce (SIGKILL before the first instruction: killed)' },
      { long: 'enforce-policy', value: '<file>', help: 'enforcement policy (YAML; default rules/scapdrift_enforce.yaml); SIGHUP reloads it, SIGUSR1 is the kill switch' },
    ],
    async run([condition], opts) {
      const { captureCommand, outputDropped } = await import('../live/index.js');
      try {
        return await captureCommand({ ...opts, ...(condition !== undefined ? { condition } : {}) });
      } finally {
        stdoutAbandoned = outputDropped();
      }
    },
  },
  {
    name: 'learn',
    description: "learn each workload's baseline of executions from capture files (or --live) into a JSON profile",
    args: [{ name: 'files', required: false, variadic: true, help: 'capture files (.scap, plain or gzip), learned in order' }],
    options: [
      OUTPUT_PROFILE,
      { long: 'window', value: '<seconds>', help: 'learn only the first SECONDS of capture time after the first exec (default: all)' },
      { long: 'min-stable', value: '<seconds>', help: 'the profile is stable when nothing new came in the last SECONDS of the learning (default 60)' },
      { long: 'max-new-per-minute', value: '<n>', help: 'new facts learned per workload per minute at most (default 120)' },
      { long: 'max-executables', value: '<n>', help: 'paths per workload at most (default 5000)' },
      { long: 'live', help: 'record with the driver (root), then learn from that recording' },
      { long: 'duration', short: 'd', value: '<seconds>', help: 'with --live: record this long (default: until Ctrl-C)' },
    ],
    async run(_args, opts, files) {
      const { learnCommand } = await import('../baseline/cli.js');
      return learnCommand(files, opts);
    },
  },
  {
    name: 'baseline merge',
    description: 'combine the profiles of many hosts into one that knows what each knows',
    args: [{ name: 'profiles', required: true, variadic: true, help: 'profiles to merge' }],
    options: [OUTPUT_PROFILE],
    async run(_args, opts, files) {
      const { mergeCommand } = await import('../baseline/cli.js');
      mergeCommand(files, opts);
    },
  },
  {
    name: 'start',
    description: 'the main job: live drift detection when root and eBPF are available, else the bundled sample capture',
    args: [],
    options: [],
    async run() {
      const { startCommand } = await import('./start.js');
      const { outputDropped } = await import('../live/index.js');
      try {
        return await startCommand();
      } finally {
        stdoutAbandoned = outputDropped();
      }
    },
  },
];

const PROGRAM_HELP = 'Decode Falco/sysdig kernel event captures and compute process-execution drift signals.';

function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

function usage(c: CommandSpec): string {
  const args = c.args.map((a) => { const n = `${a.name}${a.variadic ? '...' : ''}`; return a.required ? `<${n}>` : `[${n}]`; }).join(' ');
  return `scapdrift ${c.name}${c.options.length ? ' [options]' : ''}${args ? ` ${args}` : ''}`;
}

function commandHelp(c: CommandSpec): string {
  const rows: [string, string][] = [
    ...c.args.map((a): [string, string] => [a.name, a.help]),
    ...c.options.map((o): [string, string] => [`${o.short ? `-${o.short}, ` : ''}--${o.long}${o.value ? ` ${o.value}` : ''}`, o.help]),
    ['-h, --help', 'display help for command'],
  ];
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return `Usage: ${usage(c)}\n\n${c.description}\n\n${rows.map(([l, h]) => `  ${l.padEnd(width)}${h}`).join('\n')}\n`;
}

function programHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => usage(c).length - 'scapdrift '.length)) + 2;
  return `Usage: scapdrift [options] [command]\n\n${PROGRAM_HELP}\n\nOptions:\n  -V, --version  output the version number\n  -h, --help     display help for command\n\nCommands:\n` +
    `${COMMANDS.map((c) => `  ${usage(c).slice('scapdrift '.length).padEnd(width)}${c.description}`).join('\n')}\n  help [command]  display help for command\n`;
}

/** A usage error: one line, then where to find help. */
function usageError(message: string, command?: CommandSpec): ScapdriftError {
  return new ScapdriftError(ErrorCode.OPTION, `${message} (see 'scapdrift ${command ? `${command.name} ` : ''}--help')`);
}

/**
 * `--workers -1` as `--workers=-1`: parseArgs refuses a value that starts with a dash unless it is
 * inline ("argument is ambiguous"); a negative number given to an option that takes a value is
 * meant as its value, and then reaches the option's range check. Up to `--`, which ends options.
 */
function negativeValuesInline(argv: string[], options: Record<string, { type: 'string' | 'boolean'; short?: string }>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return out.concat(argv.slice(i));
    const long = a.startsWith('--') ? a.slice(2) : Object.keys(options).find((k) => a === `-${options[k]!.short}`);
    const next = argv[i + 1];
    if (long !== undefined && options[long]?.type === 'string' && next !== undefined && /^-\.?\d/.test(next)) {
      out.push(`--${long}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

/** Parses `argv` (after the command name) for `c`: positionals and camel-cased options. Throws E_OPTION. */
function parseCommand(c: CommandSpec, argv: string[]): { args: (string | undefined)[]; list: string[]; opts: Record<string, unknown>; help: boolean } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = { help: { type: 'boolean', short: 'h' } };
  for (const o of c.options) options[o.long] = { type: o.value ? 'string' : 'boolean', ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  let parsed;
  try {
    parsed = parseArgs({ args: negativeValuesInline(argv, options), options, allowPositionals: true, strict: true });
  } catch (e) {
    const message = (e as Error).message;
    const unknown = /^Unknown option '([^']*)'/.exec(message);
    // parseArgs' "argument is ambiguous" (a value starting with a dash) in one line, with its remedy.
    const ambiguous = /^Option '([^']*)' argument is ambiguous\.[\s\S]*use '(--[^=']+)=-XYZ'/.exec(message);
    throw usageError(unknown ? `unknown option '${unknown[1]}'`
      : ambiguous ? `option '${ambiguous[1]}' needs a value; for a value that starts with a dash, write ${ambiguous[2]}=-VALUE`
      : message.split('\n')[0]!, c);
  }
  const { values, positionals } = parsed;
  if (values.help) return { args: [], list: [], opts: {}, help: true };
  const missing = c.args.filter((a, i) => a.required && positionals[i] === undefined);
  if (missing.length) throw usageError(`missing required argument '${missing[0]!.name}'`, c);
  const variadic = c.args.at(-1)?.variadic === true;
  if (!variadic && positionals.length > c.args.length) throw usageError(`too many arguments: expected ${c.args.length ? c.args.map((a) => a.name).join(', ') : 'none'}, got ${positionals.length}`, c);
  const opts: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) {
    if (k !== 'help') opts[k.replace(/-([a-z])/g, (_m, l: string) => l.toUpperCase())] = v;
  }
  const at = variadic ? c.args.length - 1 : c.args.length;
  return { args: positionals.slice(0, at), list: variadic ? positionals.slice(at) : [], opts, help: false };
}

/** The command named `first` (or `first second`: `baseline merge`). */
function findCommand(first: string | undefined, second: string | undefined): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === first || c.name === `${first} ${second}`);
}

async function main(argv: string[]): Promise<void> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help') {
    (first === undefined ? process.stderr : process.stdout).write(programHelp());
    if (first === undefined) process.exitCode = 1;
    return;
  }
  if (first === '-V' || first === '--version') {
    process.stdout.write(`${packageVersion()}\n`);
    return;
  }
  if (first === 'help') {
    const c = findCommand(rest[0], rest[1]);
    process.stdout.write(c ? commandHelp(c) : programHelp());
    return;
  }
  const command = findCommand(first, rest[0]);
  if (!command) throw usageError(`unknown command '${first}'; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
  const { args, list, opts, help } = parseCommand(command, command.name.includes(' ') ? rest.slice(1) : rest);
  if (help) {
    process.stdout.write(commandHelp(command));
    return;
  }
  await command.run(args, opts, list);
}

process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (process.stdout.listenerCount('error') > 1) return; // a command handles it (capture stops its loader)
  // The reader went away (e.g. `| head`): exit at once and quietly. Any other write error: one line.
  if (e.code === 'EPIPE') process.exit(0);
  process.stderr.write(`scapdrift: cannot write to standard output: ${e.code ?? e.message}\n`);
  process.exit(1);
});

/** A live capture stopped with lines standard output never took (counted in its totals): do not wait for them. */
let stdoutAbandoned = false;

/**
 * Once the command is done, nothing of it may keep the process alive (a hashing thread started
 * by a late request, a port, a stdout pipe whose reader left: `capture | head -1` hung that way):
 * exit when standard output has taken what was written.
 */
function exitWhenWritten(): void {
  const out = process.stdout;
  const exit = (): never => process.exit();
  if (out.destroyed || out.writableLength === 0 || stdoutAbandoned) exit();
  out.once('drain', exit);
  out.once('close', exit);
  out.once('error', exit);
}

main(process.argv.slice(2)).then(exitWhenWritten, (e: unknown) => {
  if (process.env.SCAPDRIFT_DEBUG === '1') console.error(e);
  const msg = isScapdriftError(e) ? e.message : `internal error: ${e instanceof Error ? e.message : String(e)}`;
  process.stderr.write(`scapdrift: ${escapeText(msg)}\n`); // file names may hold anything: one line, no raw control bytes
  // The command has cleaned up what it owns (loader stopped, files closed, totals printed) before
  // failing: nothing left may keep the process alive (a capture whose stdout failed hung under
  // load on a handle still open). stderr is written synchronously (file, pipe or terminal).
  process.exit(1);
});
