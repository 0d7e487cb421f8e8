"""The base of every params.yaml section model, and the error a bad value raises.

Apart from :mod:`agl_ops.config` so components can own their config models (the
algorithms' in :mod:`agl_ops.algorithms.config`, the SQL task's in
:mod:`agl_ops.tasks.sql.params`) without importing the whole of params.yaml.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["ConfigError", "Section"]


class ConfigError(ValueError):
    """params.yaml (or an override) is invalid; the message names the key."""


class Section(BaseModel):
    """Unknown keys are errors and assignments are validated: a typo never silently
    falls back to a default."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)
