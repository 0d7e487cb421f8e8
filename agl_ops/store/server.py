"""HTTP server exposing any Store (``agl-ops store serve``), one route per protocol method.

Runners on other processes or machines reach the store through ``HttpStore`` with the
same protocol. Errors map to clear 4xx: unknown id 404, invalid state 409, bad body 422.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from agl_ops.serving import DEFAULT_MAX_BODY_BYTES, install_guards
from agl_ops.store.base import Store, StoreError, UnknownIdError
from agl_ops.types import AttemptStatus, Resource, RolloutMode, RolloutStatus, Span

__all__ = ["create_store_app", "MAX_WAIT_PER_REQUEST_S"]

MAX_WAIT_PER_REQUEST_S = 20.0  # long-poll cap; the client loops for longer waits

_spans_adapter = TypeAdapter(list[Span])


class EnqueueRequest(BaseModel):
    inputs: list[Any]
    mode: RolloutMode | None = None
    resources_id: str | None = None
    max_attempts: int = Field(1, ge=1)
    timeout_s: float | None = Field(None, gt=0)
    metadata: dict[str, Any] | None = None


class ClaimRequest(BaseModel):
    worker_id: str = Field(min_length=1, max_length=120)


class FinishRequest(BaseModel):
    status: AttemptStatus
    reward: float | None = None
    error: str | None = None


class ResourcesRequest(BaseModel):
    resources: dict[str, Resource]
    resources_id: str | None = Field(None, min_length=1, max_length=80)


class QueryRequest(BaseModel):
    rollout_ids: list[str] | None = None
    status: list[RolloutStatus] | None = None
    mode: RolloutMode | None = None


class WaitRequest(BaseModel):
    rollout_ids: list[str]
    timeout_s: float | None = Field(None, ge=0)


def _json(value: Any, status_code: int = 200) -> Response:
    if isinstance(value, BaseModel):
        body = value.model_dump_json().encode()
    elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
        body = b"[" + b",".join(v.model_dump_json().encode() for v in value) + b"]"
    else:
        body = orjson.dumps(value)
    return Response(body, status_code=status_code, media_type="application/json")


def _error(status_code: int, message: str, kind: str) -> Response:
    return _json({"error": {"message": message, "type": kind}, "detail": message}, status_code)


def create_store_app(store: Store, *, token: str | None = None, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> FastAPI:
    app = FastAPI(title="agl-ops store", version="1")
    install_guards(app, token=token, max_body_bytes=max_body_bytes)

    @app.exception_handler(UnknownIdError)
    async def _unknown(_r: Request, exc: UnknownIdError) -> Response:
        return _error(404, str(exc), "not_found")

    @app.exception_handler(StoreError)
    async def _conflict(_r: Request, exc: StoreError) -> Response:
        return _error(409, str(exc), "conflict")

    @app.exception_handler(RequestValidationError)
    async def _invalid(_r: Request, exc: RequestValidationError) -> Response:
        return _error(422, _describe(exc.errors()), "invalid_request")

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/rollouts")
    def enqueue(req: EnqueueRequest) -> Response:
        return _json(
            store.enqueue_rollouts(
                req.inputs,
                mode=req.mode,
                resources_id=req.resources_id,
                max_attempts=req.max_attempts,
                timeout_s=req.timeout_s,
                metadata=req.metadata,
            )
        )

    @app.post("/v1/rollouts/claim")
    def claim(req: ClaimRequest) -> Response:
        return _json(store.claim_rollout(req.worker_id))

    @app.post("/v1/rollouts/query")
    def query(req: QueryRequest) -> Response:
        return _json(store.query_rollouts(rollout_ids=req.rollout_ids, status=req.status, mode=req.mode))

    @app.post("/v1/rollouts/wait")
    def wait(req: WaitRequest) -> Response:
        timeout = MAX_WAIT_PER_REQUEST_S if req.timeout_s is None else min(req.timeout_s, MAX_WAIT_PER_REQUEST_S)
        return _json(store.wait_for_rollouts(req.rollout_ids, timeout))

    @app.get("/v1/rollouts/{rollout_id}/attempts")
    def attempts(rollout_id: str) -> Response:
        return _json(store.query_attempts(rollout_id))

    @app.get("/v1/rollouts/{rollout_id}/spans")
    def spans(rollout_id: str, attempt_id: str | None = None) -> Response:
        return _json(store.query_spans(rollout_id, attempt_id))

    @app.post("/v1/attempts/{attempt_id}/heartbeat")
    def heartbeat(attempt_id: str) -> Response:
        return _json({"alive": store.heartbeat(attempt_id)})

    @app.post("/v1/attempts/{attempt_id}/finish")
    def finish(attempt_id: str, req: FinishRequest) -> Response:
        return _json(store.finish_attempt(attempt_id, req.status, reward=req.reward, error=req.error))

    @app.post("/v1/spans")
    async def add_spans(request: Request) -> Response:
        # validated straight from bytes by pydantic-core: the hot path of tracing
        try:
            spans = _spans_adapter.validate_json(await request.body())
        except ValidationError as exc:
            return _error(422, _describe(exc.errors()), "invalid_request")
        return _json({"added": await run_in_threadpool(store.add_spans, spans)})

    @app.post("/v1/resources")
    def add_resources(req: ResourcesRequest) -> Response:
        return _json(store.add_resources(req.resources, req.resources_id))

    @app.get("/v1/resources/latest")
    def latest_resources() -> Response:
        return _json(store.get_resources(None))

    @app.get("/v1/resources/{resources_id}")
    def get_resources(resources_id: str) -> Response:
        return _json(store.get_resources(resources_id))

    return app


def _describe(errors: Any) -> str:
    """One readable line per problem: ``body.inputs: Field required``."""
    parts = []
    for err in list(errors)[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{loc}: {err.get('msg', 'invalid')}" if loc else str(err.get("msg", "invalid")))
    return "; ".join(parts) or "invalid request"

