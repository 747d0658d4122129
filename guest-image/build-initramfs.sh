#!/usr/bin/env bash
# Builds the guest initramfs: an uncompressed newc cpio (the kernel unpacks
# it faster than a compressed one under TCG) holding the agent as /init and
# the directories it mounts on. The output is reproducible: entries sorted,
# owner 0:0, inode numbers renumbered, every mtime SOURCE_DATE_EPOCH (or 0).
#
# usage: build-initramfs.sh AGENT_BINARY OUTPUT
set -euo pipefail

die() { echo "build-initramfs: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: build-initramfs.sh AGENT_BINARY OUTPUT"
agent=$1
out=$2
epoch=${SOURCE_DATE_EPOCH:-0}

[ -f "$agent" ] || die "$agent: no such file"
[[ $epoch =~ ^[0-9]+$ ]] || die "SOURCE_DATE_EPOCH must be a number of seconds, not '$epoch'"

stage=$(mktemp -d "${TMPDIR:-/tmp}/initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# /dev/console comes from the kernel's built-in initramfs, so no device
# node (and no root) is needed here.
for d in dev proc run sys tmp; do
    mkdir "$stage/$d"
done
chmod 0755 "$stage"/*
# Symbols help no one inside the guest; a smaller image unpacks faster.
strip --strip-all -o "$stage/init" "$agent"
chmod 0755 "$stage/init"
find "$stage" -mindepth 1 -exec touch -h -d "@$epoch" {} +

(
    cd "$stage"
    find . -mindepth 1 -printf '%P\0' | LC_ALL=C sort -z |
        cpio --create --null --quiet --reproducible -R 0:0 -H newc
) > "$out.tmp"
mv "$out.tmp" "$out"
