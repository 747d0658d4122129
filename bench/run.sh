#!/usr/bin/env bash
# launcher run figures: the wall time of `launcher run --rootfs R true`
# beside the bare-QEMU boot of the same guest; stdout and stdin throughput
# beside an in-guest pipe; host memory of an idle container beside bare QEMU.
#
# usage: bench/run.sh [RUNS] [BUILD_DIR]   (as root, libvirtd running)
set -euo pipefail
runs=${1:-10}
build=$(cd "${2:-build}" && pwd)
launcher=$build/launcher/launcher
tmp=$(mktemp -d /tmp/launcher-bench.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
# Our own runtime root: the spares made here go when it is removed.
export LAUNCHER_RUN_ROOT=$tmp/run
. "$(dirname "$0")/bare-qemu.sh"
rootfs=$tmp/rootfs
"$(dirname "$0")/../tests/integration/make-rootfs.sh" "$rootfs"
cmdline=$(launcher_cmdline)

echo "## launcher run --rootfs R true, wall time (ms), $runs runs alternating with bare QEMU boots"
echo "## cold: LAUNCHER_WARM_SECONDS=0, the run defines its domain; warm: the default, a spare is claimed"
: >"$tmp/bare"; : >"$tmp/cold"; : >"$tmp/warm"
ms_of() { local t0; t0=$(date +%s%N); "$@"; echo $(( ($(date +%s%N) - t0) / 1000000 )); }
"$launcher" run --rootfs "$rootfs" true # leaves the first spare
sleep 2
for i in $(seq 1 "$runs"); do
  bare_boot >>"$tmp/bare"
  bare_stop
  LAUNCHER_WARM_SECONDS=0 ms_of "$launcher" run --rootfs "$rootfs" true >>"$tmp/cold"
  ms_of "$launcher" run --rootfs "$rootfs" true >>"$tmp/warm"
  sleep 2 # the next spare is being made: let it settle before timing anything
done
b=$(median <"$tmp/bare"); c=$(median <"$tmp/cold"); w=$(median <"$tmp/warm")
echo "bare QEMU boot to agent: $(tr '\n' ' ' <"$tmp/bare")-> median $b"
echo "launcher run true, cold: $(tr '\n' ' ' <"$tmp/cold")-> median $c"
echo "launcher run true, warm: $(tr '\n' ' ' <"$tmp/warm")-> median $w"
awk -v c="$c" -v w="$w" -v b="$b" 'BEGIN { printf "ratio run/bare boot: cold %.2f, warm %.2f\n", c / b, w / b }'

echo "## stdio throughput, 256 MiB, MB/s timed in the guest (/proc/uptime, 10 ms resolution)"
# $1: the shell command moving the bytes; prints MB/s on stderr.
timed() {
  printf '%s' 't0=$(cut -d" " -f1 /proc/uptime); '"$1"'; t1=$(cut -d" " -f1 /proc/uptime); awk -v a=$t0 -v b=$t1 "BEGIN { printf \"%.1f\\n\", 268.435456 / (b - a) }" >&2'
}
for i in 1 2 3; do
  "$launcher" run --rootfs "$rootfs" sh -c "$(timed 'dd if=/dev/zero bs=64k count=4096 2>/dev/null | dd of=/dev/null bs=64k 2>/dev/null')" 2>>"$tmp/pipe"
  "$launcher" run --rootfs "$rootfs" sh -c "$(timed 'dd if=/dev/zero bs=64k count=4096 2>/dev/null')" 2>>"$tmp/stdout" | cat >/dev/null
  head -c 256M /dev/zero | "$launcher" run -i --rootfs "$rootfs" sh -c "$(timed 'dd of=/dev/null bs=64k 2>/dev/null')" 2>>"$tmp/stdin"
done
echo "in-guest pipe (ceiling): $(tr '\n' ' ' <"$tmp/pipe")-> median $(median <"$tmp/pipe")"
echo "stdout guest -> host:    $(tr '\n' ' ' <"$tmp/stdout")-> median $(median <"$tmp/stdout")"
echo "stdin host -> guest:     $(tr '\n' ' ' <"$tmp/stdin")-> median $(median <"$tmp/stdin")"

echo "## host memory (PSS, MiB; private = Pss_Anon) of an idle container vs. bare QEMU idle with the same guest"
pss() { awk '/^Pss:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/smaps_rollup"; }
anon() { awk '/^Pss_Anon:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/smaps_rollup"; }
# The spare left by the timing loop, waiting; then claimed by an idle container.
spare=$(pgrep -f "launcher spare .*$rootfs" | head -n 1 || true)
if [ -n "$spare" ]; then
  svm=$(ls "$LAUNCHER_RUN_ROOT/vm" | while read -r d; do
    if [ "$(virsh domstate "$d" 2>/dev/null)" = paused ]; then echo "$d"; fi; done | head -n 1)
  echo "a waiting spare: QEMU (paused) $(pss "$(cat "/run/libvirt/qemu/$svm.pid")"), spare monitor $(pss "$spare") (private $(anon "$spare")), backend $(pss "$(pgrep -f "launcher-vsock.*$svm")")"
fi
# idle MODE: an idle container, cold (its own monitor) or warm (a claimed spare).
idle() {
  local client vm qemu backend monitor
  if [ "$1" = cold ]; then
    LAUNCHER_WARM_SECONDS=0 "$launcher" run --rootfs "$rootfs" sh -c 'echo vm launcher-$(hostname); sleep 30' >"$tmp/idle" &
  else
    "$launcher" run --rootfs "$rootfs" sh -c 'echo vm launcher-$(hostname); sleep 30' >"$tmp/idle" &
  fi
  client=$!
  for _ in $(seq 1 300); do grep -q '^vm ' "$tmp/idle" && break; sleep 0.1; done
  sleep 3
  vm=$(awk '/^vm / { print $2 }' "$tmp/idle")
  qemu=$(cat "/run/libvirt/qemu/$vm.pid")
  backend=$(pgrep -f "launcher-vsock.*$vm")
  if [ "$1" = cold ]; then
    monitor=$(pgrep -f "launcher run --rootfs $rootfs" | grep -v "^$client\$" | head -n 1)
  else
    monitor=$(pgrep -f "launcher spare .*$rootfs" | head -n 1)
  fi
  echo "launcher, $1: QEMU $(pss "$qemu"), monitor $(pss "$monitor") (private $(anon "$monitor")), backend $(pss "$backend"), client $(pss "$client")"
  kill "$client"; wait "$client" 2>/dev/null || true
}
if [ -n "$spare" ]; then idle warm; fi
idle cold
bare_boot >/dev/null
sleep 3
echo "bare:     QEMU $(pss "$BARE_QEMU"), backend $(pss "$BARE_BACKEND")"
bare_stop
