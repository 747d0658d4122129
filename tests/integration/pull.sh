#!/usr/bin/env bash
# Pulling from a registry: a real local registry (Debian's docker-registry,
# the registry:2 of Docker's distribution) over plain HTTP, and in front of
# it registry-proxy.py for token and Basic authentication, redirects and
# hostile answers. Images are pushed with skopeo; `run` boots a real VM.
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
export LAUNCHER_STORE=$WORK/store
export HOME=$WORK/home # login writes $HOME/.docker/config.json
unset LAUNCHER_AUTH_FILE DOCKER_CONFIG LAUNCHER_INSECURE_REGISTRIES
mkdir -p "$HOME"
L() { "$LAUNCHER" "$@"; }
for tool in docker-registry skopeo zstd python3; do
  command -v $tool >/dev/null || fail "$tool is missing: run scripts/install-deps"
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  local i
  for i in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  fail "nothing listens on port $1 after 10 s"
}
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$RUN_ROOT" "$WORK"' EXIT

PORT=$(free_port)
REG=127.0.0.1:$PORT
cat >"$WORK/registry.yml" <<EOF
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $WORK/registry}}
http: {addr: "$REG"}
EOF
/usr/bin/docker-registry serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 &
pids+=($!)
PPORT=$(free_port)
PROXY=127.0.0.1:$PPORT
python3 "$here/registry-proxy.py" "$PPORT" "$PORT" "$WORK/proxy.log" 2>"$WORK/proxy.err" &
pids+=($!)
wait_port "$PORT"
wait_port "$PPORT"

# The images: busybox, an index of it (amd64) and a fake arm64 one, and
# busybox with a zstd layer.
"$here/../../image/builtin/make-busybox-image.sh" "$WORK/bb" >/dev/null
bbm=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$WORK/bb/index.json")
layer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"][7:])' "$WORK/bb/blobs/sha256/${bbm#sha256:}")
gzip -dc "$WORK/bb/blobs/sha256/$layer" | zstd -q -19 -o "$WORK/layer.tar.zst"
read -r _ armm index zstdm < <(python3 "$here/make-test-images.py" "$WORK/bb" "$WORK/multi" "$WORK/layer.tar.zst" "$WORK/zstd")
push() { skopeo copy -q --preserve-digests --dest-tls-verify=false "$@" >/dev/null 2>"$WORK/skopeo.err" || fail "skopeo copy $*: $(cat "$WORK/skopeo.err")"; }
push oci:"$WORK/bb":latest docker://$REG/test/busybox:1
push --all oci:"$WORK/multi":multi docker://$REG/test/multi:1
push oci:"$WORK/zstd":zstd docker://$REG/test/zstd:1

# A pull, then the same again: nothing downloaded the second time.
out=$(L pull --insecure-registry $REG $REG/test/busybox:1) || fail "pull: $out"
echo "$out" | grep -Eq "^[0-9a-f]{12}: Pull complete$" || fail "no layer line: $out"
echo "$out" | grep -qx "Digest: $bbm" || fail "Digest: line: $out"
echo "$out" | grep -qx "Status: Downloaded newer image for $REG/test/busybox:1" || fail "Status: line: $out"
[ "$(echo "$out" | tail -n 1)" = "$REG/test/busybox:1" ] || fail "last line: $out"
L images | grep -Eq "^$REG/test/busybox +1 +[0-9a-f]{12} " || fail "images: $(L images)"
out=$(L pull -q --insecure-registry $REG $REG/test/busybox:1)
[ "$out" = "$REG/test/busybox:1" ] || fail "pull -q printed: $out"
pass "pull over plain HTTP (--insecure-registry): lines, Digest, Status, images lists it"

rc=0; L pull $REG/test/busybox:1 >/dev/null 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && grep -q "TLS" "$WORK/e" && grep -q -- "--insecure-registry $REG" "$WORK/e" || fail "https to a plain HTTP registry: exit $rc: $(cat "$WORK/e")"
pass "a registry is not plain HTTP unless named: TLS error with the hint"

out=$(L pull --insecure-registry $REG $REG/test/busybox@"$bbm") || fail "pull by digest: $out"
echo "$out" | grep -qx "Status: Downloaded newer image for $REG/test/busybox@$bbm" || fail "by digest: $out"
echo "$out" | grep -Eq "^[0-9a-f]{12}: Already exists$" || fail "the layer was fetched again: $out"
L images --format json | grep -q "\"Name\": \"$REG/test/busybox@$bbm\"" || fail "the digest name is not stored"
rc=0; L pull --insecure-registry $REG $REG/test/busybox@sha256:$(printf x | sha256sum | cut -d' ' -f1) >/dev/null 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && grep -q "manifest unknown: .* not found in the registry" "$WORK/e" || fail "unknown digest: exit $rc: $(cat "$WORK/e")"
pass "pull REF@sha256: pinned digests"

out=$(L pull --insecure-registry $REG $REG/test/multi:1) || fail "pull of an index: $out"
echo "$out" | grep -qx "Digest: $index" || fail "Digest: should be the index's: $out"
L images --format json | python3 -c '
import json, sys
rows = {r["Name"]: r for r in json.load(sys.stdin)}
assert rows[sys.argv[1]]["Digest"] == sys.argv[2], rows[sys.argv[1]]' "$REG/test/multi:1" "$bbm" || fail "the index did not resolve to the amd64 manifest"
pass "an OCI index resolves to linux/amd64"

rc=0; L pull --insecure-registry $REG $REG/test/busybox:nosuch >/dev/null 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && grep -qx "launcher: manifest unknown: $REG/test/busybox:nosuch not found in the registry" "$WORK/e" || fail "unknown tag: exit $rc: $(cat "$WORK/e")"
DOWN=127.0.0.1:$(free_port)
rc=0; L pull --insecure-registry $DOWN $DOWN/test/busybox:1 >/dev/null 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && grep -q "Failed to connect to 127.0.0.1 port ${DOWN#*:}" "$WORK/e" || fail "registry down: exit $rc: $(cat "$WORK/e")"
pass "unknown tag and a registry that is down: exit 125 with what failed"

# run: a missing image is pulled first (progress on stderr), then run.
out=$(LAUNCHER_STORE=$WORK/store-run LAUNCHER_INSECURE_REGISTRIES=$REG L run $REG/test/zstd:1 echo hi 2>"$WORK/e") || fail "run pulling: $(cat "$WORK/e")"
[ "$out" = hi ] || fail "run printed '$out'"
grep -qx "Unable to find image '$REG/test/zstd:1' locally" "$WORK/e" || fail "no 'Unable to find image': $(cat "$WORK/e")"
grep -qx "Status: Downloaded newer image for $REG/test/zstd:1" "$WORK/e" || fail "no Status: on stderr: $(cat "$WORK/e")"
out=$(LAUNCHER_STORE=$WORK/store-run L run $REG/test/zstd:1 echo again 2>"$WORK/e") || fail "second run: $(cat "$WORK/e")"
[ "$out" = again ] && ! grep -q "Unable to find" "$WORK/e" || fail "the second run pulled again: $(cat "$WORK/e")"
rc=0; LAUNCHER_STORE=$WORK/store-run L run $DOWN/x true 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && grep -q "^launcher: pulling $DOWN/x:latest: .*Failed to connect" "$WORK/e" || fail "run, pull failing: exit $rc: $(cat "$WORK/e")"
pass "run pulls a missing image (a zstd layer) and runs it; a failed pull says why"

# Token authentication through the proxy.
export LAUNCHER_INSECURE_REGISTRIES=$PROXY
: >"$WORK/proxy.log"
out=$(L pull $PROXY/test/busybox:1) || fail "anonymous token pull: $out"
echo "$out" | grep -qx "Status: Downloaded newer image for $PROXY/test/busybox:1" || fail "token pull: $out"
grep -q "^/token?service=test&scope=repository%3Atest%2Fbusybox%3Apull$" "$WORK/proxy.log" || fail "no anonymous token request: $(cat "$WORK/proxy.log")"
: >"$WORK/proxy.log"
out=$(L pull $PROXY/test/busybox:1) || fail "second token pull: $out"
echo "$out" | grep -qx "Status: Image is up to date for $PROXY/test/busybox:1" || fail "up to date: $out"
grep -q "/blobs/" "$WORK/proxy.log" && fail "blobs fetched again: $(cat "$WORK/proxy.log")"
pass "anonymous token authentication; pulling again downloads no blob"

rc=0; L pull $PROXY/private/busybox:1 >/dev/null 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && grep -q "access denied (authentication required): log in with 'launcher login $PROXY' or check the name" "$WORK/e" || fail "private without credentials: exit $rc: $(cat "$WORK/e")"
rc=0; echo wrong | L login -u user --password-stdin $PROXY >/dev/null 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && grep -q "refused the credentials of user" "$WORK/e" || fail "login with a wrong password: exit $rc: $(cat "$WORK/e")"
[ ! -e "$HOME/.docker/config.json" ] || fail "a failed login wrote credentials"
out=$(echo pass | L login -u user --password-stdin $PROXY) || fail "login: $out"
[ "$out" = "Login Succeeded" ] || fail "login printed: $out"
[ "$(stat -c %a "$HOME/.docker/config.json")" = 600 ] || fail "config.json mode $(stat -c %a "$HOME/.docker/config.json")"
grep -q "\"$PROXY\"" "$HOME/.docker/config.json" || fail "config.json: $(cat "$HOME/.docker/config.json")"
out=$(L pull $PROXY/private/busybox:1) || fail "private pull after login: $out"
echo "$out" | grep -q "Status: Downloaded newer image" || fail "private pull: $out"
out=$(L pull $PROXY/basic/busybox:1) || fail "Basic auth pull: $out"
echo "$out" | grep -q "Status: Downloaded newer image" || fail "Basic pull: $out"
out=$(L logout $PROXY)
[ "$out" = "Removing login credentials for $PROXY" ] || fail "logout printed: $out"
[ "$(L logout $PROXY)" = "Not logged in to $PROXY" ] || fail "second logout"
rc=0; L pull $PROXY/basic/busybox:1 >/dev/null 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && grep -q "access denied" "$WORK/e" || fail "Basic without credentials: exit $rc: $(cat "$WORK/e")"
pass "credentials: access denied without, login (checked, 0600), token and Basic with, logout"

# A registry with its own htpasswd Basic auth (no token realm).
HPORT=$(free_port)
HREG=127.0.0.1:$HPORT
python3 -W ignore -c "import crypt; print('user:' + crypt.crypt('pass', crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)).replace('\$2b\$', '\$2y\$', 1))" >"$WORK/htpasswd"
cat >"$WORK/registry-ht.yml" <<EOF
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $WORK/registry-ht}}
http: {addr: "$HREG"}
auth: {htpasswd: {realm: basic-realm, path: $WORK/htpasswd}}
EOF
/usr/bin/docker-registry serve "$WORK/registry-ht.yml" >"$WORK/registry-ht.log" 2>&1 &
pids+=($!)
wait_port "$HPORT"
push --dest-creds user:pass "oci:$WORK/bb:latest" "docker://$HREG/test/busybox:1"
export LAUNCHER_INSECURE_REGISTRIES=$PROXY,$HREG
rc=0; LAUNCHER_STORE=$WORK/store-ht L pull $HREG/test/busybox:1 >/dev/null 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && grep -q "access denied" "$WORK/e" || fail "htpasswd registry without credentials: exit $rc: $(cat "$WORK/e")"
out=$(echo pass | L login -u user --password-stdin $HREG) || fail "login to the htpasswd registry: $out"
out=$(LAUNCHER_STORE=$WORK/store-ht L pull $HREG/test/busybox:1) || fail "htpasswd pull: $out"
echo "$out" | grep -qx "Status: Downloaded newer image for $HREG/test/busybox:1" || fail "htpasswd pull: $out"
L logout $HREG >/dev/null
pass "a registry with htpasswd Basic auth: denied without credentials, pulled after login"

out=$(LAUNCHER_STORE=$WORK/store-redirect L pull $PROXY/redirect/busybox:1) || fail "pull through a redirect: $out"
grep -q "^/cdn/" "$WORK/proxy.log" || fail "no request reached the redirect target"
pass "blobs follow redirects, without the registry's Authorization on another host"

rm -rf "$WORK/store-bad"
rc=0; LAUNCHER_STORE=$WORK/store-bad L pull $PROXY/corrupt/busybox:1 >/dev/null 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && grep -q "digest mismatch" "$WORK/e" || fail "corrupt blob: exit $rc: $(cat "$WORK/e")"
[ -z "$(LAUNCHER_STORE=$WORK/store-bad L images -q)" ] || fail "a corrupt pull left an image"
rc=0; LAUNCHER_STORE=$WORK/store-bad L pull $PROXY/liar/busybox@$armm >/dev/null 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && grep -q "manifest digest mismatch: expected $armm" "$WORK/e" || fail "wrong manifest for a pin: exit $rc: $(cat "$WORK/e")"
[ -z "$(LAUNCHER_STORE=$WORK/store-bad L images -q)" ] || fail "a lying registry left an image"
pass "a corrupted blob or a manifest not matching its pin: digest mismatch, nothing tagged"

rm -rf "$WORK/store-500"
rc=0; LAUNCHER_STORE=$WORK/store-500 L pull $PROXY/broken/busybox:1 >/dev/null 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && grep -q "500" "$WORK/e" && grep -q "broken/busybox" "$WORK/e" || fail "registry answering 500: exit $rc: $(cat "$WORK/e")"
[ -z "$(LAUNCHER_STORE=$WORK/store-500 L images -q)" ] || fail "a failed pull left an image"
pass "a registry answering 500: exit 125 naming the image and the status, nothing tagged"

rm -rf "$WORK/store-stall"
start=$(date +%s)
rc=0; LAUNCHER_REGISTRY_STALL_SECONDS=2 LAUNCHER_STORE=$WORK/store-stall L pull $PROXY/stall/busybox:1 >/dev/null 2>"$WORK/e" || rc=$?
[ "$rc" = 125 ] && grep -q "the registry stalled" "$WORK/e" || fail "a stalled registry: exit $rc: $(cat "$WORK/e")"
[ $(( $(date +%s) - start )) -lt 20 ] || fail "a stalled registry took $(( $(date +%s) - start )) s"
[ -z "$(LAUNCHER_STORE=$WORK/store-stall L images -q)" ] || fail "a stalled pull left an image"
pass "a registry that stalls mid-blob: exit 125 after the stall limit, nothing tagged"
