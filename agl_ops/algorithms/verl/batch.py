"""Transitions -> the batch verl's PPO trainer consumes after generation.

verl's trainer pairs every generated sequence with one row of its input batch (the
task, repeated ``rollout.n`` times, with a ``uid`` per task for GRPO grouping), so the
rollout manager returns exactly one row per rollout: the transition chosen from that
episode (by default its last matched call, the one that produced the answer). Shapes
follow verl's agent loop: prompts left-padded to ``max_prompt_length``, responses
right-padded to ``max_response_length``, the episode reward on the last response token
of ``rm_scores``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from agl_ops.types import Triplet

__all__ = ["verl_tensors", "to_dataproto", "pick_transition"]


def pick_transition(triplets: Sequence[Triplet], which: str = "last") -> Triplet | None:
    """The transition of an episode that represents it in verl's one-row-per-rollout batch."""
    if not triplets:
        return None
    if which not in ("first", "last"):
        raise ValueError(f"which must be 'first' or 'last', got {which!r}")
    return triplets[-1] if which == "last" else triplets[0]


def verl_tensors(
    rows: Sequence[Triplet | None], *, pad_id: int, max_prompt_length: int, max_response_length: int,
) -> dict[str, torch.Tensor]:
    """The tensor part of the batch. A ``None`` row (an episode without a usable call)
    becomes one attended pad token with an empty response mask: it adds nothing to the
    loss, and keeps the batch aligned with verl's input rows."""
    b, p_len, r_len = len(rows), max_prompt_length, max_response_length
    prompts = torch.full((b, p_len), pad_id, dtype=torch.long)
    responses = torch.full((b, r_len), pad_id, dtype=torch.long)
    p_mask = torch.zeros((b, p_len), dtype=torch.long)
    r_mask = torch.zeros((b, r_len), dtype=torch.long)
    r_attn = torch.zeros((b, r_len), dtype=torch.long)
    scores = torch.zeros((b, r_len), dtype=torch.float32)
    with_lp = bool(rows) and all(r is not None and r.response_logprobs is not None for r in rows)
    logprobs = torch.zeros((b, r_len), dtype=torch.float32) if with_lp else None
    for i, row in enumerate(rows):
        if row is None:
            p_mask[i, -1] = 1
            continue
        p = row.prompt_ids[-p_len:]
        r = row.response_ids[:r_len]
        prompts[i, p_len - len(p):] = torch.tensor(p)
        p_mask[i, p_len - len(p):] = 1
        responses[i, : len(r)] = torch.tensor(r)
        r_mask[i, : len(r)] = 1
        r_attn[i, : len(r)] = 1
        scores[i, len(r) - 1] = float(row.reward)
        if logprobs is not None:
            logprobs[i, : len(r)] = torch.tensor(row.response_logprobs[: len(r)])  # type: ignore[index]
    attention = torch.cat([p_mask, r_attn], dim=1)
    out = {
        "prompts": prompts,
        "responses": responses,
        "response_mask": r_mask,
        "input_ids": torch.cat([prompts, responses], dim=1),
        "attention_mask": attention,
        "position_ids": (attention.cumsum(-1) - 1).clamp(min=0),
        "rm_scores": scores,
    }
    if logprobs is not None:
        out["rollout_log_probs"] = logprobs
    return out


def to_dataproto(
    rows: Sequence[Triplet | None], *, pad_id: int, max_prompt_length: int, max_response_length: int,
    non_tensor: Mapping[str, Any] | None = None, timing: Mapping[str, float] | None = None,
) -> Any:
    """A ``verl.DataProto`` with the tensors above, the input rows' non-tensor fields
    passed through, and the per-step timing verl's trainer logs."""
    import numpy as np
    from tensordict import TensorDict
    from verl import DataProto

    tensors = verl_tensors(rows, pad_id=pad_id, max_prompt_length=max_prompt_length,
                           max_response_length=max_response_length)
    n = len(rows)
    non = {k: np.asarray(v, dtype=object) for k, v in (non_tensor or {}).items()}
    non["__num_turns__"] = np.array([int(r.metadata.get("n_turns", 1)) if r is not None else 0 for r in rows], dtype=np.int32)
    if "multi_modal_inputs" not in non:
        empty = np.empty(n, dtype=object)
        empty[:] = [{} for _ in range(n)]
        non["multi_modal_inputs"] = empty
    return DataProto(batch=TensorDict(tensors, batch_size=n), non_tensor_batch=non,
                     meta_info={"timing": dict(timing or {}), "reward_extra_keys": []})
