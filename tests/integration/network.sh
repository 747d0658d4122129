#!/usr/bin/env bash
# Networking: the user-mode NAT by default (an address, a route, Docker's
# /etc files), --network none (loopback only), -p and -P publishing on the
# host's 127.0.0.1 (TCP and UDP, two containers at once, a taken port
# refused before boot), `launcher port`, exec in the container's network
# namespace, and the OCI runtime's network namespaces. Traffic goes to
# loopback only: published ports on 127.0.0.1, and a server on the host's
# 127.0.0.1 reached from the container through the NAT's gateway.
. "$(dirname "$0")/lib.sh"
export LAUNCHER_STORE=$WORK/store
here=$(cd "$(dirname "$0")" && pwd)
L() { "$LAUNCHER" "$@"; }
HOST_SERVER=
cleanup() {
  local ids
  ids=$(L ps -aq 2>/dev/null) || true
  [ -z "$ids" ] || L rm -f $ids >/dev/null 2>&1 || true
  [ -z "$HOST_SERVER" ] || kill "$HOST_SERVER" 2>/dev/null || true
  rm -rf "$RUN_ROOT" "$WORK"
}
trap cleanup EXIT

# The image: busybox, a page to serve, a UDP echo server; EXPOSE 80/tcp, 53/udp.
"$here/../../image/builtin/make-busybox-image.sh" "$WORK/img" >/dev/null
mkdir -p "$WORK/layer/www" "$WORK/layer/usr/local/bin"
echo "hello through the NAT" >"$WORK/layer/www/index.html"
cc -static -O2 -o "$WORK/layer/usr/local/bin/udp-echo" "$here/udp-echo.c"
python3 "$here/add-layer.py" "$WORK/img" "$WORK/layer" localhost/web:latest \
  '{"ExposedPorts": {"80/tcp": {}, "53/udp": {}}}'
L load -q -i "$WORK/img" >/dev/null

# wait_http URL: the page, once the container serves it (30 s at most).
wait_http() {
  local i
  for i in $(seq 1 150); do
    curl -sf --max-time 2 "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}

# --- default: an address, a route, lo up, Docker's /etc files ---
out=$(L run --rm --hostname web1 --add-host db:10.1.2.3 --dns-search example.test web \
  sh -c 'ip -o -4 addr show; ip route; echo ---; cat /etc/resolv.conf; echo ---; cat /etc/hosts; echo ---; cat /etc/hostname')
echo "$out" | grep -q 'eth0 *inet 10.0.2.15/24' || fail "no address on eth0: $out"
echo "$out" | grep -q 'lo *inet 127.0.0.1/8' || fail "lo is not up: $out"
echo "$out" | grep -q '^default via 10.0.2.2 dev eth0' || fail "no default route: $out"
echo "$out" | grep -qx 'nameserver 10.0.2.3' || fail "resolv.conf: $out"
echo "$out" | grep -qx 'search example.test' || fail "resolv.conf search: $out"
printf '%s\n' "$out" | grep -qP '^127\.0\.0\.1\tlocalhost$' || fail "hosts: localhost: $out"
printf '%s\n' "$out" | grep -qP '^10\.1\.2\.3\tdb$' || fail "hosts: --add-host: $out"
printf '%s\n' "$out" | grep -qP '^10\.0\.2\.15\tweb1$' || fail "hosts: own name: $out"
[ "$(echo "$out" | tail -1)" = web1 ] || fail "/etc/hostname: $out"
pass "default network: 10.0.2.15/24 on eth0, lo up, default route via 10.0.2.2, Docker's /etc/resolv.conf, /etc/hosts (--add-host), /etc/hostname"

# --- --network none: a loopback alone, no card in the VM ---
out=$(L run --rm --network none web sh -c 'ls /sys/class/net; ip -o link show | wc -l')
[ "$(echo "$out" | tr '\n' ' ')" = "lo 1 " ] || fail "--network none: $out"
L run -d --name nonet --network none web sleep 1000 >/dev/null
dom=$(L inspect nonet | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["VM"]["Domain"])')
virsh dumpxml "$dom" | grep -q -- '-netdev' && fail "--network none: the VM has a card"
L exec nonet ls /sys/class/net | tr '\n' ' ' | grep -x 'lo ' >/dev/null || fail "--network none: exec sees more than lo"
L rm -f nonet >/dev/null
pass "--network none: only lo, and no card in the VM at all"

# --- a host-loopback server, reached through the NAT's gateway ---
mkdir -p "$WORK/hostsrv"
echo "from the host" >"$WORK/hostsrv/index.html"
python3 -m http.server --bind 127.0.0.1 --directory "$WORK/hostsrv" 18099 >/dev/null 2>&1 &
HOST_SERVER=$!
wait_http http://127.0.0.1:18099/ >/dev/null || fail "the host's test server did not start"
out=$(L run --rm web wget -q -O - http://10.0.2.2:18099/index.html) || fail "wget through the NAT: $out"
[ "$out" = "from the host" ] || fail "wget through the NAT: $out"
kill "$HOST_SERVER"
HOST_SERVER=
pass "the container reaches a server on the host's 127.0.0.1 at 10.0.2.2"

# --- DNS: --dns 10.0.2.2 and a name server on the host's 127.0.0.1:53 ---
# (slirp relays to the host; the answer is a documentation address no
# packet is ever sent to.)
cat >"$WORK/dns.py" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
print("ready", flush=True)
while True:
    q, peer = s.recvfrom(512)
    ident, = struct.unpack("!H", q[:2])
    i, labels = 12, []
    while q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode())
        i += 1 + q[i]
    qtype, = struct.unpack("!H", q[i + 1:i + 3])
    question = q[12:i + 5]
    name = ".".join(labels)
    if name != "db.launcher.test":
        s.sendto(struct.pack("!HHHHHH", ident, 0x8183, 1, 0, 0, 0) + question, peer)
    elif qtype == 1:
        answer = struct.pack("!HHHIH4s", 0xC00C, 1, 1, 60, 4, socket.inet_aton("192.0.2.7"))
        s.sendto(struct.pack("!HHHHHH", ident, 0x8180, 1, 1, 0, 0) + question + answer, peer)
    else:
        s.sendto(struct.pack("!HHHHHH", ident, 0x8180, 1, 0, 0, 0) + question, peer)
EOF
python3 "$WORK/dns.py" >"$WORK/dns.out" 2>&1 &
HOST_SERVER=$!
for i in $(seq 1 50); do grep -q ready "$WORK/dns.out" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$WORK/dns.out" || fail "the host's test name server did not start (127.0.0.1:53 taken?): $(cat "$WORK/dns.out")"
out=$(L run --rm --dns 10.0.2.2 web nslookup db.launcher.test 2>&1) || true
echo "$out" | grep -q '192\.0\.2\.7' || fail "nslookup through --dns 10.0.2.2: $out"
out=$(L run --rm --dns 10.0.2.2 web nslookup nowhere.launcher.test 2>&1) || true
echo "$out" | grep -qi "can't find\|NXDOMAIN" && ! echo "$out" | grep -q '192\.0\.2\.7' ||
  fail "an unknown name: $out"
kill "$HOST_SERVER"
HOST_SERVER=
pass "DNS: --dns 10.0.2.2 reaches a name server on the host's loopback; a known name resolves, an unknown one does not"

# --- -p: a web server on 127.0.0.1:18080; a second container on 18081 ---
L run -d --name web1 -p 127.0.0.1:18080:80 web httpd -f -p 80 -h /www >/dev/null
L run -d --name web2 -p 18081:80 web httpd -f -p 80 -h /www >/dev/null
[ "$(wait_http http://127.0.0.1:18080/)" = "hello through the NAT" ] || fail "-p 18080:80: no answer"
[ "$(wait_http http://127.0.0.1:18081/)" = "hello through the NAT" ] || fail "-p 18081:80: no answer"
[ "$(L port web1)" = "80/tcp -> 127.0.0.1:18080" ] || fail "port web1: $(L port web1)"
[ "$(L port web2 80)" = "127.0.0.1:18081" ] || fail "port web2 80: $(L port web2 80)"
L ps | grep '127.0.0.1:18080->80/tcp' >/dev/null || fail "ps PORTS: $(L ps)"
L inspect web1 | python3 -c 'import json,sys; i=json.load(sys.stdin)[0]; assert i["HostConfig"]["PortBindings"]["80/tcp"] == [{"HostIp": "127.0.0.1", "HostPort": "18080"}], i["HostConfig"]; assert i["NetworkSettings"]["IPAddress"] == "10.0.2.15"' ||
  fail "inspect: ports"
# exec'd processes are in the container's network namespace.
L exec web1 ip -o -4 addr show eth0 | grep 10.0.2.15 >/dev/null || fail "exec: not in the container's network"
pass "-p 127.0.0.1:18080:80 and -p 18081:80 (two containers at once) answer curl on the host; port, ps, inspect; exec sees eth0"

# --- a taken host port: exit 125, before any VM or record ---
before=$(virsh list --name | grep -c . || true)
records=$(L ps -aq | wc -l)
rc=0; L run --rm --name taken -p 127.0.0.1:18080:80 web true >"$WORK/out" 2>&1 || rc=$?
[ "$rc" = 125 ] && grep -q '127.0.0.1:18080/tcp: the port is already in use' "$WORK/out" ||
  fail "a taken port: rc $rc, $(cat "$WORK/out")"
[ "$(virsh list --name | grep -c . || true)" = "$before" ] || fail "a VM was booted for a taken port"
[ "$(L ps -aq | wc -l)" = "$records" ] || fail "a taken port left a record: $(L ps -a)"
# Below ip_unprivileged_port_start only root binds, and QEMU (the NAT)
# is never made root for it.
if [ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" -gt 80 ]; then
  rc=0; L run --rm -p 80:80 web true >"$WORK/out" 2>&1 || rc=$?
  [ "$rc" = 125 ] && grep -q 'host port 80: ports below' "$WORK/out" || fail "-p 80:80: rc $rc, $(cat "$WORK/out")"
fi
rc=0; L run --rm --network none -p 80 web true >"$WORK/out" 2>&1 || rc=$?
[ "$rc" = 125 ] && grep -q 'conflicting options' "$WORK/out" || fail "-p with --network none: rc $rc"
rc=0; L run --rm --network host web true >"$WORK/out" 2>&1 || rc=$?
[ "$rc" = 125 ] && grep -q "cannot share the host's network" "$WORK/out" || fail "--network host: rc $rc"
rc=0; L run --rm -p 8000-8001:80 web true >"$WORK/out" 2>&1 || rc=$?
[ "$rc" = 125 ] && grep -q 'ranges' "$WORK/out" || fail "a port range: rc $rc"
L rm -f web1 web2 >/dev/null
pass "a host port in use: exit 125 before boot, no record; a privileged port, --network host, ranges, -p with none refused"

# --- UDP, and -P from EXPOSE ---
L run -d --name udp -P web udp-echo 53 >/dev/null
hp=$(L port udp 53/udp | cut -d: -f2)
[ -n "$hp" ] && [ "$(L port udp 80 | cut -d: -f1)" = 127.0.0.1 ] || fail "-P: $(L port udp)"
got=$(python3 - "$hp" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
for _ in range(60):  # the container may still be starting
    s.sendto(b"ping over udp", ("127.0.0.1", int(sys.argv[1])))
    try:
        print(s.recvfrom(100)[0].decode())
        break
    except socket.timeout:
        pass
EOF
)
[ "$got" = "PING OVER UDP" ] || fail "udp via -P port $hp: got \"$got\""
L rm -f udp >/dev/null
pass "-P publishes EXPOSE (80/tcp, 53/udp) on free 127.0.0.1 ports; a UDP datagram goes to the container and back"

# --- the OCI runtime: a new network namespace is empty; none asked for, the NAT ---
make_rootfs
ROOT=$WORK/oci-root
B=$WORK/bundle
mkdir -p "$B"
cp -a "$ROOTFS" "$B/rootfs"
L oci --root "$ROOT" spec --bundle "$B"
oci_run() { # oci_run ID PYTHON: runs `ls /sys/class/net` in a bundle edited so
  python3 - "$B/config.json" "$2" <<'EOF'
import json, sys
path, edit = sys.argv[1:]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["sh", "-c", "ls /sys/class/net | tr '\n' ' '"]
exec(edit)
json.dump(c, open(path, "w"))
EOF
  L oci --root "$ROOT" run --bundle "$B" "$1" </dev/null
}
[ "$(oci_run n1 'pass')" = "lo " ] || fail "oci: a new network namespace: $(oci_run n1b 'pass')"
[ "$(oci_run n2 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]')" = "eth0 lo " ] ||
  fail "oci: no network namespace (the host's, here the NAT)"
[ "$(oci_run n3 'c["annotations"] = {"io.launcher.network": "nat"}')" = "eth0 lo " ] ||
  fail "oci: io.launcher.network nat"
pass "launcher-oci: a new network namespace has lo alone (as runc), none asked for gets the NAT, io.launcher.network=nat too"

sleep 1
[ -z "$(virsh list --name | grep . || true)" ] || fail "VMs left: $(virsh list --name)"
pass "no VM left"
