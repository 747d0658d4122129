#!/usr/bin/env bash
# Data through vsock stream connections arrives byte-identical both ways,
# also when the receiving side reads slowly, so credit flow control must
# hold the sender back (the agent and launcher check CRC-32 / every byte).
. "$(dirname "$0")/lib.sh"

expect_exit 0 "$LAUNCHER" diag vsock --size 1M --direction both
grep -q '^to-guest: *1048576 bytes .* checksum ok' "$WORK/out" || { cat "$WORK/out"; fail "1 MiB to guest"; }
grep -q '^from-guest: *1048576 bytes .* data ok' "$WORK/out" || { cat "$WORK/out"; fail "1 MiB from guest"; }
cp "$WORK/out" "$WORK/log1"
pass "1 MiB both ways"

# Slow guest reader: 16 KiB reads with a 1 ms pause (>= 4 s for 64 MiB).
# Slow host reader: a 2 ms pause after each read of at most 64 KiB.
expect_exit 0 "$LAUNCHER" diag vsock --size 64M --direction both \
  --chunk 16k --guest-delay-us 1000 --host-delay-us 2000
grep -q '^to-guest: *67108864 bytes .* checksum ok' "$WORK/out" || { cat "$WORK/out"; fail "64 MiB to slow guest"; }
grep -q '^from-guest: *67108864 bytes .* data ok' "$WORK/out" || { cat "$WORK/out"; fail "64 MiB to slow host"; }
cat "$WORK/out"
assert_no_leftovers "$WORK/out" "$WORK/log1"
pass "64 MiB both ways with slow readers"
