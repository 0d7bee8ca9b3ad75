"""Wiring identity into a service's app, and the one identity route both services answer alike.

No ``from __future__ import annotations`` here: the logout route's annotations name a local
variable, which FastAPI must evaluate where it is defined.
"""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request, Response, status

from apikit.auth.dependencies import IdentityDep, Principal, PrincipalDependency
from apikit.auth.identity import Identity, LoginRates
from apikit.auth.models import IdentityModels
from apikit.auth.passwords import PasswordHasher
from apikit.auth.revocation import RevocationList
from apikit.auth.tokens import AccessTokens
from apikit.db.engine import WriteSession
from apikit.openapi import error_responses
from apikit.purge import dead_refresh_families, expired_revocations
from apikit.settings import ServiceSettings


def install_identity(app: FastAPI, models: IdentityModels) -> Identity:
    """Access tokens, the revocation list and the login rules, on ``app.state.identity``; the
    identity tables' purgeable kinds on ``app.state.purgeable_kinds``."""
    settings: ServiceSettings = app.state.settings
    access_lifetime = timedelta(minutes=settings.access_token_minutes)
    identity = Identity(
        models=models,
        database=app.state.database,
        access_tokens=AccessTokens(
            secret=settings.secret("secret_key"),
            issuer=settings.service_name,
            audience=f"{settings.service_name}-api",
            lifetime=access_lifetime,
        ),
        revocations=RevocationList(
            database=app.state.database,
            revoked_model=models.revoked_token,
            user_model=models.user,
            access_lifetime=access_lifetime,
            redis=app.state.redis,
            namespace=settings.namespace,
            sync_seconds=settings.revocation_sync_seconds,
            timeout_seconds=settings.redis_timeout_seconds,
        ),
        hasher=PasswordHasher(
            settings.password_hash_profile,
            workers=settings.password_hash_workers,
            queue=settings.password_hash_queue,
        ),
        limiter=app.state.rate_limiter,
        metrics=app.state.metrics,
        refresh_lifetime=timedelta(days=settings.refresh_token_days),
        login_rates=LoginRates(
            settings.login_rate_per_address,
            settings.login_rate_per_account,
            settings.login_backstop_per_account,
        ),
    )
    app.state.identity = identity
    app.state.startup_hooks.append(identity.revocations.start)
    app.state.shutdown_hooks.append(identity.revocations.stop)
    app.state.purgeable_kinds.extend(
        [
            expired_revocations(app.state.database, models.revoked_token),
            dead_refresh_families(app.state.database, models.refresh_token, identity.refresh_lifetime),
        ]
    )
    return identity


def add_logout_route(router: APIRouter, principal: PrincipalDependency) -> None:
    """``POST <prefix>/auth/logout``, the same in every service: the caller's access token and
    its refresh family stop working; 204 with no body (so no envelope either)."""
    caller_of = Annotated[Principal, Depends(principal)]

    async def log_out(
        request: Request, caller: caller_of, session: WriteSession, identity: IdentityDep
    ) -> Response:
        assert caller.claims is not None  # a bearer login always has them
        await identity.logout(session, request, caller.claims)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    router.add_api_route(
        "/auth/logout",
        log_out,
        methods=["POST"],
        status_code=status.HTTP_204_NO_CONTENT,
        response_class=Response,
        summary="Revoke this access token and its refresh family",
        responses=error_responses(401),
    )
