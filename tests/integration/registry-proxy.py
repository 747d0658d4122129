#!/usr/bin/env python3
"""A token-authenticating front for a local registry, as the pull test needs it.

usage: registry-proxy.py PORT UPSTREAM_PORT LOG

/v2/MODE/NAME/... is forwarded to the registry as /v2/test/NAME/..., after the
authentication Docker Hub and GHCR ask for (401 + WWW-Authenticate: Bearer,
tokens from /token). The MODE picks a behaviour:
  test      anonymous tokens are enough
  private   the token must come from /token with Basic user:pass
  basic     no tokens: Basic user:pass on every request
  corrupt   like test, but one byte of every blob is flipped
  liar      like test, but a manifest asked for by digest is the tag "1"'s
  broken    like test, but every blob request is answered 500
  stall     like test, but a blob's body stops after 10 bytes and never ends
  redirect  blobs are a 307 to http://localhost:PORT/cdn/..., which refuses
            requests that carry an Authorization header (as S3 would)
Every request path is appended to LOG.
"""
import base64
import http.client
import http.server
import json
import sys
import time
import urllib.parse

PORT, UPSTREAM, LOG = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
GOOD = "Basic " + base64.b64encode(b"user:pass").decode()
ANON, USER = "anon-token", "user-token"


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def challenge(self, scope):
        realm = f'Bearer realm="http://127.0.0.1:{PORT}/token",service="test"'
        if scope:
            realm += f',scope="{scope}"'
        err = b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}'
        self.reply(401, err, [("WWW-Authenticate", realm), ("Content-Type", "application/json")])

    def token(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        auth = self.headers.get("Authorization")
        if auth is not None and auth != GOOD:
            return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"bad password"}]}')
        if "private/" in q.get("scope", [""])[0] and auth != GOOD:
            return self.reply(200, json.dumps({"token": ANON}).encode())
        self.reply(200, json.dumps({"token": USER if auth == GOOD else ANON}).encode())

    def do_GET(self):
        with open(LOG, "a") as f:
            f.write(self.path + "\n")
        path = urllib.parse.urlparse(self.path).path
        if path == "/token":
            return self.token()
        if path.startswith("/cdn/"):
            if "Authorization" in self.headers:
                return self.reply(403, b"Authorization sent to the CDN")
            return self.forward("/v2/test/" + path[len("/cdn/"):])
        parts = path.split("/")  # "", "v2", MODE, NAME, ...
        auth = self.headers.get("Authorization", "")
        if path == "/v2/":
            if auth not in ("Bearer " + ANON, "Bearer " + USER):
                return self.challenge("")
            return self.reply(200, b"{}")
        if len(parts) < 5 or parts[1] != "v2":
            return self.reply(404)
        mode, rest = parts[2], "/".join(parts[3:])
        scope = f"repository:{mode}/{parts[3]}:pull"
        if mode == "basic":
            if auth != GOOD:
                return self.reply(401, b"", [("WWW-Authenticate", 'Basic realm="test"')])
        elif auth != "Bearer " + USER and (mode == "private" or auth != "Bearer " + ANON):
            return self.challenge(scope)
        if mode == "broken" and "/blobs/" in path:
            return self.reply(500, b'{"errors":[{"code":"UNKNOWN","message":"disk on fire"}]}',
                              [("Content-Type", "application/json")])
        if mode == "stall" and "/blobs/" in path:
            self.send_response(200)
            self.send_header("Content-Length", str(1 << 20))
            self.end_headers()
            self.wfile.write(b"{" * 10)
            self.wfile.flush()
            time.sleep(60)
            return
        if mode == "redirect" and "/blobs/" in path:
            loc = f"http://localhost:{PORT}/cdn/{rest}"
            return self.reply(307, b"", [("Location", loc)])
        if mode == "liar" and "/manifests/sha256:" in path:
            rest = rest.split("/manifests/")[0] + "/manifests/1"
        self.forward("/v2/test/" + rest, flip=mode == "corrupt" and "/blobs/" in path)

    def forward(self, upath, flip=False):
        c = http.client.HTTPConnection("127.0.0.1", UPSTREAM)
        headers = {k: v for k, v in self.headers.items() if k.lower() == "accept"}
        c.request("GET", upath, headers=headers)
        r = c.getresponse()
        body = bytearray(r.read())
        if flip and r.status == 200 and body:
            body[len(body) // 2] ^= 0xFF
        keep = [(k, v) for k, v in r.getheaders()
                if k.lower() in ("content-type", "docker-content-digest", "location")]
        self.reply(r.status, bytes(body), keep)


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
