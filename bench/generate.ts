/**
 * Writes a synthetic but realistic scap capture with the project's own writer (ts/scap/writer.ts,
 * streaming: memory stays at one output chunk whatever the size), deterministic from a seed: the
 * same seed and limit give a byte-identical file.
 *
 * The workload imitates `make -j2` compiling and `cat`-ing files on a 2-CPU host, as in the
 * shared busy.scap: a process list (systemd, sshd, a shell, make), then make forking children
 * (clone exits in parent and child, an execve exit with libs' full parameter list: args, ~1.4 KB
 * of environment, cgroups, exe inode and times) that open files, fstat some, read them to EOF in
 * 4–128 KiB requests (data: the first 80 bytes, libs' default snaplen), write what they read,
 * close them, and exit (procexit). Every frame has the parameters of its event-table entry.
 * The mix: ~50 % read, ~23 % write, ~13 % openat, ~12 % close, ~1.5 % fstat, ~0.5 % clone,
 * execve and procexit; ~125 bytes per event.
 *
 * Usage, after `npm run build`: `node dist/bench/generate.js --events 3000000 --seed 1 --out FILE`
 * (or `--bytes N` to stop once the file holds N bytes).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { ScapWriter, frameByName, str, i64, u32, u64, type ParamInput } from '../ts/scap/writer.js';
import type { ProcessEntry } from '../ts/scap/process_list.js';
import { PPME, PPM_CL } from '../ts/events/ppm_constants.js';
import { mulberry32 as prng } from './prng.js';

/** What to generate. */
export interface GenerateOptions {
  /** Seed of the pseudo-random sequence. */
  seed: number;
  /** Stop after this many events. */
  events?: number;
  /** Stop once the output holds at least this many bytes. */
  bytes?: number;
}

/** What was written. */
export interface Generated {
  events: number;
  /** Bytes of the capture. */
  bytes: number;
}

const SEC = 1_000_000_000n;
/** Host boot time, epoch ns. */
const BOOT = 1_790_000_000n * SEC;
const CPUS = 2;
/** Children of make running at once (make -j2, plus a cat pipeline). */
const JOBS = 3;
/** libs' default snaplen: bytes of read/write data a frame carries. */
const SNAPLEN = 80;
const AT_FDCWD = -100;
const O_RDONLY = 1;
const O_CLOEXEC = 4096;
const ENOENT = -2;
const U64_ZERO = u64(0);
const SIGCHLD = 17;
const MAKE_TID = 1100n;
const CGROUPS = ['0::/user.slice/user-1000.slice/session-3.scope'];
const CWD = '/home/dev/src/libfoo';
const ENV = [
  'SHELL=/bin/bash', 'PWD=/home/dev/src/libfoo', 'LOGNAME=dev', 'HOME=/home/dev', 'LANG=C.UTF-8', 'USER=dev',
  'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/home/dev/.local/bin', 'TERM=xterm-256color',
  'MAKEFLAGS=-j2 --jobserver-auth=fifo:/tmp/GMfifo1100', 'MAKELEVEL=1', 'MFLAGS=-j2', 'SHLVL=2', 'CC=gcc',
  'CFLAGS=-O2 -g -Wall -Wextra -fstack-protector-strong -D_FORTIFY_SOURCE=2', 'XDG_SESSION_ID=3',
  'SSH_CONNECTION=10.0.0.2 51234 10.0.0.5 22', 'SSH_CLIENT=10.0.0.2 51234 22', 'SSH_TTY=/dev/pts/0',
  'XDG_RUNTIME_DIR=/run/user/1000', 'DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus', 'LESSOPEN=| /usr/bin/lesspipe %s',
  'LS_COLORS=rs=0:di=01;34:ln=01;36:mh=00:pi=40;33:so=01;35:do=01;35:bd=40;33;01:cd=40;33;01:or=40;31;01:mi=00:su=37;41:sg=30;43:ca=00:tw=30;42:ow=34;42:st=37;44:ex=01;32',
  'OLDPWD=/home/dev/src', '_=/usr/bin/make',
];

/** A program make runs: how it is exec'd and how it reads and writes. */
interface Program {
  path: string;
  comm: string;
  ino: bigint;
  args: (n: number) => string[];
  /** Files it opens per run (mean). */
  files: number;
  /** Bytes per read request. */
  request: number;
  /** Share of successful reads followed by a write of the same bytes. */
  writes: number;
}

const PROGRAMS: Program[] = [
  { path: '/usr/lib/gcc/x86_64-linux-gnu/12/cc1', comm: 'cc1', ino: 1_311_745n, files: 80, request: 4096, writes: 0.3, args: (n) => ['/usr/lib/gcc/x86_64-linux-gnu/12/cc1', '-quiet', '-I', 'include', `src/unit_${n}.c`, '-quiet', '-dumpbase', `unit_${n}.c`, '-mtune=generic', '-march=x86-64', '-O2', '-Wall', '-o', `/tmp/cc${n}.s`] },
  { path: '/usr/bin/x86_64-linux-gnu-as', comm: 'as', ino: 1_049_612n, files: 100, request: 65536, writes: 1, args: (n) => ['as', '--64', '-o', `obj/unit_${n}.o`, `/tmp/cc${n}.s`] },
  { path: '/usr/bin/cat', comm: 'cat', ino: 1_048_803n, files: 200, request: 131072, writes: 1, args: (n) => ['cat', `doc/page_${n}.txt`, `doc/page_${n + 1}.txt`] },
  { path: '/usr/bin/sed', comm: 'sed', ino: 1_048_977n, files: 50, request: 8192, writes: 1, args: (n) => ['sed', '-e', 's/@VERSION@/1.4.2/', `src/unit_${n}.h.in`] },
];


/** One file the workload reads: its path and inode (encoded once) and its size in bytes. */
interface FileEntry { name: Uint8Array; ino: Uint8Array; size: number }

/** `encode`, remembering each value's bytes: most integer parameters repeat (fds, sizes, flags). */
function memo(encode: (v: number) => Uint8Array): (v: number) => Uint8Array {
  const known = new Map<number, Uint8Array>();
  return (v) => {
    let b = known.get(v);
    if (!b) known.set(v, (b = encode(v)));
    return b;
  };
}
const I64 = memo(i64);
const U32 = memo(u32);

/** A running child of make. */
interface Job { tid: bigint; cpu: number; program: Program; filesLeft: number; queue: ParamFrame[] }
type ParamFrame = [type: number, tid: bigint, values: Record<string, ParamInput>];

function processList(): ProcessEntry[] {
  const ctime = BOOT - 30n * 86_400n * SEC;
  const entry = (tid: bigint, ptid: bigint, comm: string, exepath: string, args: string[], uid: number): ProcessEntry => ({
    tid, pid: tid, ptid, comm, exe: exepath, exepath, args, cwd: uid === 0 ? '/' : CWD, fdlimit: 1024n, flags: 0, uid, gid: uid,
    vtid: tid, vpid: tid, cgroups: uid === 0 ? ['0::/system.slice'] : CGROUPS, env: uid === 0 ? [] : ENV, loginuid: uid === 0 ? 4294967295 : uid,
    exeIno: 1_000_000n + tid, exeInoCtimeEpochNs: ctime, exeInoMtimeEpochNs: ctime - 86_400n * SEC, pidnsInitStartTsEpochNs: BOOT,
    exeWritable: false, exeUpperLayer: false, exeLowerLayer: false, exeFromMemfd: false,
  });
  return [
    entry(1n, 0n, 'systemd', '/usr/lib/systemd/systemd', ['--system', '--deserialize', '31'], 0),
    entry(412n, 1n, 'systemd-journal', '/usr/lib/systemd/systemd-journald', [], 0),
    entry(600n, 1n, 'sshd', '/usr/sbin/sshd', ['-D'], 0),
    entry(1000n, 600n, 'bash', '/usr/bin/bash', [], 1000),
    entry(MAKE_TID, 1000n, 'make', '/usr/bin/make', ['-j2', 'all'], 1000),
  ];
}

/**
 * Generates the capture and hands it to `write` in chunks of about 1 MiB; at least one of
 * `events` and `bytes` must be set.
 */
export function generateCapture(opts: GenerateOptions, write: (chunk: Uint8Array) => void): Generated {
  const { events: maxEvents = Infinity, bytes: maxBytes = Infinity } = opts;
  if (maxEvents === Infinity && maxBytes === Infinity) throw new RangeError('generateCapture: set events or bytes');
  const rand = prng(opts.seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
  const content = Uint8Array.from({ length: 1 << 16 }, () => (rand() < 0.15 ? 0x20 : rand() < 0.03 ? 0x0a : 0x61 + int(0, 25)));
  const files: FileEntry[] = Array.from({ length: 4096 }, (_, i) => ({
    name: str(`/home/dev/src/libfoo/${['src', 'include', 'doc', 'tests'][i % 4]}/${i % 4 === 2 ? 'page' : 'unit'}_${i}.${['c', 'h', 'txt', 'c'][i % 4]}`),
    ino: u64(2_000_000 + i * 7),
    size: Math.floor(200 * Math.exp(rand() * 7)), // 200 B … 220 KB, log-uniform
  }));

  const w = new ScapWriter({ write });
  w.sectionHeader();
  w.machineInfo({ numCpus: CPUS, memorySizeBytes: 8n << 30n, maxPid: 4_194_304n, hostname: 'bench-host', bootTsEpochNs: BOOT });
  w.processList(processList());

  let ts = BOOT + 7200n * SEC;
  let count = 0;
  let nextTid = 20_000n;
  let runs = 0;
  const jobs: Job[] = [];
  const full = (): boolean => count >= maxEvents || w.offset >= maxBytes;
  const emit = (cpu: number, [type, tid, values]: ParamFrame): void => {
    if (full()) return; // the last spawn may not fit whole
    ts += BigInt(int(150, 2500));
    w.event(cpu, frameByName(type, ts, tid, values));
    count++;
  };

  /** make forks and the child execs a program: clone exits (parent, then child side), execve exit. */
  const spawn = (): Job => {
    const program = PROGRAMS[int(0, PROGRAMS.length - 1)]!;
    const tid = nextTid;
    nextTid += BigInt(int(1, 9));
    const cpu = int(0, CPUS - 1);
    const args = program.args(runs++);
    const clone = (res: bigint, self: bigint, ptid: bigint): Record<string, ParamInput> => ({
      res, exe: '/usr/bin/make', args: ['-j2', 'all'], tid: self, pid: self, ptid, cwd: null, fdlimit: 1024, pgft_maj: 0,
      pgft_min: int(200, 900), vm_size: 11_320, vm_rss: 4_512, vm_swap: 0, comm: 'make', cgroups: CGROUPS,
      flags: PPM_CL.PPM_CL_CLONE_CHILD_CLEARTID | PPM_CL.PPM_CL_CLONE_CHILD_SETTID | SIGCHLD, uid: 1000, gid: 1000,
      vtid: self, vpid: self, pidns_init_start_ts: 0,
    });
    emit(int(0, CPUS - 1), [PPME.PPME_SYSCALL_CLONE_20_X, MAKE_TID, clone(tid, MAKE_TID, 1000n)]);
    emit(cpu, [PPME.PPME_SYSCALL_CLONE_20_X, tid, clone(0n, tid, MAKE_TID)]);
    const ctime = BOOT - BigInt(int(2, 400)) * 86_400n * SEC;
    emit(cpu, [PPME.PPME_SYSCALL_EXECVE_19_X, tid, {
      res: 0, exe: args[0]!, args: args.slice(1), tid, pid: tid, ptid: MAKE_TID, cwd: CWD, fdlimit: 1024, pgft_maj: 0,
      pgft_min: int(60, 300), vm_size: int(2_000, 40_000), vm_rss: int(900, 6_000), vm_swap: 0, comm: program.comm,
      cgroups: CGROUPS, env: ENV, tty: 34816, vpgid: MAKE_TID, loginuid: 1000, flags: 0, cap_inheritable: 0,
      cap_permitted: 0, cap_effective: 0, exe_ino: program.ino, exe_ino_ctime: ctime, exe_ino_mtime: ctime - 3600n * SEC,
      uid: 1000, trusted_exepath: program.path, pgid: MAKE_TID, gid: 1000, filename: program.path,
    }]);
    return { tid, cpu, program, filesLeft: Math.max(1, Math.round(program.files * 2 * rand())), queue: [] };
  };

  /** The frames of one file: openat (3 % fail), fstat (1 in 8), reads to EOF with writes, close. */
  const fileCycle = (job: Job): ParamFrame[] => {
    const f = files[int(0, files.length - 1)]!;
    const tid = job.tid;
    const openat = (fd: number, ino: Uint8Array): ParamFrame => [PPME.PPME_SYSCALL_OPENAT_2_X, tid,
      { fd: I64(fd), dirfd: I64(AT_FDCWD), name: f.name, flags: U32(O_RDONLY | O_CLOEXEC), mode: U32(0), dev: U32(65024), ino }];
    if (rand() < 0.03) return [openat(ENOENT, U64_ZERO)];
    const fd = 3 + int(0, 2);
    const frames = [openat(fd, f.ino)];
    if (rand() < 1 / 8) frames.push([PPME.PPME_SYSCALL_FSTAT_X, tid, { res: I64(0), fd: I64(fd) }]);
    const io = (type: number, res: number, at: number, outFd: number, size: number): ParamFrame =>
      [type, tid, { res: I64(res), data: content.subarray(at, at + Math.min(res, SNAPLEN)), fd: I64(outFd), size: U32(size) }];
    for (let off = 0; ; off += job.program.request) {
      const res = Math.max(0, Math.min(job.program.request, f.size - off));
      const at = int(0, content.length - SNAPLEN);
      frames.push(io(PPME.PPME_SYSCALL_READ_X, res, at, fd, job.program.request));
      if (res === 0) break;
      if (rand() < job.program.writes) frames.push(io(PPME.PPME_SYSCALL_WRITE_X, res, at, 1, res));
    }
    frames.push([PPME.PPME_SYSCALL_CLOSE_X, tid, { res: I64(0), fd: I64(fd) }]);
    return frames;
  };

  while (!full()) {
    if (jobs.length < JOBS) { jobs.push(spawn()); continue; }
    const i = int(0, jobs.length - 1);
    const job = jobs[i]!;
    if (job.queue.length === 0) {
      if (job.filesLeft-- === 0) {
        emit(job.cpu, [PPME.PPME_PROCEXIT_1_E, job.tid, { status: 0, ret: 0, sig: 0, core: 0, reaper_tid: MAKE_TID }]);
        jobs.splice(i, 1);
        continue;
      }
      job.queue = fileCycle(job).reverse();
    }
    emit(job.cpu, job.queue.pop()!);
  }
  w.finish();
  return { events: count, bytes: w.offset };
}

/** Command line: writes `--out` and prints what it wrote. */
function main(): void {
  const { values } = parseArgs({ options: { events: { type: 'string' }, bytes: { type: 'string' }, seed: { type: 'string', default: '1' }, out: { type: 'string' } } });
  if (!values.out || (values.events === undefined && values.bytes === undefined)) {
    throw new Error('usage: node dist/bench/generate.js (--events N | --bytes N) [--seed S] --out FILE');
  }
  const fd = openSync(values.out, 'w');
  try {
    const g = generateCapture({
      seed: Number(values.seed),
      ...(values.events !== undefined ? { events: Number(values.events) } : {}),
      ...(values.bytes !== undefined ? { bytes: Number(values.bytes) } : {}),
    }, (chunk) => { writeSync(fd, chunk); });
    process.stdout.write(`${values.out}: ${g.events} events, ${g.bytes} bytes\n`);
  } finally {
    closeSync(fd);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
