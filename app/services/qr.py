"""QR codes (PNG and SVG, made with segno) for invitation and kiosk links."""
from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

import segno


def _code(url: str) -> segno.QRCode:
    # Error correction M: survives a crease or a smudge on a printed slip.
    return segno.make_qr(url, error="m")


def png(url: str, scale: int = 6) -> bytes:
    out = io.BytesIO()
    _code(url).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def svg(url: str, scale: int = 6) -> bytes:
    out = io.BytesIO()
    _code(url).save(out, kind="svg", scale=scale, border=4, xmldecl=False, svgns=True,
                    title="QR", unit="px")
    return out.getvalue()


def write_all(urls: Iterable[str], directory: str | Path, prefix: str = "invitation") -> list[tuple[str, str]]:
    """Write NAME.png and NAME.svg for each URL; returns the file names, in order.

    Names are sequence numbers, never the token: a directory listing reveals nothing.
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for number, url in enumerate(urls, start=1):
        stem = f"{prefix}-{number:05d}"
        (folder / f"{stem}.png").write_bytes(png(url))
        (folder / f"{stem}.svg").write_bytes(svg(url))
        names.append((f"{stem}.png", f"{stem}.svg"))
    return names
