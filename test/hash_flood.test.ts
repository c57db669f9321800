/**
 * Hash flooding: a capture chooses its tids, inodes, pids and fds. Keys built to share one
 * probe run under the tables' former unkeyed hashes (the thread table's Fibonacci hash of the
 * tid, the file table's splitmix64 finaliser of the inode and of pid × φ ^ fd) must decode about
 * as fast as ordinary keys of the same count: the tables hash with a key drawn per instance
 * (assembly/hash.ts). Both inputs are timed in this run, alternately, best of three each, and
 * compared with a generous bound, so a loaded machine does not make the test flaky; with the old
 * hashes the crafted inputs took 30–300× longer.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { performance } from 'node:perf_hooks';
import { ScapWriter, frameByName } from '../ts/scap/writer.js';
import type { ProcessEntry } from '../ts/scap/process_list.js';
import { Decoder } from '../ts/pipeline/decoder.js';
import { PPME } from '../ts/events/ppm_constants.js';

/** Keys per input: the file table's capacity holds them all (no eviction), the thread table too. */
const N = 16_000;
/** Each input opens its N files this many times (later rounds look the keys up). */
const ROUNDS = 4;
/** Rounds of the thread-table inputs: lookups, against the process list's parsing time. */
const THREAD_ROUNDS = 16;
/** Crafted over ordinary decode time above this fails (ordinary keys measured at ~1×). */
const MAX_RATIO = 4;
const M64 = (1n << 64n) - 1n;
const PHI = 0x9e3779b97f4a7c15n;
const C1 = 0xbf58476d1ce4e5b9n;
const C2 = 0x94d049bb133111ebn;
const T0 = 1_700_000_000_000_000_000n;
const O_WRONLY_CREAT = 2 | 4;

/** An open-for-write exit: thread `tid` opened inode `ino` as `fd`. */
interface Open { tid: bigint; fd: bigint; ino: bigint }

function capture(opens: Open[], pl: ProcessEntry[] = [], rounds = ROUNDS): Uint8Array {
  const w = new ScapWriter().sectionHeader().machineInfo({ numCpus: 1, memorySizeBytes: 1n << 30n, hostname: 'flood', bootTsEpochNs: T0 });
  if (pl.length) w.processList(pl);
  for (let round = 0; round < rounds; round++) {
    opens.forEach((o, i) => w.event(0, frameByName(PPME.PPME_SYSCALL_OPENAT_2_X, T0 + BigInt(round * N + i), o.tid, {
      fd: o.fd, dirfd: -100, name: `/tmp/f${i}`, flags: O_WRONLY_CREAT, mode: 0o644, dev: 1, ino: o.ino,
    })));
  }
  return w.finish();
}

function process(tid: bigint): ProcessEntry {
  return { tid, pid: tid, ptid: 1n, comm: 'p', exe: 'p', exepath: '/p', args: [], cwd: '/', fdlimit: 1024n, flags: 0, uid: 0, gid: 0, cgroups: [] };
}

/** `bytes` as a stream of one chunk. */
async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** Milliseconds to decode `bytes` (nothing emitted: the state tables only). */
async function decodeMs(bytes: Uint8Array, events: number): Promise<number> {
  const decoder = new Decoder({ types: [] });
  const start = performance.now();
  const summary = await decoder.run(once(bytes), { onEvent() {} });
  const ms = performance.now() - start;
  assert.is(summary.events, events);
  return ms;
}

/** Best of three alternating runs of each input; asserts crafted / ordinary stays under the bound. */
async function compare(label: string, ordinary: Uint8Array, crafted: Uint8Array, rounds = ROUNDS): Promise<void> {
  const events = rounds * N;
  await decodeMs(ordinary, events); // warm-up: compile, allocate
  let a = Infinity;
  let b = Infinity;
  for (let i = 0; i < 3; i++) {
    a = Math.min(a, await decodeMs(ordinary, events));
    b = Math.min(b, await decodeMs(crafted, events));
  }
  console.log(`  ${label}: ordinary ${a.toFixed(1)} ms, crafted ${b.toFixed(1)} ms (${(b / a).toFixed(2)}×)`);
  assert.ok(b / a < MAX_RATIO, `${label}: crafted keys took ${(b / a).toFixed(1)}× the ordinary ones (${b.toFixed(0)} vs ${a.toFixed(0)} ms)`);
}

/** splitmix64's finaliser, the file table's former unkeyed slot hash (64 bits). */
function oldMix(k: bigint): bigint {
  k = ((k ^ (k >> 30n)) * C1) & M64;
  k = ((k ^ (k >> 27n)) * C2) & M64;
  return k ^ (k >> 31n);
}

/** The inverse of splitmix64's finaliser, the file table's former unkeyed slot hash. */
function unmix(y: bigint): bigint {
  const inv = (c: bigint): bigint => { let x = c; for (let i = 0; i < 6; i++) x = (x * (2n - c * x)) & M64; return x; };
  const unshift = (v: bigint, s: bigint): bigint => { let x = v; for (let k = s; k < 64n; k += s) x ^= v >> k; return x & M64; };
  let x = unshift(y, 31n);
  x = (x * inv(C2)) & M64;
  x = unshift(x, 27n);
  x = (x * inv(C1)) & M64;
  return unshift(x, 30n);
}

test('thread table: tids sharing one probe run of the Fibonacci hash', async () => {
  // (tid × φ mod 2^64) >> 32 has its low 16 bits 0 for every multiple of 2^48: one slot for all.
  const tids = (m: number): bigint => BigInt(m) << 48n;
  const ordinary = Array.from({ length: N }, (_, i) => 10_000n + BigInt(i));
  const crafted = Array.from({ length: N }, (_, i) => tids(i + 1));
  assert.is(new Set(crafted.map((t) => ((t * PHI) & M64) >> 32n & 0xffffn)).size, 1, 'the crafted tids collide under the old hash');
  const opens = (list: bigint[]): Open[] => list.map((tid) => ({ tid, fd: 3n, ino: tid }));
  await compare('tids', capture(opens(ordinary), ordinary.map(process), THREAD_ROUNDS), capture(opens(crafted), crafted.map(process), THREAD_ROUNDS), THREAD_ROUNDS);
});

test('file table: inodes sharing one probe run of the splitmix64 finaliser', async () => {
  // Inodes whose finaliser outputs end in 17 zero bits: one slot of the 2^17-slot inode index.
  const crafted = Array.from({ length: N }, (_, i) => unmix(BigInt(i + 1) << 17n));
  assert.ok(crafted.every((ino) => ino !== 0n && (oldMix(ino) & 0x1ffffn) === 0n), 'the crafted inodes collide under the old hash');
  const ordinary = Array.from({ length: N }, (_, i) => 5_000n + BigInt(i));
  const opens = (inos: bigint[]): Open[] => inos.map((ino) => ({ tid: 100n, fd: 3n, ino }));
  await compare('inodes', capture(opens(ordinary)), capture(opens(crafted)));
});

test('file table: (pid, fd) pairs sharing one key of the fd map', async () => {
  // pid × φ ^ fd = C for every pair: the old fd-map hash saw one key. A thread the table does not
  // hold acts as its own pid; fds must be ≥ 0, so pids whose fd would be negative are left out.
  const C = 0x1234_5678_9abc_def0n;
  const crafted: Open[] = [];
  for (let tid = 1000n; crafted.length < N; tid++) {
    const fd = C ^ ((tid * PHI) & M64);
    if (fd < 1n << 63n) crafted.push({ tid, fd, ino: 5_000n + BigInt(crafted.length) });
  }
  const ordinary = crafted.map((o) => ({ ...o, fd: 3n }));
  await compare('fd pairs', capture(ordinary), capture(crafted));
});

test.run();
