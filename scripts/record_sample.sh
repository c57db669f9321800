#!/usr/bin/env bash
# Re-records samples/live_drift.scap.gz, the capture `npm start` analyses when
# live capture is impossible, with the project's own driver:
#
#   sudo bash scripts/record_sample.sh [OUT.scap.gz]   # default: samples/live_drift.scap.gz
#
# Root only (the loader loads eBPF programs); needs the driver built
# (make -C driver) and, for the closing summary, `npm run build`.
# While driver/build/scapdrift-loader writes a capture, it runs, in this order:
#   1. a binary dropped into a mktemp dir: cp /bin/true $D/dropped_true; chmod +x; run
#   2. /bin/true (a binary from the image)
#   3. a memfd exec: perl memfd_create("fileless") + write of /bin/true + execve of /proc/self/fd/N
#   4. a new pid namespace: unshare --fork --pid /bin/sh -c /bin/true
#   5. a fake container: a shell moved into a docker-<64 hex>.scope cgroup starts a new pid
#      namespace where /bin/true is copied to $D/ctr_true, chmod +x and run 0.1 s later
#   6. a #!/bin/sh script written by tee into $D/dropped_script, chmod +x and run
# then stops the loader with SIGINT and writes the capture with gzip -9 -n.
# The whole machine is captured for those ~0.5 s: other processes appear too;
# the alerts printed at the end show whether any of them raised a rule.
set -euo pipefail

PROG=record_sample.sh
die() { echo "$PROG: $*" >&2; exit 1; }

[[ $EUID -eq 0 ]] || die "must run as root: it loads the eBPF driver (try: sudo bash scripts/record_sample.sh)"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOADER=${SCAPDRIFT_LOADER:-$ROOT/driver/build/scapdrift-loader}
OUT=${1:-$ROOT/samples/live_drift.scap.gz}
[[ -x $LOADER ]] || die "the driver is not built ($LOADER is missing): run make -C driver"
[[ -e /sys/kernel/btf/vmlinux ]] || die "the kernel has no BTF (/sys/kernel/btf/vmlinux); the CO-RE driver needs it"
for tool in perl unshare cp chmod gzip; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
case $(uname -m) in
  x86_64) NR_MEMFD_CREATE=319 ;;
  aarch64) NR_MEMFD_CREATE=279 ;;
  *) die "memfd_create's syscall number on $(uname -m) is not known here" ;;
esac

D=$(mktemp -d)
WORK=$(mktemp -d)
CAPTURE=$WORK/live_drift.scap
LOG=$WORK/loader.log
LOADER_PID=
CG_DIR=
CG_PARENT_PROCS=
CG_ENABLED=    # "file controller" of a v2 controller this script enabled, to disable again

cleanup() {
  if [[ -n $LOADER_PID ]] && kill -0 "$LOADER_PID" 2>/dev/null; then
    kill -INT "$LOADER_PID" 2>/dev/null || true
    wait "$LOADER_PID" 2>/dev/null || true
  fi
  if [[ -n $CG_DIR && -d $CG_DIR ]]; then
    local pid
    for _ in $(seq 50); do
      while read -r pid; do echo "$pid" > "$CG_PARENT_PROCS" 2>/dev/null || true; done < "$CG_DIR/cgroup.procs" 2>/dev/null || true
      rmdir "$CG_DIR" 2>/dev/null && break
      sleep 0.02
    done
    if [[ -d $CG_DIR ]]; then echo "$PROG: could not remove $CG_DIR" >&2; fi
  fi
  if [[ -n $CG_ENABLED ]]; then
    echo "-${CG_ENABLED#* }" > "${CG_ENABLED%% *}" 2>/dev/null || true
  fi
  rm -rf "$D" "$WORK"
}
trap cleanup EXIT

# --- The fake container's cgroup: docker-<64 hex>.scope where the driver sees it (as in
# test/driver.test.ts makeContainerCgroup): in the v1 hierarchy of a controller the driver
# reports (cpu, cpuacct, blkio, memory), else on the v2 hierarchy under system.slice (or its
# root) with cpu, memory or io enabled for it.
make_container_cgroup() {
  local id=$1 parent= c dir type opts
  for c in cpu cpuacct blkio memory; do
    while read -r _ dir type opts _; do
      if [[ $type == cgroup && ,$opts, == *,$c,* ]]; then parent=$dir; break 2; fi
    done < /proc/self/mounts
  done
  if [[ -z $parent ]]; then
    while read -r _ dir type _; do
      if [[ $type == cgroup2 ]]; then parent=$dir; break; fi
    done < /proc/self/mounts
    [[ -n $parent ]] || die "no cgroup hierarchy with cpu, cpuacct, io or memory is mounted"
    [[ -d $parent/system.slice ]] && parent=$parent/system.slice
    local control=$parent/cgroup.subtree_control enabled=
    for c in cpu memory io; do
      [[ " $(<"$control") " == *" $c "* ]] && enabled=$c && break
    done
    if [[ -z $enabled ]]; then
      for c in cpu memory io; do
        [[ " $(<"$parent/cgroup.controllers") " == *" $c "* ]] && enabled=$c && break
      done
      [[ -n $enabled ]] || die "cgroup v2 at $parent offers none of cpu, memory, io"
      echo "+$enabled" > "$control" || die "cannot enable $enabled in $control"
      CG_ENABLED="$control $enabled"
    fi
  fi
  CG_PARENT_PROCS=$parent/cgroup.procs
  CG_DIR=$parent/docker-$id.scope
  mkdir "$CG_DIR" || die "cannot create $CG_DIR"
}
CONTAINER_ID=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
make_container_cgroup "$CONTAINER_ID"

# The script of scenario 6, as the attacker would send it (written during the capture).
SCRIPT_BODY=$'#!/bin/sh\n# dropped by scripts/record_sample.sh\nexit 0'

# Sleeps without running a process (keeps the capture free of polling execs):
# read with a timeout on a FIFO that nobody writes.
mkfifo "$WORK/never"
exec {NEVER}<>"$WORK/never"
nap() { read -r -t "$1" -u "$NEVER" _ || true; }

# --- Record.
"$LOADER" -w "$CAPTURE" 2> "$LOG" &
LOADER_PID=$!
# "capturing" comes once the programs are attached, "process table:" once the
# process table is written too: wait for the latter (what ts/live/loader.ts waits for).
for _ in $(seq 300); do
  [[ -s $LOG && $(<"$LOG") == *"process table:"* ]] && break
  kill -0 "$LOADER_PID" 2>/dev/null || die "the loader exited before it was ready: $(<"$LOG")"
  nap 0.05
done
[[ $(<"$LOG") == *"process table:"* ]] || die "the loader is not ready after 15 s: $(<"$LOG")"

# 1. Drop and execute.
cp /bin/true "$D/dropped_true"
chmod +x "$D/dropped_true"
"$D/dropped_true"
# 2. The same binary from the image.
/bin/true
# 3. Fileless: /bin/true copied into a memfd and executed through /proc/self/fd/N.
perl -e 'my $name = "fileless"; my $fd = syscall('"$NR_MEMFD_CREATE"', $name, 0); die "memfd_create: $!" if $fd < 0;
  open(my $in, "<:raw", "/bin/true") or die; open(my $out, ">&=", $fd) or die; binmode $out;
  { local $/; print $out scalar(<$in>); } close $in; $out->flush;
  exec {"/proc/self/fd/$fd"} "fileless" or die "exec: $!"'
# 4. A new pid namespace.
unshare --fork --pid /bin/sh -c /bin/true
# 5. A fake container: a shell moved into docker-<id>.scope starts a new pid namespace, where
# a binary is copied, chmod'ed and run 0.1 s later.
sh -c 'echo $$ > "$1" && exec unshare --fork --pid /bin/sh -c "sleep 0.1 && cp /bin/true $2 && chmod +x $2 && $2"' \
  sh "$CG_DIR/cgroup.procs" "$D/ctr_true"
# 6. A script written (by tee: it opens the file itself, so it is the writer), made
# executable and run: the kernel runs /bin/sh on it.
printf '%s\n' "$SCRIPT_BODY" | tee "$D/dropped_script" > /dev/null
chmod +x "$D/dropped_script"
"$D/dropped_script"

nap 0.1
kill -INT "$LOADER_PID"
wait "$LOADER_PID" || die "the loader failed: $(<"$LOG")"
LOADER_PID=
grep -q 'counters:' "$LOG" && grep 'counters:' "$LOG" >&2

mkdir -p "$(dirname "$OUT")"
gzip -9 -n -c "$CAPTURE" > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "$PROG: wrote $OUT ($(stat -c %s "$OUT") bytes; scenarios in $D, container $CONTAINER_ID)" >&2

# The alerts of the default rules on it (what `npm start` shows without live capture).
if [[ -f $ROOT/dist/ts/cli/main.js ]]; then
  node "$ROOT/dist/ts/cli/main.js" read "$OUT" -q --default-rules >&2 || true
fi
