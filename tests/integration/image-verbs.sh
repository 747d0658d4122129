#!/usr/bin/env bash
# The image verbs: tag, rmi (untag, delete, conflicts), image inspect, save
# (a round trip through a second store, then a run from it), image prune,
# and an image in use by a container (a shared flock on its disk) kept.
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
export LAUNCHER_STORE=$WORK/store
L() { "$LAUNCHER" "$@"; }
S2() { LAUNCHER_STORE=$WORK/store2 "$LAUNCHER" "$@"; }
S3() { LAUNCHER_STORE=$WORK/store3 "$LAUNCHER" "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
nblobs() { find "$1/blobs/sha256" -type f | wc -l; }

"$here/../../image/builtin/make-busybox-image.sh" "$WORK/bb" >/dev/null
L load -i "$WORK/bb" >/dev/null
id=$(L image inspect busybox | json 'd[0]["Id"]')
manifest=$(L image inspect busybox | json 'd[0]["Launcher"]["Manifest"]')
short=${id:7:12}

L tag busybox mybox:1.0
L images >"$WORK/images"
grep -Eq "^localhost/busybox +latest +$short " "$WORK/images" &&
  grep -Eq "^mybox +1.0 +$short " "$WORK/images" || fail "images after tag: $(cat "$WORK/images")"
L image ls | grep -Eq "^mybox +1.0 +$short " || fail "image ls"
out=$(L rmi mybox:1.0)
[ "$out" = "Untagged: mybox:1.0" ] || fail "rmi of one name said: $out"
L images | grep -q '^mybox ' && fail "mybox:1.0 still listed"
[ "$(nblobs "$WORK/store")" = 3 ] || fail "untagging one of two names removed blobs"
pass "tag, images lists both names, rmi of one name untags it"

L tag busybox example.com/team/box:2
expect_exit 125 L rmi "$short"
grep -q "conflict: unable to delete $short (must be forced) - image is referenced in multiple repositories" "$WORK/out" ||
  fail "rmi by ID: $(cat "$WORK/out")"
L images -q | grep -q "$short" || fail "the refused rmi removed the image"
expect_exit 1 L rmi nosuch
grep -q "Error: No such image: nosuch" "$WORK/out" || fail "rmi nosuch: $(cat "$WORK/out")"
expect_exit 125 L tag busybox 'Bad:Name!'
grep -q "invalid reference format" "$WORK/out" || fail "tag to a bad name: $(cat "$WORK/out")"
expect_exit 125 L tag busybox "box@sha256:$(printf '%064d' 0)"
grep -q "refusing to create a tag with a digest reference" "$WORK/out" || fail "tag to a digest: $(cat "$WORK/out")"
expect_exit 1 L tag nosuch x
grep -q "No such image: nosuch" "$WORK/out" || fail "tag nosuch: $(cat "$WORK/out")"
pass "rmi by ID of an image in two repositories needs -f; bad names and unknown images"

L image inspect busybox >"$WORK/inspect"
python3 - "$WORK/inspect" "$id" "$manifest" <<'PY' || fail "image inspect: $(cat "$WORK/inspect")"
import json, sys
d = json.load(open(sys.argv[1])); ident, manifest = sys.argv[2:]
assert len(d) == 1, d
i = d[0]
assert i["Id"] == ident
assert i["RepoTags"] == ["localhost/busybox:latest", "example.com/team/box:2"], i["RepoTags"]
assert "localhost/busybox@" + manifest in i["RepoDigests"], i["RepoDigests"]
assert i["Os"] == "linux" and i["Architecture"] == "amd64"
assert i["Created"] == "1970-01-01T00:00:00Z"
assert i["Size"] > 100000
assert i["Config"]["Cmd"] == ["sh"] and i["Config"]["Entrypoint"] is None
assert any(e.startswith("PATH=") for e in i["Config"]["Env"])
assert i["RootFS"]["Type"] == "layers" and len(i["RootFS"]["Layers"]) == 1
assert i["Launcher"]["Manifest"] == manifest
PY
expect_exit 1 L image inspect nosuch
grep -q "Error: No such image: nosuch" "$WORK/out" && grep -qx '\[\]' "$WORK/out" || fail "inspect nosuch: $(cat "$WORK/out")"
L image --help >"$WORK/help"
for v in inspect load ls prune rm save tag; do
  grep -Eq "^  $v +[A-Z]" "$WORK/help" || fail "image --help does not list $v: $(cat "$WORK/help")"
done
pass "image inspect: Docker's fields; not found exits 1; image --help"

L save -o "$WORK/s.tar" busybox example.com/team/box:2
tar -tf "$WORK/s.tar" >"$WORK/list"
for f in oci-layout index.json manifest.json "blobs/sha256/${manifest#sha256:}" "blobs/sha256/${id#sha256:}"; do
  grep -qx "$f" "$WORK/list" || fail "$f not in the saved tar: $(cat "$WORK/list")"
done
tar -xOf "$WORK/s.tar" manifest.json | json 'd[0]["RepoTags"]' | grep -q "'example.com/team/box:2'" || fail "manifest.json RepoTags"
tar -xOf "$WORK/s.tar" index.json | grep -q '"io.containerd.image.name":"example.com/team/box:2"' || fail "index.json annotations"
L save busybox example.com/team/box:2 | cmp -s - "$WORK/s.tar" || fail "save to stdout differs from save -o (not reproducible)"
if command -v skopeo >/dev/null; then # another reader of docker save's manifest.json
  skopeo inspect --raw "docker-archive:$WORK/s.tar:example.com/team/box:2" >/dev/null ||
    fail "skopeo cannot read the saved tar as a docker archive"
fi
rc=0; script -qec "$LAUNCHER save busybox" /dev/null >"$WORK/out" 2>&1 || rc=$?
[ "$rc" = 125 ] && grep -q "cowardly refusing to save to a terminal" "$WORK/out" || fail "save to a terminal: exit $rc: $(cat "$WORK/out")"
out=$(S2 load -i "$WORK/s.tar")
[ "$out" = "$(printf 'Loaded image: localhost/busybox:latest\nLoaded image: example.com/team/box:2')" ] || fail "load of the saved tar said: $out"
[ "$(S2 image inspect example.com/team/box:2 | json 'd[0]["Launcher"]["Manifest"]')" = "$manifest" ] || fail "manifest digest changed in the round trip"
out=$(S2 run example.com/team/box:2 echo hi) || fail "run from the second store: $out"
[ "$out" = hi ] || fail "run from the second store printed '$out'"
pass "save -o and to a pipe, reproducible; load into another store: same digests, runs"

# A running container holds its image's disk (shared flock).
disk=$WORK/store2/rootfs/${id#sha256:}.erofs
[ -f "$disk" ] || fail "no disk $disk after run"
(exec 9<"$disk" && flock -s 9 && exec sleep 60) &
holder=$!
for _ in $(seq 50); do flock -xn "$disk" true || break; sleep 0.1; done
S2 rmi localhost/busybox:latest >/dev/null
expect_exit 125 S2 rmi example.com/team/box:2
grep -Eq 'conflict: unable to remove repository reference "example.com/team/box:2" \(must force\) - container ([0-9a-f]{12} )?is using its referenced image' "$WORK/out" ||
  fail "rmi of a held image: $(cat "$WORK/out")"
out=$(S2 image prune -a -f)
[ "$out" = "Total reclaimed space: 0B" ] || fail "prune -a removed an image in use: $out"
out=$(S2 rmi -f example.com/team/box:2)
[ "$out" = "$(printf 'Untagged: example.com/team/box:2\nDeleted: %s' "$id")" ] || fail "rmi -f said: $out"
[ "$(nblobs "$WORK/store2")" = 0 ] || fail "blobs left after rmi -f: $(ls "$WORK/store2/blobs/sha256")"
[ -f "$disk" ] || fail "the disk of a running container was removed"
kill "$holder"; wait "$holder" 2>/dev/null || true
S2 image prune -f >/dev/null
[ ! -e "$disk" ] || fail "the disk stayed after its container let go"
pass "an image in use: rmi refuses, prune keeps it, rmi -f untags and keeps the disk until free"

# Dangling images: an image saved by ID has no name.
L save -o "$WORK/noname.tar" "$short"
S3 load -i "$WORK/noname.tar" >/dev/null
S3 images | grep -Eq "^<none> +<none> +$short " || fail "dangling image not listed: $(S3 images)"
expect_exit 125 S3 image prune
grep -q "not pruning without confirmation" "$WORK/out" || fail "prune without -f: $(cat "$WORK/out")"
[ "$(nblobs "$WORK/store3")" = 3 ] || fail "blobs of the dangling image missing"
out=$(S3 image prune -f)
printf '%s\n' "$out" | head -n 2 | tr '\n' ' ' | grep -q "^Deleted Images: deleted: $id " || fail "prune -f said: $out"
printf '%s\n' "$out" | grep -Eq '^Total reclaimed space: 1\.[0-9]+MB$' || fail "prune -f reclaimed: $out"
[ "$(nblobs "$WORK/store3")" = 0 ] || fail "blobs left after prune: $(ls "$WORK/store3/blobs/sha256")"
[ -z "$(S3 images -q)" ] || fail "images after prune: $(S3 images)"
out=$(L image prune -f)
[ "$out" = "Total reclaimed space: 0B" ] || fail "prune removed named images: $out"
out=$(L image rm -f "$short")
printf '%s\n' "$out" | grep -qx "Deleted: $id" || fail "image rm -f by ID: $out"
[ "$(nblobs "$WORK/store")" = 0 ] && [ -z "$(L images -q)" ] || fail "image rm -f left something"
pass "image prune removes dangling images and their blobs; image rm -f by ID"
