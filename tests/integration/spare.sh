#!/usr/bin/env bash
# Spare VMs (launcher/spare.h): a run leaves one behind for the next run
# with the same options, which claims it; spares go when idle, when killed,
# or when their runtime root goes, and leave nothing behind.
. "$(dirname "$0")/lib.sh"
make_rootfs
export LAUNCHER_WARM_SECONDS=60
run() { "$LAUNCHER" run --rootfs "$ROOTFS" "$@"; }

# spare_vm: the name of the one paused (waiting) VM of this test.
spare_vm() {
  local d
  for d in "$RUN_ROOT"/vm/*; do
    [ "$(virsh domstate "${d##*/}" 2>/dev/null)" = paused ] && echo "${d##*/}"
  done
  return 0
}

run true >"$WORK/first" 2>&1 || fail "first run: $(cat "$WORK/first")"
wait_spare
s1=$(spare_vm)
[ -n "$s1" ] || fail "a spare is listening but no paused VM is in $RUN_ROOT/vm"
out=$(run hostname)
[ "launcher-$out" = "$s1" ] || fail "the run did not claim spare $s1: its host name is $out"
pass "a run leaves a paused spare VM and the next run claims it ($s1)"

wait_spare
s2=$(spare_vm)
[ -n "$s2" ] && [ "$s2" != "$s1" ] || fail "no new spare after the claim (got '$s2')"
rc=0; run sh -c 'echo out; echo err >&2; exit 3' >"$WORK/o" 2>"$WORK/e" || rc=$?
[ "$rc" = 3 ] && [ "$(cat "$WORK/o")" = out ] && [ "$(cat "$WORK/e")" = err ] ||
  fail "claimed spare: exit $rc, o=$(cat "$WORK/o") e=$(cat "$WORK/e")"
virsh domstate "$s2" 2>/dev/null | grep -q paused && fail "spare $s2 was not claimed"
wait_spare
want=$(head -c 1M /dev/urandom | tee "$WORK/in" | sha256sum | cut -d' ' -f1)
got=$(run -i sha256sum <"$WORK/in" | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "stdin through a claimed spare: $got != $want"
wait_spare
rc=0; run no-such-command 2>"$WORK/e" || rc=$?
[ "$rc" = 127 ] || fail "not found through a spare: exit $rc: $(cat "$WORK/e")"
wait_spare
out=$(run -e A=1 -w /tmp --hostname box2 sh -c 'echo $A $(pwd) $(hostname)')
[ "$out" = "1 /tmp box2" ] || fail "options through a spare: '$out'"
pass "stdio, stdin, exit codes and options through claimed spares"

# Two runs at once, one spare: one claims it, the other boots its own.
wait_spare
run hostname >"$WORK/c1" 2>&1 &
p1=$!
run hostname >"$WORK/c2" 2>&1 &
p2=$!
wait $p1 || fail "concurrent run 1: $(cat "$WORK/c1")"
wait $p2 || fail "concurrent run 2: $(cat "$WORK/c2")"
[ "$(cat "$WORK/c1")" != "$(cat "$WORK/c2")" ] || fail "two runs got the same VM"
pass "two runs at once with one spare"

# Other options, other spare: --memory changes the VM.
wait_spare
run --memory 64m true
for _ in $(seq 1 300); do [ "$(compgen -G "$RUN_ROOT/spare/*/sock" | wc -l)" = 2 ] && break; sleep 0.1; done
[ "$(compgen -G "$RUN_ROOT/spare/*/sock" | wc -l)" = 2 ] || fail "no separate spare for --memory 64m"
pass "a spare per set of VM options"

# An image's spare: the erofs disk instead of the 9p share.
export LAUNCHER_STORE=$WORK/store
"$(dirname "$0")/../../image/builtin/make-busybox-image.sh" "$WORK/bb" >/dev/null
"$LAUNCHER" load -q -i "$WORK/bb"
stop_spares
"$LAUNCHER" run busybox true
wait_spare
s6=$(spare_vm)
out=$("$LAUNCHER" run busybox hostname)
[ "launcher-$out" = "$s6" ] || fail "the image run did not claim spare $s6: its host name is $out"
pass "an image run leaves a spare and the next claims it"

# SIGKILL of a spare: libvirt's autodestroy and the backend's parent-death
# signal take its VM down.
stop_spares
run true
wait_spare
s3=$(spare_vm)
kill -9 $(spare_pids)
for _ in $(seq 1 100); do
  virsh list --name | grep -x "$s3" >/dev/null || break
  sleep 0.1
done
virsh list --name | grep -qx "$s3" && fail "spare $s3 killed, its domain is still there"
for _ in $(seq 1 50); do pgrep -f "launcher-vsock.*$s3" >/dev/null || break; sleep 0.1; done
pgrep -f "launcher-vsock.*$s3" >/dev/null && fail "spare $s3 killed, its backend is still running"
# What a killed process cannot remove itself: its state and socket.
rm -rf "${RUN_ROOT:?}/vm/$s3" "${RUN_ROOT:?}"/spare/*/sock
pass "SIGKILL of a spare takes its VM and backend down"

# An idle spare powers off by itself and removes what it made.
LAUNCHER_WARM_SECONDS=3 run true
wait_spare
s4=$(spare_vm)
[ -n "$s4" ] || fail "no paused spare VM"
sleep 3
for _ in $(seq 1 100); do [ -z "$(spare_pids)" ] && break; sleep 0.1; done
[ -z "$(spare_pids)" ] || fail "idle spare still running after its 3 s"
virsh list --all --name | grep -qx "$s4" && fail "idle spare's domain $s4 is still there"
[ -z "$(ls -A "$RUN_ROOT/vm")" ] || fail "idle spare left state: $(ls "$RUN_ROOT/vm")"
[ -z "$(ls -A "$RUN_ROOT/spare")" ] || fail "idle spare left files: $(ls -R "$RUN_ROOT/spare")"
pass "an idle spare goes after LAUNCHER_WARM_SECONDS and leaves nothing"

# SIGKILL of the client of a claimed spare: the spare, now its monitor,
# takes the VM down and starts no new spare.
run true
wait_spare
"$LAUNCHER" run --rootfs "$ROOTFS" sh -c 'echo ready launcher-$(hostname); sleep 1000' >"$WORK/k" 2>&1 &
pid=$!
for _ in $(seq 1 300); do grep -q ready "$WORK/k" && break; sleep 0.1; done
kill -9 $pid
wait $pid 2>/dev/null || true
for _ in $(seq 1 100); do
  [ -z "$(ls -A "$RUN_ROOT/vm")" ] && ! pgrep -f "launcher-vsock.*$RUN_ROOT" >/dev/null && break
  sleep 0.1
done
assert_no_leftovers "$WORK/k"
pass "SIGKILL of a run on a claimed spare leaves nothing"

# Spares off: no spare at all.
LAUNCHER_WARM_SECONDS=0 run true
sleep 1
[ -z "$(spare_pids)" ] && ! compgen -G "$RUN_ROOT/spare/*/sock" >/dev/null ||
  fail "LAUNCHER_WARM_SECONDS=0 still made a spare"
pass "LAUNCHER_WARM_SECONDS=0 turns spares off"

# The runtime root removed under a waiting spare: it goes too.
LAUNCHER_WARM_SECONDS=60 run true
wait_spare
s5=$(spare_vm)
rm -rf "${RUN_ROOT:?}/spare"
for _ in $(seq 1 100); do [ -z "$(spare_pids)" ] && ! virsh list --name | grep -qx "$s5" && break; sleep 0.1; done
virsh list --name | grep -qx "$s5" && fail "spare $s5 outlived its socket"
pass "a spare whose socket is removed goes"
