#!/usr/bin/env bash
# Real podman (Debian's, through its conmon) with launcher-oci as its
# runtime: run with exit codes, -d and logs, -it under tmux, exec, stop
# with a timeout, kill, --memory (an OOM kill is 137), volumes, and rm
# leaving no VM. Each podman has its own storage under the test's WORK.
. "$(dirname "$0")/lib.sh"
command -v podman >/dev/null || fail "podman is not installed (scripts/install-deps)"
mkdir -p "$WORK/bin"
OCI_BIN=$WORK/bin/launcher-oci # the binary looks at its own name
ln -s "$LAUNCHER" "$OCI_BIN"
# conmon gives the runtime only the environment it is told to: the guest
# image a test run points at (the sanitizer build uses the plain build's)
# must be passed on.
conmon_env="\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\""
for v in LAUNCHER_GUEST_KERNEL LAUNCHER_GUEST_INITRAMFS; do
  [ -z "${!v:-}" ] || conmon_env+=", \"$v=${!v}\""
done
cat >"$WORK/containers.conf" <<EOF
[containers]
log_driver = "k8s-file"
[engine]
conmon_env_vars = [$conmon_env]
events_logger = "file"
cgroup_manager = "cgroupfs"
runtime_supports_json = ["crun", "runc", "kata", "runsc", "krun", "launcher-oci"]
runtime_supports_kvm = ["kata", "kata-runtime", "kata-qemu", "kata-fc", "krun", "launcher-oci"]
runtime_supports_nocgroup = ["crun", "krun", "launcher-oci"]
[engine.runtimes]
launcher-oci = ["$OCI_BIN"]
EOF
export CONTAINERS_CONF=$WORK/containers.conf
P() { podman --root "$WORK/storage" --runroot "$WORK/runroot" --storage-driver vfs --runtime "$OCI_BIN" "$@"; }
R() { P run --network none "$@"; }
cleanup() {
  P rm -a -f >/dev/null 2>&1 || true
  tmux kill-session -t "podman-$$" 2>/dev/null || true
  tmux kill-session -t "podman-exec-$$" 2>/dev/null || true
  rm -rf "$RUN_ROOT" "$WORK"
}
trap cleanup EXIT

make_rootfs
tar -C "$ROOTFS" -c . | P import - localhost/bb:latest >/dev/null
IMG=localhost/bb:latest

# --- run: output, exit codes, an unknown command ---
[ "$(R --rm $IMG echo hello from podman)" = "hello from podman" ] || fail "podman run --rm"
rc=0; R --rm $IMG sh -c 'exit 5' || rc=$?
[ "$rc" = 5 ] || fail "exit code: $rc, not 5"
rc=0; R --rm $IMG no-such-command 2>"$WORK/e" || rc=$?
[ "$rc" = 127 ] || fail "an unknown command: $rc, not 127: $(cat "$WORK/e")"
pass "podman run: output, exit code 5, 127 for a missing command"

# --- -d, logs, exec, stop with a timeout ---
R -d --name d1 $IMG sh -c 'echo started; trap "echo got TERM; exit 0" TERM; while :; do sleep 1; done' >/dev/null
for i in $(seq 1 100); do P logs d1 2>/dev/null | grep -q started && break; sleep 0.1; done
[ "$(P logs d1)" = started ] || fail "podman logs: $(P logs d1)"
[ "$(P ps --format '{{.Names}} {{.Status}}' | cut -d' ' -f1-2)" = "d1 Up" ] || fail "podman ps: $(P ps)"
rc=0; out=$(P exec d1 sh -c 'echo in-exec; exit 4') || rc=$?
[ "$rc" = 4 ] && [ "$out" = in-exec ] || fail "podman exec: rc $rc, $out"
[ "$(P exec -u 65534 d1 id -u)" = 65534 ] || fail "podman exec -u"
start=$(date +%s)
P stop -t 10 d1 >/dev/null
[ $(($(date +%s) - start)) -lt 8 ] || fail "stop: the container's TERM handler was not used"
P logs d1 | grep -q 'got TERM' || fail "stop: no SIGTERM reached the container: $(P logs d1)"
[ "$(P inspect d1 --format '{{.State.ExitCode}}')" = 0 ] || fail "stop: exit code $(P inspect d1 --format '{{.State.ExitCode}}')"
pass "podman run -d, logs, ps, exec (exit code 4, -u), stop with SIGTERM handled"

# a container that ignores SIGTERM: stop -t 2 kills it (137); kill sends the signal
R -d --name d2 $IMG sleep 1000 >/dev/null
start=$(date +%s)
P stop -t 2 d2 >/dev/null 2>&1
[ "$(P inspect d2 --format '{{.State.ExitCode}}')" = 137 ] || fail "stop -t 2: exit code $(P inspect d2 --format '{{.State.ExitCode}}')"
[ $(($(date +%s) - start)) -lt 15 ] || fail "stop -t 2 took too long"
R -d --name d3 $IMG sleep 1000 >/dev/null
P kill -s KILL d3 >/dev/null
P wait d3 >/dev/null || true
[ "$(P inspect d3 --format '{{.State.ExitCode}}')" = 137 ] || fail "kill: exit code $(P inspect d3 --format '{{.State.ExitCode}}')"
pass "podman stop -t 2 of a container ignoring SIGTERM (137), podman kill"

# --- -it under tmux ---
tmux new-session -d -s "podman-$$" -x 100 -y 30 \
  "CONTAINERS_CONF=$CONTAINERS_CONF podman --root $WORK/storage --runroot $WORK/runroot --storage-driver vfs --runtime $OCI_BIN run -it --rm --network none $IMG sh; echo EXITED \$? >$WORK/tty-rc"
for i in $(seq 1 150); do tmux capture-pane -t "podman-$$" -p | grep -q '/ #' && break; sleep 0.1; done
tmux send-keys -t "podman-$$" 'echo tty-$((6*7)); stty size' Enter
for i in $(seq 1 50); do tmux capture-pane -t "podman-$$" -p | grep -q '^30 100' && break; sleep 0.1; done
tmux capture-pane -t "podman-$$" -p >"$WORK/pane"
grep -q 'tty-42' "$WORK/pane" && grep -q '^30 100' "$WORK/pane" || fail "podman run -it: $(cat "$WORK/pane")"
tmux send-keys -t "podman-$$" 'exit 9' Enter
for i in $(seq 1 100); do [ -s "$WORK/tty-rc" ] && break; sleep 0.1; done
[ "$(cat "$WORK/tty-rc" 2>/dev/null)" = "EXITED 9" ] || fail "podman run -it: exit $(cat "$WORK/tty-rc" 2>/dev/null)"
pass "podman run -it under tmux: a terminal of the right size, exit code 9"

# exec -it into a running container, under tmux
R -d --name d4 $IMG sleep 1000 >/dev/null
tmux new-session -d -s "podman-exec-$$" -x 100 -y 30 \
  "CONTAINERS_CONF=$CONTAINERS_CONF podman --root $WORK/storage --runroot $WORK/runroot --storage-driver vfs --runtime $OCI_BIN exec -it d4 sh; echo EXITED \$? >$WORK/exec-rc"
for i in $(seq 1 150); do tmux capture-pane -t "podman-exec-$$" -p | grep -q '/ #' && break; sleep 0.1; done
tmux send-keys -t "podman-exec-$$" 'tty; exit 8' Enter
for i in $(seq 1 100); do [ -s "$WORK/exec-rc" ] && break; sleep 0.1; done
[ "$(cat "$WORK/exec-rc" 2>/dev/null)" = "EXITED 8" ] || fail "podman exec -it: $(cat "$WORK/exec-rc" 2>/dev/null) $(tmux capture-pane -t "podman-exec-$$" -p)"
P rm -f -t 0 d4 >/dev/null
pass "podman exec -it under tmux: exit code 8"

# --- --memory, --cpus, volumes ---
[ "$(R --rm --cpus 1.5 $IMG cat /sys/fs/cgroup/cpu.max)" = "150000 100000" ] || fail "--cpus 1.5: cpu.max"
[ "$(R --rm --memory 64m $IMG cat /sys/fs/cgroup/memory.max)" = 67108864 ] || fail "--memory: memory.max"
rc=0; R --rm --memory 64m $IMG sh -c 'x=$(head -c 200000000 /dev/zero | tr "\0" a); echo survived' >/dev/null 2>&1 || rc=$?
[ "$rc" = 137 ] || fail "a memory hog under --memory 64m: $rc, not 137"
mkdir -p "$WORK/vol"
echo from-host >"$WORK/vol/f"
[ "$(R --rm -v "$WORK/vol:/v" $IMG sh -c 'cat /v/f; echo from-container > /v/g')" = from-host ] || fail "volume read"
[ "$(cat "$WORK/vol/g")" = from-container ] || fail "volume write: the host does not see it"
rc=0; R --rm -v "$WORK/vol:/v:ro" $IMG sh -c 'echo x > /v/h' 2>/dev/null || rc=$?
[ "$rc" != 0 ] && [ ! -e "$WORK/vol/h" ] || fail "a :ro volume was written"
pass "podman --memory 64m (memory.max, OOM kill 137), volumes rw and :ro"

# --- rm: nothing left ---
P rm -a -f >/dev/null
sleep 1
[ -z "$(virsh list --name | grep . || true)" ] || fail "VMs left after podman rm: $(virsh list --name)"
pgrep -f "launcher-oci" >/dev/null && fail "a launcher-oci process is left"
pass "podman rm: no VM, no monitor left"
