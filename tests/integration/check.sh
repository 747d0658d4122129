#!/usr/bin/env bash
# `launcher check` boots a VM, pings the agent over vsock and powers it off.
. "$(dirname "$0")/lib.sh"

expect_exit 0 "$LAUNCHER" check
out=$WORK/out
for field in libvirt: accelerator: vsock: "guest kernel:" initramfs: vm: agent: times: check:; do
  grep -q "^$field" "$out" || { cat "$out"; fail "check output has no '$field' line"; }
done
grep -q '^libvirt: *qemu:///system (libvirt 9\.' "$out" || fail "libvirt line: $(grep ^libvirt: "$out")"
grep -q 'answered ping over vsock' "$out" || fail "no ping answer"
grep -Eq 'domain defined [0-9]+ ms, agent reachable [0-9]+ ms, VM gone [0-9]+ ms' "$out" ||
  fail "times line: $(grep ^times: "$out")"
if [ ! -e /sys/module/kvm_intel ] && [ ! -e /sys/module/kvm_amd ]; then
  grep -q '^accelerator: *tcg' "$out" || fail "expected TCG on a host without hardware KVM"
fi
[ -e /dev/vhost-vsock ] || grep -q '^vsock: *vhost-user' "$out" || fail "expected the vhost-user backend"
assert_no_leftovers "$out"
pass "launcher check boots, pings and powers off"

# --warm: the first makes a spare and waits for it, the second claims the
# spare the first left behind.
LAUNCHER_WARM_SECONDS=30 expect_exit 0 "$LAUNCHER" check --warm
cp "$WORK/out" "$WORK/warm1"
grep -q '^vm: .*(a spare, created paused ahead of time)' "$WORK/out" || fail "warm vm line: $(cat "$WORK/out")"
wait_spare
LAUNCHER_WARM_SECONDS=30 expect_exit 0 "$LAUNCHER" check --warm
grep -Eq 'spare claimed [0-9]+ ms, agent reachable [0-9]+ ms, VM gone [0-9]+ ms' "$WORK/out" ||
  fail "warm times line: $(grep ^times: "$WORK/out")"
claimed=$(sed -n 's/.*spare claimed \([0-9]*\) ms.*/\1/p' "$WORK/out")
[ "$claimed" -lt 200 ] || fail "the second check --warm waited ${claimed} ms for a spare"
stop_spares
assert_no_leftovers "$WORK/warm1" "$WORK/out"
expect_exit 125 "$LAUNCHER" check --warm
grep -q 'spares are turned off' "$WORK/out" || fail "check --warm with spares off: $(cat "$WORK/out")"
pass "check --warm claims a spare; nothing left after"

expect_exit 0 "$LAUNCHER" check --accel tcg
grep -q '^accelerator: *tcg (forced by --accel tcg)' "$WORK/out" || fail "--accel tcg not honoured"
pass "--accel tcg"

if [ ! -e /sys/module/kvm_intel ] && [ ! -e /sys/module/kvm_amd ]; then
  expect_exit 125 "$LAUNCHER" check --accel kvm
  grep -q 'launcher: .*--accel kvm: KVM is not usable here' "$WORK/out" || fail "kvm message: $(cat "$WORK/out")"
  pass "--accel kvm refused without hardware KVM"
fi

expect_exit 125 "$LAUNCHER" check --accel bogus
grep -q 'invalid --accel "bogus"' "$WORK/out" || fail "bad --accel message"
expect_exit 125 "$LAUNCHER" check --no-such-flag
grep -q "unknown flag: --no-such-flag" "$WORK/out" || fail "unknown flag message"
expect_exit 125 env LAUNCHER_GUEST_KERNEL=/nonexistent "$LAUNCHER" check
grep -q 'guest kernel /nonexistent (from $LAUNCHER_GUEST_KERNEL) is not a file' "$WORK/out" ||
  fail "missing kernel message: $(cat "$WORK/out")"
expect_exit 125 env LAUNCHER_LIBVIRT_URI=qemu+unix:///system?socket=/nonexistent "$LAUNCHER" check
grep -q "is libvirtd running" "$WORK/out" || fail "libvirt down message: $(cat "$WORK/out")"
pass "bad input exits 125 with a message"

expect_exit 0 "$LAUNCHER" --version
grep -Eq '^launcher version [0-9]+\.[0-9]+\.[0-9]+' "$WORK/out" || fail "--version"
expect_exit 0 "$LAUNCHER" --help
grep -q 'check' "$WORK/out" || fail "--help lists no check"
expect_exit 125 "$LAUNCHER" no-such-verb
pass "--version, --help, unknown verb"
