"""The peer's data, made with the peer's own code: its tables (``SQLModel.metadata.create_all``,
in place of its Alembic migrations), one user (``crud.create_user``, its password hashed by its
``security`` module), ``--items`` items of theirs (``crud.create_item``), and an access token minted
by ``security.create_access_token`` as its login does. Prints ``{"token": …}``.

Run in the peer's own environment, from this directory, with its settings in the environment
(``bench/hot_reads.py`` does both).
"""

from __future__ import annotations

import argparse
import json
from datetime import timedelta

from app import crud
from app.core import security
from app.core.config import settings
from app.core.db import engine
from app.models import ItemCreate, UserCreate
from sqlmodel import Session, SQLModel

EMAIL = "owner@bench.example.com"
PASSWORD = "tangerine quarry lantern 42 bicycle"  # noqa: S105 - a throwaway bench account


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, required=True)
    args = parser.parse_args()
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        user = crud.create_user(session=session, user_create=UserCreate(email=EMAIL, password=PASSWORD))
        for number in range(args.items):
            item = ItemCreate(title=f"Bench item {number}", description=f"Item number {number}")
            crud.create_item(session=session, item_in=item, owner_id=user.id)
        user_id = user.id
    token = security.create_access_token(
        user_id, expires_delta=timedelta(minutes=settings.ACCESS_TOKEN_EXPIRE_MINUTES)
    )
    print(json.dumps({"token": token}))


if __name__ == "__main__":
    main()
