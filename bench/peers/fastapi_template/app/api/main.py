# Copied from github.com/fastapi/full-stack-fastapi-template, commit 68adb40d, backend/app/api/main.py.
# Changed: the items router only (login, users, utils and private need the e-mail stack, and
# the benchmark mints its token with app.core.security instead of logging in).
from fastapi import APIRouter

from app.api.routes import items

api_router = APIRouter()
api_router.include_router(items.router)

