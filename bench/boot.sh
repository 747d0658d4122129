#!/usr/bin/env bash
# Boot to agent reachable: `launcher check` against bare qemu-system-x86_64
# booting the same kernel and initramfs with the same devices, side by side
# in one run (alternating, so machine noise hits both alike).
#
# usage: bench/boot.sh [RUNS] [BUILD_DIR]   (as root, libvirtd running)
set -euo pipefail
runs=${1:-7}
build=$(cd "${2:-build}" && pwd)
tmp=$(mktemp -d /tmp/launcher-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/bare-qemu.sh"

cmdline=$(launcher_cmdline)
[ -n "$cmdline" ] || { echo "boot.sh: no kernel command line in libvirt's QEMU log" >&2; exit 1; }
echo "kernel command line: $cmdline"

: >"$tmp/bare"; : >"$tmp/launcher"
for i in $(seq 1 "$runs"); do
  bare_boot >>"$tmp/bare"
  bare_stop
  "$build/launcher/launcher" check | sed -n 's/.*agent reachable \([0-9]*\) ms.*/\1/p' >>"$tmp/launcher"
done
b=$(median <"$tmp/bare"); l=$(median <"$tmp/launcher")
echo "runs: $runs"
echo "bare QEMU, start to agent reachable (ms): $(tr '\n' ' ' <"$tmp/bare")-> median $b"
echo "launcher check, start to agent reachable (ms): $(tr '\n' ' ' <"$tmp/launcher")-> median $l"
awk -v l="$l" -v b="$b" 'BEGIN { printf "ratio launcher/bare: %.2f\n", l / b }'
