"""Getting new policy weights into the model server that the rollouts use.

The trainer calls ``reload(weights_dir, version)`` after every update. For LoRA the
directory is a peft adapter (the server merges it into a fresh copy of its base model);
for a full fine-tune it is a complete model directory.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

__all__ = ["Reloader", "ServerReloader", "EngineReloader", "NoReload", "version_id"]

logger = logging.getLogger(__name__)


def version_id(step: int) -> str:
    """The model version string the server reports after the update of ``step``."""
    return f"grpo-step-{step}"


@runtime_checkable
class Reloader(Protocol):
    def reload(self, weights_dir: Path, version: str, *, adapter: bool = True) -> str: ...


class ServerReloader:
    """Hot reload on an ``agl-ops serve`` server (``adapter_path`` or ``model_path``) through
    :func:`~agl_ops.llm.client.reload_model`."""

    def __init__(self, base_url: str, *, token: str | None = None, timeout_s: float = 600.0) -> None:
        self.base_url = base_url.rstrip("/").removesuffix("/v1")
        self.token = token
        self.timeout_s = timeout_s

    def reload(self, weights_dir: Path, version: str, *, adapter: bool = True) -> str:
        from agl_ops.llm.client import reload_model  # httpx only when a reload happens

        path = str(Path(weights_dir).resolve())
        served = reload_model(self.base_url, adapter_path=path if adapter else None,
                              model_path=None if adapter else path, version=version,
                              token=self.token, timeout_s=self.timeout_s)
        logger.info("server %s now serves %s", self.base_url, served)
        return served


class EngineReloader:
    """Reload an in-process :class:`agl_ops.llm.engine.Engine` (no HTTP hop)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def reload(self, weights_dir: Path, version: str, *, adapter: bool = True) -> str:
        if adapter:
            return str(self.engine.reload(adapter_path=str(weights_dir), version=version))
        return str(self.engine.reload(model_path=str(weights_dir), version=version))


class NoReload:
    """For runs whose rollouts do not sample from the policy (tests, offline data)."""

    def reload(self, weights_dir: Path, version: str, *, adapter: bool = True) -> str:
        return version
