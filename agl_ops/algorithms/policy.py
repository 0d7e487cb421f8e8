"""The trainable policy: a HF causal LM with a LoRA adapter (or all weights), token
batches built from transitions, and the logprobs of response tokens.

Only the response positions go through the LM head (``logits_to_keep``): with a 49k
vocabulary the head is a fifth of the model's compute per token, and a prompt is
usually several times longer than its response.

A transition sampled under a grammar carries the tokens the grammar allowed at each
response position (a packed bitmask): its logprobs are those of the masked
distribution it was sampled from (disallowed logits -> -inf before the softmax), in
the policy pass, the old-logprob recompute and the KL reference pass alike.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from agl_ops.algorithms.config import LoraParams

__all__ = [
    "Policy", "TokenBatch", "TrainRow", "collate", "response_logprobs", "shared_prefix_logprobs", "batch_logprobs",
    "shares_prompt", "autocast", "export_model", "mask_logits", "resolve_train_dtype",
]

logger = logging.getLogger(__name__)

ADAPTER_SOURCE_FILE = "agl_source.json"


@dataclass
class TrainRow:
    """One transition ready for the loss: ids, advantage, optional rollout logprobs, and
    for a grammar-constrained rollout the int32 bitmask ``[len(response_ids),
    ceil(vocab / 32)]`` of the tokens allowed at each position (None: unmasked)."""

    prompt_ids: list[int]
    response_ids: list[int]
    advantage: float
    old_logprobs: list[float] | None = None
    allowed: torch.Tensor | None = None

    @property
    def length(self) -> int:
        return len(self.prompt_ids) + len(self.response_ids)


@dataclass
class TokenBatch:
    """Prompts left-padded and responses right-padded, so every response starts at the
    same column and its positions are the last ``R`` of the row."""

    input_ids: torch.Tensor  # (B, P + R)
    attention_mask: torch.Tensor  # (B, P + R)
    position_ids: torch.Tensor  # (B, P + R)
    response_mask: torch.Tensor  # (B, R) float 0/1
    advantages: torch.Tensor  # (B,)
    old_logprobs: torch.Tensor | None  # (B, R)
    allowed: torch.Tensor | None = None  # (B, R, W) int32 bitmask; -1 (all allowed) for free rows and padding

    @property
    def response_len(self) -> int:
        return self.response_mask.shape[1]

    @property
    def responses(self) -> torch.Tensor:
        return self.input_ids[:, -self.response_len :]

    @property
    def n_tokens(self) -> int:
        return int(self.attention_mask.sum())


def collate(rows: Sequence[TrainRow], pad_id: int) -> TokenBatch:
    p_len = max(len(r.prompt_ids) for r in rows)
    r_len = max(len(r.response_ids) for r in rows)
    b = len(rows)
    ids = torch.full((b, p_len + r_len), pad_id, dtype=torch.long)
    attn = torch.zeros((b, p_len + r_len), dtype=torch.long)
    old = torch.zeros((b, r_len)) if all(r.old_logprobs is not None for r in rows) else None
    for i, r in enumerate(rows):
        p, n = len(r.prompt_ids), len(r.response_ids)
        ids[i, p_len - p : p_len] = torch.tensor(r.prompt_ids)
        ids[i, p_len : p_len + n] = torch.tensor(r.response_ids)
        attn[i, p_len - p : p_len + n] = 1
        if old is not None:
            old[i, :n] = torch.tensor(r.old_logprobs)  # type: ignore[arg-type]
    position_ids = (attn.cumsum(-1) - 1).clamp(min=0)
    return TokenBatch(
        input_ids=ids, attention_mask=attn, position_ids=position_ids,
        response_mask=attn[:, p_len:].to(torch.float32),
        advantages=torch.tensor([r.advantage for r in rows], dtype=torch.float32), old_logprobs=old,
        allowed=_collate_allowed(rows, r_len),
    )


def _collate_allowed(rows: Sequence[TrainRow], r_len: int) -> torch.Tensor | None:
    """The rows' bitmasks stacked (B, R, W); None when no row is constrained."""
    masked = [r for r in rows if r.allowed is not None]
    if not masked:
        return None
    words = masked[0].allowed.shape[1]  # type: ignore[union-attr]
    out = torch.full((len(rows), r_len, words), -1, dtype=torch.int32)
    for i, r in enumerate(rows):
        if r.allowed is not None:
            if r.allowed.shape != (len(r.response_ids), words):
                raise ValueError(f"row {i}: allowed-token bitmask {tuple(r.allowed.shape)} does not fit "
                                 f"{len(r.response_ids)} response tokens x {words} words")
            out[i, : len(r.response_ids)] = r.allowed
    return out


def autocast(dtype: str) -> contextlib.AbstractContextManager[Any]:
    """bf16 autocast on CPU (matmuls in bf16, master weights and the loss in fp32)."""
    if dtype == "bfloat16":
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def response_logprobs(
    model: Any, batch: TokenBatch, *, temperature: float = 1.0, with_entropy: bool = False, entropy_grad: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Logprob of each response token under ``model`` (B, R), and its entropy if asked
    (differentiable only with ``entropy_grad``: most runs log it and never train on it).

    The logits at column ``P - 1 + t`` predict response token ``t``, so the last
    ``R + 1`` columns are kept and the very last dropped.
    """
    r = batch.response_len
    out = model(
        input_ids=batch.input_ids, attention_mask=batch.attention_mask, position_ids=batch.position_ids,
        logits_to_keep=r + 1, use_cache=False,
    )
    return _token_logprobs(out.logits[:, :-1, :].float(), batch, temperature, with_entropy, entropy_grad)


def shares_prompt(batch: TokenBatch) -> bool:
    """True when every row has the same prompt (the n samples of one GRPO group)."""
    p = batch.input_ids.shape[1] - batch.response_len
    ids, attn = batch.input_ids[:, :p], batch.attention_mask[:, :p]
    return batch.input_ids.shape[0] > 1 and bool(attn.all()) and bool((ids == ids[:1]).all())


def shared_prefix_logprobs(
    model: Any, batch: TokenBatch, *, temperature: float = 1.0, with_entropy: bool = False, entropy_grad: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """:func:`response_logprobs` for rows that share one prompt, with the prompt run once.

    The prompt goes through the model once (batch 1) keeping its KV cache, which is
    repeated for the n responses; the gradient still flows back through the prompt's
    keys and values, so the result and its gradient equal the padded batch's, while a
    group of n samples pays for its (usually long) prompt once instead of n times.
    """
    r = batch.response_len
    p = batch.input_ids.shape[1] - r
    n = batch.input_ids.shape[0]
    prompt = batch.input_ids[:1, :p]
    first = model(input_ids=prompt, position_ids=torch.arange(p).unsqueeze(0), use_cache=True, logits_to_keep=1)
    cache = first.past_key_values
    cache.batch_repeat_interleave(n)
    rest = model(
        input_ids=batch.responses, attention_mask=batch.attention_mask, position_ids=batch.position_ids[:, p:],
        past_key_values=cache, use_cache=True, logits_to_keep=r,
    )
    logits = torch.cat([first.logits.expand(n, -1, -1), rest.logits[:, :-1, :]], dim=1).float()
    return _token_logprobs(logits, batch, temperature, with_entropy, entropy_grad)


def mask_logits(logits: torch.Tensor, allowed: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``logits`` (B, R, V) with the tokens ``allowed`` (int32 bitmask (B, R, W)) does
    not allow set to -inf, and the expanded bool mask; unchanged without a bitmask.

    Bits past the vocabulary's end are ignored; logits past the bitmask's end are
    disallowed (as the server does)."""
    if allowed is None:
        return logits, None
    from agl_ops.llm.sampling import bitmask_to_bool

    b, r, v = logits.shape
    keep = bitmask_to_bool(allowed.reshape(b * r, -1).cpu(), v).view(b, r, v).to(logits.device)
    return logits.masked_fill(~keep, float("-inf")), keep


def _token_logprobs(
    logits: torch.Tensor, batch: TokenBatch, temperature: float, with_entropy: bool, entropy_grad: bool,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    if temperature != 1.0:
        logits = logits / temperature
    logits, keep = mask_logits(logits, batch.allowed)
    logp_all = torch.log_softmax(logits, dim=-1)
    logp = logp_all.gather(-1, batch.responses.unsqueeze(-1)).squeeze(-1)
    entropy = None
    if with_entropy:
        with torch.set_grad_enabled(entropy_grad and torch.is_grad_enabled()):
            lp = logp_all if entropy_grad else logp_all.detach()
            # a disallowed token has p = 0 and log p = -inf: 0 * -inf is nan, forward and
            # backward, so its log is zeroed before the product (its term is then exactly 0)
            safe = lp if keep is None else lp.masked_fill(~keep, 0.0)
            entropy = -(lp.exp() * safe).sum(-1)
    return logp, entropy


def batch_logprobs(
    model: Any, batch: TokenBatch, *, share_prefix: bool = True, **kwargs: Any,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Shared-prefix path when the rows share their prompt, padded batch otherwise."""
    if share_prefix and shares_prompt(batch):
        return shared_prefix_logprobs(model, batch, **kwargs)
    return response_logprobs(model, batch, **kwargs)


def resolve_train_dtype(dtype: str) -> str:
    """``auto``: bfloat16 where the CPU computes it natively (AVX512-BF16/AMX) or on CUDA,
    else float32 (emulated bf16 matmuls are many times slower than fp32)."""
    if dtype != "auto":
        return dtype
    native = torch.cuda.is_available() or torch.cpu._is_avx512_bf16_supported()
    return "bfloat16" if native else "float32"


class Policy:
    """A causal LM being trained, with its tokenizer and (by default) a LoRA adapter."""

    def __init__(self, model: Any, tokenizer: Any, base_path: Path, lora: bool, dtype: str = "float32") -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.base_path = base_path
        self.lora = lora
        self.dtype = dtype  # compute dtype of training forwards (autocast)
        self._reference: Any = None

    @classmethod
    def load(
        cls, model_path: str | Path, lora: LoraParams | None = None, *, adapter_path: str | Path | None = None,
        dtype: str = "float32", attn_implementation: str = "eager",
    ) -> Policy:
        """Load the base model from a local directory and attach a fresh LoRA adapter, the
        adapter at ``adapter_path``, or nothing (``lora.enabled=False``: full fine-tune).

        With LoRA and ``dtype='bfloat16'`` the frozen base weights are stored in bf16
        (the adapter stays fp32): under autocast a frozen fp32 weight is re-cast on every
        use, forward and backward, which cost ~15% of a step here. Eager attention is
        the default because the CPU sdpa kernels' backward was ~1.5x slower at these
        lengths (measured on a 600-token prompt, bf16).
        """
        from transformers import AutoModelForCausalLM, AutoTokenizer

        dtype = resolve_train_dtype(dtype)
        base = Path(model_path)
        if not (base / "config.json").is_file():
            raise FileNotFoundError(f"{base} is not a model directory (no config.json); run `agl-ops model prepare`")
        tokenizer = AutoTokenizer.from_pretrained(base)
        model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32, attn_implementation=attn_implementation)
        model.config.use_cache = False
        lora = lora or LoraParams()
        if not lora.enabled:
            model.train()
            return cls(model, tokenizer, base, lora=False, dtype=dtype)
        from peft import LoraConfig, PeftModel, get_peft_model

        if dtype == "bfloat16":
            model = model.to(torch.bfloat16)
        if adapter_path is not None:
            model = PeftModel.from_pretrained(model, str(adapter_path), is_trainable=True)
        else:
            cfg = LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                             target_modules=list(lora.target_modules), task_type="CAUSAL_LM", bias="none")
            model = get_peft_model(model, cfg)
        for p in model.parameters():
            if p.requires_grad:
                p.data = p.data.float()  # the adapter (and its optimizer state) in fp32
        model.train()
        return cls(model, tokenizer, base, lora=True, dtype=dtype)

    @property
    def pad_id(self) -> int:
        tok = self.tokenizer
        return int(tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id or 0)

    def trainable_parameters(self) -> list[torch.nn.Parameter]:
        return [p for p in self.model.parameters() if p.requires_grad]

    def trainable_state(self) -> dict[str, torch.Tensor]:
        """The weights being trained (adapter only for LoRA), detached on CPU."""
        return {n: p.detach().clone() for n, p in self.model.named_parameters() if p.requires_grad}

    def load_trainable_state(self, state: dict[str, torch.Tensor]) -> None:
        params = dict(self.model.named_parameters())
        missing = [n for n, p in params.items() if p.requires_grad and n not in state]
        if missing:
            raise ValueError(f"checkpoint lacks {len(missing)} trainable tensors, e.g. {missing[0]}")
        with torch.no_grad():
            for name, value in state.items():
                params[name].copy_(value)

    @contextlib.contextmanager
    def reference(self) -> Iterator[Any]:
        """The frozen starting model: the base with the adapter switched off (no copy),
        or for a full fine-tune a second copy loaded once."""
        if self.lora:
            with self.model.disable_adapter():
                yield self.model
            return
        if self._reference is None:
            from transformers import AutoModelForCausalLM

            self._reference = AutoModelForCausalLM.from_pretrained(self.base_path, dtype=torch.float32).eval()
            self._reference.requires_grad_(False)
        yield self._reference

    def save_weights(self, path: str | Path) -> Path:
        """What the server hot-reloads: the adapter directory (peft format) for LoRA, a
        full model directory otherwise."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        self.model.save_pretrained(tmp)
        if not self.lora:
            self.tokenizer.save_pretrained(tmp)
        shutil.rmtree(path, ignore_errors=True)
        tmp.rename(path)
        return path


def export_model(
    base_path: str | Path, weights_dir: str | Path, out_dir: str | Path, *, lora: bool = True, merge: bool = True,
    metadata: dict[str, Any] | None = None,
) -> Path:
    """Write a trained model where the server and eval load it.

    ``weights_dir`` is what :meth:`Policy.save_weights` wrote (an adapter, or a full
    model). With ``merge`` the adapter is folded into a fresh copy of the base model
    and saved as a plain HF model directory; otherwise the adapter is copied with the
    tokenizer and a pointer to its base model.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = Path(out_dir)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    merged = merge or not lora
    if lora and merge:
        from peft import PeftModel

        base = AutoModelForCausalLM.from_pretrained(base_path, dtype=torch.float32)
        model = PeftModel.from_pretrained(base, str(weights_dir)).merge_and_unload(safe_merge=True)
        model.save_pretrained(tmp)
    else:
        shutil.copytree(weights_dir, tmp)
    AutoTokenizer.from_pretrained(base_path).save_pretrained(tmp)
    source = {"base_model": str(base_path), "lora": lora, "merged": merged, **(metadata or {})}
    (tmp / ADAPTER_SOURCE_FILE).write_text(json.dumps(source, indent=1))
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    logger.info("wrote %s model to %s", "merged" if merged else "adapter", out)
    return out
