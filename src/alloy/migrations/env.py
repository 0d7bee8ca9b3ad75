import alloy.models  # noqa: F401 - registers every table on the metadata
from alloy.database import Base
from apikit.migrations import run_migrations

run_migrations(Base.metadata)
