#!/usr/bin/env bash
# launcher run: a process in a microVM with Docker's stdio, exit codes,
# environment options and signals.
. "$(dirname "$0")/lib.sh"
make_rootfs
# As users run it: most runs here claim the spare VM the one before left.
export LAUNCHER_WARM_SECONDS=60
run() { "$LAUNCHER" run --rootfs "$ROOTFS" "$@"; }
# In the background, $! must be launcher itself (not a subshell): no function.
RUN=("$LAUNCHER" run --rootfs "$ROOTFS")

out=$(run /bin/echo hello) || fail "echo exited $?"
[ "$out" = hello ] || fail "echo printed '$out'"
pass "echo hello"

check_exit() {  # WANT CMD...
  local want=$1 got=0
  shift
  run "$@" >"$WORK/o" 2>"$WORK/e" || got=$?
  [ "$got" = "$want" ] || { cat "$WORK/e"; fail "'$*' exited $got, expected $want"; }
}
check_exit 0 true
check_exit 1 false
check_exit 3 sh -c 'exit 3'
check_exit 127 no-such-command
grep -q 'executable file not found' "$WORK/e" || fail "127 message: $(cat "$WORK/e")"
check_exit 127 /no/such/path
check_exit 126 /etc/passwd
check_exit 126 /tmp
# The command is PID 1 of its PID namespace, so as under Docker it cannot
# be killed by a signal sent from inside; a fault it causes itself is
# delivered, and so is a signal to a child the shell reports.
printf 'int main(void) { return *(volatile int *)0; }\n' | gcc -static -x c - -o "$ROOTFS/bin/segv"
check_exit 139 /bin/segv
check_exit 137 sh -c 'sh -c "kill -9 \$\$"; exit $?'
check_exit 0 sh -c 'kill -9 $$'
pass "exit codes 0 1 3 127 126 139 137"

run sh -c 'echo out; echo err >&2' >"$WORK/o" 2>"$WORK/e"
[ "$(cat "$WORK/o")" = out ] && [ "$(cat "$WORK/e")" = err ] || fail "stdout/stderr mixed: o=$(cat "$WORK/o") e=$(cat "$WORK/e")"
pass "stdout and stderr stay separate"

out=$(echo data | run cat)
[ -z "$out" ] || fail "without -i stdin must be closed, got '$out'"
out=$(echo data | run -i cat)
[ "$out" = data ] || fail "-i stdin: got '$out'"
pass "stdin only with -i"

want=$(head -c 64M /dev/urandom | tee "$WORK/in" | sha256sum | cut -d' ' -f1)
got=$(run -i sha256sum <"$WORK/in" | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "64 MiB stdin: $got != $want"
want=$( (yes || true) | head -c 64M | sha256sum | cut -d" " -f1)
got=$(run sh -c 'yes | head -c 67108864' | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "64 MiB stdout: $got != $want"
pass "64 MiB through stdin and stdout intact"

printf 'FROM_FILE=1\n# comment\nB=2\n' >"$WORK/env"
out=$(run -e A=x --env-file "$WORK/env" -e B=3 sh -c 'echo $A $FROM_FILE $B $HOME $PATH')
[ "$out" = "x 1 3 /root /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" ] || fail "env: '$out'"
out=$(run -w /tmp/new/dir pwd)
[ "$out" = /tmp/new/dir ] || fail "-w: '$out'"
out=$(run -u 1000:1001 id)
case "$out" in "uid=1000 gid=1001"*) ;; *) fail "-u: '$out'" ;; esac
out=$(run --hostname box1 hostname)
[ "$out" = box1 ] || fail "--hostname: '$out'"
out=$(run --entrypoint /bin/echo hi there)
[ "$out" = "hi there" ] || fail "--entrypoint: '$out'"
pass "-e --env-file -w -u --hostname --entrypoint"

avail=$(run --memory 512m sh -c "sed -n 's/^MemAvailable: *\([0-9]*\) kB/\1/p' /proc/meminfo")
[ "$avail" -ge $((512 * 1024)) ] && [ "$avail" -lt $((600 * 1024)) ] ||
  fail "--memory 512m: the guest has $avail kB available"
out=$(run --cpus 1.5 nproc)
[ "$out" = 2 ] || fail "--cpus 1.5: nproc says $out"
pass "--memory and --cpus size the VM"

"${RUN[@]}" sh -c 'trap "echo got TERM; exit 42" TERM; echo ready; while :; do sleep 0.1; done' >"$WORK/o" 2>&1 &
pid=$!
for _ in $(seq 1 300); do grep -q ready "$WORK/o" && break; sleep 0.1; done
grep -q ready "$WORK/o" || fail "trap script did not start: $(cat "$WORK/o")"
for sig in TERM; do kill -$sig $pid; done
rc=0; wait $pid || rc=$?
grep -q "got TERM" "$WORK/o" || fail "SIGTERM not forwarded: $(cat "$WORK/o")"
[ "$rc" = 42 ] || fail "after SIGTERM exit $rc, expected 42"
for sig in INT HUP USR1 USR2; do
  # A file of its own: "ready" from the run before must not count, or the
  # signal could reach the forked shell before it becomes the launcher.
  "${RUN[@]}" sh -c "trap 'echo got $sig; exit 7' $sig; echo ready; while :; do sleep 0.1; done" >"$WORK/o-$sig" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do grep -qs ready "$WORK/o-$sig" && break; sleep 0.1; done
  kill -$sig $pid
  rc=0; wait $pid || rc=$?
  grep -q "got $sig" "$WORK/o-$sig" && [ "$rc" = 7 ] || fail "SIG$sig not forwarded (exit $rc): $(cat "$WORK/o-$sig")"
done
pass "SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2 forwarded"

# The default host name is the VM's id: the output names the VM to check.
# Only one spare, for this very run, so that afterwards nothing may be left.
stop_spares
run true
wait_spare
"${RUN[@]}" sh -c 'echo ready launcher-$(hostname); sleep 1000' >"$WORK/o" 2>&1 &
pid=$!
for _ in $(seq 1 300); do grep -q ready "$WORK/o" && break; sleep 0.1; done
kill -9 $pid
wait $pid 2>/dev/null || true
# The monitor sees its client gone and takes the VM, backend and state down.
for _ in $(seq 1 100); do
  [ -z "$(ls -A "$RUN_ROOT/vm" 2>/dev/null)" ] && ! pgrep -f "launcher-vsock.*$RUN_ROOT" >/dev/null && break
  sleep 0.1
done
assert_no_leftovers "$WORK/o"
pass "SIGKILL of launcher run leaves no VM or backend"

"${RUN[@]}" sh -c 'echo ready launcher-$(hostname); sleep 1000' >"$WORK/o" 2>"$WORK/e" &
pid=$!
for _ in $(seq 1 300); do grep -q ready "$WORK/o" && break; sleep 0.1; done
vm=$(vm_names "$WORK/o")
kill -9 "$(cat "/run/libvirt/qemu/$vm.pid")"
wait_exit $pid 30
rc=0; wait $pid || rc=$?
[ "$rc" = 125 ] && grep -q "VM $vm is gone" "$WORK/e" || fail "QEMU killed: exit $rc: $(cat "$WORK/e")"
pass "QEMU killed under a running container: exit 125, $(cut -c1-80 "$WORK/e")"

for args in "--bogus" "--memory 1k" "--cpus 0" "-u nobody"; do
  rc=0; run $args true 2>"$WORK/e" || rc=$?
  [ "$rc" = 125 ] && grep -q "launcher run --help" "$WORK/e" || fail "'$args': exit $rc: $(cat "$WORK/e")"
done
rc=0; "$LAUNCHER" run --rootfs /nonexistent true 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && grep -q "launcher run --help" "$WORK/e" || fail "missing rootfs exit $rc: $(cat "$WORK/e")"
pass "bad input exits 125 with a message"
