"""Time-based one-time passwords (RFC 6238) with replay refused and secrets encrypted at rest."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

import pyotp
from cryptography.fernet import Fernet, InvalidToken

ISSUER = "Alloy"


class TotpBox:
    """Makes, encrypts and checks TOTP secrets; the key is derived from the service secret."""

    def __init__(self, service_secret: bytes) -> None:
        key = hashlib.sha256(b"alloy.totp\x00" + service_secret).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def new_secret(self) -> tuple[str, str]:
        """``(plain secret for the user, encrypted secret to store)``."""
        secret = pyotp.random_base32()
        return secret, self._fernet.encrypt(secret.encode()).decode()

    def provisioning_uri(self, secret: str, email: str) -> str:
        return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)

    def matching_step(self, encrypted: str, code: str, *, after: int | None, now: datetime) -> int | None:
        """The time step ``code`` is valid for (±1 step of clock drift), if it is later than
        ``after`` — a step already used is refused, so a code works once."""
        try:
            secret = self._fernet.decrypt(encrypted.encode()).decode()
        except InvalidToken:
            return None
        totp = pyotp.TOTP(secret)
        current = totp.timecode(now)
        given = code.encode()  # compare_digest refuses str with non-ASCII characters; bytes never
        for step in (current, current - 1, current + 1):
            expected = totp.generate_otp(step).encode()
            if (after is None or step > after) and hmac.compare_digest(expected, given):
                return step
        return None
