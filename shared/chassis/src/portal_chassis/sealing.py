"""Secrets that travel inside events (a reset token, a verification code) are sealed.

Anyone may read the topics (operators, the data warehouse); only services holding the event
sealing key can open the secret. Fernet authenticates as well as encrypts, so a forged or
altered value is refused.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken


class SealingError(Exception):
    pass


class Sealer:
    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode())
        except ValueError as exc:
            raise SealingError("EVENT_SEALING_KEY is not a valid Fernet key") from exc

    @staticmethod
    def new_key() -> str:
        return Fernet.generate_key().decode()

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise SealingError("sealed value cannot be opened with this key") from exc
