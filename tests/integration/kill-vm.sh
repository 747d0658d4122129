#!/usr/bin/env bash
# SIGKILL of the vsock backend or of QEMU in the middle of a transfer: the
# host side reports a clear error and exits 125; it does not hang.
. "$(dirname "$0")/lib.sh"

# start_transfer: a long, slow transfer in the background; sets PID, VM, BACKEND.
start_transfer() {
  "$LAUNCHER" diag vsock --size 4G --direction to-guest --chunk 4k --guest-delay-us 1000 \
    >"$WORK/out" 2>"$WORK/err" &
  PID=$!
  for _ in $(seq 1 300); do
    grep -q '^vm: ' "$WORK/err" 2>/dev/null && break
    sleep 0.1
  done
  read -r _ VM _ BACKEND < <(grep '^vm: ' "$WORK/err") || fail "diag did not start: $(cat "$WORK/err")"
  sleep 2 # well into the transfer
}

finish() {
  local what=$1 pattern=$2 rc=0
  wait_exit "$PID" 30
  wait "$PID" || rc=$?
  [ "$rc" = 125 ] || { cat "$WORK/err"; fail "$what: exit $rc, expected 125"; }
  grep -Eq "$pattern" "$WORK/err" || { cat "$WORK/err"; fail "$what: unclear error"; }
  assert_no_leftovers "$WORK/err"
  pass "$what: $(grep '^launcher:' "$WORK/err" | cut -c1-160)"
}

start_transfer
kill -9 "$BACKEND"
finish "backend killed" "vsock backend of VM $VM was killed by signal 9"

start_transfer
qemu_pid=$(cat "/run/libvirt/qemu/$VM.pid")
kill -9 "$qemu_pid"
finish "QEMU killed" "VM $VM is gone: its QEMU process exited or was killed"
