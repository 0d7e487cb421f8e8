"""Training-reward shaping: what GRPO optimises, when the task reward alone is too sparse.

A weak model rarely earns the task reward, so most GRPO groups have no reward variance
and teach nothing. A shaped reward keeps the task reward on top (a full success always
beats any partial credit) and adds a little credit for being closer; evaluation still
uses the task reward alone. Rules are pure functions ``(rollout, spans, reward,
options) -> float`` in a registry keyed by name: ``none`` (the episode reward) is built
in, a task registers its own with :func:`register_shaping` when its module is imported
(the SQL task's are in :mod:`agl_ops.tasks.sql.shaping`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from agl_ops.types import Rollout, Span

__all__ = ["ShapingFn", "SHAPING_RULES", "register_shaping", "shaping_rule", "shaped_reward"]

ShapingFn = Callable[[Rollout, Sequence[Span], float, Mapping[str, float]], float]

SHAPING_RULES: dict[str, ShapingFn] = {}


def register_shaping(name: str) -> Callable[[ShapingFn], ShapingFn]:
    """Register a shaping rule under ``name`` (a second rule under the same name is a bug)."""

    def deco(fn: ShapingFn) -> ShapingFn:
        if SHAPING_RULES.get(name, fn) is not fn:
            raise ValueError(f"reward shaping rule {name!r} is registered twice")
        SHAPING_RULES[name] = fn
        return fn

    return deco


@register_shaping("none")
def _none(rollout: Rollout, spans: Sequence[Span], reward: float, opts: Mapping[str, float]) -> float:
    return reward


def shaping_rule(name: str) -> ShapingFn:
    """The rule registered as ``name``; an unknown name raises, listing the valid ones."""
    try:
        return SHAPING_RULES[str(getattr(name, "value", name))]
    except KeyError:
        valid = ", ".join(SHAPING_RULES)
        raise ValueError(f"unknown reward shaping {name!r}; valid: {valid} "
                         "(a task registers its rules when its shaping module is imported)") from None


def shaped_reward(rule: str, rollout: Rollout, spans: Sequence[Span], reward: float,
                  options: Mapping[str, float] | None = None) -> float:
    """The training reward of an episode whose task reward is ``reward``."""
    return shaping_rule(rule)(rollout, spans, reward, options or {})
