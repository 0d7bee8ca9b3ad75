import firemode.models  # noqa: F401 - registers every table on the metadata
from apikit.migrations import run_migrations
from firemode.database import Base

run_migrations(Base.metadata)
