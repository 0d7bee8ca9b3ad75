"""FireMode's error format (FR-5), which the API and the sync worker both answer in."""

from __future__ import annotations

from apikit.error_formats import FireErrorFormat

ERROR_FORMAT = FireErrorFormat()
