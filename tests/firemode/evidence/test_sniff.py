"""Content types come from the leading bytes: real minimal headers of each allowed type, and junk."""

from __future__ import annotations

import pytest

from firemode.evidence.sniff import ALLOWED_TYPES, SNIFF_BYTES, detect_content_type


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    """An ISO-BMFF ``ftyp`` box: size, type, major brand, minor version, compatible brands."""
    payload = major + b"\x00\x00\x02\x00" + b"".join(compatible)
    return (8 + len(payload)).to_bytes(4, "big") + b"ftyp" + payload


REAL_HEADERS = [
    pytest.param(
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", "image/jpeg", id="jpeg-jfif"
    ),
    pytest.param(b"\xff\xd8\xff\xe1\x1c\x45Exif\x00\x00MM\x00*", "image/jpeg", id="jpeg-exif"),
    pytest.param(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06", "image/png", id="png"
    ),
    pytest.param(ftyp(b"heic", b"mif1", b"heic"), "image/heic", id="heic-iphone"),
    pytest.param(ftyp(b"heix", b"mif1", b"heix"), "image/heic", id="heix"),
    pytest.param(ftyp(b"hevc", b"msf1", b"hevc"), "image/heic", id="heic-sequence"),
    pytest.param(ftyp(b"mif1", b"mif1", b"heic", b"miaf"), "image/heif", id="heif-mif1"),
    pytest.param(ftyp(b"msf1", b"msf1", b"iso8"), "image/heif", id="heif-msf1"),
    pytest.param(b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00", "image/webp", id="webp"),
    pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "application/pdf", id="pdf"),
    pytest.param(ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), "video/mp4", id="mp4-isom"),
    pytest.param(ftyp(b"mp42", b"mp42", b"isom"), "video/mp4", id="mp4-mp42-android"),
    pytest.param(ftyp(b"M4V ", b"M4V ", b"mp42", b"isom"), "video/mp4", id="m4v"),
    pytest.param(ftyp(b"dash", b"iso6", b"mp41"), "video/mp4", id="mp4-dash"),
]


@pytest.mark.parametrize(("head", "expected"), REAL_HEADERS)
def test_real_headers_are_recognised(head: bytes, expected: str) -> None:
    assert detect_content_type(head[:SNIFF_BYTES]) == expected
    assert expected in ALLOWED_TYPES


JUNK = [
    pytest.param(b"", id="empty"),
    pytest.param(b"hello, world", id="text"),
    pytest.param(b"\xff\xd8", id="truncated-jpeg"),
    pytest.param(b"\x89PNG\r\n", id="truncated-png"),
    pytest.param(b"GIF89a\x01\x00\x01\x00", id="gif"),
    pytest.param(b"PK\x03\x04\x14\x00\x06\x00", id="zip-docx"),
    pytest.param(b"\x7fELF\x02\x01\x01\x00", id="elf"),
    pytest.param(b"<!DOCTYPE html><html>", id="html"),
    pytest.param(b"%PDF1.7", id="pdf-without-dash"),
    pytest.param(b" %PDF-1.7", id="pdf-not-at-start"),
    pytest.param(b"RIFF\x24\x00\x00\x00WAVEfmt ", id="wav-is-riff-but-not-webp"),
    pytest.param(ftyp(b"avif", b"avif", b"mif1", b"miaf"), id="avif-lists-mif1-as-compatible"),
    pytest.param(ftyp(b"M4A ", b"M4A ", b"mp42", b"isom"), id="m4a-audio-lists-isom"),
    pytest.param(ftyp(b"qt  ", b"qt  "), id="quicktime-mov"),
    pytest.param(ftyp(b"3gp4", b"isom", b"3gp4"), id="3gp"),
    pytest.param(b"\x00\x00\x00\x08ftypheic", id="ftyp-box-too-small"),
    pytest.param(b"\x00\x00\x00\x18ftyp", id="ftyp-cut-before-brand"),
    pytest.param(b"\x00\x00\x00\x18moovheic\x00\x00\x00\x00", id="not-an-ftyp-box"),
]


@pytest.mark.parametrize("head", JUNK)
def test_anything_else_is_unknown(head: bytes) -> None:
    assert detect_content_type(head) is None


def test_allow_list_is_the_specs() -> None:
    assert {
        "image/jpeg",
        "image/png",
        "image/heic",
        "image/heif",
        "image/webp",
        "application/pdf",
        "video/mp4",
    } == ALLOWED_TYPES


def test_sniff_window_covers_every_rule() -> None:
    # The longest rule reads 12 bytes (RIFF....WEBP, size+ftyp+brand); trailing bytes change nothing.
    assert SNIFF_BYTES >= 12
    assert detect_content_type(ftyp(b"heic", b"mif1")[:12]) == "image/heic"
    assert detect_content_type(b"RIFF\x00\x00\x00\x00WEBP") == "image/webp"
