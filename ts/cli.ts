#!/usr/bin/env node
/**
 * The scapdrift command line. Every error from bad input or options is one line
 * on stderr ("scapdrift: ...") and exit code 1; never a stack trace unless
 * SCAPDRIFT_DEBUG=1.
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { readCommand } from './cli_read.js';
import { benchCommand } from './cli_bench.js';
import { FIELDS } from './fields.js';
import { isScapdriftError } from './errors.js';
import { escapeText } from './escape.js';
import { startCommand } from './cli_start.js';
import { captureCommand } from './capture/index.js';

function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

const program = new Command();
program
  .name('scapdrift')
  .description('Decode Falco/sysdig kernel event captures and compute process-execution drift signals.')
  .version(packageVersion(), '-V, --version')
  .showHelpAfterError();

/** --output-http, --output-file and their settings (ts/alerts/outputs.ts), for read and capture. */
function alertOutputOptions(cmd: Command): Command {
  return cmd
    .option('--output-http <url>', "POST each alert to URL as Falcosidekick's payload (Falco's JSON alert with a uuid)")
    .option('--output-http-queue <n>', 'most alerts held for --output-http while the receiver is slow or down; beyond, dropped and counted (default 10000)')
    .option('--output-file <path>', 'append each alert to PATH as a JSON line (the same payload)')
    .option('--output-file-max-size <size>', 'rotate --output-file at this size: bytes, or K/M/G (default 100M)')
    .option('--output-file-keep <n>', 'rotated files kept: PATH.1 … PATH.N (default 5)');
}

alertOutputOptions(program
  .command('read')
  .description('print the events of a capture file (.scap, plain or gzip)')
  .argument('<file>', "capture file, or '-' for standard input")
  .argument('[condition]', "Falco filter condition, e.g. 'evt.type = execve and proc.is_exe_writable = true'")
  .option('-f, --filter <condition>', 'Falco filter condition (same as the trailing argument)')
  .option('-r, --rules <file>', 'Falco rules file: print alerts of its rules (repeatable)', (f: string, all: string[] = []) => [...all, f])
  .option('--default-rules', 'load the shipped drift rules (rules/scapdrift_rules.yaml)')
  .option('-j, --json', 'one JSON object per line, keys named by field')
  .option('-p, --print <format>', 'sysdig-style format, e.g. "%evt.num %proc.name %proc.exe_ino"')
  .option('-t, --type <names>', 'only these event types, comma-separated (e.g. execve,clone)')
  .option('-q, --quiet', 'no progress bar')
  .option('--strict', 'the first corrupt frame is fatal (default: reported, skipped, reading goes on)')
  .option('--workers <n>', 'decode on N threads: this one and N-1 workers (default: the cores for inputs over 16 MiB, else 1; 1 with --output-*)'))
  .action(async (file: string, condition: string | undefined, opts) => {
    await readCommand(file, { ...opts, ...(condition !== undefined ? { condition } : {}) });
  });

program
  .command('bench')
  .description('read throughput of a capture for each worker count, against memcpy: prints a Markdown table')
  .argument('<file>', 'capture file (.scap, plain or gzip)')
  .option('--workers <list>', 'worker counts, comma-separated, e.g. 1,2,4 (default: 1, 2, 4, … up to the cores)')
  .option('-f, --filter <condition>', 'condition of row (d) (default: event types that make up ~1 % of the events)')
  .option('--runs <n>', 'runs per row; the table shows the median (default 3)')
  .action(async (file: string, opts) => {
    await benchCommand(file, opts);
  });

program
  .command('fields')
  .description('list the supported fields with type, unit and description')
  .option('-j, --json', 'as JSON')
  .action((opts: { json?: boolean }) => {
    if (opts.json) {
      process.stdout.write(JSON.stringify(FIELDS.map(({ name, type, unit, description, takesArg }) => ({ name, type, unit, description, takesArg: !!takesArg })), null, 2) + '\n');
      return;
    }
    for (const f of FIELDS) {
      const name = f.takesArg ? `${f.name}.NAME | ${f.name}[N]` : f.name;
      process.stdout.write(`${name.padEnd(42)} ${f.type.padEnd(8)} ${(f.unit || '-').padEnd(9)} ${f.description}\n`);
    }
  });

alertOutputOptions(program
  .command('capture')
  .description('live capture with the eBPF driver (root, kernel with BTF); prints events as read does')
  .argument('[condition]', 'Falco filter condition')
  .option('-f, --filter <condition>', 'Falco filter condition (same as the trailing argument)')
  .option('-r, --rules <file>', 'Falco rules file: print alerts of its rules (repeatable)', (f: string, all: string[] = []) => [...all, f])
  .option('--default-rules', 'load the shipped drift rules (rules/scapdrift_rules.yaml)')
  .option('-w, --write <file>', 'also save the raw scap stream to this file')
  .option('-j, --json', 'one JSON object per line, keys named by field')
  .option('-p, --print <format>', 'sysdig-style format')
  .option('-t, --type <names>', 'only these event types, comma-separated')
  .option('-d, --duration <seconds>', 'stop after this many seconds (default: until Ctrl-C)')
  .option('--status-interval <seconds>', 'a status line (events/s, lost) on stderr this often; 0: never (default: 10 on a terminal, else never)'))
  .action(async (condition: string | undefined, opts) => {
    await captureCommand({ ...opts, ...(condition !== undefined ? { condition } : {}) });
  });

program
  .command('start')
  .description('the main job: live drift detection when root and eBPF are available, else the bundled sample capture')
  .action(async () => {
    await startCommand();
  });

process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (process.stdout.listenerCount('error') > 1) return; // a command handles it (capture stops its loader)
  // The reader went away (e.g. `| head`): exit at once and quietly. Any other write error: one line.
  if (e.code === 'EPIPE') process.exit(0);
  process.stderr.write(`scapdrift: cannot write to standard output: ${e.code ?? e.message}\n`);
  process.exit(1);
});

program.parseAsync(process.argv).catch((e: unknown) => {
  if (process.env.SCAPDRIFT_DEBUG === '1') console.error(e);
  const msg = isScapdriftError(e) ? e.message : `internal error: ${e instanceof Error ? e.message : String(e)}`;
  process.stderr.write(`scapdrift: ${escapeText(msg)}\n`); // file names may hold anything: one line, no raw control bytes
  process.exitCode = 1;
});
