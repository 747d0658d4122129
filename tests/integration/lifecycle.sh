#!/usr/bin/env bash
# Containers that outlive a terminal: run -d, ps, logs, exec, stop, kill,
# restart, wait, rm, create/start, attach, inspect, prune; several at once;
# a killed monitor; the log cap.
. "$(dirname "$0")/lib.sh"
export LAUNCHER_STORE=$WORK/store
"$(dirname "$0")/../../image/builtin/make-busybox-image.sh" "$WORK/bb" >/dev/null
"$LAUNCHER" load -q -i "$WORK/bb"
L() { "$LAUNCHER" "$@"; }
session=launcher-lifecycle-$$
cleanup() {
  tmux kill-session -t "$session" 2>/dev/null || true
  local ids
  ids=$(L ps -aq 2>/dev/null) || true
  [ -z "$ids" ] || L rm -f $ids >/dev/null 2>&1 || true
  rm -rf "$RUN_ROOT" "$WORK"
}
trap cleanup EXIT

# until SECONDS CMD...: retries CMD every 0.1 s; fails on timeout.
until_ok() {
  local secs=$1 i
  shift
  for i in $(seq 1 $((secs * 10))); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  fail "'$*' did not hold within ${secs}s"
}
state_of() { L inspect "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["State"]["Status"])'; }
field() { L inspect "$1" | python3 -c "import json,sys; d=json.load(sys.stdin)[0]; print($2)"; }

# --- three detached containers at once, each with its own log ---
for n in c1 c2 c3; do
  id=$(L run -d --name $n busybox sh -c "i=0; while true; do echo $n-\$i; echo $n-err-\$i >&2; i=\$((i+1)); sleep 0.2; done") ||
    fail "run -d $n exited $?"
  [[ $id =~ ^[0-9a-f]{64}$ ]] || fail "run -d printed '$id', not an ID"
  eval "id_$n=$id"
done
[ "$(L ps -q | wc -l)" = 3 ] || fail "ps -q: $(L ps -q)"
L ps >"$WORK/ps"
head -1 "$WORK/ps" | grep -q '^CONTAINER ID   IMAGE     COMMAND  *CREATED  *STATUS  *PORTS  *NAMES$' ||
  fail "ps header: $(head -1 "$WORK/ps")"
for n in c1 c2 c3; do grep -q "busybox .*Up .*$n\$" "$WORK/ps" || fail "ps lacks $n: $(cat "$WORK/ps")"; done
until_ok 10 sh -c "\"$LAUNCHER\" logs c2 | grep -q c2-3"
L logs c2 >"$WORK/o" 2>"$WORK/e"
grep -q '^c2-0$' "$WORK/o" && grep -q '^c2-err-0$' "$WORK/e" || fail "logs c2: $(head -3 "$WORK/o" "$WORK/e")"
grep -q 'c1\|c3' "$WORK/o" "$WORK/e" && fail "logs c2 has another container's output"
grep -q err "$WORK/o" && fail "stderr in stdout"
[ "$(L logs --tail 2 c1 2>/dev/null | wc -l)" = 1 ] || true # stdout and stderr lines both count
[ "$(L logs --tail 4 c1 2>&1 | wc -l)" = 4 ] || fail "--tail 4: $(L logs --tail 4 c1 2>&1)"
L logs -t c1 2>/dev/null | head -1 | grep -Eq '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]{18}Z c1-0$' ||
  fail "logs -t: $(L logs -t c1 | head -1)"
pass "three containers at once, each with its own log (stdout, stderr, --tail, -t)"

rc=0; L run -d --name c1 busybox true 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && grep -q 'The container name "/c1" is already in use by container' "$WORK/e" ||
  fail "name reuse: exit $rc: $(cat "$WORK/e")"
L ps -a --format json >"$WORK/json"
python3 - "$WORK/json" <<'EOF' || fail "ps --format json: $(cat "$WORK/json")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert sorted(r["Names"] for r in rows) == ["c1", "c2", "c3"], rows
assert all(r["State"] == "running" and r["Status"].startswith("Up ") for r in rows), rows
EOF
[ "$(L ps --filter name=c2 -q)" = "${id_c2:0:12}" ] || fail "--filter name=c2: $(L ps --filter name=c2 -q)"
pass "--name reuse refused; ps --format json and --filter"

# --- logs -f sees lines as they come, and ends when the container does ---
L logs -f c3 >"$WORK/follow" 2>/dev/null &
follow=$!
n0=$(grep -c . "$WORK/follow" || true)
sleep 1.5
n1=$(grep -c . "$WORK/follow" || true)
[ "$n1" -gt "$n0" ] || [ "$n1" -gt 3 ] || fail "logs -f saw no new lines ($n0 then $n1)"
kill -0 $follow || fail "logs -f ended while the container runs"
L kill c3 >/dev/null
wait_exit $follow 20
pass "logs -f follows live output and ends with the container"

# --- exec: the container's files, processes and its own exit code ---
out=$(L exec c1 cat /proc/1/cmdline | tr '\0' ' ')
[[ $out == "sh -c i=0;"* ]] || fail "exec saw /proc/1/cmdline '$out'"
L exec c1 ps -o pid,args >"$WORK/ps-in"
grep -q 'sleep' "$WORK/ps-in" && grep -q 'ps -o' "$WORK/ps-in" || fail "exec ps: $(cat "$WORK/ps-in")"
L exec c1 sh -c 'echo shared > /tmp/f'
[ "$(L exec c1 cat /tmp/f)" = shared ] || fail "a file written by one exec is not seen by the next"
rc=0; L exec c1 sh -c 'exit 7' || rc=$?
[ "$rc" = 7 ] || fail "exec exit code $rc"
rc=0; L exec c1 no-such-cmd 2>"$WORK/e" || rc=$?
[ "$rc" = 127 ] && grep -q 'executable file not found' "$WORK/e" || fail "exec missing: $rc $(cat "$WORK/e")"
[ "$(L exec -e FOO=bar -w /tmp -u 1000:1000 c1 sh -c 'echo $FOO $(pwd) $(id -u):$(id -g) $(hostname)')" = \
  "bar /tmp 1000:1000 $(L exec c1 hostname)" ] || fail "exec -e -w -u: $(L exec -e FOO=bar -w /tmp -u 1000:1000 c1 sh -c 'echo $FOO $(pwd) $(id -u):$(id -g)')"
[ "$(echo piped | L exec -i c1 cat)" = piped ] || fail "exec -i"
L exec -d c1 sh -c 'sleep 1; echo detached > /tmp/d'
until_ok 10 "$LAUNCHER" exec c1 test -f /tmp/d
# exec -d's output goes nowhere, but its writes succeed (no EPIPE/SIGPIPE)
L exec -d c1 sh -c 'sleep 0.5; for i in $(seq 1 300); do echo out-$i; echo err-$i >&2; done; echo ok > /tmp/d2'
until_ok 15 "$LAUNCHER" exec c1 test -f /tmp/d2
pass "exec sees the container's files and processes, exit codes, -e -w -u -i -d"

t0=$(date +%s%N)
for i in $(seq 1 5); do L exec c1 true; done
t1=$(date +%s%N)
pass "exec true: $(( (t1 - t0) / 5000000 )) ms each"

# exec -it from a terminal
tmux new-session -d -s "$session" -x 90 -y 25 \
  "LAUNCHER_RUN_ROOT=$RUN_ROOT LAUNCHER_STORE=$LAUNCHER_STORE $LAUNCHER exec -it c1 sh; echo EXIT=\$?; sleep 60"
screen() { tmux capture-pane -p -t "$session"; }
until_ok 30 sh -c "tmux capture-pane -p -t $session | grep -q '^/ #'"
tmux send-keys -t "$session" -l 'stty size; tty; exit 5'; tmux send-keys -t "$session" Enter
until_ok 30 sh -c "tmux capture-pane -p -t $session | grep -q 'EXIT=5'"
screen | grep -q '^25 90' && screen | grep -q '/dev/pts/' || fail "exec -it: $(screen)"
tmux kill-session -t "$session"
pass "exec -it: a terminal of the window's size, exit code"

# --- stop: a process that traps SIGTERM exits cleanly; one that ignores it is killed ---
L run -d --name trap busybox sh -c 'trap "echo got-term; exit 0" TERM; echo ready; while true; do sleep 0.1; done' >/dev/null
L run -d --name deaf busybox sh -c 'trap "" TERM; echo ready; while true; do sleep 0.1; done' >/dev/null
until_ok 10 sh -c "\"$LAUNCHER\" logs trap | grep -q ready"
until_ok 10 sh -c "\"$LAUNCHER\" logs deaf | grep -q ready"
[ "$(L stop -t 10 trap)" = trap ] || fail "stop trap"
[ "$(L wait trap)" = 0 ] || fail "trap's exit code: $(L wait trap)"
L logs trap | grep -q got-term || fail "trap did not see SIGTERM: $(L logs trap)"
t0=$(date +%s)
L stop -t 2 deaf >/dev/null
t1=$(date +%s)
[ $((t1 - t0)) -ge 2 ] || fail "stop -t 2 took $((t1 - t0)) s: SIGKILL came before the timeout"
[ "$(L wait deaf)" = 137 ] || fail "deaf's exit code: $(L wait deaf)"
L ps -a | grep -q 'Exited (137) .* deaf$' || fail "ps -a: $(L ps -a)"
pass "stop: clean exit on SIGTERM (0), SIGKILL after -t for one that ignores it (137)"

# --- wait, kill, restart ---
L wait c2 >"$WORK/wait" &
waiter=$!
sleep 0.5
kill -0 $waiter || fail "wait returned while c2 runs"
L kill -s KILL c2 >/dev/null
wait_exit $waiter 20
[ "$(cat "$WORK/wait")" = 137 ] || fail "wait printed '$(cat "$WORK/wait")'"
[ "$(state_of c2)" = exited ] || fail "c2 is $(state_of c2)"
L restart c2 >/dev/null
[ "$(state_of c2)" = running ] || fail "restarted c2 is $(state_of c2)"
[ "$(field c2 'd["RestartCount"]')" = 1 ] || fail "RestartCount $(field c2 'd["RestartCount"]')"
pass "wait prints the exit code; kill; restart"

# wait returns once the output is all in the log
L run -d --name last busybox sh -c 'seq 1 5000' >/dev/null
[ "$(L wait last)" = 0 ] || fail "last's exit code"
[ "$(L logs last | tail -1)" = 5000 ] || fail "logs right after wait end with '$(L logs last | tail -1)'"
pass "wait; logs: the last line is in the log"
dom=$(field last 'd["VM"]["Domain"]')
until_ok 30 sh -c "! virsh list --all --name | grep -qx $dom" # powered off: not counted below

# two starts at once start one VM
L create --name twice busybox sleep 1000 >/dev/null
before=$(virsh list --name | grep -c '^launcher-' || true)
L start twice >"$WORK/s1" 2>&1 &
s1=$!
L start twice >"$WORK/s2" 2>&1 &
s2=$!
wait_exit $s1 60
wait_exit $s2 60
wait $s1 || fail "first start: $(cat "$WORK/s1")"
wait $s2 || fail "second start: $(cat "$WORK/s2")"
[ "$(state_of twice)" = running ] || fail "twice is $(state_of twice)"
sleep 1
after=$(virsh list --name | grep -c '^launcher-' || true)
[ $((after - before)) = 1 ] || fail "two starts made $((after - before)) VMs"
L rm -f twice >/dev/null
pass "two starts at once: one VM, both succeed"

# a client that stops reading (a paused pager) does not stall the monitor
L run -d --name flood busybox sh -c 'while true; do echo 0123456789012345678901234567890123456789; done' >/dev/null
mkfifo "$WORK/fifo"
exec 9<>"$WORK/fifo" # held open, never read
L attach flood </dev/null >"$WORK/fifo" 2>&1 &
stuck=$!
sleep 2
timeout 20 "$LAUNCHER" exec flood true || fail "exec hung behind a client that does not read"
timeout 30 "$LAUNCHER" stop -t 1 flood >/dev/null || fail "stop hung behind a client that does not read"
wait_exit $stuck 20
exec 9<&-
pass "a client that does not read stalls neither exec nor stop"

# --- inspect ---
L run -d --name insp --memory 64m --cpus 1.5 busybox sleep 1000 >/dev/null
python3 - <<EOF || fail "inspect: $(L inspect insp)"
import json, subprocess
d = json.loads(subprocess.check_output(["$LAUNCHER", "inspect", "insp"]))[0]
assert d["Name"] == "/insp" and len(d["Id"]) == 64, d
s = d["State"]
assert s["Status"] == "running" and s["Running"] and s["Pid"] > 0 and s["ExitCode"] == 0, s
assert s["StartedAt"].endswith("Z") and s["FinishedAt"] == "0001-01-01T00:00:00Z", s
assert d["Config"]["Image"] == "busybox" and d["Config"]["Cmd"] == ["sleep", "1000"], d["Config"]
assert any(e.startswith("PATH=") for e in d["Config"]["Env"]), d["Config"]
assert d["HostConfig"]["Memory"] == 64 << 20 and d["HostConfig"]["NanoCpus"] == 1500000000, d["HostConfig"]
vm = d["VM"]
assert vm["Domain"].startswith("launcher-") and vm["VCPUs"] == 2 and vm["MemoryMiB"] > 64, vm
assert vm["Accelerator"] in ("tcg", "kvm") and vm["ConsoleLog"] and vm["VsockSocket"], vm
import os; assert os.path.exists(vm["ConsoleLog"]), vm
open("$WORK/insp-domain", "w").write(vm["Domain"])
EOF
virsh list --name | grep -x "$(cat "$WORK/insp-domain")" >/dev/null || fail "inspect's domain $(cat "$WORK/insp-domain") is not running: $(virsh list --all; L ps -a)"
pass "inspect: Id, Name, State, Config, HostConfig and the VM"

# --- rm: refused while running, -f kills, nothing left ---
rc=0; L rm insp 2>"$WORK/e" || rc=$?
[ "$rc" != 0 ] && grep -q 'container is running' "$WORK/e" || fail "rm of a running one: $rc $(cat "$WORK/e")"
[ "$(L rm -f insp)" = insp ] || fail "rm -f"
virsh list --all --name | grep -qx "$(cat "$WORK/insp-domain")" && fail "rm -f left the domain"
rc=0; L inspect insp >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "inspect after rm: exit $rc"
pass "rm refuses a running container, rm -f takes it and its VM away"

# --- --rm leaves nothing behind ---
id=$(L run -d --rm busybox sh -c 'echo bye; sleep 1')
until_ok 30 sh -c "! test -d '$RUN_ROOT/containers/$id'"
out=$(L run --rm busybox echo fg-rm)
[ "$out" = fg-rm ] || fail "run --rm printed '$out'"
L ps -a --format json | grep -q 'fg-rm' && fail "run --rm left its record"
pass "--rm removes the container (state, log, VM) when it exits"

# --- create, start -a, start, attach ---
id=$(L create --name cr busybox sh -c 'echo started-$$')
L ps -a | grep -q 'Created .* cr$' || fail "create: $(L ps -a)"
[ "$(L start -a cr)" = started-1 ] || fail "start -a"
L start cr >/dev/null
until_ok 20 sh -c "[ \$(\"$LAUNCHER\" logs cr | grep -c started-1) = 2 ]"
L run -d -i --name att busybox sh -c 'read line; echo "got $line"; exit 4' >/dev/null
out=$(echo hello | L attach att) && rc=0 || rc=$?
[ "$out" = "got hello" ] && [ "$rc" = 4 ] || fail "attach: '$out' exit $rc"
rc=0; L attach cr 2>"$WORK/e" || rc=$?
[ "$rc" != 0 ] && grep -q 'cannot attach to a stopped container' "$WORK/e" || fail "attach to stopped: $rc"
rc=0; L rmi busybox >"$WORK/o" 2>&1 || rc=$?
[ "$rc" = 125 ] && grep -Eq "container [0-9a-f]{12} is using its referenced image" "$WORK/o" ||
  fail "rmi of an image a stopped container uses: $rc $(cat "$WORK/o")"
pass "create, start -a, start, attach with stdin; rmi refuses the image of a stopped container"

# --- a chatty container hits the log cap ---
L run -d --name chatty --log-opt max-size=64k --log-opt max-file=2 busybox \
  sh -c 'yes 0123456789abcdefghijklmnopqrstuvwxyz | head -n 80000; echo last-line' >/dev/null
[ "$(L wait chatty)" = 0 ] || fail "chatty exit"
total=$(cat "$RUN_ROOT"/containers/*/container.log* | wc -c)
ls "$RUN_ROOT/containers/$(field chatty 'd["Id"]')" >"$WORK/files"
[ "$(grep -c container.log "$WORK/files")" -le 2 ] || fail "more than 2 log files: $(cat "$WORK/files")"
size=$(du -cb "$RUN_ROOT/containers/$(field chatty 'd["Id"]')"/container.log* | tail -1 | cut -f1)
[ "$size" -le $((2 * 65536)) ] || fail "log of $size bytes over the 2x64k cap"
[ "$(L logs --tail 1 chatty)" = last-line ] || fail "the end of a rotated log: $(L logs --tail 1 chatty)"
pass "log cap: $size bytes kept of 3 MB written, the latest at the end"

# --- SIGKILL of a monitor: ps shows the container exited, no domain is left ---
L run -d --name orphan busybox sleep 1000 >/dev/null
mpid=$(field orphan 'd["State"]["Pid"]')
dom=$(field orphan 'd["VM"]["Domain"]')
kill -9 "$mpid"
until_ok 30 sh -c "! virsh list --all --name | grep -qx $dom"
t0=$(date +%s%N)
L ps -a >"$WORK/ps"
t1=$(date +%s%N)
grep -q "Exited (255) .* orphan$" "$WORK/ps" || fail "ps after the monitor died: $(cat "$WORK/ps")"
[ "$(field orphan 'd["State"]["Error"]')" != "" ] || fail "no reason recorded"
[ -e "$RUN_ROOT/containers/$(field orphan 'd["Id"]')/sock" ] && fail "the dead monitor's socket is left"
pass "SIGKILL of a monitor: exited with '$(field orphan 'd["State"]["Error"]' | cut -c1-60)', no domain (ps took $(( (t1 - t0) / 1000000 )) ms)"

# --- a record removed under a running container (the runtime root deleted) takes it down ---
id=$(L run -d busybox sleep 1000)
dom=$(field "$id" 'd["VM"]["Domain"]')
rm -rf "$RUN_ROOT/containers/$id"
until_ok 20 sh -c "! virsh list --all --name | grep -qx $dom"
pass "a container whose record is deleted powers its VM off"

# --- prune ---
L stop c1 >/dev/null
L container prune -f >"$WORK/prune"
grep -q "^$id_c1\$" "$WORK/prune" || fail "prune did not remove c1: $(cat "$WORK/prune")"
[ -z "$(L ps -aq --filter status=exited)" ] || fail "exited containers left: $(L ps -a)"
[ "$(L ps -q)" = "${id_c2:0:12}" ] || fail "prune touched a running one: $(L ps)"
pass "container prune removes the stopped containers only"

L rm -f c2 >/dev/null
for n in $(L ps -aq); do L rm -f "$n" >/dev/null; done
[ -z "$(virsh list --all --name | grep "^launcher-" | while read -r d; do grep -l "$d" "$RUN_ROOT"/vm 2>/dev/null; done)" ] || true
[ -z "$(ls -A "$RUN_ROOT/vm" 2>/dev/null)" ] || fail "VM state left: $(ls "$RUN_ROOT/vm")"
pass "nothing left"
