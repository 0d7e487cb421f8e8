"""The VERL backend's configuration: the seed config, merging, hydra validation, and
the command line that launches verl with our rollout manager plugged in.

Merging is plain nested dicts (no verl needed). Validation composes verl's own
``ppo_trainer`` hydra config with our values as overrides, so an unknown or misspelt
key fails the way it would fail inside verl, but before any GPU is touched, with the
key named and close matches suggested.
"""

from __future__ import annotations

import copy
import difflib
import importlib.util
import json
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "SEED_CONFIG",
    "AGL_MANAGER_CLASS",
    "TASK_FIELD",
    "VerlConfigError",
    "deep_merge",
    "flatten",
    "hydra_overrides",
    "validate_verl_config",
    "verl_available",
    "verl_command",
    "load_config_file",
]

AGL_MANAGER_CLASS = "agl_ops.algorithms.verl.manager.AglAgentLoopManager"
TASK_FIELD = "agl_task"  # extra_info[TASK_FIELD] holds the task as JSON in the parquet rows

# Agent Lightning's text-to-SQL example, the seed of this project (GRPO, 32 tasks x 4
# rollouts, vLLM with hermes multi-turn format). model.path is ours.
SEED_CONFIG: dict[str, Any] = {
    "algorithm": {"adv_estimator": "grpo", "use_kl_in_reward": False},
    "data": {"train_batch_size": 32, "max_prompt_length": 4096, "max_response_length": 2048},
    "actor_rollout_ref": {
        "rollout": {
            "name": "vllm", "n": 4, "tensor_model_parallel_size": 1, "log_prob_micro_batch_size_per_gpu": 4,
            "gpu_memory_utilization": 0.8, "multi_turn": {"format": "hermes"},
        },
        "actor": {
            "ppo_mini_batch_size": 32, "ppo_micro_batch_size_per_gpu": 4, "optim": {"lr": 1e-6},
            "use_kl_loss": False, "kl_loss_coef": 0.0, "entropy_coeff": 0, "clip_ratio_low": 0.2, "clip_ratio_high": 0.3,
        },
        "ref": {"log_prob_micro_batch_size_per_gpu": 8},
        "model": {"path": "models/base", "use_remove_padding": True, "enable_gradient_checkpointing": True},
    },
    "trainer": {
        "n_gpus_per_node": 1, "nnodes": 1, "val_before_train": True, "critic_warmup": 0, "logger": ["console"],
        "project_name": "agl-ops", "experiment_name": "text2sql", "test_freq": 32, "save_freq": 64, "total_epochs": 2,
    },
}

# keys verl's YAML lacks, passed with hydra's '+' (append) prefix: our own section, and
# fields verl's dataclasses read with .get() but its YAML does not declare
_OWN_SECTIONS = ("agl",)
_APPEND_KEYS = frozenset({"actor_rollout_ref.rollout.agent.agent_loop_manager_class"})
_SIMPLE = re.compile(r"^[A-Za-z0-9_./:@-]+$")


class VerlConfigError(ValueError):
    """The verl config is invalid; the message names the key."""


def verl_available() -> bool:
    return importlib.util.find_spec("verl") is not None


def deep_merge(base: Mapping[str, Any], *overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """Nested dicts merged left to right (later wins); lists and scalars are replaced."""
    out = copy.deepcopy(dict(base))
    for over in overrides:
        for key, value in (over or {}).items():
            if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
                out[key] = deep_merge(out[key], value)
            else:
                out[key] = copy.deepcopy(value)
    return out


def flatten(cfg: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted key, leaf value) pairs; an empty dict is a leaf."""
    for key, value in cfg.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from flatten(value, dotted + ".")
        else:
            yield dotted, value


def _hydra_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_hydra_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{k}:{_hydra_value(v)}" for k, v in value.items()) + "}"
    text = str(value)
    if text.startswith("${") or _SIMPLE.match(text):
        return text
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def hydra_overrides(cfg: Mapping[str, Any]) -> list[str]:
    """Hydra command-line overrides (``a.b=value``; ``+agl.x=value`` for our own keys)."""
    out = []
    for key, value in flatten(cfg):
        plus = "+" if key.split(".", 1)[0] in _OWN_SECTIONS or key in _APPEND_KEYS else ""
        out.append(f"{plus}{key}={_hydra_value(value)}")
    return out


def _compose(overrides: list[str]) -> Any:
    from hydra import compose, initialize_config_module
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    with initialize_config_module(config_module="verl.trainer.config", version_base=None):
        return compose(config_name="ppo_trainer", overrides=overrides)


def _unknown_key_error(cfg: Mapping[str, Any], defaults: Any) -> VerlConfigError | None:
    """Find the first key of ``cfg`` that verl's defaults lack, with suggestions."""
    from omegaconf import OmegaConf

    for key, _ in flatten(cfg):
        if key.split(".", 1)[0] in _OWN_SECTIONS or key in _APPEND_KEYS:
            continue
        node: Any = defaults
        parts = key.split(".")
        for i, part in enumerate(parts):
            if not OmegaConf.is_dict(node):
                break  # a free-form leaf (e.g. a dict-valued option): anything goes below it
            if part not in node.keys():
                parent = ".".join(parts[:i]) or "<top level>"
                close = difflib.get_close_matches(part, [str(k) for k in node.keys()], n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else f"; valid keys under {parent}: {', '.join(sorted(map(str, node.keys()))[:25])}"
                return VerlConfigError(f"verl config: unknown key {key!r} ({part!r} is not in {parent}){hint}")
            if i == len(parts) - 1:
                break
            node = node[part]
    return None


def _disabled(cfg: Any, key: str) -> bool:
    """True when ``key`` lies in a section switched off (an ancestor with enable: false),
    e.g. the reward model's rollout settings when no reward model is used."""
    from omegaconf import OmegaConf

    parts = key.split(".")
    for i in range(len(parts) - 1, 0, -1):
        node = OmegaConf.select(cfg, ".".join(parts[:i]), throw_on_missing=False)
        if OmegaConf.is_dict(node) and "enable" in node.keys() and node.get("enable") is False:
            return True
    return False


_DATACLASS_SECTIONS = ("algorithm", "actor_rollout_ref.actor", "actor_rollout_ref.rollout")


def _check_dataclasses(cfg: Any) -> None:
    """Build the typed configs verl builds at start-up; their checks (loss modes,
    estimator names...) then fail here instead of on the GPU cluster."""
    from omegaconf import OmegaConf
    from verl.utils.config import omega_conf_to_dataclass

    for path in _DATACLASS_SECTIONS:
        try:
            omega_conf_to_dataclass(OmegaConf.select(cfg, path))
        except Exception as exc:  # hydra wraps the dataclass's own ValueError
            cause = exc.__cause__ or exc
            raise VerlConfigError(f"verl config: {path} is invalid: {cause}") from None


def validate_verl_config(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Compose verl's ``ppo_trainer`` with ``cfg`` and return the full resolved-as-far-as-
    possible config as a dict. Raises :class:`VerlConfigError` naming the bad key.

    Without verl installed only the top-level sections are checked.
    """
    if not verl_available():
        known = set(SEED_CONFIG) | {"critic", "reward_model", "custom_reward_function", "reward", "global_profiler",
                                    "ray_kwargs", "model_engine", "distillation", "transfer_queue", "sandbox_fusion",
                                    *_OWN_SECTIONS}
        bad = sorted(set(cfg) - known)
        if bad:
            raise VerlConfigError(f"verl config: unknown top-level section(s) {bad}; install the [verl] extra for a full check")
        return copy.deepcopy(dict(cfg))
    from omegaconf import OmegaConf

    defaults = _compose([])
    err = _unknown_key_error(cfg, defaults)
    if err is not None:
        raise err
    try:
        composed = _compose(hydra_overrides(cfg))
    except Exception as exc:  # hydra's ConfigCompositionException / OverrideParseException / type errors
        raise VerlConfigError(f"verl config rejected by hydra: {exc}") from None
    missing = sorted(k for k in OmegaConf.missing_keys(composed) if not _disabled(composed, k))
    if missing:
        raise VerlConfigError(f"verl config: mandatory value(s) missing: {', '.join(missing)}")
    _check_dataclasses(composed)
    return OmegaConf.to_container(composed, resolve=False)  # type: ignore[return-value]


def verl_command(cfg: Mapping[str, Any], python: str | None = None) -> list[str]:
    """The command that trains with ``cfg``: verl's own PPO entry point, our rollout
    manager plugged in through ``actor_rollout_ref.rollout.agent.agent_loop_manager_class``."""
    return [python or sys.executable, "-m", "verl.trainer.main_ppo", *hydra_overrides(cfg)]


def load_config_file(path: str | Path) -> dict[str, Any]:
    """A verl config from a YAML/JSON file: params.yaml (its ``train.verl.config``) or a
    plain verl config."""
    import yaml

    p = Path(path)
    data = json.loads(p.read_text()) if p.suffix == ".json" else yaml.safe_load(p.read_text())
    if not isinstance(data, dict):
        raise VerlConfigError(f"{p} must hold a mapping")
    if "train" in data and isinstance(data["train"], dict):
        return dict((data["train"].get("verl") or {}).get("config") or {})
    return data
