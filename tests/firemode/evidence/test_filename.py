"""Filenames from clients: path-traversal names, control characters, spoofing marks, huge names."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firemode.evidence.upload import sanitize_filename


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(None, "evidence", id="none"),
        pytest.param("", "evidence", id="empty"),
        pytest.param("IMG_0001.HEIC", "IMG_0001.HEIC", id="plain"),
        pytest.param("../../etc/passwd", "passwd", id="path-traversal"),
        pytest.param("..\\..\\windows\\win.ini", "win.ini", id="path-traversal-backslash"),
        pytest.param("C:\\Users\\tech\\DCIM\\IMG_0001.jpg", "IMG_0001.jpg", id="windows-path"),
        pytest.param("/", "evidence", id="root"),
        pytest.param("photos/", "evidence", id="trailing-slash"),
        pytest.param("..", "evidence", id="dot-dot"),
        pytest.param("...", "evidence", id="dots"),
        pytest.param(". . .", "evidence", id="dots-and-spaces"),
        pytest.param(".bashrc", "bashrc", id="hidden"),
        pytest.param("..hidden.pdf", "hidden.pdf", id="double-dot-prefix"),
        pytest.param("  my   photo\t\n.jpg  ", "my photo .jpg", id="whitespace"),
        pytest.param("a\x00b\x1bc\x7f.pdf", "abc.pdf", id="nul-escape-del"),
        pytest.param("report\u202egpj.exe", "reportgpj.exe", id="rtl-override"),
        pytest.param("zero\u200bwidth.png", "zerowidth.png", id="zero-width-space"),
        pytest.param("e\u0301te\u0301.jpg", "été.jpg", id="nfd-to-nfc"),
        pytest.param("Ölraum 日本.jpg", "Ölraum 日本.jpg", id="unicode-kept"),
        pytest.param("a" * 300 + ".jpg", "a" * 251 + ".jpg", id="long-keeps-extension"),
        pytest.param("日" * 100 + ".pdf", "日" * 83 + ".pdf", id="long-cut-on-a-character"),
        pytest.param("a." + "b" * 300, "a." + "b" * 253, id="long-extension-not-kept"),
        pytest.param("x" * 250 + " " + "y" * 10 + ".jpeg", "x" * 250 + ".jpeg", id="cut-then-trimmed"),
    ],
)
def test_examples(raw: str | None, expected: str) -> None:
    assert sanitize_filename(raw) == expected
    assert len(sanitize_filename(raw).encode()) <= 255


# Separators, dots, whitespace of every kind, controls, format marks (RTL override, zero-width, BOM),
# a combining accent, wide characters and a lone surrogate.
NASTY = st.sampled_from([*"./\\ \t\r\n\x00\x1b\x7f\x85\u00a0\u2028\u202e\u200b\ufeff\u0301eé日😀.", "\ud800"])
NAMES = st.one_of(
    st.text(),
    st.text(alphabet=NASTY, max_size=40),
    st.text(alphabet=st.one_of(NASTY, st.characters()), min_size=200, max_size=400),
)


@given(NAMES)
def test_properties(raw: str) -> None:
    name = sanitize_filename(raw)
    assert name
    assert name not in {".", ".."}
    assert not name.startswith(".")
    assert "/" not in name
    assert "\\" not in name
    # No control, format, surrogate, private-use or unassigned character (NUL and ESC among them).
    assert not any(unicodedata.category(ch).startswith("C") for ch in name)
    assert name == name.strip()
    assert len(name.encode("utf-8")) <= 255
    assert sanitize_filename(name) == name  # sanitizing twice changes nothing
