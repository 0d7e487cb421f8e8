"""params.yaml -> one validated, typed config. The single source of parameters.

Every component reads its own section model (``cfg.store``, ``cfg.serve``...). Unknown
keys, wrong types and bad values fail at load time with one message naming the key,
so a typo never silently falls back to a default. CLI flags override by dotted key
(``--set train.lr=1e-5``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = [
    "ConfigError",
    "Params",
    "StoreParams",
    "RunnerParams",
    "TrackingParams",
    "load_params",
    "apply_overrides",
    "DEFAULT_PARAMS_PATH",
]

DEFAULT_PARAMS_PATH = Path("params.yaml")


class ConfigError(ValueError):
    """params.yaml (or an override) is invalid; the message names the key."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class StoreParams(Section):
    url: str = Field("sqlite:///.agl/store.db", description="Store URL: memory, sqlite:///file.db, postgresql+psycopg://..., http://host:port")
    heartbeat_timeout_s: float = Field(30.0, gt=0, description="An attempt with no heartbeat for this long is timed out and retried")


class RunnerParams(Section):
    n_runners: int = Field(2, ge=1, description="Runner workers executing rollouts in parallel")
    backend: str = Field("process", pattern="^(process|thread)$", description="Runners as OS processes or threads")
    max_attempts: int = Field(2, ge=1, description="Tries per rollout before it is failed")
    timeout_s: float = Field(300.0, gt=0, description="Time limit of one attempt")
    heartbeat_interval_s: float = Field(5.0, gt=0, description="How often a runner tells the store it is alive")


class TrackingParams(Section):
    tracking_uri: str = Field("sqlite:///.agl/mlflow.db", description="MLflow tracking (and registry) URI; the MLFLOW_TRACKING_URI environment variable overrides it")
    artifact_root: str | None = Field(None, description="Where new experiments keep artifacts (default: mlartifacts/ beside a sqlite tracking db)")
    experiment: str = Field("agl-ops/text2sql", min_length=1, description="MLflow experiment: one per task")
    registered_model: str = Field("agl-ops-text2sql", min_length=1, description="Registered model name in the MLflow model registry")
    prompt_name: str = Field("text2sql", pattern=r"^[A-Za-z0-9_.-]+$", description="Prompt registry prefix: each prompt of the set is registered as <prompt_name>-<role>")
    promotion_metric: str = Field("test_accuracy", min_length=1, description="Metric compared by the promotion gate (from the model versions' metric tags)")
    promotion_margin: float = Field(0.0, ge=0, description="The challenger must beat the champion by at least this much (and by more than zero)")
    greater_is_better: bool = Field(True, description="Direction of the promotion metric")
    max_traces: int = Field(50, ge=0, description="Evaluation rollouts logged as MLflow traces per run (0 = none)")
    ui_port: int = Field(5000, ge=1, le=65535, description="Port of `agl-ops ui` (bound to 127.0.0.1)")


class Params(Section):
    """The whole of params.yaml. Sections absent from the file take their defaults."""

    seed: int = Field(0, description="Global seed for data generation, sampling and training")
    store: StoreParams = Field(default_factory=StoreParams)
    runner: RunnerParams = Field(default_factory=RunnerParams)
    tracking: TrackingParams = Field(default_factory=TrackingParams)


def _format_errors(exc: ValidationError, source: str) -> str:
    lines = [f"invalid parameters in {source}:"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            lines.append(f"  {key}: unknown key (check the spelling; see params.yaml for the valid keys)")
        else:
            lines.append(f"  {key}: {err['msg']} (got {err.get('input')!r})")
    return "\n".join(lines)


def _parse_scalar(text: str) -> Any:
    return yaml.safe_load(text) if text != "" else ""


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``key.sub=value`` strings (YAML-parsed values) to a raw params dict."""
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"override {item!r} must look like key.sub=value")
        key, value = item.split("=", 1)
        node = data
        parts = key.strip().split(".")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"override {item!r}: {part!r} is not a section")
            node = child
        node[parts[-1]] = _parse_scalar(value)
    return data


def load_params(path: str | Path | None = DEFAULT_PARAMS_PATH, overrides: list[str] | None = None) -> Params:
    """Read and validate params.yaml (a missing default file means all defaults)."""
    data: dict[str, Any] = {}
    source = "defaults"
    if path is not None:
        p = Path(path)
        if p.exists():
            source = str(p)
            try:
                loaded = yaml.safe_load(p.read_text()) or {}
            except yaml.YAMLError as exc:
                raise ConfigError(f"{p} is not valid YAML: {exc}") from exc
            if not isinstance(loaded, dict):
                raise ConfigError(f"{p} must be a mapping of sections, got {type(loaded).__name__}")
            data = loaded
        elif Path(path) != DEFAULT_PARAMS_PATH:
            raise ConfigError(f"params file {p} does not exist")
    data = apply_overrides(data, overrides or [])
    try:
        return Params.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, source)) from None
