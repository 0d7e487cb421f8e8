"""MLflow pyfunc model (models-from-code): an agl-ops model directory that generates.

MLflow copies this file into every logged model and runs it on load, so it imports
nothing from agl_ops: a registered model loads wherever transformers (+ peft for
adapters) is installed. The weights are one of

* a PEFT adapter (``adapter_config.json``) + its base model (bundled as the ``base``
  artifact, or referenced by ``base_model_path`` in the model config),
* a full (e.g. merged) HF model directory (the ``weights`` artifact), or
* a reference to a full model directory (``model_path`` in the model config).

``predict`` takes prompts (a ``prompt`` column of strings; a string holding a JSON list
of chat messages is used as the conversation) and returns the generated texts. Params:
``max_new_tokens`` and ``temperature`` (0 = greedy).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel

__all__ = ["AgentLLM"]


def _has_tokenizer(path: Path) -> bool:
    return (path / "tokenizer.json").is_file() or (path / "tokenizer_config.json").is_file()


def _messages(prompt: str) -> list[dict[str, str]]:
    text = prompt.strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, list) and all(isinstance(m, dict) and "role" in m for m in parsed):
            return parsed
    return [{"role": "user", "content": prompt}]


def _prompts(model_input: Any) -> list[str]:
    if hasattr(model_input, "columns"):  # pandas DataFrame
        column = "prompt" if "prompt" in model_input.columns else model_input.columns[0]
        return [str(v) for v in model_input[column].tolist()]
    if isinstance(model_input, dict):
        value = model_input.get("prompt", next(iter(model_input.values()), []))
        return [value] if isinstance(value, str) else [str(v) for v in value]
    if isinstance(model_input, str):
        return [model_input]
    return [str(v) for v in model_input]


class AgentLLM(PythonModel):
    def load_context(self, context: Any) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        config = context.model_config or {}
        artifacts = context.artifacts or {}
        weights = Path(artifacts.get("weights") or config["model_path"])
        if (weights / "adapter_config.json").is_file():
            from peft import PeftModel

            base = Path(artifacts.get("base") or config["base_model_path"])
            model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), weights)
            tokenizer_dir = weights if _has_tokenizer(weights) else base
        else:
            model = AutoModelForCausalLM.from_pretrained(weights)
            tokenizer_dir = weights
        self.model = model.eval()
        self.tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.defaults = {"max_new_tokens": int(config.get("max_new_tokens", 256)),
                         "temperature": float(config.get("temperature", 0.0))}

    def _encode(self, prompt: str) -> str:
        if getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer.apply_chat_template(_messages(prompt), tokenize=False, add_generation_prompt=True)
        return prompt

    # a DataFrame hint: MLflow then validates against the signature given at logging
    # instead of inferring one from the hint (which would drop the params schema)
    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> list[str]:
        import torch

        settings = {**self.defaults, **{k: v for k, v in (params or {}).items() if v is not None}}
        texts = [self._encode(p) for p in _prompts(model_input)]
        batch = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        temperature = float(settings["temperature"])
        sampling = {"do_sample": True, "temperature": temperature} if temperature > 0 else {"do_sample": False}
        with torch.no_grad():
            out = self.model.generate(**batch, max_new_tokens=int(settings["max_new_tokens"]),
                                      pad_token_id=self.tokenizer.pad_token_id, **sampling)
        new_tokens = out[:, batch["input_ids"].shape[1]:]
        return self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)


mlflow.models.set_model(AgentLLM())
