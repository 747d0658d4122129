#!/usr/bin/env bash
# Image figures (docs/PERFORMANCE.md):
#  1. import of a ~200 MB, 5-layer image: `launcher load` of an OCI layout,
#     then its one-time root filesystem build (the first run), beside
#     `skopeo copy` + `umoci unpack` of the same layout in the same run;
#  2. `launcher run IMAGE true` (erofs disk) against `launcher run --rootfs
#     DIR true` (9p) for the same busybox tree, cold and warm, alternating.
#
# usage: bench/image.sh [RUNS] [BUILD_DIR]   (as root, libvirtd running;
#        needs skopeo and umoci for the baseline)
set -euo pipefail
runs=${1:-5}
build=$(cd "${2:-build}" && pwd)
launcher=$build/launcher/launcher
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/launcher-bench.XXXXXX)
chmod 755 "$tmp" # QEMU's user reaches the VM sockets and disks below it
trap 'rm -rf "$tmp"' EXIT
export LAUNCHER_RUN_ROOT=$tmp/run LAUNCHER_STORE=$tmp/store
. "$here/bare-qemu.sh" # median
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

echo "## a 5-layer image from this host's /usr/lib: an OCI layout, gzip layers"
python3 - "$tmp/big" <<'EOF'
import gzip, hashlib, io, json, os, sys, tarfile
out = sys.argv[1]
os.makedirs(out + "/blobs/sha256")
files = []
for d, _, names in os.walk("/usr/lib/x86_64-linux-gnu"):
    for n in sorted(names):
        p = os.path.join(d, n)
        if os.path.isfile(p) and not os.path.islink(p):
            files.append(p)
files.sort()
def blob(data):
    h = hashlib.sha256(data).hexdigest()
    open(f"{out}/blobs/sha256/{h}", "wb").write(data)
    return h
layers, diffs, total, i = [], [], 0, 0
for n in range(5):
    buf, size = io.BytesIO(), 0
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        while i < len(files) and size < 40 << 20:
            info = t.gettarinfo(files[i], arcname=f"layer{n}" + files[i])
            info.mtime = 0
            with open(files[i], "rb") as f:
                t.addfile(info, f)
            size += info.size
            i += 1
    raw = buf.getvalue()
    total += len(raw)
    diffs.append("sha256:" + hashlib.sha256(raw).hexdigest())
    gz = gzip.compress(raw, 6, mtime=0)
    layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                   "digest": "sha256:" + blob(gz), "size": len(gz)})
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/true"]},
                  "rootfs": {"type": "layers", "diff_ids": diffs}}).encode()
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                             "digest": "sha256:" + blob(cfg), "size": len(cfg)},
                  "layers": layers}).encode()
md = blob(man)
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
           "digest": "sha256:" + md, "size": len(man),
           "annotations": {"org.opencontainers.image.ref.name": "big:1"}}]},
          open(out + "/index.json", "w"))
open(out + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
print(f"uncompressed {total / 1e6:.0f} MB, compressed {sum(l['size'] for l in layers) / 1e6:.0f} MB")
EOF
unc=$(du -sb "$tmp/big/blobs" | cut -f1)
echo "## import (load + the first run's root filesystem build) vs skopeo copy + umoci unpack"
: >"$tmp/load"; : >"$tmp/disk"; : >"$tmp/umoci"
for i in $(seq 1 3); do
  rm -rf "$LAUNCHER_STORE" "$tmp/oci" "$tmp/bundle"
  t=$(date +%s%N); "$launcher" load -q -i "$tmp/big"; ms "$t" >>"$tmp/load"
  # The first run builds the root filesystem disk, the second finds it: the
  # difference is the build. (The image has no /bin/true: both runs boot a
  # VM and fail to start the command, the same work apart from the build.)
  t=$(date +%s%N); LAUNCHER_WARM_SECONDS=0 "$launcher" run big:1 /nonexistent 2>/dev/null || true
  first=$(ms "$t")
  t=$(date +%s%N); LAUNCHER_WARM_SECONDS=0 "$launcher" run big:1 /nonexistent 2>/dev/null || true
  echo $((first - $(ms "$t"))) >>"$tmp/disk"
  t=$(date +%s%N)
  skopeo copy -q "oci:$tmp/big:big:1" "oci:$tmp/oci:big" >/dev/null
  umoci unpack --image "$tmp/oci:big" "$tmp/bundle" >/dev/null 2>&1
  ms "$t" >>"$tmp/umoci"
done
l=$(median <"$tmp/load"); d=$(median <"$tmp/disk"); u=$(median <"$tmp/umoci")
echo "layout: $(du -sh "$tmp/big/blobs" | cut -f1) of blobs"
echo "launcher load:                $(tr '\n' ' ' <"$tmp/load")-> median $l ms"
echo "rootfs build (1st - 2nd run):  $(tr '\n' ' ' <"$tmp/disk")-> median $d ms"
echo "skopeo copy + umoci unpack:   $(tr '\n' ' ' <"$tmp/umoci")-> median $u ms"
awk -v l="$l" -v d="$d" -v u="$u" -v b="$unc" 'BEGIN {
  printf "load %.0f MB/s of blobs; load + build %.1f s vs skopeo + umoci %.1f s: ratio %.2f\n",
    b / 1e6 / (l / 1000), (l + d) / 1000, u / 1000, (l + d) / u }'

echo "## pull of the same image from a local registry (docker-registry on 127.0.0.1, plain HTTP)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: "127.0.0.1:%s"}\n' \
  "$tmp/registry" "$port" >"$tmp/registry.yml"
/usr/bin/docker-registry serve "$tmp/registry.yml" >/dev/null 2>&1 &
registry=$!
trap 'kill $registry 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
skopeo copy -q --dest-tls-verify=false "oci:$tmp/big:big:1" "docker://127.0.0.1:$port/bench/big:1"
export LAUNCHER_INSECURE_REGISTRIES=127.0.0.1:$port
: >"$tmp/pull"; : >"$tmp/skopeo"
for i in $(seq 1 3); do
  rm -rf "$LAUNCHER_STORE" "$tmp/oci2"
  t=$(date +%s%N); "$launcher" pull -q "127.0.0.1:$port/bench/big:1" >/dev/null; ms "$t" >>"$tmp/pull"
  t=$(date +%s%N)
  skopeo copy -q --src-tls-verify=false "docker://127.0.0.1:$port/bench/big:1" "oci:$tmp/oci2:big" >/dev/null
  ms "$t" >>"$tmp/skopeo"
done
p=$(median <"$tmp/pull"); k=$(median <"$tmp/skopeo")
echo "launcher pull:      $(tr '\n' ' ' <"$tmp/pull")-> median $p ms"
echo "skopeo copy (pull): $(tr '\n' ' ' <"$tmp/skopeo")-> median $k ms"
awk -v p="$p" -v k="$k" -v b="$unc" 'BEGIN {
  printf "pull %.0f MB/s of blobs; ratio launcher / skopeo %.2f\n", b / 1e6 / (p / 1000), p / k }'

echo "## run IMAGE true (erofs disk) vs run --rootfs DIR true (9p), $runs runs each, alternating"
"$here/../image/builtin/make-busybox-image.sh" "$tmp/bb" >/dev/null
"$launcher" load -q -i "$tmp/bb"
"$here/../tests/integration/make-rootfs.sh" "$tmp/rootfs"
"$launcher" run busybox true # builds the disk once
: >"$tmp/ci"; : >"$tmp/cr"; : >"$tmp/wi"; : >"$tmp/wr"
timed() { local t; t=$(date +%s%N); "$@" >/dev/null; ms "$t"; }
"$launcher" run busybox true; "$launcher" run --rootfs "$tmp/rootfs" true # spares for both
sleep 2
for i in $(seq 1 "$runs"); do
  LAUNCHER_WARM_SECONDS=0 timed "$launcher" run busybox true >>"$tmp/ci"
  LAUNCHER_WARM_SECONDS=0 timed "$launcher" run --rootfs "$tmp/rootfs" true >>"$tmp/cr"
  timed "$launcher" run busybox true >>"$tmp/wi"
  sleep 2
  timed "$launcher" run --rootfs "$tmp/rootfs" true >>"$tmp/wr"
  sleep 2
done
for k in ci cr wi wr; do eval "$k=\$(median <\"\$tmp/$k\")"; done
echo "cold: image $(tr '\n' ' ' <"$tmp/ci")-> $ci; rootfs $(tr '\n' ' ' <"$tmp/cr")-> $cr"
echo "warm: image $(tr '\n' ' ' <"$tmp/wi")-> $wi; rootfs $(tr '\n' ' ' <"$tmp/wr")-> $wr"
awk -v a="$ci" -v b="$cr" -v c="$wi" -v d="$wr" 'BEGIN {
  printf "ratio image/rootfs: cold %.2f, warm %.2f\n", a / b, c / d }'
