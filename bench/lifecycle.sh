#!/usr/bin/env bash
# Lifecycle figures: `launcher exec C true` (no boot: the monitor's socket,
# a vsock control connection, the agent's clone into the namespaces) beside
# a cold `launcher run true`; `launcher ps` with 20 containers running beside
# `virsh list --all` of the same 20 domains and `launcher ps` with none.
#
# usage: bench/lifecycle.sh [CONTAINERS] [BUILD_DIR]   (as root, libvirtd running)
set -euo pipefail
n=${1:-20}
build=$(cd "${2:-build}" && pwd)
launcher=$build/launcher/launcher
tmp=$(mktemp -d /tmp/launcher-bench.XXXXXX)
chmod 755 "$tmp"
export LAUNCHER_RUN_ROOT=$tmp/run LAUNCHER_WARM_SECONDS=0
cleanup() {
  "$launcher" rm -f $("$launcher" ps -aq) >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
. "$(dirname "$0")/bare-qemu.sh"
rootfs=$tmp/rootfs
"$(dirname "$0")/../tests/integration/make-rootfs.sh" "$rootfs"
ms_of() { local t0; t0=$(date +%s%N); "$@" >/dev/null; echo $(( ($(date +%s%N) - t0) / 1000000 )); }
us_of() { local t0; t0=$(date +%s%N); "$@" >/dev/null; echo $(( ($(date +%s%N) - t0) / 1000 )); }

: >"$tmp/ps0"
for i in $(seq 1 20); do us_of "$launcher" ps -a >>"$tmp/ps0"; done
echo "## $n containers: run -d --rootfs R sleep 100000"
: >"$tmp/runs"
for i in $(seq 1 "$n"); do ms_of "$launcher" run -d --rootfs "$rootfs" sleep 100000 >>"$tmp/runs"; done
echo "run -d (ms): $(tr '\n' ' ' <"$tmp/runs")-> median $(median <"$tmp/runs")"
[ "$("$launcher" ps -q | wc -l)" = "$n" ] || { echo "not all $n running" >&2; exit 1; }
c=$("$launcher" ps -q | head -1)

echo "## launcher exec C true, 20 runs (ms)"
: >"$tmp/exec"
for i in $(seq 1 20); do ms_of "$launcher" exec "$c" true >>"$tmp/exec"; done
: >"$tmp/cold"
for i in 1 2 3 4 5; do ms_of "$launcher" run --rm --rootfs "$rootfs" true >>"$tmp/cold"; done
e=$(median <"$tmp/exec"); r=$(median <"$tmp/cold")
echo "exec true: $(tr '\n' ' ' <"$tmp/exec")-> median $e"
echo "run --rm true, cold, with $n VMs up: $(tr '\n' ' ' <"$tmp/cold")-> median $r"
awk -v e="$e" -v r="$r" 'BEGIN { printf "ratio exec/run: %.3f\n", e / r }'

echo "## launcher ps -a (us), 20 runs each"
: >"$tmp/ps"; : >"$tmp/virsh"
for i in $(seq 1 20); do
  us_of "$launcher" ps -a >>"$tmp/ps"
  us_of virsh -c qemu:///system list --all >>"$tmp/virsh"
done
p=$(median <"$tmp/ps"); v=$(median <"$tmp/virsh"); p0=$(median <"$tmp/ps0")
echo "ps -a, no containers: median $p0"
echo "ps -a, $n running: $(tr '\n' ' ' <"$tmp/ps")-> median $p"
echo "virsh list --all, the same domains: median $v"
awk -v p="$p" -v v="$v" 'BEGIN { printf "ratio ps/virsh list: %.2f\n", p / v }'
