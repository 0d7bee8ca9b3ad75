"""A compliance report as a PDF a building owner can file: a pure function of the report's JSON,
so the PDF says exactly what the JSON says.

Made with fpdf2 (pure Python, no system packages; the font is shipped beside this file and
embedded as a subset, so any name or address prints). A4 portrait: a cover with the building, the
period and the verdict; the summary; the defects by severity; the per-asset routine table; the
evidence with its SHA-256; the technicians; the sign-off block. Every page's footer names the
report, its status and the page.
"""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

# fontTools logs every table it prunes while subsetting the font, at INFO: not the service's news.
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)

FONTS = Path(__file__).parent / "fonts"
FAMILY = "DejaVuCondensed"
INK = (33, 37, 41)
MUTED = (108, 117, 125)
RULE = (206, 212, 218)
HEADING_FILL = (233, 236, 239)
ROW_FILL = (248, 249, 250)
VERDICT = {True: ((25, 135, 84), "COMPLIANT"), False: ((176, 42, 55), "NOT COMPLIANT")}
SEVERITY_LABELS = {
    "critical": "Critical",
    "non_critical": "Non-critical",
    "non_conformance": "Non-conformance",
    "unclassified": "Unclassified",
}
ROUTINE_LABELS = {
    "monthly": "Monthly",
    "three_monthly": "3-monthly",
    "six_monthly": "6-monthly",
    "yearly": "Yearly",
    "five_yearly": "5-yearly",
    "twenty_five_yearly": "25-yearly",
}
STATE_LABELS = {"not_due": "Not due", "due": "Due", "overdue": "OVERDUE", "never_done": "Never done"}


def label(text: str | None) -> str:
    return "" if text is None else text.replace("_", " ")


def day(text: str | None) -> str:
    """An ISO date or timestamp as its day (``2026-06-15``)."""
    return "" if not text else text[:10]


def stamp(text: str | None) -> str:
    """An ISO timestamp as ``2026-06-15 02:00 UTC``."""
    if not text:
        return ""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


class ReportPdf(FPDF):
    def __init__(self, report: dict[str, Any]) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.report = report
        self.add_font(FAMILY, "", str(FONTS / "DejaVuSansCondensed.ttf"))
        self.add_font(FAMILY, "B", str(FONTS / "DejaVuSansCondensed-Bold.ttf"))
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=16)
        self.alias_nb_pages()
        building = report["building"]["name"]
        self.set_title(f"Compliance report: {building}, {report['period_start']} to {report['period_end']}")
        self.set_subject("AS 1851 routine service compliance report")
        self.set_author("FireMode")
        self.set_creator("FireMode")
        finalised = report["finalisation"]
        moment = (finalised or {}).get("finalised_at") or report["generated_at"]
        self.set_creation_date(datetime.fromisoformat(moment.replace("Z", "+00:00")))

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FAMILY, "", 7)
        self.set_text_color(*MUTED)
        status = "FINAL" if self.report["status"] == "final" else "DRAFT — not signed off"
        self.cell(
            0,
            4,
            f"{self.report['building']['name']} · {self.report['period_start']} to "
            f"{self.report['period_end']} · report {self.report['report_id']} · {status}",
            align="L",
        )
        self.set_x(self.l_margin)
        self.cell(0, 4, f"Page {self.page_no()} of {{nb}}", align="R")

    # -- building blocks --------------------------------------------------------------------

    def heading(self, text: str, size: float = 13) -> None:
        if self.will_page_break(size + 12):
            self.add_page()
        self.ln(3)
        self.set_font(FAMILY, "B", size)
        self.set_text_color(*INK)
        self.cell(0, size * 0.55, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*RULE)
        self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.ln(3)

    def text_line(
        self, text: str, size: float = 9, bold: bool = False, color: tuple[int, int, int] = INK
    ) -> None:
        self.set_font(FAMILY, "B" if bold else "", size)
        self.set_text_color(*color)
        self.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def facts(self, rows: Sequence[tuple[str, str]], key_width: float = 45) -> None:
        for key, value in rows:
            self.set_font(FAMILY, "B", 9)
            self.set_text_color(*MUTED)
            self.cell(key_width, 5.5, key)
            self.set_font(FAMILY, "", 9)
            self.set_text_color(*INK)
            self.multi_cell(0, 5.5, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def grid(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        *,
        size: float = 7.5,
        align: Sequence[str] | None = None,
        wrap: int | None = None,
    ) -> None:
        """A table, its headings repeated on every page it spans. ``widths`` are fractions of the
        page's width. Cells are one line (the callers cut long text); the column ``wrap`` wraps
        instead, growing its row. Written as plain text runs: fpdf2's table and cell layout measure
        every cell's text and take seconds for a thousand-asset register."""
        scale = self.epw / sum(widths)
        columns = [width * scale for width in widths]
        aligns = list(align or ["L"] * len(columns))
        line = size * 0.48
        # Characters a line of the wrapped column holds: its width over a wide character's (0.55 em;
        # 1 pt = 0.3528 mm), so no wrapped line overflows into the next column.
        wrap_at = 0 if wrap is None else max(8, int((columns[wrap] - 2) / (size * 0.3528 * 0.55)))

        sure = [int((width - 2) / (size * 0.3528 * 0.95)) for width in columns]  # even at 0.95 em a glyph

        widths_seen: dict[tuple[str, str], float] = {}  # dates, routines, types repeat down a table

        def measure(text: str) -> float:
            key = (self.font_style, text)
            if key not in widths_seen:
                widths_seen[key] = self.get_string_width(text)
            return widths_seen[key]

        def clip(text: str, column: int) -> str:
            """``text`` cut with an ellipsis to fit ``column`` (measured only when it may not)."""
            width = columns[column] - 2
            if column == wrap or len(text) <= sure[column]:
                return text
            measured = measure(text)
            if measured <= width:
                return text
            cut = int(len(text) * width / measured)  # about where it fits, then back to where it does
            while cut and measure(text[:cut] + "…") > width:
                cut -= 1
            return text[:cut] + "…"

        def draw(cells: Sequence[str], bold: bool, fill: tuple[int, int, int] | None) -> None:
            lines: list[list[str]] = [[clip(text, index)] for index, text in enumerate(cells)]
            if wrap is not None and not bold:
                lines[wrap] = textwrap.wrap(cells[wrap], wrap_at) or [""]
            row_height = max(len(cell_lines) for cell_lines in lines) * line + 1.6
            if self.will_page_break(row_height):
                self.add_page()
                if not bold:
                    draw(headings, True, HEADING_FILL)
                    self.set_font(FAMILY, "", size)
            x, y = self.l_margin, self.get_y()
            if fill is not None:
                self.set_fill_color(*fill)
                self.rect(x, y, self.epw, row_height, style="F")
            for index, cell_lines in enumerate(lines):
                baseline = y + 0.8 + line * 0.78
                for text in cell_lines:
                    if text:
                        left = x + 1
                        if aligns[index] == "R":
                            left = x + columns[index] - 1 - measure(text)
                        self.text(left, baseline, text)
                    baseline += line
                x += columns[index]
            self.set_draw_color(*RULE)
            self.line(self.l_margin, y + row_height, self.l_margin + self.epw, y + row_height)
            self.set_xy(self.l_margin, y + row_height)

        self.set_text_color(*INK)
        self.set_font(FAMILY, "B", size)
        draw(headings, True, HEADING_FILL)
        self.set_font(FAMILY, "", size)
        for number, row in enumerate(rows):
            draw(row, False, ROW_FILL if number % 2 else None)
        self.ln(2)

    # -- the report's parts -----------------------------------------------------------------

    def cover(self) -> None:
        report = self.report
        building = report["building"]
        summary = report["summary"]
        self.add_page()
        self.set_font(FAMILY, "B", 9)
        self.set_text_color(*MUTED)
        self.cell(0, 5, "ROUTINE SERVICE OF FIRE PROTECTION SYSTEMS AND EQUIPMENT (AS 1851)")
        self.ln(8)
        self.text_line("Compliance report", 22, bold=True)
        self.ln(1)
        self.text_line(building["name"], 15, bold=True)
        self.text_line(building["address"], 10, color=MUTED)
        self.ln(4)
        status = "Final — signed off" if report["status"] == "final" else "Draft — not signed off"
        self.facts(
            [
                ("Period", f"{report['period_start']} to {report['period_end']} (inclusive, UTC days)"),
                ("States as of", report["as_of"]),
                ("Building type", building["building_type"] or "—"),
                ("Status", status),
                ("Generated", stamp(report["generated_at"])),
                ("Report", report["report_id"]),
            ]
        )
        self.ln(5)
        color, verdict = VERDICT[bool(summary["compliant"])]
        self.set_fill_color(*color)
        self.set_text_color(255, 255, 255)
        self.set_font(FAMILY, "B", 16)
        self.cell(0, 12, f"  {verdict}", fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)
        if summary["reasons"]:
            self.text_line("Why: " + "; ".join(summary["reasons"]) + ".", 10)
        else:
            self.text_line(
                "No routine overdue and no critical defect unrectified on " + report["as_of"] + ".", 10
            )
        if report["status"] != "final":
            self.ln(2)
            self.text_line(
                "DRAFT: this report is worked out afresh each time it is read and may still change "
                "as results sync. It becomes a record when it is finalised.",
                9,
                bold=True,
                color=(176, 42, 55),
            )

    def summary(self) -> None:
        summary = self.report["summary"]
        outcomes = summary["outcomes"]
        self.heading("Summary")
        self.grid(
            ["Register and routines", "Count"],
            [
                ["Assets in the register for the period", str(summary["assets"])],
                ["Routines (asset × routine service)", str(summary["routines"])],
                ["Routines with a record in the period", str(summary["recorded_in_period"])],
                ["  latest outcome pass", str(outcomes["pass"])],
                ["  latest outcome fail", str(outcomes["fail"])],
                ["  not tested", str(outcomes["not_tested"])],
                ["  no access", str(outcomes["no_access"])],
                [f"Not due on {self.report['as_of']}", str(summary["not_due"])],
                ["Due (within the tolerance window)", str(summary["due"])],
                ["Overdue", str(summary["overdue"])],
                ["Never done (within a cycle of registration)", str(summary["never_done"])],
                ["Critical defects not rectified", str(summary["critical_defects_unrectified"])],
                ["Evidence files", str(summary["evidence"])],
            ],
            (80, 20),
            size=8.5,
            align=("L", "R"),
        )
        defects = self.report["defects"]
        self.grid(
            ["Defects by severity", "Opened in period", "Closed in period", "Outstanding"],
            [
                [
                    SEVERITY_LABELS[severity],
                    str(defects["opened"][severity]),
                    str(defects["closed"][severity]),
                    str(defects["outstanding"][severity]),
                ]
                for severity in SEVERITY_LABELS
            ],
            (40, 20, 20, 20),
            size=8.5,
            align=("L", "R", "R", "R"),
        )

    def defects(self) -> None:
        items = self.report["defects"]["items"]
        self.heading("Defects")
        if not items:
            self.text_line("No defect was opened, closed or outstanding in the period.")
            return
        for severity, name in SEVERITY_LABELS.items():
            chosen = [item for item in items if (item["severity"] or "unclassified") == severity]
            if not chosen:
                continue
            self.heading(f"{name} ({len(chosen)})", size=10)
            self.grid(
                ["Asset", "Condition", "Description", "Status", "Opened", "Due", "Closed"],
                [
                    [
                        item["tag"],
                        label(item["condition"]),
                        item["description"],
                        label(item["status"]) + (" (overdue)" if item["overdue"] else ""),
                        day(item["opened_at"]),
                        day(item["due_at"]),
                        day(item["closed_at"]),
                    ]
                    for item in chosen
                ],
                (18, 22, 52, 24, 16, 16, 16),
                wrap=2,
            )

    def assets(self) -> None:
        self.heading("Assets and routine services")
        self.text_line(
            "Outcome: the latest recorded in the period. Last done: the last pass or fail up to "
            f"{self.report['as_of']}. State: on that day.",
            8,
            color=MUTED,
        )
        self.ln(1)
        rows = []
        for asset in self.report["assets"]:
            first = True
            for routine in asset["routines"]:
                rows.append(
                    [
                        asset["tag"] if first else "",
                        label(asset["asset_type"]) if first else "",
                        asset["location"] if first else "",
                        ROUTINE_LABELS.get(routine["routine"], routine["routine"]),
                        label(routine["outcome"]) or "—",
                        day(routine["performed_at"]),
                        day(routine["last_done"]) or "—",
                        day(routine["next_due"]),
                        STATE_LABELS.get(routine["state"] or "", "decommissioned"),
                    ]
                )
                first = False
        if not rows:
            self.text_line("No asset of the register has a routine service in the current routine table.")
            return
        self.grid(
            ["Tag", "Type", "Location", "Routine", "Outcome", "Performed", "Last done", "Next due", "State"],
            rows,
            (17, 23, 36, 13, 12, 15, 15, 15, 14),
            size=7,
        )

    def evidence(self) -> None:
        items = self.report["evidence"]
        self.heading("Evidence")
        if not items:
            self.text_line("No evidence was uploaded with the period's sessions or linked to its defects.")
            return
        self.text_line(
            "Each file's SHA-256 is the hash the device sent and the server verified on upload; "
            "re-hash a copy to check it is the same file.",
            8,
            color=MUTED,
        )
        self.ln(1)
        self.grid(
            ["File", "Type", "Uploaded", "Size", "SHA-256"],
            [
                [
                    item["filename"],
                    label(item["evidence_type"]),
                    day(item["uploaded_at"]),
                    f"{item['size_bytes']:,} B",
                    item["sha256"],
                ]
                for item in items
            ],
            (40, 13, 16, 17, 94),
            size=6.5,
        )

    def technicians(self) -> None:
        items = self.report["technicians"]
        self.heading("Technicians")
        if not items:
            self.text_line("No service record in the period.")
            return
        self.grid(
            ["Name", "Email", "Records in the period"],
            [[item["name"] or "—", item["email"] or item["user_id"], str(item["records"])] for item in items],
            (50, 80, 30),
            size=8,
            align=("L", "L", "R"),
        )

    def sign_off(self) -> None:
        self.heading("Sign-off")
        finalised = self.report["finalisation"]
        if finalised is None:
            self.text_line("Not signed off. Finalising records the signer and the content's SHA-256.", 9)
            self.ln(6)
            self.facts([("Signed", "_" * 40), ("Name", "_" * 40), ("Date", "_" * 20)], key_width=20)
            return
        self.facts(
            [
                ("Signed off by", finalised["signed_by_name"]),
                ("Finalised", stamp(finalised["finalised_at"])),
                ("Content SHA-256", self.report["content_sha256"] or ""),
            ]
        )
        self.ln(2)
        self.text_line(
            "The SHA-256 is of the report's canonical JSON (GET /v1/reports/{id}) without its "
            "content_sha256 field: keys sorted, no whitespace, non-ASCII escaped. The JSON and this "
            "document say the same; the final report never changes.",
            8,
            color=MUTED,
        )


def render(report: dict[str, Any]) -> bytes:
    """The report as PDF bytes."""
    document = ReportPdf(report)
    document.cover()
    document.summary()
    document.sign_off()
    document.defects()
    document.technicians()
    document.evidence()
    document.assets()
    return bytes(document.output())
