"""The vLLM backend for GPUs: ``agl-ops serve --backend vllm`` runs ``vllm serve``.

vLLM speaks the same OpenAI API with the same extension (``return_token_ids``), so the
proxy records identical spans over it. What differs: hot reload goes through vLLM's
runtime LoRA endpoints (``/v1/load_lora_adapter``, enabled by
``VLLM_ALLOW_RUNTIME_LORA_UPDATING``), the adapter is addressed by its name as the
request's ``model``, and vLLM reports no model version (the proxy records the one the
trainer sets on it). vllm itself is an optional extra (``pip install agl-ops[vllm]``).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import httpx

__all__ = ["VllmOptions", "vllm_command", "vllm_env", "vllm_available", "load_lora_adapter"]


@dataclass
class VllmOptions:
    model_path: str
    host: str = "127.0.0.1"
    port: int = 8000
    served_model_name: str | None = None
    dtype: str = "auto"
    max_model_len: int | None = None
    adapter_path: str | None = None
    adapter_name: str = "policy"
    max_lora_rank: int = 64
    gpu_memory_utilization: float = 0.85
    seed: int | None = None
    api_key: str | None = None
    prefix_caching: bool = True
    extra_args: list[str] = field(default_factory=list)


def vllm_available() -> bool:
    return shutil.which("vllm") is not None


def vllm_command(opts: VllmOptions, executable: str = "vllm") -> list[str]:
    """The ``vllm serve`` command line for these options."""
    name = opts.served_model_name or Path(opts.model_path).name
    cmd = [executable, "serve", str(opts.model_path), "--host", opts.host, "--port", str(opts.port),
           "--served-model-name", name, "--dtype", opts.dtype,
           "--gpu-memory-utilization", str(opts.gpu_memory_utilization),
           "--generation-config", "vllm"]  # our sampling defaults, not the model's generation_config.json
    if opts.max_model_len:
        cmd += ["--max-model-len", str(opts.max_model_len)]
    if opts.prefix_caching:
        cmd.append("--enable-prefix-caching")
    if opts.seed is not None:
        cmd += ["--seed", str(opts.seed)]
    if opts.api_key:
        cmd += ["--api-key", opts.api_key]
    if opts.adapter_path:
        cmd += ["--enable-lora", "--max-lora-rank", str(opts.max_lora_rank),
                "--lora-modules", f"{opts.adapter_name}={opts.adapter_path}"]
    return cmd + list(opts.extra_args)


def vllm_env(opts: VllmOptions) -> dict[str, str]:
    """Environment for the vLLM process: runtime LoRA loading for hot reload."""
    return {"VLLM_ALLOW_RUNTIME_LORA_UPDATING": "True"} if opts.adapter_path else {}


def load_lora_adapter(url: str, name: str, path: str, *, token: str | None = None, timeout_s: float = 300.0) -> None:
    """Hot-load (or replace) a LoRA adapter on a running vLLM server."""
    base = url.rstrip("/").removesuffix("/v1")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    httpx.post(f"{base}/v1/unload_lora_adapter", json={"lora_name": name}, headers=headers, timeout=timeout_s)
    r = httpx.post(f"{base}/v1/load_lora_adapter", json={"lora_name": name, "lora_path": path}, headers=headers,
                   timeout=timeout_s)
    if r.status_code != 200:
        raise RuntimeError(f"vLLM refused adapter {path} ({r.status_code}): {r.text[:500]}")
