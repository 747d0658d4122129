#!/usr/bin/env bash
# The wall inside the VM: capabilities, no_new_privs, seccomp (default,
# custom, unconfined), read-only roots and tmpfs, volumes, users and
# groups, cgroup limits (pids, memory with OOMKilled, cpus), rlimits,
# masked paths, and from the host: QEMU's user and seccomp mode.
. "$(dirname "$0")/lib.sh"
export LAUNCHER_STORE=$WORK/store
here=$(cd "$(dirname "$0")" && pwd)
L() { "$LAUNCHER" "$@"; }
cleanup() {
  local ids
  ids=$(L ps -aq 2>/dev/null) || true
  [ -z "$ids" ] || L rm -f $ids >/dev/null 2>&1 || true
  rm -rf "$RUN_ROOT" "$WORK"
}
trap cleanup EXIT

# The test image: busybox, the syscall probe, a user "app" (uid 1000) in
# two supplementary groups.
"$here/../../image/builtin/make-busybox-image.sh" "$WORK/img" >/dev/null
mkdir -p "$WORK/layer/usr/local/bin" "$WORK/layer/etc" "$WORK/layer/mnt"
cc -static -O2 -o "$WORK/layer/usr/local/bin/syscall-probe" "$here/syscall-probe.c"
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home:/bin/sh\n' >"$WORK/layer/etc/passwd"
printf 'root:x:0:\napp:x:1000:\naudio:x:29:app\nstaff:x:50:other,app\nvideo:x:44:other\n' \
  >"$WORK/layer/etc/group"
python3 "$here/add-layer.py" "$WORK/img" "$WORK/layer" localhost/probe:latest
L load -q -i "$WORK/img" >/dev/null
P() { L run --rm "$@"; } # the image and command follow the options

status_line() { grep "^$1:" | awk '{print $2}'; }
caps() { # caps OPTIONS...: "Inh Prm Eff Bnd Amb NoNewPrivs Seccomp" of the container
  P "$@" probe sh -c 'grep -E "^(Cap[A-Za-z]+|NoNewPrivs|Seccomp):" /proc/self/status' |
    awk '{print $2}' | tr '\n' ' ' | sed 's/ $//'
}
DOCKER=00000000a80425fb
ALL=000001ffffffffff

# --- capabilities, no_new_privs, seccomp mode ---
got=$(caps)
[ "$got" = "0000000000000000 $DOCKER $DOCKER $DOCKER 0000000000000000 1 2" ] ||
  fail "default: Inh Prm Eff Bnd Amb NNP Seccomp = $got"
got=$(caps --cap-drop ALL)
[ "$got" = "0000000000000000 0000000000000000 0000000000000000 0000000000000000 0000000000000000 1 2" ] ||
  fail "--cap-drop ALL: $got"
got=$(caps --cap-add SYS_ADMIN)
[ "$got" = "0000000000000000 00000000a82425fb 00000000a82425fb 00000000a82425fb 0000000000000000 1 2" ] ||
  fail "--cap-add SYS_ADMIN: $got"
got=$(caps --cap-drop NET_RAW --cap-drop chown)
[ "$got" = "0000000000000000 00000000a80405fa 00000000a80405fa 00000000a80405fa 0000000000000000 1 2" ] ||
  fail "--cap-drop NET_RAW,chown: $got"
got=$(caps --privileged)
[ "$got" = "0000000000000000 $ALL $ALL $ALL 0000000000000000 0 0" ] || fail "--privileged: $got"
got=$(caps -u 1000)
[ "$got" = "0000000000000000 0000000000000000 0000000000000000 $DOCKER 0000000000000000 1 2" ] ||
  fail "-u 1000: $got"
got=$(caps --security-opt no-new-privileges=false)
[ "${got% * *}" = "0000000000000000 $DOCKER $DOCKER $DOCKER 0000000000000000" ] && [ "${got#* * * * * }" = "0 2" ] ||
  fail "no-new-privileges=false: $got"
[ "$(P probe sh -c 'grep -cE "^(Cap[A-Za-z]+|NoNewPrivs|Seccomp):" /proc/self/status')" = 7 ] || fail "status lines"
rc=0; P --cap-add NOPE probe true 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && grep -qi 'unknown capability.*NOPE' "$WORK/e" || fail "--cap-add NOPE: $rc $(cat "$WORK/e")"
pass "capabilities: Docker's set, --cap-add/--cap-drop/ALL, --privileged, non-root, no_new_privs, seccomp mode 2"

# exec'd processes are confined the same
id=$(L run -d --name confined probe sleep 1000)
got=$(L exec confined sh -c 'grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status' | awk '{print $2}' | tr '\n' ' ')
[ "$got" = "$DOCKER 1 2 " ] || fail "exec'd process: $got"
[ "$(L exec confined syscall-probe unshare-mount)" = EPERM ] || fail "exec'd unshare"
# only the container's processes: no agent, nothing of the guest's
L exec confined ps -o pid,args >"$WORK/ps"
grep -q launcher-agent "$WORK/ps" && fail "the agent is visible: $(cat "$WORK/ps")"
[ "$(grep -cv PID "$WORK/ps")" -le 3 ] || fail "ps -ef shows more than the container's: $(cat "$WORK/ps")"
pass "exec'd processes: same capabilities, no_new_privs and seccomp; ps sees only the container"

# --- seccomp: what the default profile refuses, and what options allow ---
sys() { P "$@" 2>/dev/null | tail -1; } # sys OPTIONS... probe syscall-probe CALL
for call in unshare-mount mount clone-newns keyctl add_key bpf vsock-socket; do
  got=$(sys probe syscall-probe $call || true)
  [ "$got" = EPERM ] || fail "default: $call gave $got, not EPERM"
done
[ "$(sys probe syscall-probe unix-socket)" = ok ] || fail "default: AF_UNIX socket refused"
[ "$(sys --cap-add SYS_ADMIN probe syscall-probe unshare-mount)" = ok ] || fail "SYS_ADMIN: unshare"
[ "$(sys --cap-add SYS_ADMIN probe syscall-probe mount)" = ok ] || fail "SYS_ADMIN: mount"
[ "$(sys --cap-add SYS_ADMIN probe syscall-probe clone-newns)" = ok ] || fail "SYS_ADMIN: clone"
[ "$(sys --privileged probe syscall-probe keyctl)" = ok ] || fail "privileged: keyctl"
[ "$(sys --privileged probe syscall-probe bpf)" = ok ] || fail "privileged: bpf"
[ "$(sys --security-opt seccomp=unconfined probe syscall-probe keyctl)" = ok ] || fail "unconfined: keyctl"
[ "$(sys --security-opt seccomp=unconfined probe syscall-probe unshare-mount)" = EPERM ] ||
  fail "unconfined without SYS_ADMIN: unshare should still need the capability"
cat >"$WORK/no-mkdir.json" <<'EOF'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
EOF
[ "$(sys --security-opt seccomp="$WORK/no-mkdir.json" probe syscall-probe mkdir /tmp/d)" = EPERM ] ||
  fail "custom profile: mkdir not refused"
rc=0; P --security-opt seccomp="$WORK/no-mkdir.json" probe mkdir /tmp/d 2>/dev/null || rc=$?
[ "$rc" = 1 ] || fail "custom profile: busybox mkdir exited $rc"
[ "$(sys --security-opt seccomp="$WORK/no-mkdir.json" probe syscall-probe keyctl)" = ok ] ||
  fail "custom profile: keyctl should be allowed by it"
echo '{"defaultAction": "SCMP_ACT_NOPE"}' >"$WORK/bad.json"
rc=0; P --security-opt seccomp="$WORK/bad.json" probe true 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && grep -q 'SCMP_ACT_NOPE' "$WORK/e" || fail "bad profile: $rc $(cat "$WORK/e")"
rc=0; P --security-opt seccomp="$WORK/missing.json" probe true 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && grep -q 'missing.json' "$WORK/e" || fail "missing profile: $rc $(cat "$WORK/e")"
pass "seccomp: default refuses unshare, mount, clone(NEWNS), keyctl, add_key, bpf, AF_VSOCK (EPERM); options allow; a custom profile blocks mkdir"

# --- file systems: read-only root, tmpfs, masked and read-only paths ---
rc=0; P --read-only probe touch /x 2>"$WORK/e" || rc=$?
[ "$rc" = 1 ] && grep -q 'Read-only file system' "$WORK/e" || fail "--read-only: $rc $(cat "$WORK/e")"
P --read-only --tmpfs /tmp probe sh -c 'touch /tmp/x && test -f /tmp/x' || fail "--tmpfs on a read-only root"
P --tmpfs /scratch:rw,size=1m,mode=700 probe sh -c 'grep " /scratch " /proc/mounts' >"$WORK/m"
grep -q 'size=1024k' "$WORK/m" && grep -q 'mode=700' "$WORK/m" && grep -q 'noexec' "$WORK/m" ||
  fail "--tmpfs options: $(cat "$WORK/m")"
# (the guest kernel has no /proc/kcore at all: nothing to mask there)
masks() { P "$@" probe sh -c 'grep -Ec " /proc/(keys|timer_list|kcore) " /proc/mounts' || true; }
[ "$(masks)" = 2 ] || fail "masked paths: $(masks) of /proc/keys, timer_list masked"
[ "$(P probe sh -c 'test ! -e /proc/kcore && wc -c </proc/timer_list')" = 0 ] ||
  fail "/proc/timer_list readable, or /proc/kcore present"
[ "$(masks --privileged)" = 0 ] || fail "--privileged: masked paths"
# mounts go parents first, whatever the order given
P --tmpfs /nest/inner --tmpfs /nest probe sh -c 'grep -q " /nest/inner " /proc/mounts && touch /nest/inner/x' ||
  fail "a mount inside another, given first, was hidden"
rc=0; P probe sh -c 'echo 1 > /proc/sys/kernel/domainname' 2>"$WORK/e" || rc=$?
[ "$rc" != 0 ] || fail "/proc/sys writable"
[ "$(P --shm-size 8m probe sh -c "df -k /dev/shm | tail -1 | awk '{print \$2}'")" = 8192 ] || fail "--shm-size"
pass "file systems: --read-only (EROFS), --tmpfs, masked /proc/keys and /proc/timer_list, read-only /proc/sys, --shm-size"

# --- devices: the allowed few open; what the container makes with mknod
# (CAP_MKNOD is Docker's) does not, wherever it makes it ---
got=$(P --tmpfs /t:dev,exec probe sh -c 'head -c 3 /dev/zero | wc -c; echo x >/dev/null && echo null-ok
  for p in /tmp/full /dev/full2 /t/full; do
    mknod $p c 1 7 && { echo x 2>/dev/null >$p && echo "$p opened" || echo "$p refused"; }
  done' 2>&1 | tr '\n' ' ')
[ "$got" = "3 null-ok /tmp/full refused /dev/full2 refused /t/full refused " ] ||
  fail "device nodes: $got"
got=$(P --privileged probe sh -c 'mknod /tmp/full c 1 7 && echo x >/tmp/full' 2>&1 || true)
case $got in *"No space left"*) ;; *) fail "--privileged: a device node it makes should open: $got" ;; esac
pass "devices: /dev/null and /dev/zero work; nodes made with mknod (root, /dev, a dev tmpfs) refuse opens but under --privileged"

# --- volumes ---
mkdir -p "$WORK/ro" "$WORK/rw"
echo from-host >"$WORK/ro/f"
[ "$(P -v "$WORK/ro:/data:ro" probe cat /data/f)" = from-host ] || fail "ro volume read"
rc=0; P -v "$WORK/ro:/data:ro" probe sh -c 'echo x > /data/g' 2>"$WORK/e" || rc=$?
[ "$rc" != 0 ] && grep -q 'Read-only file system' "$WORK/e" || fail "ro volume written: $rc"
P -v "$WORK/rw:/data" probe sh -c 'echo from-container > /data/out; mkdir /data/d; chown 1000:1000 /data/d'
[ "$(cat "$WORK/rw/out")" = from-container ] || fail "rw volume: the host does not see the write"
[ "$(stat -c %u:%g "$WORK/rw/d")" = 1000:1000 ] || fail "rw volume: owner $(stat -c %u:%g "$WORK/rw/d")"
P --mount type=volume,source=vol1,target=/v probe sh -c 'echo kept > /v/f'
[ "$(P -v vol1:/w:ro probe cat /w/f)" = kept ] || fail "named volume"
[ -f "$LAUNCHER_STORE/volumes/vol1/_data/f" ] || fail "named volume not in the store"
P --read-only -v "$WORK/rw:/data" probe sh -c 'echo ok > /data/ro-root' || fail "volume on a read-only root"
rc=0; P -v relative/path:/x probe true 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] || fail "bad volume source: $rc"
rc=0; P --mount type=bind,source=/nonexistent-$$,target=/x probe true 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && grep -q nonexistent "$WORK/e" || fail "--mount of a missing path: $rc $(cat "$WORK/e")"
rc=0; P -v "$WORK/rw:/proc/x" probe true 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] || fail "a volume under /proc: $rc"
# volume names are names, never paths out of the store
mkdir -p "$LAUNCHER_STORE/keep-me"
for verb in "volume rm" "volume inspect"; do
  rc=0; L $verb ../keep-me 2>"$WORK/e" >/dev/null || rc=$?
  [ "$rc" = 1 ] && grep -q 'invalid volume name' "$WORK/e" || fail "$verb ../keep-me: $rc $(cat "$WORK/e")"
done
[ -d "$LAUNCHER_STORE/keep-me" ] || fail "volume rm ../keep-me removed it"
L volume prune -f >/dev/null
[ -d "$LAUNCHER_STORE/volumes/vol1/_data" ] || fail "volume prune without --all removed a named volume"
L volume prune -a -f >"$WORK/out"
[ ! -e "$LAUNCHER_STORE/volumes/vol1" ] && grep -q 'Total reclaimed: 1' "$WORK/out" ||
  fail "volume prune -a -f: $(cat "$WORK/out")"
pass "volumes: :ro refuses writes, rw writes reach the host (owners kept), named volumes persist in the store"

# --- users and groups ---
[ "$(P -u app probe id)" = "uid=1000(app) gid=1000(app) groups=29(audio),50(staff)" ] ||
  fail "-u app: $(P -u app probe id)"
# (the kernel keeps supplementary groups sorted)
[ "$(P -u app --group-add video --group-add 4242 probe id -G)" = "1000 29 44 50 4242" ] ||
  fail "--group-add: $(P -u app --group-add video --group-add 4242 probe id -G)"
rc=0; P --group-add nosuch probe true 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && grep -q 'unable to find group nosuch' "$WORK/e" || fail "--group-add nosuch: $rc"
# exec -u: that user's groups (and the container's --group-add), not the
# container process's
L run -d --name grp --group-add video probe sleep 1000 >/dev/null
[ "$(L exec grp id -G)" = "0 44" ] || fail "exec as root: $(L exec grp id -G)"
[ "$(L exec -u app grp id -G)" = "1000 29 44 50" ] || fail "exec -u app: $(L exec -u app grp id -G)"
[ "$(L exec -u 1000:1000 grp id -G)" = "1000 29 44 50" ] || fail "exec -u 1000:1000: $(L exec -u 1000:1000 grp id -G)"
L rm -f grp >/dev/null
pass "users: -u with the image's supplementary groups, --group-add, exec -u with its own groups"

# an image whose /proc is a symlink cannot move procfs from under the masks
mkdir -p "$WORK/badproc"
ln -s /etc "$WORK/badproc/proc"
python3 "$here/add-layer.py" "$WORK/img" "$WORK/badproc" localhost/badproc:latest
L load -q -i "$WORK/img" >/dev/null
rc=0; P badproc true 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && grep -q '/proc is not a directory' "$WORK/e" || fail "image with /proc -> /etc: $rc $(cat "$WORK/e")"
pass "an image with a symlinked /proc is refused"

# --- limits ---
[ "$(P --ulimit nofile=100:200 probe sh -c 'ulimit -n; ulimit -Hn' | tr '\n' ' ')" = "100 200 " ] ||
  fail "--ulimit nofile"
got=$(P --cpus 1.5 --pids-limit 64 --memory 64m probe sh -c \
  'cat /sys/fs/cgroup/cpu.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/memory.max' | tr '\n' ' ')
[ "$got" = "150000 100000 64 67108864 " ] || fail "cgroup limits: $got"
[ "$(L run --rm --cpus 1.5 probe nproc)" = 2 ] || fail "--cpus 1.5: vCPUs"
# a fork bomb is held at the limit, and the container still answers (with
# builtins: at the limit, nothing more can fork)
P --pids-limit 64 probe sh -c '(for i in $(seq 1 200); do sleep 30 & done) 2>/dev/null
  read n </sys/fs/cgroup/pids.current; read ev refused </sys/fs/cgroup/pids.events; echo $n $refused' \
  >"$WORK/bomb" 2>/dev/null || true
read -r n refused <"$WORK/bomb" || true
[ -n "$n" ] && [ "$n" -le 64 ] && [ "$n" -ge 40 ] && [ "${refused:-0}" -ge 1 ] ||
  fail "fork bomb under --pids-limit 64: $(cat "$WORK/bomb")"
pass "limits: --ulimit, cpu.max/pids.max/memory.max, --cpus vCPUs, a fork bomb held at --pids-limit 64 ($n processes)"

rc=0
L run --name hog --memory 64m probe sh -c 'x=$(head -c 200000000 /dev/zero | tr "\0" a); echo survived' \
  >"$WORK/hog" 2>&1 || rc=$?
[ "$rc" = 137 ] || fail "memory hog under --memory 64m exited $rc: $(cat "$WORK/hog")"
L inspect hog | python3 -c 'import json,sys; s=json.load(sys.stdin)[0]["State"]; assert s["OOMKilled"] is True and s["ExitCode"] == 137, s' ||
  fail "inspect: OOMKilled not true"
L rm hog >/dev/null
pass "a memory hog under --memory 64m: exit 137, OOMKilled true"

# --- the host side: QEMU's user and seccomp ---
qemu_status() { # qemu_status CONTAINER: "UID SECCOMP" of its QEMU
  local dom pid
  dom=$(L inspect "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["VM"]["Domain"])')
  pid=$(pgrep -f "guest=$dom" | head -1)
  [ -n "$pid" ] || fail "no QEMU for $dom"
  echo "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status") $(awk '/^Seccomp:/ {print $2}' "/proc/$pid/status")"
}
got=$(qemu_status confined)
[ "${got% *}" != 0 ] && [ "${got#* }" = 2 ] || fail "image-based container's QEMU: uid/seccomp $got"
L run -d --name withvol -v "$WORK/rw:/data" probe sleep 1000 >/dev/null
got2=$(qemu_status withvol)
[ "${got2#* }" = 2 ] || fail "QEMU with a rw volume: seccomp ${got2#* }"
L rm -f confined withvol >/dev/null
pass "host: QEMU runs as uid ${got% *} with seccomp mode 2 (as uid ${got2% *}, still seccomp 2, for a rw volume)"
