#!/usr/bin/env bash
# Builds a minimal root filesystem from Debian's busybox-static: the
# busybox binary, a link per applet, and the usual empty directories.
# usage: make-rootfs.sh DIR
set -euo pipefail
dir=${1:?usage: make-rootfs.sh DIR}
mkdir -p "$dir"/{bin,etc,tmp,proc,sys,dev,root,home,var}
cp /bin/busybox "$dir/bin/busybox"
for applet in $("$dir/bin/busybox" --list); do
  [ -e "$dir/bin/$applet" ] || ln -s busybox "$dir/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$dir/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
chmod 1777 "$dir/tmp"
chmod -R a+rX "$dir"
