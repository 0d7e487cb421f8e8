"""What every framework example is checked for, against our proxy in front of a backend
(the scripted tool-using endpoint, or the real server on the tiny model)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agl_ops.algorithms.shaping import SHAPING_RULES, register_shaping
from agl_ops.llm.proxy import LLMProxy
from agl_ops.store import MemoryStore, Store
from agl_ops.trainer import Trainer
from agl_ops.types import LLM, AttemptStatus, Rollout, RolloutStatus, Span, SpanKind

__all__ = ["Stack", "stack", "run_example", "check_exactly_once", "llm_spans", "grpo_step", "TOKEN_SHAPING"]

TOKEN_SHAPING = "test_response_token_parity"


@dataclass
class Stack:
    store: Store
    proxy: LLMProxy
    llm: LLM


@contextmanager
def stack(backend_url: str, **sampling: Any) -> Iterator[Stack]:
    """A store and the tracing proxy in front of ``backend_url``; ``llm`` is ``main_llm``."""
    store = MemoryStore()
    with LLMProxy(backend_url, store) as proxy:
        yield Stack(store, proxy, proxy.llm_resource("tiny", **sampling))


def run_example(agent: Any, tasks: Sequence[Any], s: Stack, n_runners: int = 2) -> list[Rollout]:
    result = Trainer(n_runners=n_runners, store=s.store, initial_resources={"main_llm": s.llm},
                     show_progress=False).fit(agent, list(tasks))
    s.proxy.flush()
    return result["train"]


def llm_spans(store: Store, rollout: Rollout) -> list[Span]:
    return [sp for sp in store.query_spans(rollout.rollout_id, "latest") if sp.kind is SpanKind.LLM]


def check_exactly_once(store: Store, rollouts: Sequence[Rollout]) -> None:
    """Every rollout finished once, by one attempt, with a reward; its spans are that attempt's."""
    for r in rollouts:
        assert r.status is RolloutStatus.SUCCEEDED, r.error
        assert r.reward is not None and r.attempt_count == 1
        (attempt,) = store.query_attempts(r.rollout_id)
        assert attempt.status is AttemptStatus.SUCCEEDED
        assert {sp.attempt_id for sp in store.query_spans(r.rollout_id)} == {attempt.attempt_id}


def check_tool_loop(store: Store, rollouts: Sequence[Rollout]) -> None:
    """Scripted model: call the calculator, then answer: two LLM spans with ids, reward 1."""
    for r in rollouts:
        assert r.reward == 1.0, (r.input, r.error)
        first, *rest = llm_spans(store, r)
        assert rest, "the agent did not call the model after the tool result"
        assert [t["function"]["name"] for t in first.attributes["request"]["tools"]] == ["calculator"]
        (choice,) = first.attributes["choices"]
        assert choice["tool_calls"][0]["function"]["name"] == "calculator" and choice["token_ids"]
        last_request = rest[-1].attributes["request"]["messages"]
        assert any(m.get("role") == "tool" for m in last_request)
        assert all(sp.attributes["prompt_token_ids"] and sp.attributes["choices"][0]["token_ids"] for sp in rest)


def check_real_model_calls(store: Store, rollouts: Sequence[Rollout], tokenizer: Any) -> None:
    """Tiny model: each rollout's calls reached the server with the tool in the prompt."""
    for r in rollouts:
        spans = llm_spans(store, r)
        assert spans, f"no LLM span for {r.rollout_id}"
        for sp in spans:
            a = sp.attributes
            assert a["status_code"] == 200 and a["model_version"]
            choice = a["choices"][0]
            assert choice["token_ids"] and len(choice["logprobs"]) == len(choice["token_ids"])
            if a["request"].get("tools"):
                assert '"name": "calculator"' in tokenizer.decode(a["prompt_token_ids"])


if TOKEN_SHAPING not in SHAPING_RULES:
    @register_shaping(TOKEN_SHAPING)
    def _token_parity(rollout: Rollout, spans: Sequence[Span], reward: float, opts: Any) -> float:
        """Test-only training reward: the task reward plus a little credit that differs between
        random samples, so a group of a random model's rollouts is not uniform (GRPO updates)."""
        ids = [t for sp in spans if sp.kind is SpanKind.LLM for c in sp.attributes.get("choices") or []
               for t in c.get("token_ids") or []]
        return reward + (sum(ids) % 7) / 100


def grpo_step(agent: Any, tasks: Sequence[Any], model_dir: Path, server_url: str, tmp_path: Path,
              n_runners: int = 2) -> tuple[Any, list[dict[str, Any]], Store]:
    """One GRPO step over ``agent`` against the real server (tiny model) behind the proxy."""
    from agl_ops.algorithms.config import AdapterParams, GRPOParams, PolicyParams
    from agl_ops.algorithms.grpo import GRPO
    from agl_ops.algorithms.reload import ServerReloader

    params = GRPOParams(batch_size=2, n_rollouts=2, total_steps=1, lr=1e-2, micro_batch_size=4, mini_batch_size=None,
                        val_before_train=False, val_every=0, kl_coef=0.0, reward_shaping=TOKEN_SHAPING, max_time_s=None)
    seen: list[dict[str, Any]] = []
    algo = GRPO(params, model_path=model_dir, run_dir=tmp_path / "run", output_dir=tmp_path / "out",
                policy_params=PolicyParams(dtype="float32"), adapter_params=AdapterParams(agent_match=None),
                reloader=ServerReloader(server_url), sink=lambda m, step: seen.append(dict(m)), merge=False)
    with stack(server_url, max_tokens=8) as s:
        trainer = Trainer(algorithm=algo, n_runners=n_runners, store=s.store, show_progress=False,
                          initial_resources={"main_llm": s.llm})
        result = trainer.fit(agent, list(tasks))
        s.proxy.flush()
    return result, seen, s.store
