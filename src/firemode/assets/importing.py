"""Reading a contractor's asset spreadsheet (CSV) into rows the register can take, or every reason
it cannot. No web and no database code: the service checks tags against the register and writes.

The file is read as it streams (the standard library's ``csv`` over the spooled upload, decoded
incrementally), so memory holds the parsed rows, never the file as one string. Header names are
matched forgivingly: case, surrounding spaces, and spaces, underscores and hyphens between words
do not matter (``Asset Type``, ``asset-type`` and `` ASSET_TYPE `` are one column).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, BinaryIO

from pydantic import ValidationError

from apikit.errors import PayloadTooLargeError, UnprocessableError, UnsupportedMediaError
from firemode.assets.asset_types import DETAIL_FIELDS, DETAILS, AssetType, validate_details
from firemode.assets.models import LOCATION_MAX, TAG_MAX

REQUIRED_COLUMNS = ("tag", "asset_type", "location")
COLUMNS = frozenset({*REQUIRED_COLUMNS, "installed_on", *DETAIL_FIELDS})
# Other names spreadsheets commonly give the same columns.
ALIASES = {
    "type": "asset_type",
    "asset_tag": "tag",
    "install_date": "installed_on",
    "installed": "installed_on",
}
_SEPARATORS = re.compile(r"[\s_\-]+")
_AU_DATE = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$")


def column_name(header: str) -> str:
    """A header cell as the column it names: casefolded, trimmed, separators made one ``_``."""
    name = _SEPARATORS.sub("_", header.strip().casefold()).strip("_")
    return ALIASES.get(name, name)


@dataclass(frozen=True, slots=True)
class SheetRow:
    line: int
    tag: str
    asset_type: AssetType
    location: str
    installed_on: date | None
    details: dict[str, Any]


@dataclass(slots=True)
class Sheet:
    rows: list[SheetRow] = field(default_factory=list)
    bad_lines: list[dict[str, Any]] = field(default_factory=list)
    lines_by_tag: dict[str, int] = field(default_factory=dict)

    def refuse(self, line: int, column: str | None, message: str) -> None:
        self.bad_lines.append({"line": line, "field": column, "message": message})


def read_sheet(upload: BinaryIO, *, max_rows: int) -> Sheet:
    """Every row of the file, validated, and every bad line with why (the caller refuses the whole
    file when there is one). Line numbers are the file's (the header is line 1), as a spreadsheet
    numbers its rows. A file that is not UTF-8 text is a 415; no usable header a 422; more than
    ``max_rows`` rows a 413."""
    # utf-8-sig: Excel's "CSV UTF-8" starts with a byte-order mark.
    text = io.TextIOWrapper(upload, encoding="utf-8-sig", errors="strict", newline="")
    reader = csv.reader(text)
    try:
        header = _read_header(reader)
        sheet = Sheet()
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue  # blank lines, and the empty rows spreadsheets leave at the end
            if len(sheet.rows) + len(sheet.bad_lines) == max_rows:
                raise PayloadTooLargeError(
                    f"The file has more than {max_rows} rows", details={"max_rows": max_rows}
                )
            _read_row(sheet, reader.line_num, header, cells)
        return sheet
    except UnicodeDecodeError:
        raise _not_text("it is not UTF-8 text") from None
    except csv.Error as exc:
        raise UnprocessableError(
            f"The file is not valid CSV (line {reader.line_num}): {exc}",
            details={"field": "file", "line": reader.line_num},
        ) from None
    finally:
        text.detach()  # the upload closes its own file


def _not_text(reason: str) -> UnsupportedMediaError:
    return UnsupportedMediaError(
        f"The file is not a CSV sheet: {reason}. Save the sheet as CSV (UTF-8).",
        details={"field": "file", "allowed": ["text/csv; charset=utf-8"]},
    )


def _read_header(reader: Any) -> list[str | None]:
    """Each cell's column (None for an empty header cell, whose column must stay empty)."""
    raw = next(reader, None)
    while raw is not None and not any(cell.strip() for cell in raw):
        raw = next(reader, None)
    if raw is None:
        raise UnprocessableError("The file is empty: it needs a header row", details={"field": "file"})
    _check_text(raw)
    names = [column_name(cell) or None for cell in raw]
    unknown = sorted({raw[i].strip() for i, name in enumerate(names) if name and name not in COLUMNS})
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if unknown or repeated or missing:
        raise UnprocessableError(
            "The header row does not name the columns an import reads",
            details={
                "field": "file",
                "line": reader.line_num,
                "missing": missing,
                "unknown": unknown,
                "repeated": repeated,
                "columns": sorted(COLUMNS),
            },
        )
    return names


def _check_text(cells: list[str]) -> None:
    if any("\x00" in cell for cell in cells):
        # Binary data, or UTF-16 text (Excel's "Unicode Text"), which is NULs between letters.
        raise _not_text("it holds NUL characters (binary data or UTF-16 text)")


def _read_row(sheet: Sheet, line: int, header: list[str | None], cells: list[str]) -> None:
    _check_text(cells)
    values: dict[str, str] = {}
    for index, cell in enumerate(cells):
        cell = cell.strip()
        if not cell:
            continue
        name = header[index] if index < len(header) else None
        if name is None:
            return sheet.refuse(line, None, f"cell {index + 1} has a value but no column in the header")
        values[name] = cell

    before = len(sheet.bad_lines)
    tag = values.pop("tag", "")
    location = values.pop("location", "")
    raw_type = values.pop("asset_type", "")
    raw_installed = values.pop("installed_on", None)
    if not tag:
        sheet.refuse(line, "tag", "tag is required")
    elif len(tag) > TAG_MAX:
        sheet.refuse(line, "tag", f"tag is longer than {TAG_MAX} characters")
    elif tag in sheet.lines_by_tag:
        sheet.refuse(line, "tag", f"tag {tag} is already on line {sheet.lines_by_tag[tag]}")
    else:
        sheet.lines_by_tag[tag] = line
    if not location:
        sheet.refuse(line, "location", "location is required")
    elif len(location) > LOCATION_MAX:
        sheet.refuse(line, "location", f"location is longer than {LOCATION_MAX} characters")
    installed_on = None
    if raw_installed is not None:
        installed_on = _date(raw_installed)
        if installed_on is None:
            sheet.refuse(line, "installed_on", f"'{raw_installed}' is not a date (2024-03-31 or 31/03/2024)")
    asset_type = _asset_type(raw_type)
    if asset_type is None:
        message = "asset_type is required" if not raw_type else f"'{raw_type}' is not a known asset type"
        sheet.refuse(line, "asset_type", message)
        return None
    details: dict[str, Any] = {}
    applicable = DETAILS[asset_type].model_fields
    for name in sorted(set(values) - set(applicable)):
        sheet.refuse(line, name, f"{name} does not apply to {asset_type.value}")
    try:
        details = _details(asset_type, tuple(sorted((k, v) for k, v in values.items() if k in applicable)))
    except ValidationError as exc:
        for error in exc.errors():
            column = str(error["loc"][0]) if error["loc"] else None
            sheet.refuse(line, column, error["msg"])
    if len(sheet.bad_lines) == before:
        sheet.rows.append(SheetRow(line, tag, asset_type, location, installed_on, details))
    return None


@lru_cache(maxsize=4096)
def _details(asset_type: AssetType, cells: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """A type's details from its cells. A register repeats the same equipment many times, so each
    distinct set of cells is validated once; rows that share one share the (never mutated) dict."""
    return validate_details(asset_type, dict(cells), strict=False)


@lru_cache(maxsize=256)
def _asset_type(text: str) -> AssetType | None:
    try:
        return AssetType(column_name(text))
    except ValueError:
        return None


def _date(text: str) -> date | None:
    """ISO 8601 (2024-03-31), or day/month/year as Australian spreadsheets write it (31/03/2024)."""
    try:
        match = _AU_DATE.match(text)
        if match:
            day, month, year = (int(part) for part in match.groups())
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        return None
