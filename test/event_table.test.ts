import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  EVENT_COUNT,
  eventIdsByName,
  eventInfo,
  eventRow,
  isLargePayload,
  paramIndex,
} from '../ts/events/event_table.js';
import {
  CLONE_FLAG_NAMES,
  EF,
  FILE_FLAG_NAMES,
  FLAG_TABLES,
  PF,
  PPM_CL,
  PPM_EVENT_MAX,
  PPM_EXE,
  PPME,
  PT,
} from '../ts/events/ppm_constants.js';
import { PPM_SC_NAMES } from '../ts/events/syscalls.js';

// Facts below are read from falcosecurity/libs @ 48dfd53c (driver/ppm_events_public.h, event_table.c).

test('table size equals PPM_EVENT_MAX', () => {
  assert.is(PPM_EVENT_MAX, 454);
  assert.is(EVENT_COUNT, 454);
  assert.ok(eventInfo(453));
  assert.is(eventInfo(454), undefined);
  assert.is(eventInfo(100000), undefined);
  assert.is(eventInfo(-1), undefined);
});

test('ids, directions and enum names agree', () => {
  for (let id = 0; id < EVENT_COUNT; id++) {
    const e = eventInfo(id)!;
    assert.is(e.id, id);
    assert.is(PPME[e.enumName as keyof typeof PPME], id);
    assert.is(e.direction, id % 2 === 0 ? '>' : '<', e.enumName);
  }
  assert.is(Object.keys(PPME).length, PPM_EVENT_MAX);
});

test('eventRow (the start-up tables\' view) says what eventInfo says, for every id', () => {
  for (let id = 0; id < EVENT_COUNT; id++) {
    const e = eventInfo(id)!;
    const r = eventRow(id)!;
    assert.equal([r.name, r.direction, r.category, r.flags], [e.name, e.direction, e.category, e.flags], e.enumName);
    assert.equal(r.params.map(([name, type, format]) => [name, type, format]), e.params.map((p) => [p.name, p.type, p.format]), e.enumName);
  }
  assert.is(eventRow(EVENT_COUNT), undefined);
  assert.is(eventRow(-1), undefined);
  assert.is(eventRow(1.5), undefined);
  assert.is(eventInfo(1.5), undefined);
  assert.is(paramIndex(PPME.PPME_SYSCALL_OPEN_X, 'flags'), 2);
  assert.is(paramIndex(EVENT_COUNT, 'flags'), -1);
});

test('process lifecycle event ids', () => {
  assert.is(PPME.PPME_SYSCALL_EXECVE_19_X, 293);
  assert.is(PPME.PPME_SYSCALL_EXECVEAT_X, 331);
  assert.is(PPME.PPME_SYSCALL_CLONE_20_X, 223);
  assert.is(PPME.PPME_SYSCALL_FORK_20_X, 225);
  assert.is(PPME.PPME_SYSCALL_VFORK_20_X, 227);
  assert.is(PPME.PPME_SYSCALL_CLONE3_X, 335);
  assert.is(PPME.PPME_PROCEXIT_1_E, 186);
});

test('execve 19 exit', () => {
  const e = eventInfo(PPME.PPME_SYSCALL_EXECVE_19_X)!;
  assert.is(e.name, 'execve');
  assert.is(e.enumName, 'PPME_SYSCALL_EXECVE_19_X');
  assert.is(e.direction, '<');
  assert.is(e.params.length, 31);
  assert.is(e.params[0]!.name, 'res');
  assert.is(e.params[0]!.typeName, 'PT_ERRNO');
  assert.is(e.params[1]!.name, 'exe');
  assert.is(e.params[1]!.type, PT.PT_CHARBUF);
  const expected: [string, number][] = [
    ['cwd', 6], ['comm', 13], ['cgroups', 14], ['loginuid', 18], ['flags', 19],
    ['exe_ino', 23], ['exe_ino_ctime', 24], ['exe_ino_mtime', 25], ['uid', 26],
    ['trusted_exepath', 27], ['pgid', 28], ['gid', 29], ['filename', 30],
  ];
  for (const [name, idx] of expected) assert.is(paramIndex(e.id, name), idx, name);
  assert.is(paramIndex(e.id, 'vtid'), -1);
  assert.is(paramIndex(e.id, 'nope'), -1);
  assert.is(paramIndex(99999, 'res'), -1);
  assert.is(e.params[23]!.type, PT.PT_UINT64);
  assert.is(e.params[24]!.type, PT.PT_ABSTIME);
  assert.is(e.params[27]!.type, PT.PT_FSPATH);
  assert.is(e.params[19]!.type, PT.PT_FLAGS32);
  assert.is(e.params[19]!.format, PF.PF_HEX);
  assert.is(e.params[19]!.flagTable, 'execve_flags');
  assert.is(e.params[14]!.type, PT.PT_BYTEBUF);
  assert.is(e.params[18]!.type, PT.PT_UID);
  assert.ok(e.flags & EF.EF_MODIFIES_STATE);
  assert.not.ok(e.flags & EF.EF_OLD_VERSION);
  assert.ok(FLAG_TABLES.execve_flags!.some(([n, v]) => n === 'EXE_WRITABLE' && v === PPM_EXE.PPM_EXE_WRITABLE));
});

test('execveat exit has 30 params (execve 19 without filename)', () => {
  const e = eventInfo(PPME.PPME_SYSCALL_EXECVEAT_X)!;
  assert.is(e.name, 'execveat');
  assert.is(e.params.length, 30);
  assert.is(paramIndex(e.id, 'trusted_exepath'), 27);
  assert.is(paramIndex(e.id, 'filename'), -1);
});

test('clone 20 exit', () => {
  const e = eventInfo(PPME.PPME_SYSCALL_CLONE_20_X)!;
  assert.is(e.name, 'clone');
  assert.is(e.params.length, 21);
  assert.is(e.params[20]!.name, 'pidns_init_start_ts');
  assert.is(paramIndex(e.id, 'flags'), 15);
  assert.is(e.params[15]!.flagTable, 'clone_flags');
  assert.is(paramIndex(e.id, 'vtid'), 18);
  assert.is(paramIndex(e.id, 'vpid'), 19);
  assert.ok(e.flags & EF.EF_MODIFIES_STATE);
  for (const id of [PPME.PPME_SYSCALL_FORK_20_X, PPME.PPME_SYSCALL_VFORK_20_X, PPME.PPME_SYSCALL_CLONE3_X]) {
    const o = eventInfo(id)!;
    assert.is(o.params.length, 21);
    assert.equal(o.params.map((p) => p.name), e.params.map((p) => p.name));
  }
});

test('procexit', () => {
  const e = eventInfo(PPME.PPME_PROCEXIT_1_E)!;
  assert.is(e.name, 'procexit');
  assert.is(e.direction, '>');
  assert.is(e.params.length, 5);
  assert.equal(e.params.map((p) => p.name), ['status', 'ret', 'sig', 'core', 'reaper_tid']);
  assert.ok(e.flags & EF.EF_MODIFIES_STATE);
});

test('eventIdsByName', () => {
  assert.equal(eventIdsByName('clone3'), [334, 335]);
  assert.equal(eventIdsByName('procexit'), [16, 186]);
  assert.equal(eventIdsByName('execve'), [12, 13, 154, 155, 172, 173, 214, 215, 230, 231, 282, 283, 288, 289, 292, 293]);
  assert.equal(eventIdsByName('no_such_event'), []);
});

test('large payload flag', () => {
  assert.not.ok(isLargePayload(PPME.PPME_SYSCALL_EXECVE_19_X));
  assert.not.ok(isLargePayload(99999));
  for (let id = 0; id < EVENT_COUNT; id++) {
    assert.is(isLargePayload(id), (eventInfo(id)!.flags & EF.EF_LARGE_PAYLOAD) !== 0);
  }
  assert.ok(isLargePayload(PPME.PPME_PLUGINEVENT_E));
  assert.ok(isLargePayload(PPME.PPME_CONTAINER_JSON_2_E));
});

test('constants and flag tables', () => {
  assert.is(PPM_CL.PPM_CL_CLONE_NEWPID, 1 << 6);
  assert.is(PPM_CL.PPM_CL_CLONE_PARENT, 1 << 8);
  assert.is(PPM_CL.PPM_CL_CLONE_THREAD, 1 << 13);
  assert.is(PPM_CL.PPM_CL_CLONE_VFORK, 1 << 27);
  assert.is(PPM_CL.PPM_CL_CHILD_IN_PIDNS, 1 << 29);
  assert.is(PPM_EXE.PPM_EXE_UPPER_LAYER, 2);
  assert.is(PPM_EXE.PPM_EXE_FROM_MEMFD, 4);
  assert.is(PPM_EXE.PPM_EXE_LOWER_LAYER, 8);
  assert.is(EF.EF_LARGE_PAYLOAD, 1 << 11);
  assert.ok(CLONE_FLAG_NAMES.some(([n, v]) => n === 'CLONE_NEWPID' && v === PPM_CL.PPM_CL_CLONE_NEWPID));
  assert.ok(FILE_FLAG_NAMES.some(([n]) => n === 'O_CREAT'));
  assert.is(PPM_SC_NAMES[PPM_SC_NAMES.indexOf('execve')] , 'execve');
  assert.is(PPM_SC_NAMES[0], 'unknown');
  assert.is(PPM_SC_NAMES[3], 'read');
});

test.run();
