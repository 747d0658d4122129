#!/usr/bin/env bash
# Real containerd (Debian's, started here with its own root and socket)
# running launcher-oci through its runc shim v2: `ctr run --runc-binary`
# for run with an exit code, exec, kill, and nothing left behind.
. "$(dirname "$0")/lib.sh"
command -v containerd >/dev/null || fail "containerd is not installed (scripts/install-deps)"
mkdir -p "$WORK/bin" "$WORK/ctd"
OCI_BIN=$WORK/bin/launcher-oci
ln -s "$LAUNCHER" "$OCI_BIN"
SOCK=$WORK/ctd/containerd.sock
cat >"$WORK/ctd/config.toml" <<EOF
version = 2
root = "$WORK/ctd/root"
state = "$WORK/ctd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$SOCK"
EOF
containerd --config "$WORK/ctd/config.toml" >"$WORK/ctd/log" 2>&1 &
CTD=$!
C() { ctr --address "$SOCK" "$@"; }
cleanup() {
  local t
  for t in $(C task ls -q 2>/dev/null); do C task kill -s SIGKILL "$t" >/dev/null 2>&1 || true; done
  sleep 1
  for t in $(C container ls -q 2>/dev/null); do
    C task rm -f "$t" >/dev/null 2>&1 || true
    C container rm "$t" >/dev/null 2>&1 || true
  done
  kill "$CTD" 2>/dev/null || true
  wait "$CTD" 2>/dev/null || true
  rm -rf "$RUN_ROOT" "$WORK"
}
trap cleanup EXIT
for i in $(seq 1 100); do C version >/dev/null 2>&1 && break; sleep 0.1; done
C version >/dev/null || fail "containerd did not start: $(cat "$WORK/ctd/log")"

"$LAUNCHER" save localhost/busybox:latest >"$WORK/bb.tar"
C images import --snapshotter native "$WORK/bb.tar" >/dev/null
IMG=localhost/busybox:latest
RUN() { C run --snapshotter native --runc-binary "$OCI_BIN" "$@"; }

# --- run: output and exit code ---
rc=0; out=$(RUN --rm $IMG t1 sh -c 'echo hello from containerd; exit 6') || rc=$?
[ "$rc" = 6 ] && [ "$out" = "hello from containerd" ] || fail "ctr run: rc $rc, $out"
pass "ctr run --runc-binary launcher-oci: output, exit code 6"

# --- run -d, exec, kill ---
RUN -d $IMG t2 sleep 1000 >/dev/null
for i in $(seq 1 100); do C task ls | grep -q 't2.*RUNNING' && break; sleep 0.1; done
C task ls | grep -q 't2.*RUNNING' || fail "ctr run -d: $(C task ls)"
rc=0; out=$(C task exec --exec-id e1 t2 sh -c 'echo in-exec; exit 3') || rc=$?
[ "$rc" = 3 ] && [ "$out" = in-exec ] || fail "ctr task exec: rc $rc, $out"
# exec -d -t: the shim waits for the runtime's stdio to close; the
# detached client must not hold it. ctr wants a terminal: script gives one.
rc=0; timeout 60 script -qec "ctr --address $SOCK task exec -d -t --exec-id e2 t2 sh -c 'tty >/tmp/tty; sleep 3'" /dev/null \
  >"$WORK/e2.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "ctr task exec -d -t: rc $rc (124: it hung), $(cat "$WORK/e2.out")"
for i in $(seq 1 50); do out=$(C task exec --exec-id e3 t2 cat /tmp/tty 2>/dev/null) && break; sleep 0.2; done
case $out in /dev/pts/*) ;; *) fail "exec -d -t: the process's terminal is \"$out\"" ;; esac
C task kill -s SIGKILL t2
for i in $(seq 1 100); do C task ls | grep -q 't2.*STOPPED' && break; sleep 0.1; done
C task ls | grep -q 't2.*STOPPED' || fail "ctr task kill: $(C task ls)"
C task rm t2 >/dev/null
C container rm t2
pass "ctr run -d, task exec (exit code 3), task exec -d -t returns, task kill"

# --- nothing left ---
sleep 1
[ -z "$(virsh list --name | grep . || true)" ] || fail "VMs left: $(virsh list --name)"
pgrep -f "$OCI_BIN" >/dev/null && fail "a launcher-oci process is left"
pass "no VM, no monitor left"
