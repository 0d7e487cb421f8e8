"""Pydantic models shared by every component: the store's records and the resources.

These are the wire format of the HTTP store and the rows of the SQL store, so they
stay plain data (JSON-serialisable) with no behaviour beyond small conveniences.
"""

from __future__ import annotations

import threading
import time
import uuid
from enum import Enum
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AttemptStatus",
    "RolloutStatus",
    "RolloutMode",
    "Rollout",
    "Attempt",
    "AttemptedRollout",
    "Span",
    "SpanKind",
    "Triplet",
    "LLM",
    "PromptTemplate",
    "Settings",
    "SETTINGS_RESOURCE",
    "Resource",
    "ResourcesUpdate",
    "new_id",
    "next_sequence_id",
]


def new_id(prefix: str) -> str:
    """Short unique id with a readable prefix (``ro-1a2b...``)."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


_seq_lock = threading.Lock()
_last_seq = 0


def next_sequence_id() -> int:
    """Monotonic, time-based sequence id (ns since epoch, strictly increasing per process).

    Spans of one attempt come from several producers (the runner's tracer and the LLM
    proxy); a time-based id orders them across processes on one machine without a
    round trip to the store.
    """
    global _last_seq
    with _seq_lock:
        _last_seq = max(_last_seq + 1, time.time_ns())
        return _last_seq


class RolloutStatus(str, Enum):
    QUEUING = "queuing"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (RolloutStatus.SUCCEEDED, RolloutStatus.FAILED)


class AttemptStatus(str, Enum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMEOUT = "timeout"  # no heartbeat in time, or over the rollout's time limit


RolloutMode = Literal["train", "val", "test"]


class Rollout(BaseModel):
    """One task to run, with its life cycle: queuing -> running -> succeeded | failed."""

    rollout_id: str
    input: Any
    mode: RolloutMode | None = None
    resources_id: str | None = None
    status: RolloutStatus = RolloutStatus.QUEUING
    created_at: float
    finished_at: float | None = None
    attempt_count: int = 0
    max_attempts: int = 1
    timeout_s: float | None = None
    reward: float | None = None
    error: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class Attempt(BaseModel):
    """One try of a rollout by one runner; only the live attempt may finish its rollout."""

    rollout_id: str
    attempt_id: str
    sequence_id: int  # 1 for the first try, 2 for the first retry, ...
    worker_id: str | None = None
    status: AttemptStatus = AttemptStatus.RUNNING
    start_time: float
    end_time: float | None = None
    last_heartbeat: float
    error: str | None = None


class AttemptedRollout(BaseModel):
    """What a runner gets from ``claim_rollout``."""

    rollout: Rollout
    attempt: Attempt

    @property
    def rollout_id(self) -> str:
        return self.rollout.rollout_id

    @property
    def attempt_id(self) -> str:
        return self.attempt.attempt_id

    @property
    def mode(self) -> RolloutMode | None:
        return self.rollout.mode


class SpanKind(str, Enum):
    LLM = "llm"  # one model call, written by the proxy
    REWARD = "reward"
    MESSAGE = "message"
    AGENT = "agent"  # framework spans (LangChain / LangGraph nodes, tools)
    OTHER = "other"


class Span(BaseModel):
    """A traced operation of an attempt. One LLM call is exactly one span."""

    model_config = ConfigDict(use_enum_values=False)

    rollout_id: str
    attempt_id: str
    sequence_id: int = Field(default_factory=next_sequence_id)
    span_id: str = Field(default_factory=lambda: uuid.uuid4().hex[:16])
    trace_id: str | None = None
    parent_id: str | None = None
    name: str
    kind: SpanKind = SpanKind.OTHER
    start_time: float = Field(default_factory=time.time)
    end_time: float | None = None
    status: Literal["ok", "error"] = "ok"
    attributes: dict[str, Any] = Field(default_factory=dict)


class Triplet(BaseModel):
    """One (prompt, response, reward) transition for RL, built from an LLM span."""

    rollout_id: str
    attempt_id: str
    span_name: str
    turn: int
    prompt_ids: list[int]
    response_ids: list[int]
    response_logprobs: list[float] | None = None
    reward: float
    metadata: dict[str, Any] = Field(default_factory=dict)


class LLM(BaseModel):
    """An OpenAI-compatible endpoint the agent calls (usually the tracing proxy).

    ``get_base_url`` gives the per-attempt URL so the proxy can attribute every call
    to its rollout and attempt. With ``proxied=False`` the endpoint is a plain
    OpenAI-compatible server and is returned unchanged.
    """

    resource_type: Literal["llm"] = "llm"
    endpoint: str
    model: str
    sampling_parameters: dict[str, Any] = Field(default_factory=dict)
    proxied: bool = True
    api_key: str = "agl-ops"

    def get_base_url(self, rollout_id: str | None = None, attempt_id: str | None = None) -> str:
        base = self.endpoint.rstrip("/")
        if not self.proxied or rollout_id is None or attempt_id is None:
            return base if base.endswith("/v1") else f"{base}/v1"
        if base.endswith("/v1"):
            base = base[: -len("/v1")]
        return f"{base}/rollout/{rollout_id}/attempt/{attempt_id}/v1"


class PromptTemplate(BaseModel):
    """A prompt the optimizer may rewrite. ``engine='f-string'`` uses ``str.format``."""

    resource_type: Literal["prompt_template"] = "prompt_template"
    template: str
    engine: Literal["f-string"] = "f-string"

    def format(self, **kwargs: Any) -> str:
        return self.template.format(**kwargs)


SETTINGS_RESOURCE = "agent_settings"  # the conventional name of an agent's Settings resource


class Settings(BaseModel):
    """Knobs of an agent that an optimizer may tune besides its prompts (JSON values):
    how many demonstrations to show, whether decoding is constrained... The agent
    documents the keys it reads; unknown keys are ignored."""

    resource_type: Literal["settings"] = "settings"
    values: dict[str, Any] = Field(default_factory=dict)


Resource = Annotated[Union[LLM, PromptTemplate, Settings], Field(discriminator="resource_type")]


class ResourcesUpdate(BaseModel):
    """A named, versioned set of resources. Rollouts point at one by ``resources_id``."""

    resources_id: str
    version: int
    created_at: float
    resources: dict[str, Resource]

