"""What `firemode migrate` loads besides the schema: the shipped routine table and classification
rules, each only into a database that has none yet (an admin's later versions are kept)."""

from __future__ import annotations

from sqlalchemy import Connection

from firemode.defects.shipped_rules import load_shipped_rules
from firemode.routines.defaults import load_shipped_routines

SHIPPED = (("routines", load_shipped_routines), ("classification rules", load_shipped_rules))


def load_shipped_reference_data(connection: Connection) -> list[str]:
    """The names of what was loaded, in one transaction (the caller's)."""
    return [name for name, load in SHIPPED if load(connection)]
