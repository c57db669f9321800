/**
 * The parallel pool's batch sizes (ts/parallel/batch_size.ts): batches whose output is large
 * are cut small, so that what waits in flight stays bounded; batches that print little are cut
 * at the full size. Decisions, not timings.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BatchSizer, MIN_BATCH_BYTES } from '../ts/parallel/batch_size.js';

const MAX = 1 << 20;
/** Output per batch asked of the sizer, bytes. */
const OUT = 1 << 20;

test('the first batch is the full size; a filter that prints nothing keeps it, large output cuts the next ones small', () => {
  const s = new BatchSizer(MAX, OUT);
  assert.is(s.next(), MAX);
  s.observe(MAX, 0);
  assert.is(s.next(), MAX);
  s.observe(MAX, MAX * 64);
  assert.is(s.next(), MIN_BATCH_BYTES);
  let sizes = 0;
  for (let i = 0; i < 100 && s.next() < MAX; i++) { s.observe(s.next(), 0); sizes++; }
  assert.is(s.next(), MAX);
  assert.ok(sizes > 1 && sizes < 100, `${sizes} batches back to the full size`);
});

test('JSON of every event (~10 output bytes per input byte): the first batch small, then ~OUT of output per batch', () => {
  const s = new BatchSizer(MAX, OUT, true);
  assert.is(s.next(), MIN_BATCH_BYTES);
  for (let i = 0; i < 50; i++) s.observe(s.next(), s.next() * 10);
  assert.is(s.next(), Math.floor(OUT / 10));
  // One batch with 100x output: the next is cut at the smallest size, then grows back as it decays.
  s.observe(100_000, 100_000 * 100);
  assert.is(s.next(), MIN_BATCH_BYTES);
  for (let i = 0; i < 100; i++) s.observe(s.next(), s.next() * 10);
  assert.is(s.next(), Math.floor(OUT / 10));
});

test('never below MIN_BATCH_BYTES, nor above the largest batch (a smaller SCAPDRIFT_BATCH_BYTES wins)', () => {
  const s = new BatchSizer(MAX, OUT);
  s.observe(1, 1e9);
  assert.is(s.next(), MIN_BATCH_BYTES);
  const small = new BatchSizer(16 << 10, OUT);
  assert.is(small.next(), 16 << 10);
  small.observe(1 << 10, 0);
  assert.is(small.next(), 16 << 10);
});

test.run();
