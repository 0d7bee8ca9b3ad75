"""Content type from a file's leading bytes, never from its name or the client's header.

A technician's app can label anything ``image/jpeg``; what we store and later serve must be what the
bytes say. Two tables decide: fixed signatures at fixed offsets, and for ISO base media files (HEIC,
MP4) the *major* brand of the leading ``ftyp`` box. Compatible brands are deliberately ignored: AVIF
images list ``mif1`` and M4A audio lists ``isom`` among them, and neither is allowed evidence.
"""

from __future__ import annotations

from typing import Final

# Enough for every rule below (the longest needs 12 bytes); a little more costs nothing.
SNIFF_BYTES: Final = 32

# (MIME type, ((offset, magic), ...)): every (offset, magic) pair must match.
_SIGNATURES: Final[tuple[tuple[str, tuple[tuple[int, bytes], ...]], ...]] = (
    ("image/jpeg", ((0, b"\xff\xd8\xff"),)),
    ("image/png", ((0, b"\x89PNG\r\n\x1a\n"),)),
    ("image/webp", ((0, b"RIFF"), (8, b"WEBP"))),
    ("application/pdf", ((0, b"%PDF-"),)),
)

# Major brand of an ISO-BMFF ``ftyp`` box → MIME type. HEIF image sequences (``hevc``, ``msf1`` …)
# are filed under their still-image type: clients treat them alike and it keeps the allow-list short.
_FTYP_BRANDS: Final[dict[bytes, str]] = {
    **dict.fromkeys((b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"), "image/heic"),
    **dict.fromkeys((b"mif1", b"msf1"), "image/heif"),
    **dict.fromkeys(
        (
            b"isom",
            b"iso2",
            b"iso3",
            b"iso4",
            b"iso5",
            b"iso6",
            b"mp41",
            b"mp42",
            b"avc1",
            b"M4V ",
            b"dash",
        ),
        "video/mp4",
    ),
}

# Box header (size, "ftyp") + major brand + minor version.
_FTYP_MIN_BOX_SIZE: Final = 16

ALLOWED_TYPES: Final[frozenset[str]] = frozenset(
    {mime for mime, _ in _SIGNATURES} | set(_FTYP_BRANDS.values())
)


def detect_content_type(head: bytes) -> str | None:
    """The MIME type of a file starting with ``head`` (its first ``SNIFF_BYTES``), or ``None``."""
    for mime, rules in _SIGNATURES:
        if all(head[offset : offset + len(magic)] == magic for offset, magic in rules):
            return mime
    return _iso_bmff_type(head)


def _iso_bmff_type(head: bytes) -> str | None:
    if len(head) < 12 or head[4:8] != b"ftyp":
        return None
    if int.from_bytes(head[0:4], "big") < _FTYP_MIN_BOX_SIZE:
        return None
    return _FTYP_BRANDS.get(head[8:12])
