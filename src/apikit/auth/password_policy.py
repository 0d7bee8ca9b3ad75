"""What makes a password acceptable: length, zxcvbn strength, and not the account's own name."""

from __future__ import annotations

from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 128  # past this, hashing and strength estimation cost more than any password needs
MIN_SCORE = 3
_ZXCVBN_MAX = 72  # zxcvbn refuses longer input; a longer password is judged by its first 72


def password_problems(password: str, *, email: str, other_inputs: tuple[str, ...] = ()) -> list[str]:
    """Reasons the password is refused; empty when it is acceptable."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(f"use at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        return [f"use at most {MAX_LENGTH} characters"]
    local_part = email.split("@", 1)[0].lower()
    if len(local_part) >= 3 and local_part in password.lower():
        problems.append("do not include your email address")
    strength = zxcvbn(password[:_ZXCVBN_MAX], user_inputs=[email, local_part, *other_inputs])
    if strength["score"] < MIN_SCORE:
        feedback = strength["feedback"]
        problems.append(feedback.get("warning") or "it is too easy to guess")
        problems += [suggestion for suggestion in feedback.get("suggestions", []) if suggestion]
    return problems
