"""``HttpStore``: the Store protocol over HTTP, for runners in other processes or machines.

Transport failures are retried with backoff. A request that surely never reached the
server (connection refused) is retried for every method, so a store server restart is
survived; other failures are retried only where a repeat is harmless (reads,
heartbeats, finishing an attempt, and spans, which the store de-duplicates by id).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import orjson
from pydantic import TypeAdapter

from agl_ops.store.base import StoreError, UnknownIdError, monotonic_deadline
from agl_ops.store.server import MAX_WAIT_PER_REQUEST_S
from agl_ops.types import (
    Attempt,
    AttemptedRollout,
    AttemptStatus,
    Resource,
    ResourcesUpdate,
    Rollout,
    RolloutMode,
    RolloutStatus,
    Span,
)

__all__ = ["HttpStore"]

logger = logging.getLogger(__name__)

_rollouts = TypeAdapter(list[Rollout])
_attempts = TypeAdapter(list[Attempt])
_spans = TypeAdapter(list[Span])
_maybe_attempted = TypeAdapter(AttemptedRollout | None)
_maybe_rollout = TypeAdapter(Rollout | None)
_maybe_resources = TypeAdapter(ResourcesUpdate | None)


class HttpStore:
    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout_s: float = 60.0,
        retry_for_s: float = 120.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.retry_for_s = retry_for_s
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=self.url,
            headers=headers,
            timeout=httpx.Timeout(timeout_s, connect=5.0),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
        )

    def _call(self, method: str, path: str, *, idempotent: bool, **kwargs: Any) -> bytes:
        deadline = time.monotonic() + self.retry_for_s
        delay = 0.05
        while True:
            try:
                resp = self._http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                never_sent = isinstance(exc, httpx.ConnectError)
                if not (idempotent or never_sent) or time.monotonic() > deadline:
                    raise StoreError(f"store at {self.url} unreachable: {exc}") from exc
                logger.warning("store %s unreachable (%s); retrying in %.2fs", self.url, exc, delay)
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            if resp.status_code < 400:
                return resp.content
            message = _message(resp)
            if resp.status_code == 404:
                raise UnknownIdError(message)
            raise StoreError(f"store error {resp.status_code}: {message}")

    # -- protocol -------------------------------------------------------------------
    def enqueue_rollouts(
        self,
        inputs: Sequence[Any],
        *,
        mode: RolloutMode | None = None,
        resources_id: str | None = None,
        max_attempts: int = 1,
        timeout_s: float | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> list[Rollout]:
        body = {
            "inputs": list(inputs),
            "mode": mode,
            "resources_id": resources_id,
            "max_attempts": max_attempts,
            "timeout_s": timeout_s,
            "metadata": dict(metadata) if metadata else None,
        }
        return _rollouts.validate_json(self._call("POST", "/v1/rollouts", idempotent=False, json=body))

    def claim_rollout(self, worker_id: str) -> AttemptedRollout | None:
        raw = self._call("POST", "/v1/rollouts/claim", idempotent=False, json={"worker_id": worker_id})
        return _maybe_attempted.validate_json(raw)

    def heartbeat(self, attempt_id: str) -> bool:
        raw = self._call("POST", f"/v1/attempts/{attempt_id}/heartbeat", idempotent=True)
        return bool(orjson.loads(raw)["alive"])

    def finish_attempt(
        self,
        attempt_id: str,
        status: AttemptStatus,
        *,
        reward: float | None = None,
        error: str | None = None,
    ) -> Rollout | None:
        body = {"status": AttemptStatus(status).value, "reward": reward, "error": error}
        raw = self._call("POST", f"/v1/attempts/{attempt_id}/finish", idempotent=True, json=body)
        return _maybe_rollout.validate_json(raw)

    def add_spans(self, spans: Sequence[Span]) -> int:
        if not spans:
            return 0
        content = _spans.dump_json(list(spans))
        headers = {"content-type": "application/json"}
        self._call("POST", "/v1/spans", idempotent=True, content=content, headers=headers)
        return len(spans)

    def add_resources(
        self, resources: Mapping[str, Resource], resources_id: str | None = None
    ) -> ResourcesUpdate:
        payload = {k: v.model_dump(mode="json") for k, v in resources.items()}
        raw = self._call(
            "POST", "/v1/resources", idempotent=False,
            json={"resources": payload, "resources_id": resources_id},
        )
        return ResourcesUpdate.model_validate_json(raw)

    def get_resources(self, resources_id: str | None = None) -> ResourcesUpdate | None:
        path = "/v1/resources/latest" if resources_id is None else f"/v1/resources/{resources_id}"
        return _maybe_resources.validate_json(self._call("GET", path, idempotent=True))

    def query_rollouts(
        self,
        *,
        rollout_ids: Sequence[str] | None = None,
        status: Sequence[RolloutStatus] | None = None,
        mode: RolloutMode | None = None,
    ) -> list[Rollout]:
        body = {
            "rollout_ids": list(rollout_ids) if rollout_ids is not None else None,
            "status": [RolloutStatus(s).value for s in status] if status is not None else None,
            "mode": mode,
        }
        return _rollouts.validate_json(self._call("POST", "/v1/rollouts/query", idempotent=True, json=body))

    def query_attempts(self, rollout_id: str) -> list[Attempt]:
        return _attempts.validate_json(self._call("GET", f"/v1/rollouts/{rollout_id}/attempts", idempotent=True))

    def query_spans(self, rollout_id: str, attempt_id: str | None = None) -> list[Span]:
        params = {"attempt_id": attempt_id} if attempt_id is not None else None
        raw = self._call("GET", f"/v1/rollouts/{rollout_id}/spans", idempotent=True, params=params)
        return _spans.validate_json(raw)

    def wait_for_rollouts(
        self, rollout_ids: Sequence[str], timeout_s: float | None = None
    ) -> list[Rollout]:
        deadline = monotonic_deadline(timeout_s)
        ids = list(rollout_ids)
        while True:
            remaining = MAX_WAIT_PER_REQUEST_S if deadline is None else max(0.0, deadline - time.monotonic())
            chunk = min(remaining, MAX_WAIT_PER_REQUEST_S)
            raw = self._call(
                "POST", "/v1/rollouts/wait", idempotent=True,
                json={"rollout_ids": ids, "timeout_s": chunk},
            )
            done = _rollouts.validate_json(raw)
            if len(done) == len(set(ids)) or (deadline is not None and time.monotonic() >= deadline):
                return done

    def close(self) -> None:
        self._http.close()


def _message(resp: httpx.Response) -> str:
    try:
        data = resp.json()
    except ValueError:
        return resp.text[:500]
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict) and "message" in err:
            return str(err["message"])
        if "detail" in data:
            return str(data["detail"])
    return resp.text[:500]
