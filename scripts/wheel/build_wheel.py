"""Builds the swift-openenv wheel from a packaged tree (scripts/package calls it):

    python build_wheel.py --tree DIR --version V --platform manylinux_2_36_x86_64 --out dist

DIR holds the `openenv` binary and its `*.resources` bundles; they go to swift_openenv/bin/
inside the wheel, next to the Python package in scripts/wheel/swift_openenv, whose `main`
becomes the console command `swift-openenv`. The standard library alone writes the wheel
(PEP 427: the files, then the .dist-info with METADATA, WHEEL, entry_points.txt and RECORD);
the path of the wheel is printed.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import stat
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DISTRIBUTION = "swift-openenv"
PACKAGE = "swift_openenv"
COMMAND = "swift-openenv"


def record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tree", required=True, type=Path)
    parser.add_argument("--version", required=True)
    parser.add_argument("--platform", required=True)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)*((a|b|rc)[0-9]+)?(\.post[0-9]+)?(\.dev[0-9]+)?(\+[a-z0-9.]+)?", args.version):
        parser.error(f"{args.version!r} is not a PEP 440 version")
    if not (args.tree / "openenv").is_file():
        parser.error(f"{args.tree}/openenv is missing")

    # (path in the wheel, source file)
    files: list[tuple[str, Path]] = []
    for source in sorted((HERE / PACKAGE).glob("*.py")):
        files.append((f"{PACKAGE}/{source.name}", source))
    for source in sorted(p for p in args.tree.rglob("*") if p.is_file()):
        files.append((f"{PACKAGE}/bin/{source.relative_to(args.tree).as_posix()}", source))

    info = f"{PACKAGE}-{args.version}.dist-info"
    metadata = "\n".join([
        "Metadata-Version: 2.1",
        f"Name: {DISTRIBUTION}",
        f"Version: {args.version}",
        "Summary: OpenEnv's wire protocol served from Swift: the openenv command as a binary (command swift-openenv)",
        "License: Apache-2.0",
        "Requires-Python: >=3.8",
        "",
        "Installs the console command `swift-openenv` (the Swift `openenv` command); it coexists with",
        "the official `openenv` package and its `openenv` command.",
        "",
    ])
    wheel_meta = "\n".join([
        "Wheel-Version: 1.0",
        "Generator: swift-openenv scripts/wheel/build_wheel.py",
        "Root-Is-Purelib: false",
        f"Tag: py3-none-{args.platform}",
        "",
    ])
    entry_points = f"[console_scripts]\n{COMMAND} = {PACKAGE}.__main__:main\n"

    args.out.mkdir(parents=True, exist_ok=True)
    wheel = args.out / f"{PACKAGE}-{args.version}-py3-none-{args.platform}.whl"
    records: list[str] = []
    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        def add(name: str, data: bytes, mode: int) -> None:
            entry = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            entry.external_attr = (stat.S_IFREG | mode) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(entry, data)
            records.append(f"{name},{record_hash(data)},{len(data)}")

        for name, source in files:
            executable = os.access(source, os.X_OK) and source.name == "openenv"
            add(name, source.read_bytes(), 0o755 if executable else 0o644)
        add(f"{info}/METADATA", metadata.encode(), 0o644)
        add(f"{info}/WHEEL", wheel_meta.encode(), 0o644)
        add(f"{info}/entry_points.txt", entry_points.encode(), 0o644)
        records.append(f"{info}/RECORD,,")
        entry = zipfile.ZipInfo(f"{info}/RECORD", date_time=(2020, 1, 1, 0, 0, 0))
        entry.external_attr = (stat.S_IFREG | 0o644) << 16
        zf.writestr(entry, "\n".join(records) + "\n")
    print(wheel)


if __name__ == "__main__":
    main()
