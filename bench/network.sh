#!/usr/bin/env bash
# Network throughput: MiB from the host into a container through a
# published port (the user-mode NAT, QEMU's slirp), beside the same bytes
# through `launcher exec -i` (the vsock stdio path). Both into `wc -c` in
# the same running container; each timed on the host from the first byte
# sent to the container's count written.
#
# usage: bench/network.sh [MIB] [RUNS] [BUILD_DIR]   (as root, libvirtd running)
set -euo pipefail
mib=${1:-64}
runs=${2:-3}
build=$(cd "${3:-build}" && pwd)
launcher=$build/launcher/launcher
tmp=$(mktemp -d /tmp/launcher-bench.XXXXXX)
chmod 755 "$tmp"
export LAUNCHER_RUN_ROOT=$tmp/run LAUNCHER_STORE=$tmp/store LAUNCHER_WARM_SECONDS=0
cleanup() {
  "$launcher" rm -f bench-net >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
. "$(dirname "$0")/bare-qemu.sh" # median
"$(dirname "$0")/../image/builtin/make-busybox-image.sh" "$tmp/img" >/dev/null
"$launcher" load -q -i "$tmp/img" >/dev/null
port=18500
"$launcher" run -d --name bench-net -p 127.0.0.1:$port:5001 localhost/busybox \
  sh -c 'while :; do nc -l -p 5001 | wc -c > /tmp/n.new; mv /tmp/n.new /tmp/n; done' >/dev/null
sleep 2
bytes=$((mib * 1024 * 1024))
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

: >"$tmp/nat"
: >"$tmp/vsock"
for r in $(seq 1 "$runs"); do
  "$launcher" exec bench-net rm -f /tmp/n
  t0=$(date +%s%N)
  head -c "$bytes" /dev/zero >"/dev/tcp/127.0.0.1/$port"
  until n=$("$launcher" exec bench-net cat /tmp/n 2>/dev/null); do sleep 0.05; done
  t=$(ms "$t0")
  [ "$n" = "$bytes" ] || { echo "NAT: $n bytes arrived, not $bytes" >&2; exit 1; }
  echo "$t" >>"$tmp/nat"
  t0=$(date +%s%N)
  n=$(head -c "$bytes" /dev/zero | "$launcher" exec -i bench-net wc -c)
  t=$(ms "$t0")
  [ "$n" = "$bytes" ] || { echo "vsock: $n bytes arrived, not $bytes" >&2; exit 1; }
  echo "$t" >>"$tmp/vsock"
done
mbs() { awk -v b="$bytes" '{ printf "%.1f ", b / 1048576 / ($1 / 1000) }' "$1"; }
n=$(median <"$tmp/nat"); v=$(median <"$tmp/vsock")
echo "## $mib MiB host -> container, $runs runs"
echo "published port (NAT): $(tr '\n' ' ' <"$tmp/nat")ms -> $(mbs "$tmp/nat")MiB/s, median $n ms"
echo "exec -i stdin (vsock): $(tr '\n' ' ' <"$tmp/vsock")ms -> $(mbs "$tmp/vsock")MiB/s, median $v ms"
awk -v n="$n" -v v="$v" -v b="$bytes" 'BEGIN { printf "median MiB/s: NAT %.1f, vsock %.1f; ratio NAT/vsock %.2f\n", b / 1048576 / (n / 1000), b / 1048576 / (v / 1000), v / n }'
