#!/usr/bin/env bash
# The OCI runtime's own command line (launcher oci = launcher-oci), as runc
# is driven: spec, create/start/state/kill/delete and their errors, run,
# exec, list, ps, bind mounts, limits, bad config.json input, --log JSON.
. "$(dirname "$0")/lib.sh"
ROOT=$WORK/oci-root
OCI() { "$LAUNCHER" oci --root "$ROOT" "$@"; }
cleanup() {
  local id
  for id in $(OCI list -q 2>/dev/null); do OCI delete --force "$id" >/dev/null 2>&1 || true; done
  rm -rf "$RUN_ROOT" "$WORK"
}
trap cleanup EXIT

# bundle DIR ARGS_JSON [PYTHON]: a bundle with a busybox root and process.args,
# config.json edited further by the python statements (c is the config).
make_rootfs
bundle() {
  local dir=$1 args=$2 edit=${3:-}
  mkdir -p "$dir"
  [ -e "$dir/rootfs" ] || cp -a "$ROOTFS" "$dir/rootfs"
  rm -f "$dir/config.json"
  OCI spec --bundle "$dir"
  python3 - "$dir/config.json" "$args" "$edit" <<'EOF'
import json, sys
path, args, edit = sys.argv[1:]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = json.loads(args)
c["root"]["readonly"] = False
exec(edit)
json.dump(c, open(path, "w"))
EOF
}
state_of() { OCI state "$1" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["status"], s["pid"])'; }

# --- spec ---
mkdir -p "$WORK/s"
OCI spec --bundle "$WORK/s"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); assert c["ociVersion"].startswith("1.") and c["root"]["path"] == "rootfs"' "$WORK/s/config.json" ||
  fail "spec: not a config.json"
rc=0; OCI spec --bundle "$WORK/s" 2>"$WORK/e" || rc=$?
[ "$rc" = 1 ] && grep -q exists "$WORK/e" || fail "spec over an existing config.json: $rc"
OCI features | python3 -c 'import json,sys; f=json.load(sys.stdin); assert "CAP_SYS_ADMIN" in f["linux"]["capabilities"] and f["linux"]["seccomp"]["enabled"]' ||
  fail "features"
pass "spec writes a default config.json (not over one); features is JSON"

# --- run in the foreground: output, exit codes, writes reach the bundle ---
B=$WORK/b
bundle "$B" '["sh", "-c", "echo hello from the VM; echo written > /written; exit 3"]'
rc=0; OCI run --bundle "$B" c1 >"$WORK/out" 2>&1 || rc=$?
[ "$rc" = 3 ] && grep -q 'hello from the VM' "$WORK/out" || fail "run: rc $rc, $(cat "$WORK/out")"
[ "$(cat "$B/rootfs/written")" = written ] || fail "the container's write did not reach the bundle's rootfs"
OCI state c1 >/dev/null 2>&1 && fail "run: c1 is left after its process exited (runc removes it)"
bundle "$B" '["sleep", "1000"]'
"$LAUNCHER" oci --root "$ROOT" run --bundle "$B" c2 </dev/null >/dev/null 2>&1 &
runner=$!
for i in $(seq 1 300); do case $(state_of c2 2>/dev/null) in running*) break ;; esac; sleep 0.1; done
OCI kill c2 KILL
rc=0; wait "$runner" || rc=$?
[ "$rc" = 137 ] || fail "run: killed by SIGKILL gave $rc, not 137"
# Signals to run (in the foreground) reach process 1, as under runc.
bundle "$B" '["sh", "-c", "trap \"echo got TERM; exit 42\" TERM; while :; do sleep 0.1; done"]'
"$LAUNCHER" oci --root "$ROOT" run --bundle "$B" c2 </dev/null >"$WORK/out2" 2>&1 &
runner=$!
for i in $(seq 1 300); do case $(state_of c2 2>/dev/null) in running*) break ;; esac; sleep 0.1; done
sleep 1
kill -TERM "$runner"
rc=0; wait "$runner" || rc=$?
[ "$rc" = 42 ] && grep -q 'got TERM' "$WORK/out2" || fail "run: SIGTERM to run gave $rc, $(cat "$WORK/out2")"
[ -z "$(OCI list -q)" ] || fail "run left containers: $(OCI list -q)"
pass "run: output on the runtime's stdio, exit code 3, 137 for SIGKILL, its signals passed on, writes land in the bundle, removed at the end"

# --- create / start / state / kill / delete, and their errors ---
bundle "$B" '["sleep", "1000"]'
OCI create --bundle "$B" --pid-file "$WORK/pid" c3 </dev/null >/dev/null 2>&1
pid=$(cat "$WORK/pid")
[ "$(state_of c3)" = "created $pid" ] || fail "after create: $(state_of c3), pid file $pid"
kill -0 "$pid" || fail "the pid file's process $pid is not alive"
rc=0; OCI create --bundle "$B" c3 2>"$WORK/e" || rc=$?
[ "$rc" = 1 ] && grep -q 'exists' "$WORK/e" || fail "duplicate ID: $rc $(cat "$WORK/e")"
OCI start c3
[ "$(state_of c3)" = "running $pid" ] || fail "after start: $(state_of c3)"
rc=0; OCI start c3 2>"$WORK/e" || rc=$?
[ "$rc" = 1 ] && grep -q 'already running' "$WORK/e" || fail "start twice: $rc $(cat "$WORK/e")"
rc=0; OCI delete c3 2>"$WORK/e" || rc=$?
[ "$rc" = 1 ] && grep -q 'not stopped' "$WORK/e" || fail "delete running: $rc $(cat "$WORK/e")"
OCI list -f json | python3 -c 'import json,sys; l=json.load(sys.stdin); assert [s["id"] for s in l] == ["c3"] and l[0]["status"] == "running", l' ||
  fail "list -f json"
[ "$(OCI list -q)" = c3 ] || fail "list -q"
[ "$(OCI ps -f json c3)" = "[$pid]" ] || fail "ps -f json: $(OCI ps -f json c3)"
OCI kill c3 KILL
wait_exit "$pid" 30
[ "$(state_of c3)" = "stopped 0" ] || fail "after kill: $(state_of c3)"
rc=0; OCI kill c3 2>"$WORK/e" || rc=$?
[ "$rc" = 1 ] && grep -q 'not running' "$WORK/e" || fail "kill stopped: $rc"
rc=0; OCI start c3 2>"$WORK/e" || rc=$?
[ "$rc" = 1 ] && grep -q 'stopped' "$WORK/e" || fail "start stopped: $rc $(cat "$WORK/e")"
OCI delete c3
for verb in state start kill delete; do
  rc=0; OCI $verb c3 2>"$WORK/e" >/dev/null || rc=$?
  [ "$rc" = 1 ] && grep -q 'does not exist' "$WORK/e" || fail "$verb of a deleted container: $rc $(cat "$WORK/e")"
done
OCI delete --force c3 || fail "delete --force of a missing container should succeed"
# a created container can be killed, and deleted without --force
OCI create --bundle "$B" --pid-file "$WORK/pid" c4 </dev/null >/dev/null 2>&1
OCI delete c4
wait_exit "$(cat "$WORK/pid")" 30
pass "create/start/state/kill/delete: created -> running -> stopped, pid file, list, ps, and the errors runc gives"

# --- exec ---
OCI run -d --bundle "$B" --pid-file "$WORK/pid" c5 </dev/null >/dev/null 2>&1
rc=0; out=$(OCI exec c5 sh -c 'echo in-exec; exit 4' </dev/null) || rc=$?
[ "$rc" = 4 ] && [ "$out" = in-exec ] || fail "exec: rc $rc, $out"
cat >"$WORK/process.json" <<'EOF'
{"args": ["sh", "-c", "id -u; echo $FOO; pwd"], "env": ["FOO=bar", "PATH=/bin"], "cwd": "/tmp",
 "user": {"uid": 65534, "gid": 65534}}
EOF
[ "$(OCI exec --process "$WORK/process.json" c5 </dev/null | tr '\n' ' ')" = "65534 bar /tmp " ] ||
  fail "exec --process: $(OCI exec --process "$WORK/process.json" c5 </dev/null)"
OCI exec -d --pid-file "$WORK/exec.pid" c5 sh -c 'sleep 1; exit 7' </dev/null
epid=$(cat "$WORK/exec.pid")
kill -0 "$epid" 2>/dev/null || fail "exec -d: its pid $epid is not alive"
# exec -d returns once the process runs, or fails then with why.
rc=0; OCI exec -d c5 /no/such/program </dev/null 2>"$WORK/e" || rc=$?
[ "$rc" = 255 ] && grep -q 'no/such/program' "$WORK/e" || fail "exec -d of a missing program: rc $rc, $(cat "$WORK/e")"
OCI delete --force c5
wait_exit "$(cat "$WORK/pid")" 30
pass "exec: output and exit code, --process with user/env/cwd, --detach with a live pid file, --detach of a missing program fails"

# --- mounts, limits, hostname ---
# A single file is bound into the container's private directory, which is
# what the VM shares: never the file's own directory (its neighbours stay
# out of the guest), and gone at delete.
mkdir -p "$WORK/data" "$WORK/etc"
echo shared >"$WORK/data/f"
echo one-file >"$WORK/etc/single"
echo rw-file >"$WORK/etc/rw"
echo secret >"$WORK/etc/shadow"
bundle "$B" '["sh", "-c", "cat /data/f /etc/single-file; (echo x > /data/g) 2>/dev/null || echo ro; (echo x > /etc/single-file) 2>/dev/null || echo ro-file; echo appended >> /etc/rw-file; cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max; hostname; sleep 1000"]' \
  "c['mounts'] += [{'destination': '/data', 'type': 'bind', 'source': '$WORK/data', 'options': ['rbind', 'ro']},
                   {'destination': '/etc/single-file', 'type': 'bind', 'source': '$WORK/etc/single', 'options': ['bind', 'ro']},
                   {'destination': '/etc/rw-file', 'type': 'bind', 'source': '$WORK/etc/rw', 'options': ['bind']},
                   {'destination': '/scratch', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['size=1m']}]
c['linux']['resources']['memory'] = {'limit': 67108864}
c['linux']['resources']['pids'] = {'limit': 50}
c['hostname'] = 'oci-host'"
OCI run -d --bundle "$B" c6 </dev/null >"$WORK/out" 2>&1 || fail "mounts: $(cat "$WORK/out")"
for i in $(seq 1 300); do grep -q oci-host "$WORK/out" && break; sleep 0.1; done
[ "$(tr '\n' ' ' <"$WORK/out")" = "shared one-file ro ro-file 67108864 50 oci-host " ] || fail "mounts and limits: $(cat "$WORK/out")"
[ "$(cat "$WORK/etc/rw")" = "rw-file
appended" ] || fail "a rw single-file bind: the host file has $(cat "$WORK/etc/rw")"
xml=$(virsh dumpxml "$(virsh list --name | grep . | head -1)")
echo "$xml" | grep -q "dir='$WORK/etc'" && fail "the files' directory $WORK/etc is shared with the VM"
echo "$xml" | grep -q "dir='$ROOT/containers/[0-9a-f]*/files'" || fail "no private files share: $(echo "$xml" | grep "<source dir")"
grep -q " $ROOT/containers/" /proc/self/mountinfo || fail "no host bind mounts for the single files"
OCI delete --force c6
grep -q " $ROOT/" /proc/self/mountinfo && fail "bind mounts left after delete: $(grep " $ROOT/" /proc/self/mountinfo)"
pass "bind mounts of a directory (ro) and of single files (ro, rw; only they reach the VM, unmounted at delete), tmpfs, memory and pids limits, hostname"

# --- the VM dies under the container: the monitor's status says so ---
bundle "$B" '["sleep", "1000"]'
"$LAUNCHER" oci --root "$ROOT" run --bundle "$B" c8 </dev/null >/dev/null 2>&1 &
runner=$!
for i in $(seq 1 300); do case $(state_of c8 2>/dev/null) in running*) break ;; esac; sleep 0.1; done
dom=$(virsh list --name | grep . | head -1)
pkill -KILL -f "guest=$dom," || fail "no QEMU for c8 ($dom)"
rc=0; wait "$runner" || rc=$?
[ "$rc" != 0 ] || fail "the VM was killed, yet the container's status is 0"
[ -z "$(OCI list -q)" ] || fail "after the VM died: $(OCI list)"
pass "a VM killed under its container: status $rc (not 0), the container removed"

# --- hooks on the host with the state on stdin; VM size by annotation ---
# The state's pid (the monitor) has namespaces of its own: a network hook
# entering /proc/PID/ns/net must not be working on the host's.
cat >"$WORK/netns-hook" <<EOF
#!/bin/sh
pid=\$(python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
readlink /proc/\$pid/ns/net >$WORK/hook-netns
EOF
chmod +x "$WORK/netns-hook"
bundle "$B" '["sh", "-c", "grep MemTotal /proc/meminfo"]' \
  "c['hooks'] = {k: [{'path': '/bin/sh', 'args': ['sh', '-c', 'cat > $WORK/hook-' + k]}] for k in ('prestart', 'poststart', 'poststop')}
c['hooks']['createRuntime'] = [{'path': '$WORK/netns-hook'}]
c['annotations'] = {'io.launcher.vm.memory': '512m', 'org.example': 'kept'}"
OCI create --bundle "$B" c7 </dev/null >"$WORK/out" 2>&1 || fail "hooks: $(cat "$WORK/out")"
OCI start c7
for i in $(seq 1 300); do case $(state_of c7) in stopped*) break ;; esac; sleep 0.1; done
mem=$(awk '{print $2}' "$WORK/out")
[ -n "$mem" ] && [ "$mem" -gt 400000 ] && [ "$mem" -le 524288 ] || fail "io.launcher.vm.memory 512m: MemTotal $(cat "$WORK/out")"
OCI state c7 | grep -q '"org.example": "kept"' || fail "state: annotations missing: $(OCI state c7)"
OCI delete c7
for k in prestart:created poststart:running poststop:stopped; do
  python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["id"] == "c7" and s["status"] == sys.argv[2], s' \
    "$WORK/hook-${k%%:*}" "${k#*:}" || fail "hook ${k%%:*}: $(cat "$WORK/hook-${k%%:*}" 2>&1)"
done
case $(cat "$WORK/hook-netns") in net:*) ;; *) fail "createRuntime hook: no netns read: $(cat "$WORK/hook-netns")" ;; esac
[ "$(cat "$WORK/hook-netns")" != "$(readlink /proc/self/ns/net)" ] || fail "hooks see the host's network namespace through the state's pid"
pass "prestart, poststart and poststop hooks run on the host with the state on stdin; annotations size the VM and show in state"

# --- bad config.json: a clear error, nothing left behind ---
bad() { # bad NAME PYTHON WANT: a config edited so, refused with WANT in the message
  bundle "$B" '["true"]' "$2"
  rc=0; OCI --log "$WORK/log.json" --log-format json create --bundle "$B" "$1" </dev/null 2>"$WORK/e" || rc=$?
  [ "$rc" = 1 ] && grep -q "$3" "$WORK/e" || fail "bad config ($1): rc $rc, $(cat "$WORK/e")"
  [ -z "$(OCI list -q)" ] || fail "bad config ($1) left a container: $(OCI list -q)"
}
bad noversion "del c['ociVersion']" 'ociVersion'
bad relcwd "c['process']['cwd'] = 'tmp'" 'cwd'
bad wrongtype "c['process']['args'] = 'sh'" 'process.args'
bad reldest "c['mounts'].append({'destination': 'data', 'type': 'tmpfs'})" 'destination'
bad nsjoin "c['linux']['namespaces'].append({'type': 'network', 'path': '/proc/1/ns/net'})" 'namespace'
bad hostdev "c['linux']['devices'] = [{'path': '/dev/sda', 'type': 'b', 'major': 8, 'minor': 0}]" '/dev/sda'
bad tinymem "c['linux']['resources']['memory'] = {'limit': 1}" 'memory'
bad hugeargs "c['process']['args'] = ['x'] * 100000" 'process.args'
bad noroot "c['root']['path'] = '/nonexistent-root'" 'nonexistent-root'
bad sysctl "c['linux']['sysctl'] = {'kernel.core_pattern': '|/bin/sh'}" 'not a namespaced sysctl'
bad tty "c['process']['terminal'] = True" 'console'
python3 -c 'import json,sys; l=json.loads(open(sys.argv[1]).read().splitlines()[-1]); assert l["level"] == "error" and "console" in l["msg"], l' "$WORK/log.json" ||
  fail "--log-format json: $(tail -1 "$WORK/log.json")"
head -c 5000000 /dev/zero | tr '\0' ' ' >"$B/config.json"
rc=0; OCI create --bundle "$B" big 2>"$WORK/e" || rc=$?
[ "$rc" = 1 ] && grep -q 'larger than' "$WORK/e" || fail "a 5 MB config.json: $rc $(cat "$WORK/e")"
pass "bad config.json (missing and mistyped fields, relative paths, host namespaces and devices, absurd sizes): exit 1, a message naming the field, nothing left; --log-format json"

# No VM of this test is left.
sleep 1
virsh list --name | grep -q . && { virsh list --all >&2; fail "VMs left behind"; }
pass "no VM left behind"
