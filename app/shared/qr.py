"""QR codes (PNG and SVG, made with segno) for invitation and kiosk links."""
from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import segno


def last_valid_day(expires_at: datetime, zone: str = "Asia/Ho_Chi_Minh") -> date:
    """The last local day on which a link still works, as printed on a slip: an expiry instant
    at local midnight (1/1/2027 00:00) means the link works until the end of 31/12/2026.
    Naive datetimes are UTC (how the database stores them)."""
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    return (expires_at.astimezone(ZoneInfo(zone)) - timedelta(microseconds=1)).date()


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
