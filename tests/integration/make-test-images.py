#!/usr/bin/env python3
"""From the built-in busybox OCI layout, the layouts the pull test pushes.

usage: make-test-images.py BUSYBOX_LAYOUT MULTI_OUT ZSTD_LAYER ZSTD_OUT

MULTI_OUT: an OCI layout whose index.json names (ref "multi") an image index
of the busybox manifest as linux/amd64 and a fake linux/arm64 image.
ZSTD_OUT (ref "zstd"): busybox with its layer as tar+zstd, the layer given
as ZSTD_LAYER (made with the zstd CLI from the uncompressed tar).
"""
import hashlib
import json
import os
import shutil
import sys

src, multi, zstd_layer, zstd_out = sys.argv[1:]


def blob(root, d):
    return os.path.join(root, "blobs", "sha256", d.split(":")[1])


def put(root, data):
    if not isinstance(data, bytes):
        data = json.dumps(data).encode()
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    with open(blob(root, d), "wb") as f:
        f.write(data)
    return d, len(data)


def layout(root, desc, ref):
    with open(os.path.join(root, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    desc = dict(desc, annotations={"org.opencontainers.image.ref.name": ref})
    with open(os.path.join(root, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [desc]}, f)


bb_desc = json.load(open(os.path.join(src, "index.json")))["manifests"][0]
manifest = json.load(open(blob(src, bb_desc["digest"])))
config = json.load(open(blob(src, manifest["config"]["digest"])))

for out in (multi, zstd_out):
    shutil.copytree(src, out)

arm = dict(config, architecture="arm64")
cd, cs = put(multi, arm)
arm_manifest = dict(manifest, config=dict(manifest["config"], digest=cd, size=cs))
md, ms = put(multi, arm_manifest)
mt = "application/vnd.oci.image.manifest.v1+json"
index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
         "manifests": [
             {"mediaType": mt, "digest": md, "size": ms,
              "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
             {"mediaType": mt, "digest": bb_desc["digest"], "size": bb_desc["size"],
              "platform": {"os": "linux", "architecture": "amd64"}}]}
xd, xs = put(multi, index)
layout(multi, {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": xd, "size": xs},
       "multi")

ld, ls = put(zstd_out, open(zstd_layer, "rb").read())
zm = dict(manifest, layers=[{"mediaType": "application/vnd.oci.image.layer.v1.tar+zstd",
                             "digest": ld, "size": ls}])
zd, zs = put(zstd_out, zm)
layout(zstd_out, {"mediaType": mt, "digest": zd, "size": zs}, "zstd")
print(bb_desc["digest"], md, xd, zd)
