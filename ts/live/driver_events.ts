/**
 * The event types scapdrift's eBPF driver sends (driver/bpf/programs/: the PPME_* ids its
 * programs write), by name: process lifecycle and the file events that make an executable.
 * test/driver_events.test.ts checks this list against the driver's sources.
 */
export const DRIVER_EVENT_NAMES: ReadonlySet<string> = new Set([
  'clone', 'clone3', 'fork', 'vfork', 'execve', 'execveat', 'procexit',
  'open', 'openat', 'openat2', 'creat', 'write', 'pwrite', 'writev', 'pwritev', 'copy_file_range', 'sendfile',
  'chmod', 'fchmod', 'fchmodat', 'rename', 'renameat', 'renameat2', 'link', 'linkat', 'memfd_create',
  // Only those whose new fd names a file opened for writing and not written yet (driver/bpf/helpers/events/dup.h).
  'dup', 'dup2', 'dup3',
]);
