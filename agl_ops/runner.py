"""Runner: claim a rollout, run the agent, heartbeat, record spans and the reward.

One runner runs one rollout at a time. Robustness rules:
- a heartbeat task keeps the attempt alive; if the store says the attempt is no
  longer live (it was timed out), the rollout is abandoned, never finished twice;
- the rollout's ``timeout_s`` is enforced here, and by the store as a backstop;
- every span of the attempt (ours and the LLM proxy's) is flushed before the attempt
  is marked finished, so an algorithm that sees a finished rollout sees all its spans;
- on shutdown (stop event, SIGTERM, Ctrl-C) the running attempt is ended as failed so
  the store re-queues it right away.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Mapping
from typing import Any

import httpx

from agl_ops.agent import LitAgent, call_rollout
from agl_ops.store.base import Store
from agl_ops.store.writer import SpanWriter
from agl_ops.tracing import AttemptContext, attempt_context, emit_reward, install_langchain_hook
from agl_ops.types import LLM, AttemptedRollout, AttemptStatus, Resource

__all__ = ["Runner", "RunnerStats"]

logger = logging.getLogger(__name__)


class RunnerStats:
    def __init__(self) -> None:
        self.succeeded = 0
        self.failed = 0
        self.abandoned = 0

    @property
    def total(self) -> int:
        return self.succeeded + self.failed + self.abandoned


class Runner:
    def __init__(
        self,
        agent: LitAgent,
        store: Store,
        *,
        worker_id: str | None = None,
        heartbeat_interval_s: float = 5.0,
        poll_interval_s: float = 0.1,
        stop_event: threading.Event | None = None,
        max_rollouts: int | None = None,
    ) -> None:
        self.agent = agent
        self.store = store
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{threading.get_ident() % 10000}"
        self.heartbeat_interval_s = heartbeat_interval_s
        self.poll_interval_s = poll_interval_s
        self.stop_event = stop_event or threading.Event()
        self.max_rollouts = max_rollouts
        self.stats = RunnerStats()
        self._writer = SpanWriter(store)
        self._resources_cache: dict[str | None, Mapping[str, Resource]] = {}
        self._http = httpx.Client(timeout=30.0)
        install_langchain_hook()

    def run(self) -> RunnerStats:
        """Claim and run rollouts until stopped (or ``max_rollouts`` were run)."""
        # our own executor, so an agent thread stuck past its time limit does not keep
        # the runner from stopping (asyncio.run would wait for it)
        loop = asyncio.new_event_loop()
        executor = ThreadPoolExecutor(max_workers=32, thread_name_prefix="agl-agent")
        loop.set_default_executor(executor)
        try:
            loop.run_until_complete(self._loop())
        finally:
            executor.shutdown(wait=False, cancel_futures=True)
            loop.close()
            self._writer.close()
            self._http.close()
        return self.stats

    def stop(self) -> None:
        self.stop_event.set()

    async def _loop(self) -> None:
        idle = self.poll_interval_s
        while not self.stop_event.is_set():
            if self.max_rollouts is not None and self.stats.total >= self.max_rollouts:
                return
            try:
                attempted = await asyncio.to_thread(self.store.claim_rollout, self.worker_id)
            except Exception as exc:  # store unreachable: keep the runner alive and retry
                logger.warning("claiming a rollout failed (%s); retrying", exc)
                await self._sleep(1.0)
                continue
            if attempted is None:
                await self._sleep(idle)
                idle = min(idle * 2, 1.0)
                continue
            idle = self.poll_interval_s
            await self.run_attempt(attempted)

    async def _sleep(self, seconds: float) -> None:
        await asyncio.to_thread(self.stop_event.wait, seconds)

    async def run_attempt(self, attempted: AttemptedRollout) -> None:
        rollout, attempt = attempted.rollout, attempted.attempt
        ctx = AttemptContext(rollout.rollout_id, attempt.attempt_id, self._writer)
        work = asyncio.ensure_future(self._execute(attempted, ctx))
        abandoned = asyncio.Event()
        guards = [
            asyncio.ensure_future(self._heartbeat(attempt.attempt_id, work, abandoned)),
            asyncio.ensure_future(self._watch_stop(work)),
        ]
        status, reward, error = AttemptStatus.FAILED, None, None
        try:
            reward = await asyncio.wait_for(work, timeout=rollout.timeout_s)
            status = AttemptStatus.SUCCEEDED
        except asyncio.TimeoutError:
            status, error = AttemptStatus.TIMEOUT, f"rollout exceeded its time limit of {rollout.timeout_s}s"
        except asyncio.CancelledError:
            error = "runner stopped during the rollout"
        except Exception as exc:  # the agent's failure is the attempt's failure, not the runner's
            error = _describe(exc)
        finally:
            for g in guards:
                g.cancel()
        if abandoned.is_set():
            self.stats.abandoned += 1
            logger.warning("attempt %s was timed out by the store; abandoned", attempt.attempt_id)
            return
        await asyncio.to_thread(self._flush, attempted)
        try:
            result = await asyncio.to_thread(
                self.store.finish_attempt, attempt.attempt_id, status, reward=reward, error=error
            )
        except Exception as exc:  # the store will time the attempt out and retry it
            logger.error("could not finish attempt %s (%s); it will be retried", attempt.attempt_id, exc)
            result = None
        if result is None:
            self.stats.abandoned += 1
        elif status is AttemptStatus.SUCCEEDED:
            self.stats.succeeded += 1
        else:
            self.stats.failed += 1
            logger.info("rollout %s attempt %d failed: %s", rollout.rollout_id, attempt.sequence_id, error)

    async def _execute(self, attempted: AttemptedRollout, ctx: AttemptContext) -> float | None:
        resources = await asyncio.to_thread(self._resources, attempted.rollout.resources_id)
        with attempt_context(ctx):
            result = await call_rollout(self.agent, attempted.rollout.input, resources, attempted)
            if result is not None:
                emit_reward(float(result))
        return ctx.last_reward

    async def _heartbeat(self, attempt_id: str, work: asyncio.Future[Any], abandoned: asyncio.Event) -> None:
        while not work.done():
            await asyncio.sleep(self.heartbeat_interval_s)
            try:
                alive = await asyncio.to_thread(self.store.heartbeat, attempt_id)
            except Exception as exc:
                logger.warning("heartbeat for %s failed: %s", attempt_id, exc)
                continue
            if not alive:
                abandoned.set()
                work.cancel()
                return

    async def _watch_stop(self, work: asyncio.Future[Any]) -> None:
        while not work.done():
            if await asyncio.to_thread(self.stop_event.wait, 0.2):
                work.cancel()
                return

    def _resources(self, resources_id: str | None) -> Mapping[str, Resource]:
        # a rollout queued without resources uses the latest set; named sets are immutable
        if resources_id is not None and resources_id in self._resources_cache:
            return self._resources_cache[resources_id]
        update = self.store.get_resources(resources_id)
        resources: Mapping[str, Resource] = update.resources if update else {}
        if resources_id is not None:
            self._resources_cache[resources_id] = resources
        return resources

    def _flush(self, attempted: AttemptedRollout) -> None:
        """Our spans, then the spans any LLM proxy holds, are stored before finishing."""
        if not self._writer.flush(timeout_s=60):
            logger.warning("spans of %s not all stored after 60s", attempted.attempt_id)
        for resource in self._resources(attempted.rollout.resources_id).values():
            if isinstance(resource, LLM) and resource.proxied:
                url = resource.endpoint.rstrip("/").removesuffix("/v1") + "/agl/flush"
                try:
                    self._http.post(url, headers={"Authorization": f"Bearer {resource.api_key}"})
                except httpx.HTTPError as exc:
                    logger.warning("could not flush proxy spans at %s: %s", url, exc)


def _describe(exc: BaseException) -> str:
    tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
    tail = "".join(tb[-3:])
    return f"{type(exc).__name__}: {exc}\n{tail}"[:4000]

