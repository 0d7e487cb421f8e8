"""verl's rollout slot, filled by our runners: Agent Lightning's approach on verl 0.9.

verl's PPO trainer (``trainer.use_v1=false``) asks its agent-loop manager to
``generate_sequences(batch)`` for each batch of task rows. This manager instead queues
one rollout per row in our store; our runners (``agl-ops runner`` or the Trainer's
pool) run the unmodified agent against our LLM proxy, which forwards to verl's vLLM
servers and records token ids and logprobs as spans; the adapter turns each episode
into the transition verl trains on. It is plugged in by config:
``actor_rollout_ref.rollout.agent.agent_loop_manager_class=`` this class.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from agl_ops.adapter import TripletAdapter
from agl_ops.algorithms.verl.batch import pick_transition, to_dataproto
from agl_ops.algorithms.verl.config import TASK_FIELD
from agl_ops.store import LATEST, open_store
from agl_ops.types import Rollout

__all__ = ["AglAgentLoopManager"]

logger = logging.getLogger(__name__)


def _plain(cfg: Any) -> dict[str, Any]:
    try:
        from omegaconf import OmegaConf

        if OmegaConf.is_config(cfg):
            return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]
    except ImportError:  # pragma: no cover
        pass
    return dict(cfg)


class AglAgentLoopManager:
    """Runs verl's rollouts through the agl-ops store, runners and proxy."""

    @classmethod
    def create(cls, config: Any, llm_client: Any = None, teacher_client: Any = None,
               reward_loop_worker_handles: Any = None, **_: Any) -> AglAgentLoopManager:
        import ray

        addresses = ray.get(llm_client._load_balancer.get_all_servers.remote())
        return cls(config, addresses)

    def __init__(self, config: Any, addresses: Sequence[str], *, store: Any = None) -> None:
        from transformers import AutoTokenizer

        from agl_ops.llm.proxy import LLMProxy

        cfg = _plain(config)
        agl = cfg.get("agl") or {}
        if store is None and not agl.get("store_url"):
            raise ValueError("the verl config lacks agl.store_url (the store our runners read)")
        if not addresses:
            raise ValueError("verl started no rollout servers to send the agent's calls to")
        self.store = store if store is not None else open_store(agl["store_url"])
        data = cfg["data"]
        self.max_prompt_length = int(data["max_prompt_length"])
        self.max_response_length = int(data["max_response_length"])
        self.adapter = TripletAdapter(agl.get("agent_match"), credit=agl.get("credit", "final"),
                                      max_prompt_length=self.max_prompt_length,
                                      max_response_length=self.max_response_length)
        self.pick = agl.get("pick", "last")
        rollout = cfg["actor_rollout_ref"]["rollout"]
        self.temperature = float(rollout.get("temperature", 1.0))
        self.val_temperature = float((rollout.get("val_kwargs") or {}).get("temperature", 0.0))
        model_path = cfg["actor_rollout_ref"]["model"]["path"]
        self.model_name = agl.get("served_model_name") or model_path
        tok = AutoTokenizer.from_pretrained(model_path)
        self.pad_id = int(tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id)
        self.timeout_s = float(agl.get("rollout_timeout_s", 3600.0))
        self.max_attempts = int(agl.get("max_attempts", 1))
        self.proxies = [LLMProxy(a if a.startswith("http") else f"http://{a}", self.store).start() for a in addresses]
        logger.info("agl rollouts through %d proxies in front of %s", len(self.proxies), list(addresses))

    def _enqueue(self, tasks: list[Any], mode: str, temperature: float) -> list[str]:
        base = self.store.get_resources()
        resources = dict(base.resources) if base else {}
        ids: list[str] = []
        n = len(self.proxies)
        size = -(-len(tasks) // n)
        for i, proxy in enumerate(self.proxies):
            chunk = tasks[i * size : (i + 1) * size]
            if not chunk:
                continue
            update = self.store.add_resources({**resources, "main_llm": proxy.llm_resource(self.model_name, temperature=temperature)})
            queued = self.store.enqueue_rollouts(chunk, mode=mode, resources_id=update.resources_id,  # type: ignore[arg-type]
                                                 max_attempts=self.max_attempts)
            ids.extend(r.rollout_id for r in queued)
        return ids

    def generate_sequences(self, batch: Any) -> Any:
        """One output row per input row, in order (verl unions them column-wise)."""
        start = time.perf_counter()
        validate = bool(batch.meta_info.get("validate", False))
        tasks = [json.loads(info[TASK_FIELD]) for info in batch.non_tensor_batch["extra_info"]]
        ids = self._enqueue(tasks, "val" if validate else "train", self.val_temperature if validate else self.temperature)
        done = {r.rollout_id: r for r in self.store.wait_for_rollouts(ids, timeout_s=self.timeout_s)}
        rows = [self._transition(done.get(rid)) for rid in ids]
        stats = self.adapter.reset_stats()
        missing = sum(r is None for r in rows)
        if missing:
            logger.warning("%d of %d rollouts gave no transition (failed, no reward or no matched call)", missing, len(rows))
        timing = {"agl/rollout_s": time.perf_counter() - start, "agl/empty_rows": float(missing),
                  "agl/truncated": float(stats.truncated_prompts + stats.truncated_responses)}
        return to_dataproto(rows, pad_id=self.pad_id, max_prompt_length=self.max_prompt_length,
                            max_response_length=self.max_response_length, non_tensor=_passthrough(batch), timing=timing)

    def _transition(self, rollout: Rollout | None) -> Any:
        if rollout is None:
            return None
        return pick_transition(self.adapter.adapt(rollout, self.store.query_spans(rollout.rollout_id, LATEST)), self.pick)

    def shutdown(self) -> None:
        for proxy in self.proxies:
            proxy.stop()


def _passthrough(batch: Any) -> Mapping[str, Any]:
    return dict(batch.non_tensor_batch)
