"""Keep secrets out of MLflow and logs: every run param and tag value passes through
:func:`redact`; URLs that commands print pass through :func:`mask_url`.

Runs log the whole resolved config, and a config may carry credentials: a Postgres
``store.url`` with a password, a tracking URI with user:password, an ``api_key`` in a
VERL override. Bearer tokens (``AGL_STORE_TOKEN``, ``AGL_PROXY_TOKEN``,
``AGL_SERVE_TOKEN``) and API keys live in the environment; should one end up in a value
anyway (pasted into an endpoint URL, say), it is masked too.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

__all__ = ["MASK", "mask_url", "redact", "redact_values", "secret_env_values"]

MASK = "***"
# the last segment of a dotted key that names a secret (`max_tokens`, `api_key_env` are not secrets)
_SECRET_KEY = re.compile(r"(?:^|[._-])(?:token|api_?key|password|passwd|secret|credentials?)$", re.IGNORECASE)
_SECRET_ENV = re.compile(r"TOKEN|API_?KEY|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][\w+.-]*://[^/\s:@]*:)([^@\s/]+)(@)")
_MIN_SECRET_CHARS = 4  # shorter env values ("1", "no") would mask ordinary text


def secret_env_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of environment variables whose name says they are secret, longest first."""
    env = os.environ if environ is None else environ
    values = {v for k, v in env.items() if _SECRET_ENV.search(k) and len(v) >= _MIN_SECRET_CHARS}
    return sorted(values, key=len, reverse=True)


def mask_url(url: str) -> str:
    """``url`` with the password of its user:password@ part masked (for printing)."""
    return _URL_PASSWORD.sub(rf"\1{MASK}\3", url)


def redact(key: str, value: str, secrets: list[str] | None = None) -> str:
    """``value`` with passwords in URLs and known secret values masked; the whole value
    when ``key`` names a secret."""
    if _SECRET_KEY.search(key) and value not in ("", "null", "None"):
        return MASK
    value = mask_url(value)
    for secret in secret_env_values() if secrets is None else secrets:
        if secret in value:
            value = value.replace(secret, MASK)
    return value


def redact_values(values: Mapping[str, str]) -> dict[str, str]:
    """:func:`redact` over a flat ``{key: value}`` map (params or tags)."""
    secrets = secret_env_values()
    return {k: redact(k, v, secrets) if isinstance(v, str) else v for k, v in values.items()}
