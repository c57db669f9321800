/**
 * What each event does to the decoder's fd table (assembly/fd_events.ts), described once per
 * event id at start-up: the action (by the Wasm's FD_ACT_* globals), the fd parameter's
 * position (libs userspace/libscap/scap_event.c get_enter/exit_event_fd_location), the fd
 * flags (EF_CREATES_FD, EF_DESTROYS_FD, EF_USES_FD of driver/event_table.c), the type of
 * an fd it creates (SCAP_FD_* globals) and the type character libsinsp shows when the
 * event has no fd entry (sinsp_evt::extract_typechar).
 */
import { eventInfo, EVENT_COUNT } from './event_table.js';
import { EF, PPME } from './ppm_constants.js';

/** Exit events → the action's name (FD_ACT_<name> in the Wasm) and, for NEW, the fd type (SCAP_FD_<type>). */
const ACTIONS: Record<string, readonly [string, string?]> = {
  open: ['OPEN'], openat: ['OPEN'], openat2: ['OPEN'], creat: ['OPEN'], open_by_handle_at: ['OPEN'],
  close: ['CLOSE'], dup: ['DUP'], dup2: ['DUP'], dup3: ['DUP'], fcntl: ['FCNTL'],
  eventfd: ['NEW', 'EVENT'], eventfd2: ['NEW', 'EVENT'], signalfd: ['NEW', 'SIGNALFD'], signalfd4: ['NEW', 'SIGNALFD'],
  timerfd_create: ['NEW', 'TIMERFD'], inotify_init: ['NEW', 'INOTIFY'], inotify_init1: ['NEW', 'INOTIFY'],
  epoll_create: ['NEW', 'EVENTPOLL'], epoll_create1: ['NEW', 'EVENTPOLL'], userfaultfd: ['NEW', 'USERFAULTFD'],
  io_uring_setup: ['NEW', 'IOURING'], pidfd_open: ['NEW', 'PIDFD'],
  memfd_create: ['MEMFD'], pipe: ['PIPE'], pipe2: ['PIPE'], socketpair: ['SOCKETPAIR'], socket: ['SOCKET'],
  connect: ['CONNECT'], bind: ['BIND'], accept: ['ACCEPT'], accept4: ['ACCEPT'], chdir: ['CHDIR'], fchdir: ['FCHDIR'],
};

/** libs get_exit_event_fd_location: the fd parameter of exit events that use one. */
const EXIT_FD_LOCATION = new Map<number, number>([
  ...[
    'PPME_SYSCALL_SETNS_X', 'PPME_SOCKET_LISTEN_X', 'PPME_SOCKET_SHUTDOWN_X', 'PPME_SYSCALL_FCHDIR_X', 'PPME_SYSCALL_LSEEK_X',
    'PPME_SYSCALL_LLSEEK_X', 'PPME_SYSCALL_IOCTL_3_X', 'PPME_SYSCALL_FSTAT_X', 'PPME_SYSCALL_CLOSE_X', 'PPME_SYSCALL_GETDENTS_X',
    'PPME_SYSCALL_GETDENTS64_X', 'PPME_SYSCALL_FLOCK_X', 'PPME_SYSCALL_COPY_FILE_RANGE_X', 'PPME_SYSCALL_FCNTL_X',
    'PPME_SYSCALL_DUP_1_X', 'PPME_SYSCALL_DUP2_X', 'PPME_SYSCALL_DUP3_X', 'PPME_SYSCALL_NEWFSTATAT_X', 'PPME_SYSCALL_FCHOWNAT_X',
    'PPME_SYSCALL_FCHMODAT_X', 'PPME_SYSCALL_MKDIRAT_X', 'PPME_SYSCALL_UNLINKAT_2_X', 'PPME_SYSCALL_MKNODAT_X',
    'PPME_SOCKET_SENDMMSG_X', 'PPME_SOCKET_RECVMMSG_X', 'PPME_SYSCALL_IO_URING_REGISTER_X', 'PPME_SYSCALL_IO_URING_ENTER_X',
    'PPME_SOCKET_SETSOCKOPT_X', 'PPME_SOCKET_GETSOCKOPT_X', 'PPME_SYSCALL_FSCONFIG_X', 'PPME_SYSCALL_FINIT_MODULE_X',
    'PPME_SYSCALL_FCHMOD_X', 'PPME_SYSCALL_FCHOWN_X',
  ].map((n) => [ppme(n), 1] as const),
  ...[
    'PPME_SYSCALL_READ_X', 'PPME_SYSCALL_PREAD_X', 'PPME_SOCKET_BIND_X', 'PPME_SYSCALL_WRITE_X', 'PPME_SYSCALL_PWRITE_X',
    'PPME_SOCKET_RECV_X', 'PPME_SOCKET_SEND_X', 'PPME_SOCKET_SENDTO_X', 'PPME_SOCKET_SENDMSG_X', 'PPME_SYSCALL_SENDFILE_X',
    'PPME_SYSCALL_SPLICE_X', 'PPME_SYSCALL_WRITEV_X', 'PPME_SYSCALL_PWRITEV_X', 'PPME_SOCKET_CONNECT_X', 'PPME_SYSCALL_SYMLINKAT_X',
  ].map((n) => [ppme(n), 2] as const),
  ...['PPME_SOCKET_RECVFROM_X', 'PPME_SYSCALL_READV_X', 'PPME_SYSCALL_PREADV_X'].map((n) => [ppme(n), 3] as const),
  [ppme('PPME_SOCKET_RECVMSG_X'), 5],
  [ppme('PPME_SYSCALL_MMAP_X'), 8], [ppme('PPME_SYSCALL_MMAP2_X'), 8],
]);
/** libs get_enter_event_fd_location: 0 but for these. */
const ENTER_FD_LOCATION = new Map<number, number>([
  [ppme('PPME_SYSCALL_MMAP_E'), 4], [ppme('PPME_SYSCALL_MMAP2_E'), 4], [ppme('PPME_SYSCALL_SPLICE_E'), 1],
]);
/** sinsp_evt::extract_typechar, by exit event id. */
const TYPECHARS = new Map<number, string>([
  ...['PPME_SYSCALL_OPENAT_2_X', 'PPME_SYSCALL_OPENAT2_X', 'PPME_SYSCALL_CREAT_X'].map((n) => [ppme(n), 'f'] as const),
  ...['PPME_SOCKET_SOCKET_X', 'PPME_SOCKET_ACCEPT_5_X', 'PPME_SOCKET_ACCEPT4_6_X'].map((n) => [ppme(n), '4'] as const),
  ...['PPME_SYSCALL_PIPE_X', 'PPME_SYSCALL_PIPE2_X'].map((n) => [ppme(n), 'p'] as const),
  ...['PPME_SYSCALL_EVENTFD_X', 'PPME_SYSCALL_EVENTFD2_X'].map((n) => [ppme(n), 'e'] as const),
  ...['PPME_SYSCALL_SIGNALFD_X', 'PPME_SYSCALL_SIGNALFD4_X'].map((n) => [ppme(n), 's'] as const),
  [ppme('PPME_SYSCALL_TIMERFD_CREATE_X'), 't'],
  ...['PPME_SYSCALL_INOTIFY_INIT_X', 'PPME_SYSCALL_INOTIFY_INIT1_X'].map((n) => [ppme(n), 'i'] as const),
]);

function ppme(name: string): number {
  const id = (PPME as Record<string, number>)[name];
  if (id === undefined) throw new Error(`scapdrift internal error: no event ${name} in the event table`);
  return id;
}

/** The per-id description assembly/fd_events.ts setFdEvent takes. */
export interface FdEventDescription {
  id: number;
  /** Name of the FD_ACT_* global ('NONE' for none). */
  action: string;
  /** Index of the fd parameter, or undefined. */
  location: number | undefined;
  creates: boolean;
  destroys: boolean;
  uses: boolean;
  /** Name of the SCAP_FD_* global of a NEW action's fd. */
  newType: string | undefined;
  typechar: string;
  /** Index of the dirfd parameter of an open-family exit. */
  dirfd: number | undefined;
}

/** Every event id's fd description, in id order. */
export function fdEventDescriptions(): FdEventDescription[] {
  const out: FdEventDescription[] = [];
  for (let id = 0; id < EVENT_COUNT; id++) {
    const info = eventInfo(id);
    if (!info) continue;
    const exit = info.direction === '<';
    const uses = (info.flags & EF.EF_USES_FD) !== 0;
    const [action, newType] = exit ? ACTIONS[info.name] ?? ['NONE'] : ['NONE'];
    const location = uses ? (exit ? EXIT_FD_LOCATION.get(id) : ENTER_FD_LOCATION.get(id) ?? 0) : undefined;
    const dirfd = info.params.findIndex((p) => p.name === 'dirfd');
    out.push({
      id, action, location: location !== undefined && location < info.params.length ? location : undefined,
      creates: (info.flags & EF.EF_CREATES_FD) !== 0, destroys: (info.flags & EF.EF_DESTROYS_FD) !== 0, uses,
      newType, typechar: TYPECHARS.get(id) ?? 'o', dirfd: exit && action === 'OPEN' && dirfd >= 0 ? dirfd : undefined,
    });
  }
  return out;
}
