"""Wiring identity into a service's app."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from apikit.auth.identity import Identity, IdentityModels, LoginRates
from apikit.auth.passwords import PasswordHasher
from apikit.auth.revocation import RevocationList
from apikit.auth.tokens import AccessTokens
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
    app.state.purgeable_kinds.extend(
        [
            expired_revocations(app.state.database, models.revoked_token),
            dead_refresh_families(app.state.database, models.refresh_token, identity.refresh_lifetime),
        ]
    )
    return identity
