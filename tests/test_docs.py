"""The documents that quote the code stay true to it."""

from __future__ import annotations

from scripts.error_examples import TARGET, render


async def test_error_responses_document_is_current() -> None:
    expected = await render()
    assert TARGET.read_text() == expected, "run: .venv/bin/python scripts/error_examples.py"
