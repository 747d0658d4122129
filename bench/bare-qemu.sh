# Sourced by the benchmarks: the same guest as launcher's VM, booted by bare
# qemu-system-x86_64 (no libvirt), with the same launcher-vsock backend.
# Needs: $build (build dir), $tmp (scratch dir), $cmdline (kernel command line).

# bare_boot: starts backend + QEMU in the background (BARE_QEMU, BARE_BACKEND
# hold their pids) and returns once the agent answers; prints the ms taken.
bare_boot() {
  local t0 t1
  rm -f "$tmp"/*.sock
  t0=$(date +%s%N)
  "$build/hypervisor/vsock-backend/launcher-vsock" --vhost-socket "$tmp/vhost.sock" \
    --uds "$tmp/vsock.sock" --guest-cid 3 2>>"$tmp/backend.log" &
  BARE_BACKEND=$!
  while [ ! -S "$tmp/vhost.sock" ]; do sleep 0.001; done
  qemu-system-x86_64 -name bench -machine q35,memory-backend=mem0 -cpu max \
    -accel tcg,tb-size=32 -m 256M -object memory-backend-memfd,id=mem0,size=256M,share=on \
    -smp 1 -bios /usr/share/qemu/qboot.rom -kernel "$build/guest-image/vmlinux" \
    -initrd "$build/guest-image/initramfs.cpio" \
    -append "$cmdline" -nographic -nodefaults -no-user-config -serial "file:$tmp/console.log" \
    -no-reboot -chardev "socket,id=vsock0,path=$tmp/vhost.sock" \
    -device vhost-user-vsock-pci,chardev=vsock0,bus=pcie.0,addr=0x10 \
    -object rng-random,id=rng0,filename=/dev/urandom -device virtio-rng-pci,rng=rng0,bus=pcie.0,addr=0x11 &
  BARE_QEMU=$!
  "$build/launcher/launcher" diag wait-uds "$tmp/vsock.sock" >/dev/null
  t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000000 ))
}

bare_stop() {
  kill -9 "$BARE_QEMU" 2>/dev/null; wait "$BARE_QEMU" 2>/dev/null || true
  wait "$BARE_BACKEND" 2>/dev/null || true
}

# The exact kernel command line launcher uses: from the QEMU command line
# libvirt logged for a launcher check.
launcher_cmdline() {
  local vm
  vm=$("$build/launcher/launcher" check | sed -n 's/^vm: *\(launcher-[0-9a-f]*\).*/\1/p')
  sed -n "s/^-append '\(.*\)' \\\\$/\1/p" "/var/log/libvirt/qemu/$vm.log" | tail -n 1
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
