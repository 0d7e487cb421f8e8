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
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

__all__ = ["SamplingParams", "StepOutput", "sample_step", "NUCLEUS_K"]

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
    """Index drawn from each row of unnormalised ``weights`` with uniforms ``u``."""
    cum = weights.cumsum(-1)
    target = (u * cum[:, -1])[:, None]
    return torch.searchsorted(cum, target).flatten().clamp_(max=weights.shape[-1] - 1)


def sample_step(
    logits: torch.Tensor,
    params: list[SamplingParams],
    generators: list[torch.Generator | None],
) -> StepOutput:
    """Sample one token per row of ``logits`` (rows x vocab) with each row's settings."""
    logits = logits.float()
    n = logits.shape[0]
    chosen = torch.empty(n, dtype=torch.long)
    greedy = [i for i, p in enumerate(params) if p.temperature <= 0]
    if greedy:
        chosen[greedy] = logits[greedy].argmax(-1)
    full = [i for i, p in enumerate(params) if p.temperature > 0 and p.top_p >= 1.0]
    if full:
        temps = torch.tensor([params[i].temperature for i in full])[:, None]
        scaled = logits[full] / temps
        weights = (scaled - scaled.amax(-1, keepdim=True)).exp_()
        chosen[full] = _inverse_cdf(weights, _uniforms(full, generators))
    nucleus = [i for i, p in enumerate(params) if p.temperature > 0 and p.top_p < 1.0]
    if nucleus:
        chosen[nucleus] = _sample_top_p(logits, nucleus, params, generators)
    lse = torch.logsumexp(logits, dim=-1)
    token_logprobs = logits.gather(1, chosen[:, None]).flatten() - lse
    out = StepOutput(chosen.tolist(), token_logprobs.tolist())
    k = max(p.top_logprobs for p in params)
    if k > 0:
        values, indices = logits.topk(k, dim=-1)
        vals, idxs = (values - lse[:, None]).tolist(), indices.tolist()
        out.top = [list(zip(idxs[i][: p.top_logprobs], vals[i][: p.top_logprobs])) for i, p in enumerate(params)]
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
