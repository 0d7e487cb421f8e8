"""Per-request sampling settings and one batched sampling step.

Logprobs follow vLLM's default (``raw_logprobs``): the log-softmax of the model's own
logits at temperature 1, before temperature and top-p, computed from the exact logits
the token was sampled from (same dtype, same batch). That is what an RL trainer needs
to compare with its own policy.

The step avoids full-vocabulary sorts and ``torch.multinomial`` (both slow on CPU):
sampling is an inverse-CDF draw with one uniform number per row (so a per-request seed
costs one scalar draw), and top-p looks for the nucleus among the top ``NUCLEUS_K``
tokens first, falling back to a full sort only when their mass is below top_p. Both
give exactly the distribution they replace.

Constrained rows (a grammar per request) come with a packed token bitmask: their
disallowed logits are pushed to ``MASKED`` (-1e30: probability exactly 0) before anything else, so the sampled token AND the
reported logprobs are those of the masked distribution (renormalised over the allowed
tokens, still at temperature 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

__all__ = ["SamplingParams", "StepOutput", "sample_step", "apply_token_bitmask", "bitmask_to_bool", "MASKED", "NUCLEUS_K"]

NUCLEUS_K = 256


@dataclass(frozen=True)
class SamplingParams:
    max_tokens: int = 16
    temperature: float = 1.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = None
    top_logprobs: int = 0
    ignore_eos: bool = False


@dataclass
class StepOutput:
    token_ids: list[int]
    logprobs: list[float]
    top: list[list[tuple[int, float]]] = field(default_factory=list)  # per row; empty when not asked


def _uniforms(rows: list[int], generators: list[torch.Generator | None]) -> torch.Tensor:
    if all(generators[i] is None for i in rows):
        return torch.rand(len(rows))
    return torch.cat([torch.rand(1, generator=generators[i]) for i in rows])


def _inverse_cdf(weights: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Index drawn from each row of unnormalised ``weights`` with uniforms ``u``.

    The running sum is float64: in float32 its rounding depends on how many rows are
    summed together, enough over a 49k vocabulary to move a draw to the neighbouring
    token, so a row would sample differently with or without company in the batch."""
    cum = weights.double().cumsum(-1)
    target = (u.double() * cum[:, -1])[:, None]
    # right: the first index whose cumulative weight EXCEEDS the target, so a zero-weight
    # token (a masked one) is never drawn, not even with u == 0
    return torch.searchsorted(cum, target, right=True).flatten().clamp_(max=weights.shape[-1] - 1)


MASKED = -1e30  # a disallowed token's logit offset: exp() gives exactly 0, like -inf, without inf arithmetic


def _unpack(bitmask: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """int32 ``[rows, words]`` bitmask (bit j of word i = token 32*i + j) -> uint8
    ``[rows, vocab_size]`` of 0/1; tokens past the mask's words are 0 (disallowed)."""
    bits = np.unpackbits(bitmask.contiguous().numpy().view(np.uint8), axis=-1, bitorder="little")
    out = torch.from_numpy(bits)
    if out.shape[1] < vocab_size:
        return torch.nn.functional.pad(out, (0, vocab_size - out.shape[1]))
    return out[:, :vocab_size]


def bitmask_to_bool(bitmask: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """The bitmask as bool ``[rows, vocab_size]``, True = allowed."""
    return _unpack(bitmask, vocab_size).bool()


def apply_token_bitmask(logits: torch.Tensor, bitmask: torch.Tensor, rows: list[int]) -> None:
    """In place: ``logits[rows[k]]`` keeps only the tokens allowed by ``bitmask[k]``
    (the others get ``MASKED`` added). Branch-free arithmetic: a masked_fill with a
    bool mask was 3-8x slower here on 16 x 49k masks."""
    bias = _unpack(bitmask, logits.shape[-1]).float().sub_(1.0).mul_(-MASKED)
    if rows == list(range(logits.shape[0])):
        logits.add_(bias)
    else:
        logits.index_add_(0, torch.tensor(rows), bias)


_EXP_FLOOR = -87.0  # exp() below this underflows float32, and torch's exp takes a ~10x slower path there


def _weights(centered: torch.Tensor) -> torch.Tensor:
    """exp(centered), with the entries that underflow (masked tokens: all but a few of a
    constrained row) set to 0 without passing through exp's slow underflow path."""
    tiny = centered < _EXP_FLOOR
    return centered.clamp_(min=_EXP_FLOOR).exp_().masked_fill_(tiny, 0.0)


def _logsumexp(logits: torch.Tensor, masked_rows: list[int]) -> torch.Tensor:
    """Row-wise logsumexp; masked rows without torch.logsumexp's slow underflow path (10x there)."""
    if not masked_rows:
        return torch.logsumexp(logits, dim=-1)
    index = torch.tensor(masked_rows)
    rows = logits[index]
    top = rows.amax(-1, keepdim=True)
    lse = torch.logsumexp(logits, dim=-1) if len(masked_rows) < logits.shape[0] else torch.empty(logits.shape[0])
    lse[index] = (top + _weights(rows - top).sum(-1, keepdim=True).log()).flatten()
    return lse


def sample_step(
    logits: torch.Tensor,
    params: list[SamplingParams],
    generators: list[torch.Generator | None],
    token_bitmask: torch.Tensor | None = None,
    masked_rows: list[int] | None = None,
) -> StepOutput:
    """Sample one token per row of ``logits`` (rows x vocab) with each row's settings;
    rows ``masked_rows`` only among the tokens their row of ``token_bitmask`` allows."""
    logits = logits.float()
    if masked_rows:
        apply_token_bitmask(logits, token_bitmask, masked_rows)
    n = logits.shape[0]
    chosen = torch.empty(n, dtype=torch.long)
    greedy = [i for i, p in enumerate(params) if p.temperature <= 0]
    if greedy:
        chosen[greedy] = logits[greedy].argmax(-1)
    full = [i for i, p in enumerate(params) if p.temperature > 0 and p.top_p >= 1.0]
    if full:
        temps = torch.tensor([params[i].temperature for i in full])[:, None]
        scaled = logits[full] / temps
        centered = scaled - scaled.amax(-1, keepdim=True)
        weights = _weights(centered) if masked_rows else centered.exp_()
        chosen[full] = _inverse_cdf(weights, _uniforms(full, generators))
    nucleus = [i for i, p in enumerate(params) if p.temperature > 0 and p.top_p < 1.0]
    if nucleus:
        chosen[nucleus] = _sample_top_p(logits, nucleus, params, generators)
    lse = _logsumexp(logits, masked_rows or [])
    token_logprobs = logits.gather(1, chosen[:, None]).flatten() - lse
    out = StepOutput(chosen.tolist(), token_logprobs.tolist())
    k = max(p.top_logprobs for p in params)
    if k > 0:
        values, indices = logits.topk(k, dim=-1)
        vals, idxs = (values - lse[:, None]).tolist(), indices.tolist()
        out.top = [[(t, v) for t, v in zip(idxs[i][: p.top_logprobs], vals[i][: p.top_logprobs]) if v > MASKED / 2]
                   for i, p in enumerate(params)]  # a masked row may allow fewer than k tokens
    return out


def _sample_top_p(logits: torch.Tensor, rows: list[int], params: list[SamplingParams],
                  generators: list[torch.Generator | None]) -> torch.Tensor:
    """Nucleus sampling: the smallest set of top tokens whose probability reaches top_p."""
    temps = torch.tensor([params[i].temperature for i in rows])[:, None]
    top_ps = torch.tensor([params[i].top_p for i in rows])[:, None]
    scaled = logits[rows] / temps
    k = min(NUCLEUS_K, scaled.shape[-1])
    values, indices = scaled.topk(k, dim=-1)  # sorted, descending
    probs = (values - torch.logsumexp(scaled, -1, keepdim=True)).exp_()
    before = probs.cumsum(-1) - probs  # mass ranked above each token
    covered = (before[:, -1] + probs[:, -1]) >= top_ps[:, 0]
    probs = probs.masked_fill_(before >= top_ps, 0.0)
    u = _uniforms(rows, generators)
    picked = indices.gather(1, _inverse_cdf(probs, u)[:, None]).flatten()
    for j in (~covered).nonzero().flatten().tolist():  # nucleus wider than k: exact full sort
        s_vals, s_idx = scaled[j].sort(descending=True)
        p = torch.softmax(s_vals, -1)
        p = p.masked_fill_((p.cumsum(-1) - p) >= top_ps[j, 0], 0.0)
        picked[j] = s_idx[_inverse_cdf(p[None], u[j:j + 1])[0]]
    return picked
