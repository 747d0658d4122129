#!/usr/bin/env bash
# Images: load (OCI layout directory and tar, docker save legacy), the
# store, `images`, and `run IMAGE` honouring the image config; bad archives
# rejected without touching anything outside the store.
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
export LAUNCHER_STORE=$WORK/store
L() { "$LAUNCHER" "$@"; }

"$here/../../image/builtin/make-busybox-image.sh" "$WORK/bb" >/dev/null
out=$(L load -i "$WORK/bb")
[ "$out" = "Loaded image: localhost/busybox:latest" ] || fail "load said: $out"
L images >"$WORK/images"
grep -Eq '^localhost/busybox +latest +[0-9a-f]{12} ' "$WORK/images" || fail "images: $(cat "$WORK/images")"
L images --format json | grep -q '"Repository": "localhost/busybox"' || fail "images --format json"
[ "$(L images -q | wc -l)" = 1 ] || fail "images -q: $(L images -q)"
pass "load an OCI layout directory; images lists it"

out=$(L run busybox echo hi) || fail "run busybox: $out"
[ "$out" = hi ] || fail "run busybox echo hi printed '$out'"
out=$(L run localhost/busybox:latest cat /etc/passwd | head -n 1)
[ "$out" = "root:x:0:0:root:/root:/bin/sh" ] || fail "cat /etc/passwd: $out"
out=$(echo 'echo from-cmd' | L run -i busybox) # the image's Cmd: sh
[ "$out" = from-cmd ] || fail "the image's Cmd did not run: '$out'"
out=$(L run --entrypoint /bin/echo busybox hi there)
[ "$out" = "hi there" ] || fail "--entrypoint: '$out'"
out=$(L run -u nobody busybox id)
case "$out" in "uid=65534(nobody) gid=65534(nogroup)"*) ;; *) fail "-u nobody: '$out'" ;; esac
rc=0; L run -u nosuch busybox true 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && grep -q "unable to find user nosuch" "$WORK/e" || fail "-u nosuch: exit $rc: $(cat "$WORK/e")"
out=$(L run -e PATH=/bin busybox sh -c 'echo $PATH')
[ "$out" = /bin ] || fail "-e PATH over the image's: '$out'"
out=$(L run busybox sh -c 'echo $PATH')
[ "$out" = /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin ] || fail "image Env: '$out'"
out=$(L run busybox sh -c 'touch /new && echo ok')
[ "$out" = ok ] || fail "the root is not writable above the image: '$out'"
pass "run IMAGE: short names, Cmd, --entrypoint, -u names, Env"

# A second image on top: config with Entrypoint, WorkingDir and User, and a
# layer that deletes a file of the first (a whiteout) and adds one.
mk_layer() { # DIR -> prints "digest size diff_id" of a gzip layer written into $WORK/l2/blobs
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$1" -cf "$WORK/layer.tar" .
  local diff; diff=$(sha256sum "$WORK/layer.tar" | cut -d' ' -f1)
  gzip -n <"$WORK/layer.tar" >"$WORK/layer.tgz"
  local d; d=$(sha256sum "$WORK/layer.tgz" | cut -d' ' -f1)
  cp "$WORK/layer.tgz" "$WORK/l2/blobs/sha256/$d"
  echo "$d $(stat -c %s "$WORK/layer.tgz") $diff"
}
cp -r "$WORK/bb" "$WORK/l2"
bbm=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"][7:])' "$WORK/bb/index.json")
mkdir -p "$WORK/top/etc" "$WORK/top/srv/app"
: >"$WORK/top/etc/.wh.group"
echo "second layer" >"$WORK/top/srv/app/hello"
# An opaque /bin: of the lower layer's hundreds of applets, only these stay.
mkdir -p "$WORK/top/bin"
cp /bin/busybox "$WORK/top/bin/busybox"
for a in sh cat id ls wc test; do ln -s busybox "$WORK/top/bin/$a"; done
: >"$WORK/top/bin/.wh..wh..opq"
read -r d2 s2 diff2 < <(mk_layer "$WORK/top")
python3 - "$WORK/l2" "$bbm" "$d2" "$s2" "$diff2" <<'EOF'
import hashlib, json, os, sys
root, bbm, d2, s2, diff2 = sys.argv[1:]
blob = lambda d: os.path.join(root, "blobs/sha256", d)
def put(obj):
    data = json.dumps(obj).encode()
    d = hashlib.sha256(data).hexdigest()
    open(blob(d), "wb").write(data)
    return d, len(data)
m = json.load(open(blob(bbm)))
cfg = json.load(open(blob(m["config"]["digest"][7:])))
cfg["config"].update({"Entrypoint": ["/bin/sh", "-c"], "Cmd": ["echo $(pwd) $(id -u) $(cat hello)"],
                      "WorkingDir": "/srv/app", "User": "nobody", "Env": ["PATH=/bin", "GREETING=hi"]})
cfg["rootfs"]["diff_ids"].append("sha256:" + diff2)
cd, cs = put(cfg)
m["config"].update({"digest": "sha256:" + cd, "size": cs})
m["layers"].append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + d2, "size": int(s2)})
md, ms = put(m)
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
           "digest": "sha256:" + md, "size": ms,
           "annotations": {"org.opencontainers.image.ref.name": "example.com/team/app:v2"}}]},
          open(os.path.join(root, "index.json"), "w"))
EOF
out=$(tar -C "$WORK/l2" -cf - . | L load) # a tar of the layout, on stdin
[ "$out" = "Loaded image: example.com/team/app:v2" ] || fail "load from stdin said: $out"
out=$(L run example.com/team/app:v2)
[ "$out" = "/srv/app 65534 second layer" ] || fail "Entrypoint+Cmd, WorkingDir, User: '$out'"
L run example.com/team/app:v2 'test -e /etc/group && echo still there || echo gone' >"$WORK/o"
[ "$(cat "$WORK/o")" = gone ] || fail "the whiteout did not delete /etc/group: $(cat "$WORK/o")"
out=$(L run example.com/team/app:v2 'echo $GREETING')
[ "$out" = hi ] || fail "image Env: '$out'"
out=$(L run example.com/team/app:v2 'ls /bin | wc -l; test -e /bin/vi || echo vi hidden')
[ "$out" = "$(printf '7\nvi hidden')" ] || fail "the opaque /bin: '$out'"
pass "a two-layer image: whiteout, opaque dir, Entrypoint + Cmd, WorkingDir, User, Env"

# A layer declaring a 4 GiB sparse file with almost no data: refused by
# name before the disk build would read and write all of it.
mkdir -p "$WORK/sparse"
truncate -s 4G "$WORK/sparse/bomb"
tar --sparse --format=pax -C "$WORK/sparse" -cf "$WORK/sparse.tar" bomb
rm -f "$WORK/sparse/bomb"
cp -r "$WORK/bb" "$WORK/l3"
python3 - "$WORK/l3" "$bbm" "$WORK/sparse.tar" <<'EOF'
import hashlib, json, os, sys
root, bbm, layer = sys.argv[1:]
blob = lambda d: os.path.join(root, "blobs/sha256", d)
def put(data):
    d = hashlib.sha256(data).hexdigest()
    open(blob(d), "wb").write(data)
    return d, len(data)
raw = open(layer, "rb").read()
ld, ls = put(raw)
m = json.load(open(blob(bbm)))
cfg = json.load(open(blob(m["config"]["digest"][7:])))
cfg["rootfs"]["diff_ids"].append("sha256:" + ld)
cd, cs = put(json.dumps(cfg).encode())
m["config"].update({"digest": "sha256:" + cd, "size": cs})
m["layers"].append({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + ld, "size": ls})
md, ms = put(json.dumps(m).encode())
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
           "digest": "sha256:" + md, "size": ms,
           "annotations": {"io.containerd.image.name": "localhost/sparse:1"}}]},
          open(os.path.join(root, "index.json"), "w"))
EOF
L load -q -i "$WORK/l3" >/dev/null
rc=0; L run localhost/sparse:1 true 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && grep -q 'layer entry "bomb": a sparse file of 4294967296 bytes' "$WORK/e" ||
  fail "sparse bomb: exit $rc: $(cat "$WORK/e")"
ls "$LAUNCHER_STORE"/rootfs | grep -q . && [ -z "$(ls "$LAUNCHER_STORE/tmp")" ] || fail "the refused build left files: $(ls -R "$LAUNCHER_STORE/tmp")"
pass "a layer with a 4 GiB sparse file is refused by name, nothing left"

# docker save, legacy layout: manifest.json, config file, uncompressed layer tars.
mkdir -p "$WORK/ds/layer1"
bbcfg=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["config"]["digest"][7:])' "$WORK/bb/blobs/sha256/$bbm")
cp "$WORK/bb/blobs/sha256/$bbcfg" "$WORK/ds/$bbcfg.json"
bblayer=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["layers"][0]["digest"][7:])' "$WORK/bb/blobs/sha256/$bbm")
gzip -dc "$WORK/bb/blobs/sha256/$bblayer" >"$WORK/ds/layer1/layer.tar"
printf '[{"Config":"%s.json","RepoTags":["mybox:1.0"],"Layers":["layer1/layer.tar"]}]' "$bbcfg" >"$WORK/ds/manifest.json"
tar -C "$WORK/ds" -cf "$WORK/ds.tar" .
out=$(L load -i "$WORK/ds.tar")
[ "$out" = "Loaded image: mybox:1.0" ] || fail "docker save load said: $out"
out=$(L run mybox:1.0 echo legacy)
[ "$out" = legacy ] || fail "run of the docker-save image: '$out'"
pass "load a docker save (legacy) archive and run it"

# Bad input: a clear error, exit 125, nothing outside the store touched.
noid=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef # an ID: never pulled
rc=0; L run $noid true 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && grep -q "image \"$noid\" not found in the local store" "$WORK/e" || fail "unknown image: exit $rc: $(cat "$WORK/e")"
head -c 4096 /dev/urandom >"$WORK/garbage"
rc=0; L load -i "$WORK/garbage" 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && [ -s "$WORK/e" ] || fail "garbage archive: exit $rc"
python3 - "$WORK/evil.tar" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    data = b"pwned"
    i = tarfile.TarInfo("../../escaped-by-launcher-test"); i.size = len(data)
    t.addfile(i, io.BytesIO(data))
EOF
rc=0; L load -i "$WORK/evil.tar" 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && grep -q 'not a plain relative path' "$WORK/e" || fail "../ entry: exit $rc: $(cat "$WORK/e")"
[ ! -e "$WORK/store/escaped-by-launcher-test" ] && [ ! -e "$WORK/escaped-by-launcher-test" ] && [ ! -e /escaped-by-launcher-test ] || fail "an archive entry escaped"
cp -r "$WORK/bb" "$WORK/bad"
f=$(ls "$WORK/bad/blobs/sha256" | head -n 1)
chmod u+w "$WORK/bad/blobs/sha256/$f"; printf x >>"$WORK/bad/blobs/sha256/$f"
rm -rf "$WORK/store2"
rc=0; LAUNCHER_STORE=$WORK/store2 L load -i "$WORK/bad" 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && grep -Eq 'digest mismatch|bytes, expected' "$WORK/e" || fail "corrupt blob: exit $rc: $(cat "$WORK/e")"
LAUNCHER_STORE=$WORK/store2 L images -q | grep -q . && fail "a corrupt archive left an image"
cp -r "$WORK/bb" "$WORK/missing"
rm -f "$WORK/missing/blobs/sha256/$bblayer"
rm -rf "$WORK/store3"
rc=0; LAUNCHER_STORE=$WORK/store3 L load -i "$WORK/missing" 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && grep -q "blobs/sha256/$bblayer" "$WORK/e" || fail "a manifest pointing at a missing blob: exit $rc: $(cat "$WORK/e")"
[ -z "$(LAUNCHER_STORE=$WORK/store3 L images -q)" ] || fail "a layout with a missing blob left an image"
pass "bad archives and unknown images: exit 125, a message, nothing stored"

# A running container holds its image: rmi refuses without -f.
"$LAUNCHER" run busybox sh -c 'echo ready; sleep 5' >"$WORK/held" 2>&1 &
pid=$!
for _ in $(seq 1 300); do grep -q ready "$WORK/held" && break; sleep 0.1; done
grep -q ready "$WORK/held" || fail "container did not start: $(cat "$WORK/held")"
rc=0; L rmi localhost/busybox:latest 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && grep -Eq "container ([0-9a-f]{12} )?is using its referenced image" "$WORK/e" || fail "rmi of a running container's image: exit $rc: $(cat "$WORK/e")"
wait $pid || fail "the container holding its image: $(cat "$WORK/held")"
# Exited containers still name it (as in Docker): gone with them, rmi works.
expect_exit 125 L rmi localhost/busybox:latest
L container prune -f >/dev/null
L rmi localhost/busybox:latest >"$WORK/o" 2>&1 || fail "rmi after the container: $(cat "$WORK/o")"
grep -q "Untagged: localhost/busybox:latest" "$WORK/o" || fail "rmi said: $(cat "$WORK/o")"
pass "a running container's image is in use for rmi"
