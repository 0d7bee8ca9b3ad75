"""Plans pinned byte for byte: a fixed set of programs, each plan's ``repr`` hashed and compared with
the digest recorded when the set was made.

A change that only makes the generator faster must leave every digest as it is. A change that is
meant to change plans (the coaching rules, the scoring) updates the digests in the same commit,
with the reason: run ``python -m tests.alloy.test_plan_digests`` and paste what it prints.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from datetime import date, timedelta

import pytest

from alloy.catalogue.vocabulary import Equipment
from alloy.generator import ProgramSpec, ScoringRules, build_plan
from alloy.generator.model import Goal, ProgressionStyle, SplitTemplate
from alloy.generator.structure import default_split
from tests.alloy.plans import SCORING, shipped_snapshot

SNAPSHOT = shipped_snapshot()
# Another scoring configuration, its dimensions in another order: the weights' order is the order
# the score sums them in.
REVERSED = ScoringRules(
    version=2,
    weights=dict(zip(reversed(list(SCORING.weights)), (0.2, 1.3, 0.0, 0.9, 0.45, 1.0, 0.75), strict=True)),
    qualifying_score=0.55,
)
EQUIPMENT = [str(item) for item in Equipment]
DISCIPLINES = ["powerlifting", "bodybuilding", "crossfit", "yoga", "running", "strongman", "general"]
BENCH_EQUIPMENT = frozenset(
    {"barbell", "dumbbell", "bench", "squat_rack", "pull_up_bar", "cable", "kettlebell", "rower"}
)


def case(number: int) -> tuple[ProgramSpec, ScoringRules]:
    """Program ``number`` of the set: drawn from its own seeded generator, so adding cases never
    changes the others."""
    rng = random.Random(number)  # a fixed sample, not a secret
    days = rng.randint(2, 7)
    picked = rng.sample(list(Goal), rng.randint(1, 3))
    cuts = sorted(rng.sample(range(1, 10), len(picked) - 1))
    bounds = [0, *cuts, 10]
    goals = {goal: bounds[i + 1] - bounds[i] for i, goal in enumerate(picked)}
    equipment = frozenset(rng.sample(EQUIPMENT, rng.randint(0, len(EQUIPMENT))))
    movements = sorted(SNAPSHOT.movements, key=lambda m: m.id)
    hard_no = frozenset(m.id for m in rng.sample(movements, rng.randint(0, 10)))
    reachable = [m for m in movements if m.id not in hard_no and m.equipment <= equipment | {"bodyweight"}]
    hard_yes = frozenset(m.id for m in rng.sample(reachable, min(len(reachable), rng.randint(0, 3))))
    preferred = frozenset(m.id for m in rng.sample(reachable, min(len(reachable), rng.randint(0, 3))))
    templates = [*SplitTemplate, default_split(days, goals)]
    disciplines = {d: rng.randint(0, 10) for d in rng.sample(DISCIPLINES, rng.randint(0, 3))}
    program = ProgramSpec(
        seed=rng.randrange(2**48),
        goals=goals,
        duration_weeks=rng.randint(8, 12),
        start_date=date(2026, 1, 1) + timedelta(days=rng.randint(0, 365)),
        split_template=rng.choice(templates),
        days_per_week=days,
        max_session_minutes=rng.choice([15, 20, 30, 45, 60, 75, 90, 120, 180]),
        equipment=equipment,
        disciplines=disciplines,
        hard_no=hard_no,
        hard_yes=hard_yes,
        preferred=preferred,
        deload_every_n_weeks=rng.randint(2, 8),
        progression_style=rng.choice(list(ProgressionStyle)),
    )
    return program, (REVERSED if number % 5 == 4 else SCORING)


def bench_case() -> tuple[ProgramSpec, ScoringRules]:
    """The benchmark's program (bench/programs.py)."""
    goals = {Goal.STRENGTH: 5, Goal.HYPERTROPHY: 3, Goal.FAT_LOSS: 2}
    program = ProgramSpec(
        seed=uuid.UUID("01a232ec-2889-76fb-a25c-43303f363c58").int & 0xFFFF_FFFF_FFFF,
        goals=goals,
        duration_weeks=12,
        start_date=date(2026, 1, 5),
        split_template=default_split(6, goals),
        days_per_week=6,
        max_session_minutes=75,
        equipment=BENCH_EQUIPMENT,
    )
    return program, SCORING


CASES = {f"case-{number:02d}": case(number) for number in range(40)} | {"bench": bench_case()}


def digest(program: ProgramSpec, scoring: ScoringRules) -> str:
    return hashlib.sha256(repr(build_plan(program, SNAPSHOT, scoring)).encode()).hexdigest()[:20]


# Recorded from the generator as of cce887d (the coaching rules), before any speed-up.
DIGESTS = {
    "bench": "76cf946f3c12dc555695",
    "case-00": "7909c6067a5391fa8d71",
    "case-01": "d89475d182f8568c4fc8",
    "case-02": "5093ee8655ba6654e410",
    "case-03": "820f802bb80a7f0d6682",
    "case-04": "b8f9935985db0ffdf2df",
    "case-05": "b12244796f3c3d6ee199",
    "case-06": "74dc1271d7839b750271",
    "case-07": "b0800c607c124736eeff",
    "case-08": "ca18b7b6f02c51683ce1",
    "case-09": "9c9f080408beab7886df",
    "case-10": "f30b47805858c20417c5",
    "case-11": "85618e1b1d021d9a7c67",
    "case-12": "8d648ca063cf85df0cc9",
    "case-13": "0a3d3125a6a762a60bc3",
    "case-14": "b4965693d7bf9c387d71",
    "case-15": "cc72cf778b3f44c75a02",
    "case-16": "489899c9530ecb083929",
    "case-17": "4f9e23f224c590d36bba",
    "case-18": "8c58804e59fc54eb9cde",
    "case-19": "2efb37a06530f8e645c3",
    "case-20": "4c7599ac755dd85fb29c",
    "case-21": "8f8ad8b83153840b4e2f",
    "case-22": "f86d4312d67bbd58e4b1",
    "case-23": "9b323b4c8e79f1e3346d",
    "case-24": "9c8c900d0cab68c1c286",
    "case-25": "6e82e8c6554f82c98472",
    "case-26": "faea9667773b9e75b859",
    "case-27": "f5013c84a9ca28d801a1",
    "case-28": "7f69b1122a1eb0deabc7",
    "case-29": "f1cb9ec92cf6d997504f",
    "case-30": "5a5bf974392445213d85",
    "case-31": "fb0fce0f8873087959d0",
    "case-32": "270f00457f90a7fa3f79",
    "case-33": "946bfe82beeebb6e2bf3",
    "case-34": "22095159c73b00fd9f56",
    "case-35": "f5c0d172c77dd03d6de6",
    "case-36": "6e2f27646d7ab43261ad",
    "case-37": "d4fa98196c23ecbecafa",
    "case-38": "2ae883f4becc5f78b6e6",
    "case-39": "cbd9912f29b53f54f189",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_plan_is_the_one_recorded(name: str) -> None:
    assert digest(*CASES[name]) == DIGESTS[name]


if __name__ == "__main__":
    for name in sorted(CASES):
        print(f'    "{name}": "{digest(*CASES[name])}",')
