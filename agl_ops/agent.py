"""LitAgent: the one interface an agent implements to be run, traced and optimized.

An agent's code does not change for training: it reads its LLM endpoint and prompts
from ``resources`` and returns a reward (or emits one with ``agl.emit_reward``).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from agl_ops.types import LLM, AttemptedRollout, PromptTemplate, Resource

__all__ = ["LitAgent", "FunctionAgent", "rollout", "call_rollout"]


class LitAgent:
    """Subclass and implement ``rollout`` (plain ``def`` or ``async def``).

    ``task`` is the rollout's input (for example one dataset row), ``resources`` the
    resources set the rollout was queued with (``resources["main_llm"]`` is an
    :class:`~agl_ops.types.LLM`), and ``rollout`` carries ``rollout_id``/``attempt_id``
    for ``llm.get_base_url(rollout.rollout_id, rollout.attempt_id)``.
    Return the reward, or None if the agent emitted it with ``agl.emit_reward``.
    """

    def rollout(self, task: Any, resources: Mapping[str, Resource], rollout: AttemptedRollout) -> float | None:
        raise NotImplementedError(f"{type(self).__name__} must implement rollout()")

    @property
    def name(self) -> str:
        return type(self).__name__


class FunctionAgent(LitAgent):
    """A LitAgent around a plain function, made by :func:`rollout`.

    The function asks for what it needs by parameter: ``task``, ``resources``,
    ``rollout``, or a parameter annotated ``LLM`` / ``PromptTemplate`` which receives
    the resource of that name (or the only resource of that type).
    """

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self._params = inspect.signature(fn).parameters
        self.is_async = inspect.iscoroutinefunction(fn)

    @property
    def name(self) -> str:
        return getattr(self.fn, "__name__", "agent")

    def _arguments(self, task: Any, resources: Mapping[str, Resource], rollout: AttemptedRollout) -> dict[str, Any]:
        args: dict[str, Any] = {}
        for i, (pname, param) in enumerate(self._params.items()):
            if pname == "task" or (i == 0 and pname not in ("resources", "rollout")):
                args[pname] = task
            elif pname == "resources":
                args[pname] = resources
            elif pname == "rollout":
                args[pname] = rollout
            else:
                args[pname] = _resource_for(pname, param.annotation, resources)
        return args

    def rollout(self, task: Any, resources: Mapping[str, Resource], rollout: AttemptedRollout) -> Any:
        return self.fn(**self._arguments(task, resources, rollout))

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled by reference to the decorated module-level function (spawned runners)
        return (_load_function_agent, (self.fn.__module__, self.fn.__qualname__))


def _load_function_agent(module: str, qualname: str) -> FunctionAgent:
    import importlib

    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj if isinstance(obj, FunctionAgent) else FunctionAgent(obj)


def _resource_for(pname: str, annotation: Any, resources: Mapping[str, Resource]) -> Resource:
    if pname in resources:
        return resources[pname]
    wanted = {LLM: LLM, "LLM": LLM, PromptTemplate: PromptTemplate, "PromptTemplate": PromptTemplate}.get(annotation)
    if wanted is not None:
        matches = [r for r in resources.values() if isinstance(r, wanted)]
        if len(matches) == 1:
            return matches[0]
        raise TypeError(
            f"parameter {pname!r} wants one {wanted.__name__} resource, found {len(matches)}; "
            f"name the parameter after one of {sorted(resources)}"
        )
    raise TypeError(f"no resource named {pname!r} (resources: {sorted(resources)})")


def rollout(fn: Callable[..., Any]) -> FunctionAgent:
    """Decorator: turn ``def agent(task, llm: LLM) -> float`` into a LitAgent."""
    return FunctionAgent(fn)


async def call_rollout(
    agent: LitAgent, task: Any, resources: Mapping[str, Resource], attempted: AttemptedRollout
) -> Any:
    """Run ``agent.rollout`` whether it is sync or async; sync agents run in a thread so
    the runner's event loop keeps heartbeating and can enforce the time limit."""
    fn = agent.rollout
    if (isinstance(agent, FunctionAgent) and agent.is_async) or inspect.iscoroutinefunction(fn):
        return await fn(task, resources, attempted)
    # to_thread copies the context, so the attempt's tracing context follows the agent
    result = await asyncio.to_thread(fn, task, resources, attempted)
    if inspect.isawaitable(result):
        result = await result
    return result
