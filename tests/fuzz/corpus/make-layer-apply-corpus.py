#!/usr/bin/env python3
"""Writes the seed corpus of fuzz-layer-apply into corpus/layer-apply/.

One small layer per file: ordinary entries, each kind of hostile entry the
applier must contain or refuse, and broken streams. The output is the same
on every run (fixed owners and times, gzip without a timestamp, tars cut
right after their end marker), so the committed files only change when
this script does. Run it from anywhere: python3 make-layer-apply-corpus.py
"""

import gzip
import io
import os
import struct
import tarfile

MTIME = 1500000000
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layer-apply")


def entry(name, kind=tarfile.REGTYPE, mode=0o644, data=b"", link="", major=0, minor=0,
          pax=None):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.mtime = MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.linkname = link
    info.devmajor, info.devminor = major, minor
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    if pax:
        info.pax_headers = pax
    return info, data


def tar(entries, fmt=tarfile.USTAR_FORMAT):
    """The tar of entries, ending at its two zero blocks: the record padding
    tarfile adds would only make the seeds larger."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for info, data in entries:
            t.addfile(info, io.BytesIO(data) if data else None)
        end = t.offset
    return buf.getvalue()[: end + 1024]


def zstd_frame(data):
    """A zstd frame by hand (the standard library has no zstd): one raw
    block, the frame content size in two bytes."""
    assert 256 <= len(data) < 65536 + 256 and len(data) < 128 * 1024
    header = b"\x28\xb5\x2f\xfd" + bytes([0x60]) + struct.pack("<H", len(data) - 256)
    block = len(data) << 3 | 1  # raw block (type 0), the last one
    return header + struct.pack("<I", block)[:3] + data


PLAIN = [
    entry("./", tarfile.DIRTYPE, 0o755),
    entry("etc/", tarfile.DIRTYPE, 0o755),
    entry("etc/hostname", data=b"box\n"),
    entry("etc/mtab", tarfile.SYMTYPE, 0o777, link="/proc/mounts"),
    entry("bin/", tarfile.DIRTYPE, 0o755),
    entry("bin/sh", mode=0o4755, data=b"#!/bin/sh\nexit 0\n"),
    entry("bin/ash", tarfile.LNKTYPE, link="bin/sh"),
    entry("ro/", tarfile.DIRTYPE, 0o555),
    entry("ro/file", mode=0o444, data=b"read only\n"),
    entry("locked/", tarfile.DIRTYPE, 0o000),
    entry("locked/inner/", tarfile.DIRTYPE, 0o000),
    entry("locked/inner/file", mode=0o000, data=b"x"),
    entry("implicit/parents/file", data=b"deep\n"),
]

SEEDS = {
    "plain": tar(PLAIN),
    "gzip": gzip.compress(tar(PLAIN), 9, mtime=0),
    "truncated-gzip": gzip.compress(tar(PLAIN), 9, mtime=0)[:200],
    "zstd": zstd_frame(tar(PLAIN[:4])),
    "end-marker-only": bytes(1024),
    # "up" is root's parent only if resolution escapes: then outside and
    # outside-dir, beside root, would change
    "escape-symlink": tar([
        entry("up", tarfile.SYMTYPE, 0o777, link=".."),
        entry("up/outside", data=b"pwned\n"),
        entry("od", tarfile.SYMTYPE, 0o777, link="../outside-dir"),
        entry("od/new", data=b"pwned\n"),
        entry("deep", tarfile.SYMTYPE, 0o777, link="../../../../.."),
        entry("deep/tmp/x", data=b"pwned\n"),
    ]),
    "escape-abs-symlink": tar([
        entry("t", tarfile.SYMTYPE, 0o777, link="/tmp"),
        entry("t/layer-apply-fuzz-escaped", data=b"pwned\n"),
        entry("evil", tarfile.SYMTYPE, 0o777, link="/"),
        entry("evil/tmp/layer-apply-fuzz-escaped", data=b"pwned\n"),
    ]),
    "dotdot": tar([
        entry("ok", data=b"ok\n"),
        entry("a/../../outside", data=b"pwned\n"),
    ]),
    "absolute": tar([
        entry("/etc/", tarfile.DIRTYPE, 0o755),
        entry("/etc/passwd", data=b"root:x:0:0::/root:/bin/sh\n"),
        entry("//usr/./lib/../bin/tool", mode=0o755, data=b"tool\n"),
    ]),
    "hardlink-outside": tar([
        entry("h", tarfile.LNKTYPE, link="../outside"),
    ]),
    "hardlink-through-symlink": tar([
        entry("up", tarfile.SYMTYPE, 0o777, link=".."),
        entry("h", tarfile.LNKTYPE, link="up/outside"),
    ]),
    "whiteout": tar([
        entry("a/", tarfile.DIRTYPE, 0o755),
        entry("a/f", data=b"f\n"),
        entry("a/.wh.f"),
        entry(".wh.missing"),
        entry("nodir/.wh.missing"),
        entry(".wh..wh.plnk", tarfile.DIRTYPE, 0o700),
        entry("a/.wh.."),
    ]),
    "opaque": tar([
        entry("d/", tarfile.DIRTYPE, 0o755),
        entry("d/before", data=b"b\n"),
        entry("d/.wh..wh..opq"),
        entry("d/after", data=b"a\n"),
        entry(".wh..wh..opq"),
        entry("later", data=b"l\n"),
    ]),
    "device": tar([
        entry("dev/", tarfile.DIRTYPE, 0o755),
        entry("dev/null", tarfile.CHRTYPE, 0o666, major=1, minor=3),
        entry("dev/sda", tarfile.BLKTYPE, 0o660, major=8, minor=0),
        entry("dev/null-link", tarfile.LNKTYPE, link="dev/null"),
        entry("dev/console", tarfile.CHRTYPE, 0o600, major=5, minor=1),
        entry("dev/console", data=b"now a file\n"),
    ]),
    "fifo": tar([
        entry("run/initctl", tarfile.FIFOTYPE, 0o600),
        entry("p", tarfile.FIFOTYPE, 0o620),
        entry("p", data=b"file over fifo\n"),
    ]),
    "long-pax-names": tar([
        entry("/".join(["n" * 60] * 6), data=b"long\n"),
        entry("link", tarfile.SYMTYPE, 0o777, link="/" + "/".join(["t" * 100] * 3)),
        entry("hard", tarfile.LNKTYPE, link="/".join(["n" * 60] * 6)),
        entry("x", data=b"xattrs\n", pax={
            "SCHILY.xattr.user.test": "value",
            "SCHILY.xattr.security.selinux": "system_u:object_r:etc_t:s0",
            "SCHILY.xattr.trusted.overlay.opaque": "y",
        }),
    ], tarfile.PAX_FORMAT),
    "long-gnu-names": tar([
        entry("/".join(["g" * 60] * 6), data=b"long\n"),
        entry("glink", tarfile.SYMTYPE, 0o777, link="g" * 200),
    ], tarfile.GNU_FORMAT),
    "replacement": tar([
        entry("x/", tarfile.DIRTYPE, 0o755),
        entry("x/child", data=b"c\n"),
        entry("x", data=b"file over dir\n"),
        entry("y", data=b"file\n"),
        entry("y/", tarfile.DIRTYPE, 0o711),
        entry("y/inside", data=b"i\n"),
        entry("l", tarfile.SYMTYPE, 0o777, link="y"),
        entry("l/", tarfile.DIRTYPE, 0o755),
        entry("twice", data=b"first\n"),
        entry("twice", mode=0o600, data=b"second\n"),
    ]),
    "garbage": b"this is not a layer, not even close to one\n" * 3,
}


def size_lies():
    """A header that claims 10 MB, followed by 10 bytes."""
    info, _ = entry("big")
    info.size = 10 * 1024 * 1024
    return info.tobuf(tarfile.USTAR_FORMAT) + b"0123456789"


SEEDS["size-lies"] = size_lies()


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in sorted(SEEDS.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"{len(SEEDS)} seeds in {OUT}")


if __name__ == "__main__":
    main()
