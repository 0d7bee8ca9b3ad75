"""Programs and their sessions on the fast read path (:mod:`apikit.db.fastread`): the program list,
a program with its schedule, and a program's session list, each the owner's only (``caller_id`` is
a parameter of every statement: another user's program is not there)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Boolean, Date, Select, Uuid, bindparam, select

from alloy.programs.models import Program, ProgramWeek, TrainingSession
from alloy.programs.repository import BY_DATE, NEWEST_FIRST, SESSION_COUNT, program_not_found
from apikit.db.fastread import Reader, ReadStatement, raw_json, row_json
from apikit.pagination import KeysetReads, PageRequest, read_page

_CALLER = bindparam("caller_id", type_=Uuid())
_PROGRAM = bindparam("program_id", type_=Uuid())

# ProgramOut's fields, in its order (the JSON columns as stored: the answer's own shapes).
PROGRAM_FIELDS: tuple[Any, ...] = (
    Program.id.label("program_id"),
    Program.name,
    Program.notes,
    raw_json(Program.goals),
    Program.duration_weeks,
    Program.start_date,
    Program.end_date,
    Program.split_template,
    Program.days_per_week,
    Program.max_session_minutes,
    raw_json(Program.disciplines),
    raw_json(Program.equipment),
    raw_json(Program.movement_rules),
    Program.deload_every_n_weeks,
    Program.progression_style,
    raw_json(Program.avoid_regions),
    Program.scoring_version,
    Program.is_active,
    SESSION_COUNT.label("session_count"),
    Program.created_at,
    Program.updated_at,
)


def _programs(by_state: bool) -> Select[Any]:
    statement = select(*PROGRAM_FIELDS).where(Program.user_id == _CALLER)
    return (
        statement.where(Program.is_active == bindparam("is_active", type_=Boolean()))
        if by_state
        else statement
    )


# SessionSummary's fields, in its order.
SESSION_FIELDS: tuple[Any, ...] = (
    TrainingSession.id.label("session_id"),
    TrainingSession.day_number,
    TrainingSession.scheduled_date,
    TrainingSession.focus,
    TrainingSession.estimated_minutes,
    TrainingSession.status,
)


def _sessions(since: bool, until: bool) -> Select[Any]:
    statement = select(*SESSION_FIELDS).where(
        TrainingSession.program_id == _PROGRAM, TrainingSession.user_id == _CALLER
    )
    if since:
        statement = statement.where(TrainingSession.scheduled_date >= bindparam("first", type_=Date()))
    if until:
        statement = statement.where(TrainingSession.scheduled_date <= bindparam("last", type_=Date()))
    return statement


PROGRAM_LIST = KeysetReads(NEWEST_FIRST, _programs)
SESSION_LIST = KeysetReads(BY_DATE, _sessions)
OWNS_PROGRAM = ReadStatement(select(Program.id).where(Program.id == _PROGRAM, Program.user_id == _CALLER))
PROGRAM_DETAIL = ReadStatement(
    select(*PROGRAM_FIELDS).where(Program.id == _PROGRAM, Program.user_id == _CALLER)
)
_WEEK_FIELDS: tuple[Any, ...] = (ProgramWeek.week_number, ProgramWeek.is_deload)
WEEKS = ReadStatement(
    select(*_WEEK_FIELDS).where(ProgramWeek.program_id == _PROGRAM).order_by(ProgramWeek.week_number)
)
# Every session of the program, week by week, each week's in ProgramWeek.sessions' order.
SCHEDULE = ReadStatement(
    select(TrainingSession.week_number.label("_week"), *SESSION_FIELDS)
    .where(TrainingSession.program_id == _PROGRAM)
    .order_by(TrainingSession.week_number, TrainingSession.scheduled_date, TrainingSession.id)
)


class ProgramReads:
    """One user's programs and their sessions, on the fast read path; another's are not there."""

    def __init__(self, reader: Reader, user_id: uuid.UUID) -> None:
        self.reader = reader
        self.user_id = user_id

    async def newest_first(self, page: PageRequest, is_active: bool | None) -> bytes:
        """A page's JSON (``CursorPage[ProgramOut]``)."""
        found = await read_page(
            self.reader,
            PROGRAM_LIST,
            page=page,
            shape=(is_active is not None,),
            params={"caller_id": self.user_id, "is_active": is_active},
            filters={"is_active": is_active},
        )
        return found.cursor_page()

    async def detail(self, program_id: uuid.UUID) -> bytes:
        """The program with its schedule as JSON (``ProgramDetailOut``), or a 404."""
        params = {"caller_id": self.user_id, "program_id": program_id}
        row = await self.reader.one(PROGRAM_DETAIL, params)
        if row is None:
            raise program_not_found(program_id)
        weeks = await self.reader.all(WEEKS, params)
        sessions = await self.reader.all(SCHEDULE, params)
        by_week: dict[int, list[dict[str, Any]]] = {week["week_number"]: [] for week in weeks}
        for session in sessions:
            summary = dict(session)
            by_week.setdefault(summary.pop("_week"), []).append(summary)
        fields = dict(row)
        fields["schedule"] = [
            {
                "week_number": week["week_number"],
                "is_deload": week["is_deload"],
                "sessions": by_week[week["week_number"]],
            }
            for week in weeks
        ]
        return row_json(fields, PROGRAM_DETAIL)

    async def sessions_of(
        self, program_id: uuid.UUID, page: PageRequest, first: date | None, last: date | None
    ) -> bytes:
        """The program's sessions by date, between ``first`` and ``last`` (inclusive) when given,
        as a page's JSON (``CursorPage[SessionSummary]``); a 404 for another's program."""
        params = {"caller_id": self.user_id, "program_id": program_id, "first": first, "last": last}
        if await self.reader.one(OWNS_PROGRAM, params) is None:
            raise program_not_found(program_id)
        filters = {
            "program": str(program_id),
            "from": first and first.isoformat(),
            "to": last and last.isoformat(),
        }
        found = await read_page(
            self.reader,
            SESSION_LIST,
            page=page,
            shape=(first is not None, last is not None),
            params=params,
            filters=filters,
        )
        return found.cursor_page()
