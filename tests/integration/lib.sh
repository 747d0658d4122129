# Shared helpers of the integration tests: sourced, never run.
# Each test gets its own runtime root, so leftovers can be checked exactly.
set -euo pipefail

: "${LAUNCHER:?LAUNCHER must point at the launcher binary}"
export LIBVIRT_DEFAULT_URI=${LAUNCHER_LIBVIRT_URI:-qemu:///system}

RUN_ROOT=$(mktemp -d /tmp/launcher-it.XXXXXX)
export LAUNCHER_RUN_ROOT=$RUN_ROOT
WORK=$(mktemp -d /tmp/launcher-it-work.XXXXXX)
chmod 755 "$WORK" # QEMU's user reads root filesystems made below it
trap 'rm -rf "$RUN_ROOT" "$WORK"' EXIT
# Spare VMs (launcher/spare.h) are off unless a test turns them on; with
# them on, removing the runtime root (the trap above) makes them go.
export LAUNCHER_WARM_SECONDS=0

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

pass() {
  echo "ok - $*"
}

# expect_exit CODE CMD...: runs CMD, stdout+stderr to $WORK/out, checks the exit code.
expect_exit() {
  local want=$1 got=0
  shift
  "$@" >"$WORK/out" 2>&1 || got=$?
  if [ "$got" != "$want" ]; then
    cat "$WORK/out" >&2
    fail "'$*' exited $got, expected $want"
  fi
}

# The VM names that this test's launcher runs reported.
vm_names() {
  grep -ho 'launcher-[0-9a-f]\{12\}' "$@" 2>/dev/null | sort -u || true
}

# No domain, QEMU, backend, socket or state file of this test may be left.
assert_no_leftovers() {
  local names n
  names=$(vm_names "$@")
  [ -n "$names" ] || fail "no VM names found in $* to check for leftovers"
  for n in $names; do
    virsh list --all --name 2>/dev/null | grep -qx "$n" && fail "domain $n is still defined"
    pgrep -f "guest=$n" >/dev/null && fail "QEMU of $n is still running"
  done
  pgrep -f "launcher-vsock.*$RUN_ROOT" >/dev/null && fail "a launcher-vsock backend is still running"
  if [ -d "$RUN_ROOT/vm" ] && [ -n "$(ls -A "$RUN_ROOT/vm")" ]; then
    ls -lR "$RUN_ROOT/vm" >&2
    fail "state left in $RUN_ROOT/vm"
  fi
  return 0
}

# wait_gone PID SECONDS: waits for a process to exit; fails on timeout.
wait_exit() {
  local pid=$1 secs=$2 i
  for i in $(seq 1 $((secs * 10))); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  fail "process $pid still running after ${secs}s (hang)"
}

# A busybox root filesystem for this test, made once: sets ROOTFS.
make_rootfs() {
  ROOTFS=$WORK/rootfs
  "$(dirname "${BASH_SOURCE[0]}")/make-rootfs.sh" "$ROOTFS"
}

# The pids of the spares (waiting or still booting) in this test's runtime root.
spare_pids() {
  local p
  for p in /proc/[0-9]*; do
    ls -l "$p/fd" 2>/dev/null | grep -q "$RUN_ROOT/spare/.*/lock" && echo "${p#/proc/}"
  done
  return 0
}

# wait_spare: waits until a spare VM waits for a claim.
wait_spare() {
  local i
  for i in $(seq 1 300); do
    compgen -G "$RUN_ROOT/spare/*/sock" >/dev/null && return 0
    sleep 0.1
  done
  fail "no spare VM appeared within 30 s"
}

# stop_spares: removing its socket makes a spare power its VM off and exit.
stop_spares() {
  local i
  for i in $(seq 1 200); do
    rm -f "$RUN_ROOT"/spare/*/sock
    [ -z "$(spare_pids)" ] && return 0
    sleep 0.1
  done
  fail "spares still running 20 s after their sockets were removed: $(spare_pids)"
}
