#!/usr/bin/env bash
# Ten VMs booted one after another leave nothing behind.
. "$(dirname "$0")/lib.sh"

before_backends=$(pgrep -c -x launcher-vsock || true)
for i in $(seq 1 10); do
  expect_exit 0 "$LAUNCHER" check
  cp "$WORK/out" "$WORK/run$i"
done
[ "$(vm_names "$WORK"/run* | wc -l)" = 10 ] || fail "expected 10 distinct VMs"
assert_no_leftovers "$WORK"/run*
[ "$(pgrep -c -x launcher-vsock || true)" = "$before_backends" ] || fail "backend processes leaked"
pass "10 sequential VMs, no domain, process, socket or state left"
