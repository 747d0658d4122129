#!/usr/bin/env bash
# Builds the guest kernel (an uncompressed PVH vmlinux) from Debian's
# linux-source-6.1 with tinyconfig + kernel.config, and copies it to OUT.
#
# The build is cached outside the checkout, keyed by the hash of everything
# that goes into it (source package version, config fragment, this script,
# compiler version), so a second build of the same inputs takes seconds.
#
# usage: build-kernel.sh OUT_VMLINUX
set -euo pipefail

out=${1:?usage: build-kernel.sh OUT_VMLINUX}
here=$(cd "$(dirname "$0")" && pwd)
fragment=$here/kernel.config
tarball=/usr/src/linux-source-6.1.tar.xz
cache_root=${LAUNCHER_CACHE_DIR:-/var/cache/launcher}

die() { echo "build-kernel: $*" >&2; exit 1; }

[ -r "$tarball" ] || die "$tarball is missing; install it with 'apt-get install linux-source-6.1'"
src_version=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) ||
    die "cannot read the version of linux-source-6.1; is it installed?"

key=$( { echo "linux-source-6.1 $src_version"; cat "$fragment" "$0"; gcc --version | head -n1; } |
       sha256sum | cut -c1-16)
cache=$cache_root/kernel-$key
mkdir -p "$cache_root"

exec 9>"$cache_root/kernel.lock"
flock 9

if [ ! -s "$cache/vmlinux" ]; then
    echo "build-kernel: building guest kernel $key (a few minutes on 2 cores)" >&2
    work=$(mktemp -d "$cache_root/kernel-build.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    tar -xf "$tarball" -C "$work"
    ksrc=$(echo "$work"/linux-source-*)
    jobs=$(nproc)
    (
        cd "$ksrc"
        make -s ARCH=x86_64 tinyconfig
        ./scripts/kconfig/merge_config.sh -m -O . .config "$fragment" >/dev/null
        make -s ARCH=x86_64 olddefconfig
        # merge_config + olddefconfig drop an option whose dependency is off
        # without a word: check that every requested value made it.
        missing=0
        while IFS= read -r line; do
            case "$line" in
                CONFIG_*=*)
                    grep -qxF "$line" .config || { echo "build-kernel: $line did not survive olddefconfig" >&2; missing=1; } ;;
                "# CONFIG_"*" is not set")
                    opt=${line#\# }; opt=${opt%% *}
                    if grep -q "^$opt=" .config; then echo "build-kernel: $opt is set but must not be" >&2; missing=1; fi ;;
            esac
        done < "$fragment"
        [ "$missing" = 0 ] || exit 1
        make -s ARCH=x86_64 -j"$jobs" vmlinux
    ) > "$work/build.log" 2>&1 || { tail -n 40 "$work/build.log" >&2; die "kernel build failed (log above)"; }
    mkdir -p "$cache.tmp"
    cp "$ksrc/vmlinux" "$cache.tmp/vmlinux"
    strip --strip-debug "$cache.tmp/vmlinux" 2>/dev/null || true
    cp "$ksrc/.config" "$cache.tmp/config"
    rm -rf "$cache"
    mv "$cache.tmp" "$cache"
fi

mkdir -p "$(dirname "$out")"
cp "$cache/vmlinux" "$out.tmp"
mv "$out.tmp" "$out"
echo "build-kernel: $out (cache $cache)" >&2
