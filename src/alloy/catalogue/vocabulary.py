"""The closed vocabularies of the catalogue. Stored as strings; validated against these enums."""

from __future__ import annotations

from enum import StrEnum


class Pattern(StrEnum):
    SQUAT = "squat"
    HINGE = "hinge"
    LUNGE = "lunge"
    HORIZONTAL_PUSH = "horizontal_push"
    VERTICAL_PUSH = "vertical_push"
    HORIZONTAL_PULL = "horizontal_pull"
    VERTICAL_PULL = "vertical_pull"
    CARRY = "carry"
    CORE = "core"
    ROTATION = "rotation"
    PLYOMETRIC = "plyometric"
    OLYMPIC = "olympic"
    ISOLATION = "isolation"
    CONDITIONING = "conditioning"
    CARDIO = "cardio"
    MOBILITY = "mobility"


class Muscle(StrEnum):
    QUADRICEPS = "quadriceps"
    HAMSTRINGS = "hamstrings"
    GLUTES = "glutes"
    ADDUCTORS = "adductors"
    ABDUCTORS = "abductors"
    CALVES = "calves"
    HIP_FLEXORS = "hip_flexors"
    CHEST = "chest"
    LATS = "lats"
    UPPER_BACK = "upper_back"
    TRAPS = "traps"
    LOWER_BACK = "lower_back"
    FRONT_DELTS = "front_delts"
    SIDE_DELTS = "side_delts"
    REAR_DELTS = "rear_delts"
    BICEPS = "biceps"
    TRICEPS = "triceps"
    FOREARMS = "forearms"
    ABS = "abs"
    OBLIQUES = "obliques"
    NECK = "neck"
    CARDIOVASCULAR = "cardiovascular"


class Equipment(StrEnum):
    BODYWEIGHT = "bodyweight"
    BARBELL = "barbell"
    DUMBBELL = "dumbbell"
    KETTLEBELL = "kettlebell"
    CABLE = "cable"
    MACHINE = "machine"
    SMITH_MACHINE = "smith_machine"
    BENCH = "bench"
    SQUAT_RACK = "squat_rack"
    PULL_UP_BAR = "pull_up_bar"
    DIP_BARS = "dip_bars"
    RINGS = "rings"
    RESISTANCE_BAND = "resistance_band"
    MEDICINE_BALL = "medicine_ball"
    PLYO_BOX = "plyo_box"
    TRAP_BAR = "trap_bar"
    EZ_BAR = "ez_bar"
    LANDMINE = "landmine"
    SLED = "sled"
    SANDBAG = "sandbag"
    GHD = "ghd"
    AB_WHEEL = "ab_wheel"
    JUMP_ROPE = "jump_rope"
    ROWER = "rower"
    BIKE = "bike"
    SKI_ERG = "ski_erg"
    TREADMILL = "treadmill"
    WALL_BALL_TARGET = "wall_ball_target"


class Discipline(StrEnum):
    POWERLIFTING = "powerlifting"
    OLYMPIC_WEIGHTLIFTING = "olympic_weightlifting"
    BODYBUILDING = "bodybuilding"
    CROSSFIT = "crossfit"
    STRONGMAN = "strongman"
    CALISTHENICS = "calisthenics"
    RUNNING = "running"
    YOGA = "yoga"
    GENERAL = "general"


class Tier(StrEnum):
    """Where a movement sits in a program: the big lifts it is built on, their variants, the rest."""

    PRIMARY = "primary"
    SECONDARY = "secondary"
    ACCESSORY = "accessory"


# Explosive work loses its point when fatigue slows it: never more than this many reps a set.
EXPLOSIVE_PATTERNS = frozenset({"plyometric", "olympic"})
EXPLOSIVE_MAX_REPS = 6


class BodyRegion(StrEnum):
    """Parts of the body a lifter can keep load off (profile ``avoid_regions``) or report sore
    (readiness ``soreness``). Which regions a movement loads is derived in ``catalogue.regions``."""

    NECK = "neck"
    SHOULDERS = "shoulders"
    ELBOWS = "elbows"
    WRISTS = "wrists"
    CHEST = "chest"
    UPPER_BACK = "upper_back"
    LOWER_BACK = "lower_back"
    CORE = "core"
    HIPS = "hips"
    KNEES = "knees"
    ANKLES = "ankles"


class MetricType(StrEnum):
    REPS = "reps"
    TIME = "time"
    DISTANCE = "distance"


class CircuitType(StrEnum):
    ROUNDS_FOR_TIME = "rounds_for_time"
    AMRAP = "amrap"
    EMOM = "emom"
    LADDER = "ladder"
    TABATA = "tabata"
    CHIPPER = "chipper"
