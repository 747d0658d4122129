#!/usr/bin/env bash
# Boot to agent reachable: `launcher check` against bare qemu-system-x86_64
# booting the same kernel and initramfs with the same devices, side by side
# in one run (alternating, so machine noise hits all alike). Two launcher
# rows: cold (the domain defined by this check) and warm (`check --warm`:
# a spare domain created paused ahead of time is resumed, launcher/spare.h).
#
# usage: bench/boot.sh [RUNS] [BUILD_DIR]   (as root, libvirtd running)
set -euo pipefail
runs=${1:-7}
build=$(cd "${2:-build}" && pwd)
tmp=$(mktemp -d /tmp/launcher-bench.XXXXXX)
chmod 755 "$tmp" # QEMU's user reaches the VM sockets below it
trap 'rm -rf "$tmp"' EXIT
# Our own runtime root: the spares made here go when it is removed.
export LAUNCHER_RUN_ROOT=$tmp/run
. "$(dirname "$0")/bare-qemu.sh"

cmdline=$(launcher_cmdline)
[ -n "$cmdline" ] || { echo "boot.sh: no kernel command line in libvirt's QEMU log" >&2; exit 1; }
echo "kernel command line: $cmdline"

: >"$tmp/bare"; : >"$tmp/launcher"; : >"$tmp/warm"
agent_ms() { sed -n 's/.*agent reachable \([0-9]*\) ms.*/\1/p'; }
"$build/launcher/launcher" check --warm >/dev/null # the first spare
sleep 2
for i in $(seq 1 "$runs"); do
  bare_boot >>"$tmp/bare"
  bare_stop
  LAUNCHER_WARM_SECONDS=0 "$build/launcher/launcher" check | agent_ms >>"$tmp/launcher"
  "$build/launcher/launcher" check --warm | agent_ms >>"$tmp/warm"
  sleep 2 # the next spare is being made: let it settle before timing anything
done
b=$(median <"$tmp/bare"); l=$(median <"$tmp/launcher"); w=$(median <"$tmp/warm")
echo "runs: $runs"
echo "bare QEMU, start to agent reachable (ms): $(tr '\n' ' ' <"$tmp/bare")-> median $b"
echo "launcher check, cold, start to agent reachable (ms): $(tr '\n' ' ' <"$tmp/launcher")-> median $l"
echo "launcher check --warm, start to agent reachable (ms): $(tr '\n' ' ' <"$tmp/warm")-> median $w"
awk -v l="$l" -v w="$w" -v b="$b" 'BEGIN { printf "ratio cold/bare: %.2f, warm/bare: %.2f\n", l / b, w / b }'
