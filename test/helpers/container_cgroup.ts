/**
 * A fake container's cgroup for the live driver tests: a `docker-<64 hex>.scope` where the
 * driver will see it (a reported controller's hierarchy), and its removal.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Controllers whose cgroup the driver reports (libs' list; `blkio` is v1's name of `io`). */
const V1_CONTROLLERS = ['cpu', 'cpuacct', 'blkio', 'memory'];
const V2_CONTROLLERS = ['cpu', 'memory', 'io'];

/** A fake container's cgroup: created by {@link makeContainerCgroup}, removed by {@link removeContainerCgroup}. */
export interface ContainerCgroup {
  id: string;
  dir: string;
  /** The parent's cgroup.procs, where leftover processes go back. */
  parentProcs: string;
  /** A v2 controller this test enabled in the parent's subtree_control, to disable again. */
  enabled?: { file: string; controller: string };
}

function mounts(): { dir: string; type: string; options: string[] }[] {
  return readFileSync('/proc/self/mounts', 'utf8').trim().split('\n').map((l) => {
    const [, dir, type, options] = l.split(' ');
    return { dir: dir!, type: type!, options: (options ?? '').split(',') };
  });
}

function words(file: string): string[] {
  try { return readFileSync(file, 'utf8').split(/\s+/).filter(Boolean); } catch { return []; }
}

/**
 * Creates `docker-<id>.scope` where the driver will see it: in the v1 hierarchy of a
 * reported controller (hybrid and v1 hosts), else on the v2 hierarchy under
 * system.slice (or the root) with a reported controller enabled for it. Returns the
 * cgroup, or why it cannot be made here.
 */
export function makeContainerCgroup(id: string): ContainerCgroup | string {
  const all = mounts();
  let parent: string | undefined;
  let enabled: ContainerCgroup['enabled'];
  for (const c of V1_CONTROLLERS) {
    const m = all.find((x) => x.type === 'cgroup' && x.options.includes(c));
    if (m) { parent = m.dir; break; }
  }
  if (!parent) {
    const v2 = all.find((x) => x.type === 'cgroup2');
    if (!v2) return 'no cgroup hierarchy with cpu, cpuacct, io or memory is mounted';
    parent = existsSync(join(v2.dir, 'system.slice')) ? join(v2.dir, 'system.slice') : v2.dir;
    const control = join(parent, 'cgroup.subtree_control');
    if (!V2_CONTROLLERS.some((c) => words(control).includes(c))) {
      const c = V2_CONTROLLERS.find((x) => words(join(parent!, 'cgroup.controllers')).includes(x));
      if (!c) return `cgroup v2 at ${parent} offers none of ${V2_CONTROLLERS.join(', ')}`;
      try { writeFileSync(control, `+${c}`); } catch (e) { return `cannot enable ${c} in ${control}: ${(e as Error).message}`; }
      enabled = { file: control, controller: c };
    }
  }
  const dir = join(parent, `docker-${id}.scope`);
  try {
    mkdirSync(dir);
  } catch (e) {
    if (enabled) try { writeFileSync(enabled.file, `-${enabled.controller}`); } catch { /* best effort */ }
    return `cannot create ${dir}: ${(e as Error).message}`;
  }
  return { id, dir, parentProcs: join(parent, 'cgroup.procs'), enabled };
}

/** Moves whatever is left back to the parent and removes the cgroup (and the controller this test enabled). */
export async function removeContainerCgroup(cg: ContainerCgroup): Promise<void> {
  for (let attempt = 0; attempt < 50 && existsSync(cg.dir); attempt++) {
    for (const pid of words(join(cg.dir, 'cgroup.procs'))) {
      try { writeFileSync(cg.parentProcs, pid); } catch { /* exited meanwhile */ }
    }
    try { rmdirSync(cg.dir); } catch { await new Promise((r) => setTimeout(r, 20)); }
  }
  if (cg.enabled) try { writeFileSync(cg.enabled.file, `-${cg.enabled.controller}`); } catch { /* still in use elsewhere */ }
  if (existsSync(cg.dir)) console.warn(`driver test: could not remove ${cg.dir}`);
}

