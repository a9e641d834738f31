"""Who may use the console: nobody needs credentials on loopback unless they are configured; beyond loopback
the config requires them (see `ConsoleConfig`). No web framework here.

Reads config keys `console.token_env` (a shared token, sent as `Authorization: Bearer <token>` or as the
password of HTTP basic auth with any user name) and `console.basic_auth_env` ("user:password").
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from dataclasses import dataclass
from typing import Mapping

from listener.config.schema import ConsoleConfig
from listener.errors import ConfigError


@dataclass(frozen=True)
class Credentials:
    token: str | None = None
    user: str | None = None
    password: str | None = None

    def user_of(self, authorization: str) -> str | None:
        """The user an `Authorization` header proves, or None; always "console" when nothing is required."""
        if self.token is None and self.password is None:
            return "console"
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and self.token is not None and secrets.compare_digest(value.strip(), self.token):
            return "token"
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        if self.token is not None and secrets.compare_digest(password, self.token):
            return user or "token"
        if self.password is not None and secrets.compare_digest(f"{user}:{password}", f"{self.user}:{self.password}"):
            return user
        return None


def credentials(config: ConsoleConfig, environ: Mapping[str, str] | None = None) -> Credentials:
    """The configured credentials, read from the environment; a named but empty variable is an error (a console
    that silently opened up would be worse than one that does not start)."""
    environ = os.environ if environ is None else environ
    token = user = password = None
    if config.token_env:
        token = environ.get(config.token_env, "").strip()
        if not token:
            raise ConfigError(f"console.token_env names ${config.token_env}, which is empty")
    if config.basic_auth_env:
        user, sep, password = environ.get(config.basic_auth_env, "").strip().partition(":")
        if not (user and sep and password):
            raise ConfigError(f"console.basic_auth_env names ${config.basic_auth_env}, which must hold user:password")
    return Credentials(token=token, user=user, password=password)
