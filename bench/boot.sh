#!/usr/bin/env bash
# Boot to agent reachable: `launcher check` against bare qemu-system-x86_64
# booting the same kernel and initramfs with the same devices, side by side
# in one run (alternating, so machine noise hits both alike).
#
# usage: bench/boot.sh [RUNS] [BUILD_DIR]   (as root, libvirtd running)
set -euo pipefail
runs=${1:-7}
build=$(cd "${2:-build}" && pwd)
launcher=$build/launcher/launcher
backend=$build/hypervisor/vsock-backend/launcher-vsock
kernel=$build/guest-image/vmlinux
initrd=$build/guest-image/initramfs.cpio
# The exact kernel command line launcher uses: from the QEMU command line
# libvirt logged for a first launcher run.
vm=$("$launcher" check | sed -n 's/^vm: *\(launcher-[0-9a-f]*\).*/\1/p')
cmdline=$(sed -n "s/^-append '\(.*\)' \\\\\$/\1/p" "/var/log/libvirt/qemu/$vm.log" | tail -n 1)
[ -n "$cmdline" ] || { echo "boot.sh: no kernel command line in /var/log/libvirt/qemu/$vm.log" >&2; exit 1; }
echo "kernel command line: $cmdline"

tmp=$(mktemp -d /tmp/launcher-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

ms_now() { echo $(( $(date +%s%N) / 1000000 )); }

bare_once() {
  local t0 t1 qpid bpid
  rm -f "$tmp"/*.sock
  t0=$(ms_now)
  "$backend" --vhost-socket "$tmp/vhost.sock" --uds "$tmp/vsock.sock" --guest-cid 3 \
    2>>"$tmp/backend.log" &
  bpid=$!
  while [ ! -S "$tmp/vhost.sock" ]; do sleep 0.001; done
  qemu-system-x86_64 -name bench -machine q35,memory-backend=mem0 -cpu max \
    -accel tcg,tb-size=32 -m 256M -object memory-backend-memfd,id=mem0,size=256M,share=on \
    -smp 1 -bios /usr/share/qemu/qboot.rom -kernel "$kernel" -initrd "$initrd" \
    -append "$cmdline" -nographic -nodefaults -no-user-config -serial "file:$tmp/console.log" \
    -no-reboot -chardev "socket,id=vsock0,path=$tmp/vhost.sock" \
    -device vhost-user-vsock-pci,chardev=vsock0,bus=pcie.0,addr=0x10 \
    -object rng-random,id=rng0,filename=/dev/urandom -device virtio-rng-pci,rng=rng0,bus=pcie.0,addr=0x11 &
  qpid=$!
  "$launcher" diag wait-uds "$tmp/vsock.sock" >/dev/null
  t1=$(ms_now)
  kill -9 "$qpid"; wait "$qpid" 2>/dev/null || true
  wait "$bpid" 2>/dev/null || true
  echo $((t1 - t0))
}

launcher_once() {
  "$launcher" check | sed -n 's/.*agent reachable \([0-9]*\) ms.*/\1/p'
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

: >"$tmp/bare"; : >"$tmp/launcher"
for i in $(seq 1 "$runs"); do
  bare_once >>"$tmp/bare"
  launcher_once >>"$tmp/launcher"
done
b=$(median <"$tmp/bare"); l=$(median <"$tmp/launcher")
echo "runs: $runs"
echo "bare QEMU, start to agent reachable (ms): $(tr '\n' ' ' <"$tmp/bare")-> median $b"
echo "launcher check, start to agent reachable (ms): $(tr '\n' ' ' <"$tmp/launcher")-> median $l"
awk -v l="$l" -v b="$b" 'BEGIN { printf "ratio launcher/bare: %.2f\n", l / b }'
