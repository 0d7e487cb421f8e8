"""Load a served model: a base HF model directory, optionally with a LoRA adapter merged in.

Adapters are merged into the weights (peft ``merge_and_unload``) so serving pays no
LoRA matmuls; a hot reload loads base + new adapter afresh, so adapters never stack.
The model computes in ``dtype``: bf16 runs about 2x fp32 on CPUs with AVX512-BF16/AMX,
and the logprobs we report are those of the model that sampled, in that dtype.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch

from agl_ops.llm.kvcache import register_attention
from agl_ops.llm.prepare import ModelSourceError, check_model_dir

__all__ = ["resolve_dtype", "load_model", "check_adapter_dir"]

logger = logging.getLogger(__name__)

_DTYPES = {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16, "bf16": torch.bfloat16,
           "float16": torch.float16, "fp16": torch.float16}


def resolve_dtype(name: str) -> torch.dtype:
    """``auto`` is bf16 where the CPU has native bf16 matmuls (or on CUDA), else fp32."""
    if name == "auto":
        if torch.cuda.is_available() or torch.cpu._is_avx512_bf16_supported():
            return torch.bfloat16
        return torch.float32
    try:
        return _DTYPES[name]
    except KeyError:
        raise ValueError(f"unknown dtype {name!r}; use auto, float32 or bfloat16") from None


def check_adapter_dir(path: str | Path) -> Path:
    p = Path(path)
    if not (p / "adapter_config.json").is_file():
        raise ModelSourceError(f"{p} is not a LoRA adapter directory (no adapter_config.json)")
    return p


def load_model(model_path: str | Path, adapter_path: str | Path | None = None,
               dtype: torch.dtype = torch.float32) -> tuple[Any, Any]:
    """(model, tokenizer) ready for inference, with our batched attention function."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = check_model_dir(model_path)
    # adapters are merged in fp32 (then cast); without one, load straight into the serving dtype
    load_dtype = torch.float32 if adapter_path else dtype
    model = AutoModelForCausalLM.from_pretrained(path, dtype=load_dtype, attn_implementation=register_attention())
    if adapter_path:
        from peft import PeftModel

        adapter = check_adapter_dir(adapter_path)
        model = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
        logger.info("merged LoRA adapter %s into %s", adapter, path)
    model = model.to(dtype).eval()
    model.requires_grad_(False)
    tokenizer = AutoTokenizer.from_pretrained(path)
    if getattr(tokenizer, "clean_up_tokenization_spaces", False):
        tokenizer.clean_up_tokenization_spaces = False  # destructive for BPE: ids must decode to the text
    return model, tokenizer
