/**
 * The decisions of parallel decoding, as values: who owns the next batch (ts/parallel/owners.ts:
 * the workers first, the main thread only when every worker has its queue) and the default
 * worker count (ts/parallel/worker_count.ts: two threads only for heavy output of every event on
 * a large input while a core is free). Decisions, not timings: the timings behind the thresholds
 * are in bench/RESULTS.md (`npm run bench:workers`).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pickOwner, WORKER_QUEUE_BATCHES } from '../ts/parallel/owners.js';
import {
  defaultWorkers, workerCount, HEAVY_JSON_FIELDS, MAX_DEFAULT_WORKERS, PARALLEL_MIN_BYTES, SPARE_CORES, SPARE_CORES_MIN_BYTES, type Work,
} from '../ts/parallel/worker_count.js';
import { compilePrintPlan, planWork } from '../ts/pipeline/plan.js';
import { runCli } from './helpers/cli.js';

test('the owner of a batch: no worker yet → the main thread; then the least-queued worker while below its queue', () => {
  assert.is(pickOwner([]), 0);
  assert.is(pickOwner([0]), 1);
  assert.is(pickOwner([WORKER_QUEUE_BATCHES - 1]), 1);
  assert.is(pickOwner([WORKER_QUEUE_BATCHES]), 0);
  assert.is(pickOwner([2, 0, 1]), 2);
  assert.is(pickOwner([1, 1]), 1, 'equals: the lowest index');
  assert.is(pickOwner([3, 1], 2), 2);
  assert.is(pickOwner([2, 2], 2), 0);
});

test('owners over a stream: a worker that answers nothing gets its queue, then the main thread takes every batch', () => {
  const queued = [0];
  const owners: number[] = [];
  for (let i = 0; i < 6; i++) {
    const o = pickOwner(queued);
    owners.push(o);
    if (o > 0) queued[o - 1]!++;
  }
  assert.equal(owners, [1, 1, 1, 0, 0, 0]);
  queued[0]! -= 2; // two answered: the worker gets the next two
  assert.is(pickOwner(queued), 1);
});

const IDLE = { cores: 2, load: 0.3 };
const BIG = 374_081_144; // the generated 3 M-event capture
const json41: Work = { bytes: BIG, everyEvent: true, output: 'json', fields: 41 };

test('default workers on the 2-vCPU VM: 2 only for JSON of many fields of every event, on a large input, with a core free', () => {
  assert.is(defaultWorkers(json41, IDLE), MAX_DEFAULT_WORKERS);
  assert.is(defaultWorkers({ ...json41, bytes: 157_922_876 }, IDLE), 2, 'busy.scap');
  assert.is(defaultWorkers({ ...json41, bytes: PARALLEL_MIN_BYTES }, IDLE), 2);
  assert.is(defaultWorkers({ ...json41, bytes: PARALLEL_MIN_BYTES - 1 }, IDLE), 1);
  assert.is(defaultWorkers({ ...json41, bytes: undefined }, IDLE), 1, 'a pipe');
  assert.is(defaultWorkers({ ...json41, fields: 8 }, IDLE), 1, 'JSON of 8 fields');
  assert.is(defaultWorkers({ ...json41, fields: HEAVY_JSON_FIELDS }, IDLE), 2);
  assert.is(defaultWorkers({ ...json41, output: 'line', fields: undefined }, IDLE), 1, 'the default line');
  assert.is(defaultWorkers({ ...json41, output: 'format', fields: 41 }, IDLE), 1, 'a -p format');
  assert.is(defaultWorkers({ ...json41, everyEvent: false }, IDLE), 1, 'a filter or rules');
});

test('default workers: one thread when no core is free or there is one core', () => {
  assert.is(defaultWorkers(json41, { cores: 2, load: 1.9 }), 2);
  assert.is(defaultWorkers(json41, { cores: 2, load: 2 }), 1);
  assert.is(defaultWorkers(json41, { cores: 2, load: 3.5 }), 1);
  assert.is(defaultWorkers(json41, { cores: 1, load: 0 }), 1);
});

test('default workers with cores to spare: light output of every event on 256 MiB or more, never more than 2', () => {
  const line: Work = { bytes: 256 << 20, everyEvent: true, output: 'line' };
  assert.is(defaultWorkers(line, { cores: 4, load: 0 }), 2);
  assert.is(defaultWorkers({ ...line, bytes: (256 << 20) - 1 }, { cores: 4, load: 0 }), 1);
  assert.is(defaultWorkers(line, { cores: 2, load: 0 }), 1);
  assert.is(defaultWorkers(json41, { cores: 64, load: 0 }), MAX_DEFAULT_WORKERS);
});

test('the work of a plan: output kind and fields as `read` passes them', async () => {
  assert.equal(planWork(await compilePrintPlan({ json: true }, () => {}), BIG), { bytes: BIG, everyEvent: true, output: 'json', fields: 41 });
  assert.equal(planWork(await compilePrintPlan({ json: true, print: '%evt.num %proc.name' }, () => {}), 10), { bytes: 10, everyEvent: true, output: 'json', fields: 2 });
  assert.equal(planWork(await compilePrintPlan({ print: 'x %evt.num y %proc.name' }, () => {}), undefined), { bytes: undefined, everyEvent: true, output: 'format', fields: 2 });
  assert.equal(planWork(await compilePrintPlan({}, () => {}), 10), { bytes: 10, everyEvent: true, output: 'line' });
  assert.equal(planWork(await compilePrintPlan({ json: true, filter: 'evt.type = execve' }, () => {}), 10), { bytes: 10, everyEvent: false, output: 'json', fields: 41 });
});

test('--workers given: that count, whatever the work; bad values throw E_OPTION', () => {
  assert.is(workerCount('3', json41), 3);
  assert.is(workerCount(1, json41), 1);
  assert.is(workerCount(undefined, undefined), 1);
  for (const bad of ['0', '-1', '1.5', 'x', '257']) {
    assert.throws(() => workerCount(bad, undefined), (e: Error) => e.message === `--workers must be an integer from 1 to 256, got ${bad}`);
  }
});

test("`read --help` states defaultWorkers' rule with its numbers", () => {
  const r = runCli(['read', '--help']);
  assert.is(r.status, 0, r.stderr);
  const help = r.stdout.replace(/\s+/g, ' ');
  assert.match(help, `${MAX_DEFAULT_WORKERS} when every event is printed (no filter, no rules)`);
  assert.match(help, `${PARALLEL_MIN_BYTES / 2 ** 20} MiB or more as JSON of ${HEAVY_JSON_FIELDS} fields or more`);
  assert.match(help, `${SPARE_CORES_MIN_BYTES / 2 ** 20} MiB or more on ${SPARE_CORES} cores or more`);
  assert.match(help, 'a core is free: 2 cores or more, 1-minute load average below the cores');
});

test.run();
