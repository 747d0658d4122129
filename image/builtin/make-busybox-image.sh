#!/usr/bin/env bash
# Builds the built-in default image, localhost/busybox:latest, as an OCI
# image layout directory from Debian's busybox-static: one gzip layer with
# busybox and a link per applet, a config running `sh`. Reproducible: the
# same busybox gives the same digests. `launcher load -i DIR` stores it.
# usage: make-busybox-image.sh OUTDIR
set -euo pipefail
out=${1:?usage: make-busybox-image.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$here/../../tests/integration/make-rootfs.sh" "$tmp/rootfs"
rm -rf "$tmp/rootfs"/{proc,sys,dev}
mkdir -p "$out/blobs/sha256"
# Reproducible tar: sorted names, fixed times and owners; gzip without a name or time.
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  -C "$tmp/rootfs" -cf "$tmp/layer.tar" .
diff_id=$(sha256sum "$tmp/layer.tar" | cut -d' ' -f1)
gzip -n -9 <"$tmp/layer.tar" >"$tmp/layer.tar.gz"
layer=$(sha256sum "$tmp/layer.tar.gz" | cut -d' ' -f1)
layer_size=$(stat -c %s "$tmp/layer.tar.gz")
mv "$tmp/layer.tar.gz" "$out/blobs/sha256/$layer"

version=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null || echo unknown)
printf '{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"],"Labels":{"org.opencontainers.image.description":"busybox %s from Debian busybox-static, built by launcher"}},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"launcher image/builtin/make-busybox-image.sh"}]}' \
  "$version" "$diff_id" >"$tmp/config.json"
config=$(sha256sum "$tmp/config.json" | cut -d' ' -f1)
config_size=$(stat -c %s "$tmp/config.json")
mv "$tmp/config.json" "$out/blobs/sha256/$config"

printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
  "$config" "$config_size" "$layer" "$layer_size" >"$tmp/manifest.json"
manifest=$(sha256sum "$tmp/manifest.json" | cut -d' ' -f1)
manifest_size=$(stat -c %s "$tmp/manifest.json")
mv "$tmp/manifest.json" "$out/blobs/sha256/$manifest"

printf '{"imageLayoutVersion":"1.0.0"}' >"$out/oci-layout"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"localhost/busybox:latest","org.opencontainers.image.ref.name":"latest"}}]}' \
  "$manifest" "$manifest_size" >"$out/index.json"
echo "sha256:$manifest"
