"""Supervised warm start before GRPO: LoRA fine-tuning on reference answers.

GRPO learns only from groups whose rollouts got different rewards. A small model that
almost never writes a correct query (SmolLM2-135M: ~3% on the synthetic SQL data)
gives groups that are nearly all zero, so its first steps teach nothing. A short
supervised pass on the train split's gold queries (the standard SFT-then-RL recipe)
fixes the answer format and the use of the schema's columns; GRPO then has reward
variance to learn from.

The examples are (prompt, answer) pairs the task builds with the agent's own prompt
(the same template and chat template the model server applies), so the warm start
trains the exact input the policy sees in rollouts; the SQL task's are in
:func:`agl_ops.tasks.sql.training.sql_examples`. Only train tasks are used.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from agl_ops.metrics import MetricSink, as_sink
from agl_ops.algorithms.policy import (
    Policy,
    TrainRow,
    autocast,
    collate,
    response_logprobs,
)
from agl_ops.algorithms.update import micro_batches
from agl_ops.algorithms.config import WarmStartParams

__all__ = ["WarmStartResult", "chat_prompt_ids", "answer_ids", "sft_rows", "nll_loss", "warm_start", "warm_start_schedule"]

logger = logging.getLogger(__name__)


@dataclass
class WarmStartResult:
    steps: int
    examples: int  # distinct examples available
    seen: int  # examples trained on (with repeats across epochs)
    first_loss: float | None
    last_loss: float | None
    elapsed_s: float
    stopped: str | None = None
    planned: int = 0  # steps the params ask for (steps < planned only when the safety time limit stopped it)


def chat_prompt_ids(tokenizer: Any, prompt: str) -> list[int]:
    """Token ids of one user message with the generation prompt: what the model server
    builds for a chat request with this message."""
    ids = tokenizer.apply_chat_template([{"role": "user", "content": prompt}], add_generation_prompt=True,
                                        tokenize=True, return_dict=False)
    return list(ids)


def answer_ids(tokenizer: Any, answer: str) -> list[int]:
    """The assistant's reply: the answer's tokens, then the end-of-turn token."""
    end = tokenizer.convert_tokens_to_ids("<|im_end|>") if "<|im_end|>" in tokenizer.get_vocab() else None
    eos = end if end is not None else tokenizer.eos_token_id
    ids = list(tokenizer.encode(answer, add_special_tokens=False))
    return ids + ([int(eos)] if eos is not None else [])


def sft_rows(
    examples: Sequence[tuple[str, str]], tokenizer: Any, *, max_prompt_length: int = 1536, max_response_length: int = 256,
) -> list[TrainRow]:
    """(prompt, answer) pairs as rows; a long prompt keeps its end (the question), a
    long answer is cut (both as the GRPO adapter does)."""
    rows = []
    for prompt, answer in examples:
        p = chat_prompt_ids(tokenizer, prompt)[-max_prompt_length:]
        r = answer_ids(tokenizer, answer)[:max_response_length]
        rows.append(TrainRow(p, r, 1.0))
    return rows


def nll_loss(policy: Policy, rows: Sequence[TrainRow], denom: float) -> tuple[torch.Tensor, int]:
    """Summed negative log-likelihood of the answers' tokens divided by ``denom`` (the
    token count of the whole batch, so accumulated micro-batches give its token mean)."""
    batch = collate(rows, policy.pad_id)
    with autocast(policy.dtype):
        logp, _ = response_logprobs(policy.model, batch)
    loss = -(logp * batch.response_mask).sum() / denom
    return loss, batch.n_tokens


def warm_start_schedule(total_steps: int) -> Callable[[int], float]:
    """LR factor of step ``step`` (0-based): linear warm-up over the first 10% of steps,
    then cosine decay to 10% at the last step. A function of the step alone, so the same
    params give the same model on a fast or a busy machine."""
    warm = max(1, total_steps // 10)

    def factor(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        progress = min(1.0, (step - warm) / max(1, total_steps - warm))
        return 0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * progress))

    return factor


def _batches(n: int, batch_size: int, steps: int, seed: int) -> list[list[int]]:
    """Indices of each step's batch: seeded permutations, one per epoch, read in order."""
    out: list[list[int]] = []
    order: list[int] = []
    epoch = 0
    while len(out) < steps:
        if len(order) < batch_size:
            order += torch.randperm(n, generator=torch.Generator().manual_seed(seed * 7919 + epoch)).tolist()
            epoch += 1
            continue
        out.append(order[:batch_size])
        order = order[batch_size:]
    return out


def warm_start(
    policy: Policy, rows: Sequence[TrainRow], params: WarmStartParams, *, sink: MetricSink | Any = None,
    seed: int = 0, clock: Callable[[], float] = time.perf_counter,
) -> WarmStartResult:
    """Fine-tune ``policy``'s trainable weights on ``rows`` (token-mean NLL of the
    answers) for ``params.steps`` steps; ``params.max_time_s`` is only a safety stop
    (reported in the result when it cuts the run short). Logs ``warm_start/*`` metrics
    per step to ``sink`` (with the steps planned, so done vs planned is on every row)."""
    if not rows:
        raise ValueError("warm start needs at least one example")
    sink = as_sink(sink) if sink is not None else None
    trainable = policy.trainable_parameters()
    optimizer = torch.optim.AdamW(trainable, lr=params.lr, weight_decay=0.0, betas=(0.9, 0.99))
    schedule = warm_start_schedule(params.steps)
    batch_size = min(params.batch_size, len(rows))
    plan = _batches(len(rows), batch_size, params.steps, seed)
    start = clock()
    first = last = None
    done, stopped = 0, None
    policy.model.train()
    elapsed = 0.0
    for step, idx in enumerate(plan, start=1):
        lr = params.lr * schedule(step - 1)
        for group in optimizer.param_groups:
            group["lr"] = lr
        batch = [rows[i] for i in idx]
        denom = float(sum(len(r.response_ids) for r in batch))
        total, tokens = 0.0, 0
        for micro in micro_batches(batch, params.micro_batch_size):
            loss, n = nll_loss(policy, micro, denom)
            loss.backward()
            total += float(loss.detach())
            tokens += n
        norm = float(torch.nn.utils.clip_grad_norm_(trainable, 1.0))
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        first = total if first is None else first
        last, done = total, step
        elapsed = clock() - start
        if sink is not None:
            sink.log_metrics({"warm_start/loss": total, "warm_start/grad_norm": norm, "warm_start/lr": lr,
                              "warm_start/tokens": float(tokens), "warm_start/elapsed_s": elapsed,
                              "warm_start/steps_planned": float(len(plan))}, step)
        if params.max_time_s is not None and elapsed >= params.max_time_s and step < len(plan):
            stopped = f"time limit {params.max_time_s:.0f}s (safety stop) reached after step {step} of {len(plan)}"
            logger.warning("warm start cut short: %s; the model is not the one these params plan", stopped)
            break
    elapsed = clock() - start
    logger.info("warm start: %d steps, loss %.3f -> %.3f, %.0fs%s", done, first or 0.0, last or 0.0, elapsed,
                f" ({stopped})" if stopped else "")
    return WarmStartResult(steps=done, examples=len(rows), seen=done * batch_size, first_loss=first, last_loss=last,
                           elapsed_s=elapsed, stopped=stopped, planned=len(plan))

