"""Model registry: trained model directories as registered MLflow pyfunc models.

A model is logged as the pyfunc in :mod:`agl_ops.tracking.pyfunc_model`, which
generates with transformers. We use pyfunc rather than the transformers flavor so a
LoRA run logs only its adapter (a few MB) and references the base model directory
(DVC-tracked ``models/base``) instead of copying ~540 MB per version; ``include_base``
bundles the base for a self-contained model. A full (merged) directory is copied, or
only referenced with ``reference_only``.

Each version carries, as tags, the metrics the promotion gate compares
(``agl.metric.<name>``) and the prompt set it was evaluated with
(``agl.prompt_versions``). Model versions are strings in MLflow's API (its sqlite store
hands back ints) and ints here: :func:`mlflow_version` and :func:`version_number` are the
one place that converts.
"""

from __future__ import annotations

import json
import logging
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agl_ops.tracking.backend import client
from agl_ops.tracking.prompts import parse_prompt_set_tag, prompt_set_tag

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "METRIC_TAG_PREFIX",
    "PROMPTS_TAG",
    "ModelVersionInfo",
    "mlflow_version",
    "version_number",
    "is_adapter_dir",
    "flatten_metrics",
    "log_model",
    "register_model",
    "set_model_alias",
    "get_model_version",
    "load_model",
]

logger = logging.getLogger(__name__)

CHALLENGER = "challenger"
CHAMPION = "champion"
METRIC_TAG_PREFIX = "agl.metric."
PROMPTS_TAG = "agl.prompt_versions"
PROMPT_PREFIX_TAG = "agl.prompt_prefix"
_PYFUNC_CODE = Path(__file__).with_name("pyfunc_model.py")
_REQUIREMENTS = ("torch", "transformers", "peft", "safetensors")


def mlflow_version(version: int | str) -> str:
    """Our int model version -> MLflow's string."""
    return str(int(version))


def version_number(version: int | str) -> int:
    """MLflow's string model version -> our int."""
    return int(version)


@dataclass(frozen=True)
class ModelVersionInfo:
    """A registered model version as the pipeline sees it."""

    name: str
    version: int
    run_id: str | None
    metrics: dict[str, float] = field(default_factory=dict)
    prompt_versions: dict[str, int] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"


def _info(mv: Any) -> ModelVersionInfo:
    tags = dict(mv.tags or {})
    metrics = {k[len(METRIC_TAG_PREFIX):]: float(v) for k, v in tags.items() if k.startswith(METRIC_TAG_PREFIX)}
    return ModelVersionInfo(
        name=mv.name, version=version_number(mv.version), run_id=mv.run_id, metrics=metrics,
        prompt_versions=parse_prompt_set_tag(tags.get(PROMPTS_TAG)), aliases=tuple(mv.aliases or ()), tags=tags,
    )


def is_adapter_dir(path: str | Path) -> bool:
    return (Path(path) / "adapter_config.json").is_file()


def flatten_metrics(metrics: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """``{"test": {"accuracy": 0.5}}`` -> ``{"test_accuracy": 0.5}`` (DVC metric files
    nest; the gate compares flat names). Non-numbers are dropped."""
    flat: dict[str, float] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_metrics(value, prefix=f"{name}_"))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            flat[name] = float(value)
    return flat


def _base_of_adapter(adapter_dir: Path, base_model: str | Path | None) -> Path:
    if base_model is not None:
        return Path(base_model).resolve()
    config = json.loads((adapter_dir / "adapter_config.json").read_text())
    recorded = config.get("base_model_name_or_path")
    if recorded and Path(recorded).is_dir():
        return Path(recorded).resolve()
    raise ValueError(f"adapter {adapter_dir} records base model {recorded!r}, which is not a local directory: "
                     "pass base_model (e.g. models/base)")


def _layout(model_dir: Path, base_model: str | Path | None, include_base: bool,
            reference_only: bool) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """(artifacts, model_config, tags) for the pyfunc, per kind of model directory."""
    if is_adapter_dir(model_dir):
        base = _base_of_adapter(model_dir, base_model)
        artifacts = {"weights": str(model_dir)}
        config: dict[str, Any] = {}
        if include_base:
            artifacts["base"] = str(base)
        else:
            config["base_model_path"] = str(base)
        return artifacts, config, {"agl.model_kind": "adapter", "agl.base_model": str(base)}
    if not (model_dir / "config.json").is_file():
        raise ValueError(f"{model_dir} is neither a PEFT adapter (adapter_config.json) nor a HF model (config.json)")
    if reference_only:
        return {}, {"model_path": str(model_dir)}, {"agl.model_kind": "reference", "agl.model_path": str(model_dir)}
    return {"weights": str(model_dir)}, {}, {"agl.model_kind": "full"}


def _signature() -> Any:
    """Prompts in, texts out, generation settings as params (so predict accepts them)."""
    from mlflow.models.signature import ModelSignature
    from mlflow.types.schema import ColSpec, ParamSchema, ParamSpec, Schema

    return ModelSignature(
        inputs=Schema([ColSpec("string")]),
        outputs=Schema([ColSpec("string")]),
        params=ParamSchema([ParamSpec("max_new_tokens", "long", 256), ParamSpec("temperature", "double", 0.0)]),
    )


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def log_model(
    model_dir: str | Path,
    *,
    registered_model_name: str | None = None,
    base_model: str | Path | None = None,
    include_base: bool = False,
    reference_only: bool = False,
    generation: Mapping[str, Any] | None = None,
    name: str = "model",
) -> tuple[Any, int | None]:
    """Log ``model_dir`` as a pyfunc model in the active run (and register it).

    Returns MLflow's ModelInfo and the registered version (None when not registered).
    """
    import mlflow

    model_path = Path(model_dir).resolve()
    artifacts, config, _ = _layout(model_path, base_model, include_base, reference_only)
    config.update(generation or {})
    started = time.perf_counter()
    with warnings.catch_warnings():  # advice about type hints / input examples: we give a signature
        warnings.simplefilter("ignore", UserWarning)
        info = mlflow.pyfunc.log_model(
            name=name, python_model=str(_PYFUNC_CODE), artifacts=artifacts or None, model_config=config or None,
            signature=_signature(), pip_requirements=list(_REQUIREMENTS),
            registered_model_name=registered_model_name, await_registration_for=0,
        )
    logged_bytes = sum(_dir_size(Path(a)) if Path(a).is_dir() else Path(a).stat().st_size for a in artifacts.values())
    logger.info("logged model %s (%.1f MB of weights) in %.1fs", model_path.name, logged_bytes / 1e6,
                time.perf_counter() - started)
    version = info.registered_model_version
    return info, (version_number(version) if version is not None else None)


def register_model(
    model_dir: str | Path,
    name: str,
    *,
    metrics: Mapping[str, Any] | None = None,
    prompt_versions: Mapping[str, int] | None = None,
    prompt_prefix: str | None = None,
    base_model: str | Path | None = None,
    include_base: bool = False,
    reference_only: bool = False,
    alias: str | None = CHALLENGER,
    tags: Mapping[str, Any] | None = None,
) -> ModelVersionInfo:
    """Log + register a model directory with its metrics and prompt set as tags, and
    point ``alias`` (``challenger``) at the new version. Needs an active run (the
    ``register`` stage run); the metrics are also logged to that run."""
    import mlflow

    if mlflow.active_run() is None:
        raise RuntimeError("register_model needs an active run: call it inside `with stage_run('register'):`")
    model_path = Path(model_dir).resolve()
    flat = flatten_metrics(metrics or {})
    _, _, layout_tags = _layout(model_path, base_model, include_base, reference_only)
    _, version = log_model(model_path, registered_model_name=name, base_model=base_model,
                           include_base=include_base, reference_only=reference_only)
    if version is None:
        raise RuntimeError(f"MLflow logged {model_path} but did not register it as {name!r}")
    all_tags: dict[str, Any] = {**layout_tags, "agl.model_dir": str(model_path), **(tags or {})}
    all_tags.update({f"{METRIC_TAG_PREFIX}{k}": repr(v) for k, v in flat.items()})
    if prompt_versions:
        all_tags[PROMPTS_TAG] = prompt_set_tag(prompt_versions)
    if prompt_prefix:
        all_tags[PROMPT_PREFIX_TAG] = prompt_prefix
    mlflow_client = client()
    for key, value in all_tags.items():
        mlflow_client.set_model_version_tag(name, mlflow_version(version), key, str(value))
    if flat:
        mlflow.log_metrics(flat)
    if prompt_versions:
        mlflow.set_tag(PROMPTS_TAG, prompt_set_tag(prompt_versions))
    if alias:
        set_model_alias(name, alias, version)
    return get_model_version(name, version)


def set_model_alias(name: str, alias: str, version: int | str) -> None:
    client().set_registered_model_alias(name, alias, mlflow_version(version))


def get_model_version(name: str, version_or_alias: int | str) -> ModelVersionInfo | None:
    """A version by number (int or digit string) or alias; None if there is none."""
    from mlflow.exceptions import MlflowException

    mlflow_client = client()
    try:
        if isinstance(version_or_alias, int) or str(version_or_alias).isdigit():
            mv = mlflow_client.get_model_version(name, mlflow_version(version_or_alias))
        else:
            mv = mlflow_client.get_model_version_by_alias(name, str(version_or_alias))
    except MlflowException as exc:
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            return None
        raise
    return _info(mv)


def load_model(name: str, version_or_alias: int | str = CHAMPION) -> Any:
    """The registered model as an MLflow pyfunc (``.predict(["prompt", ...])``)."""
    import mlflow

    if isinstance(version_or_alias, int) or str(version_or_alias).isdigit():
        uri = f"models:/{name}/{mlflow_version(version_or_alias)}"
    else:
        uri = f"models:/{name}@{version_or_alias}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return mlflow.pyfunc.load_model(uri)
