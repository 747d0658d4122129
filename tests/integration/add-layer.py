#!/usr/bin/env python3
"""Adds a layer to an OCI image layout: a new image from the layout's
first manifest with one more layer (the files of DIR), named REF.

usage: add-layer.py LAYOUT DIR REF [CONFIG_JSON]

CONFIG_JSON, when given, is merged into the image config's "config" (for
example '{"ExposedPorts": {"80/tcp": {}}}').

The result is written into LAYOUT (blobs added, index.json replaced by one
naming only the new image), ready for `launcher load -i LAYOUT`.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

layout, files, ref = sys.argv[1:4]
extra = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}


def blob_path(d):
    return os.path.join(layout, "blobs", "sha256", d.split(":")[1])


def put(data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    with open(blob_path(d), "wb") as f:
        f.write(data)
    return d, len(data)


def load(d):
    with open(blob_path(d), "rb") as f:
        return json.load(f)


with open(os.path.join(layout, "index.json")) as f:
    index = json.load(f)
manifest = load(index["manifests"][0]["digest"])
config = load(manifest["config"]["digest"])

raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
    for root, dirs, names in os.walk(files):
        dirs.sort()
        for name in sorted(dirs + names):
            path = os.path.join(root, name)
            info = tar.gettarinfo(path, os.path.relpath(path, files))
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = 0
            if info.isfile():
                with open(path, "rb") as f:
                    tar.addfile(info, f)
            elif name not in names or info.isdir():
                tar.addfile(info)
layer_tar = raw.getvalue()
diff_id = "sha256:" + hashlib.sha256(layer_tar).hexdigest()
layer, layer_size = put(gzip.compress(layer_tar, mtime=0))

config["rootfs"]["diff_ids"].append(diff_id)
config.setdefault("config", {}).update(extra)
config_digest, config_size = put(json.dumps(config).encode())
manifest["config"] = dict(manifest["config"], digest=config_digest, size=config_size)
manifest["layers"].append({
    "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
    "digest": layer,
    "size": layer_size,
})
manifest_digest, manifest_size = put(json.dumps(manifest).encode())
index["manifests"] = [{
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": manifest_digest,
    "size": manifest_size,
    "platform": {"architecture": "amd64", "os": "linux"},
    "annotations": {"io.containerd.image.name": ref},
}]
with open(os.path.join(layout, "index.json"), "w") as f:
    json.dump(index, f)
