/**
 * The fs.path.* fields per event (libs userspace/libsinsp/sinsp_filtercheck_fspath.cpp
 * create_fspath_checks and extract_single), described once at start-up for the Wasm loader
 * (assembly/filter/fspath_fields.ts): the success check, and for each of name, source and
 * target the parameter libsinsp reads by name (evt.rawarg.NAME, or fd.name) and how a relative
 * path resolves. Parameter positions come from the event table, by name.
 */
import { eventInfo } from './event_table.js';
import { PPME } from './ppm_constants.js';

/** How a relative path of a role resolves (the Wasm's FSP_DIR_* globals, by suffix). */
export type FsPathDir = 'CWD' | 'EVENT_FD' | 'OPENED' | 'UNKNOWN' | 'PARAM';

/** One role of an event: the parameter (or 'fd.name'), how it resolves, the dirfd parameter for 'PARAM'. */
interface Role { param: string; dir: FsPathDir; dirfd?: string }

/** One event's row of libsinsp's tables. */
interface Row {
  event: keyof typeof PPME;
  /** The success check: evt.rawarg.res = 0, or evt.rawarg.fd != -1. */
  ok: 'res' | 'fd';
  name?: Role;
  source?: Role;
  target?: Role;
}

const cwd = (param: string): Role => ({ param, dir: 'CWD' });
const dirOf = (param: string): Role => ({ param, dir: 'EVENT_FD' });

/** libsinsp's m_success_checks / m_path_checks / m_source_checks / m_target_checks and the resolution switch. */
const ROWS: readonly Row[] = [
  { event: 'PPME_SYSCALL_MKDIR_2_X', ok: 'res', name: cwd('path') },
  { event: 'PPME_SYSCALL_MKDIRAT_X', ok: 'res', name: dirOf('path') },
  { event: 'PPME_SYSCALL_RMDIR_2_X', ok: 'res', name: cwd('path') },
  { event: 'PPME_SYSCALL_UNLINK_2_X', ok: 'res', name: cwd('path') },
  { event: 'PPME_SYSCALL_UNLINKAT_2_X', ok: 'res', name: dirOf('name') },
  { event: 'PPME_SYSCALL_OPEN_X', ok: 'fd', name: cwd('name') },
  { event: 'PPME_SYSCALL_OPENAT_2_X', ok: 'fd', name: { param: 'name', dir: 'OPENED' } },
  { event: 'PPME_SYSCALL_OPENAT2_X', ok: 'fd', name: { param: 'name', dir: 'OPENED' } },
  { event: 'PPME_SYSCALL_FCHMODAT_X', ok: 'res', name: dirOf('filename') },
  { event: 'PPME_SYSCALL_CHMOD_X', ok: 'res', name: cwd('filename') },
  { event: 'PPME_SYSCALL_FCHMOD_X', ok: 'res', name: cwd('fd.name') },
  { event: 'PPME_SYSCALL_CHOWN_X', ok: 'res', name: cwd('path') },
  { event: 'PPME_SYSCALL_LCHOWN_X', ok: 'res', name: cwd('path') },
  { event: 'PPME_SYSCALL_FCHOWN_X', ok: 'res', name: cwd('fd.name') },
  { event: 'PPME_SYSCALL_FCHOWNAT_X', ok: 'res', name: dirOf('pathname') },
  { event: 'PPME_SYSCALL_QUOTACTL_X', ok: 'res', name: cwd('special') },
  { event: 'PPME_SYSCALL_RENAME_X', ok: 'res', source: cwd('oldpath'), target: cwd('newpath') },
  // renameat and linkat resolve against the cwd whatever their dirfds say (libsinsp's default case).
  { event: 'PPME_SYSCALL_RENAMEAT_X', ok: 'res', source: cwd('oldpath'), target: cwd('newpath') },
  {
    event: 'PPME_SYSCALL_RENAMEAT2_X', ok: 'res',
    source: { param: 'oldpath', dir: 'PARAM', dirfd: 'olddirfd' }, target: { param: 'newpath', dir: 'PARAM', dirfd: 'newdirfd' },
  },
  // link and linkat: the source is the new link, the target the existing file (as libsinsp has them).
  { event: 'PPME_SYSCALL_LINK_2_X', ok: 'res', source: cwd('newpath'), target: cwd('oldpath') },
  { event: 'PPME_SYSCALL_LINKAT_2_X', ok: 'res', source: cwd('newpath'), target: cwd('oldpath') },
  { event: 'PPME_SYSCALL_SYMLINK_X', ok: 'res', source: cwd('linkpath'), target: cwd('target') },
  { event: 'PPME_SYSCALL_SYMLINKAT_X', ok: 'res', source: dirOf('linkpath'), target: { param: 'target', dir: 'UNKNOWN' } },
  { event: 'PPME_SYSCALL_MOUNT_X', ok: 'res', source: cwd('dev'), target: cwd('dir') },
  { event: 'PPME_SYSCALL_UMOUNT_1_X', ok: 'res', name: cwd('name') },
  { event: 'PPME_SYSCALL_UMOUNT2_X', ok: 'res', name: cwd('name') },
];

/** What setFsPathEvent / setFsPathRole take for one event id; parameter positions, -1 for fd.name. */
export interface FsPathDescription {
  id: number;
  ok: 'res' | 'fd';
  okParam: number;
  roles: ({ param: number; dir: FsPathDir; dirfd: number } | undefined)[];
}

/** The descriptions, positions found by name in the event table (an unknown name is an internal error). */
export function fsPathDescriptions(): FsPathDescription[] {
  return ROWS.map((row) => {
    const id = PPME[row.event];
    const info = eventInfo(id)!;
    const at = (name: string): number => {
      if (name === 'fd.name') return -1;
      const i = info.params.findIndex((p) => p.name === name);
      if (i < 0) throw new Error(`scapdrift internal error: no parameter ${name} in ${row.event}`);
      return i;
    };
    const role = (r: Role | undefined) => (r ? { param: at(r.param), dir: r.dir, dirfd: r.dirfd ? at(r.dirfd) : 0 } : undefined);
    return { id, ok: row.ok, okParam: at(row.ok), roles: [role(row.name), role(row.source), role(row.target)] };
  });
}
