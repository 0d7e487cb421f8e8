"""Config models of the algorithms: the policy being trained, spans -> transitions,
GRPO, the supervised warm start, VERL, and prompt optimization.

Task-free: nothing here names a task (a reward-shaping rule is any name registered in
:mod:`agl_ops.algorithms.shaping`, checked when GRPO is built). The project's
params.yaml composes these in :mod:`agl_ops.config`; the code defaults equal the
values in params.yaml (a test checks it).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from agl_ops.algorithms.enums import AdvantageEstimator, KLEstimator, LossAgg, PolicyLoss
from agl_ops.section import Section

__all__ = [
    "AdapterParams",
    "ApoParams",
    "GRPOParams",
    "LoraParams",
    "OptimizerLLMParams",
    "PolicyParams",
    "PromptOptParams",
    "SearchParams",
    "VerlParams",
    "WarmStartParams",
]


class LoraParams(Section):
    enabled: bool = Field(True, description="Train a LoRA adapter (peft); false = full fine-tune of every weight")
    r: int = Field(16, ge=1, description="LoRA rank")
    alpha: float = Field(32.0, gt=0, description="LoRA scaling numerator (scale = alpha / r)")
    dropout: float = Field(0.0, ge=0, lt=1, description="Dropout on the LoRA input")
    target_modules: list[str] = Field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        description="Module names that get an adapter")


class PolicyParams(Section):
    """How the model being trained is loaded and computed (warm start and GRPO alike)."""

    dtype: str = Field("auto", pattern="^(auto|float32|bfloat16)$", description="Compute dtype of the training forward/backward (autocast; with LoRA the frozen base is stored in it, the adapter stays fp32); auto: bfloat16 where the CPU has native bf16 (AVX512-BF16/AMX) or on CUDA, else float32 (emulated bf16 is many times slower)")
    attn_implementation: str = Field("eager", pattern="^(eager|sdpa)$", description="Attention kernel for training (eager measured faster on CPU here)")
    lora: LoraParams = Field(default_factory=LoraParams)


class AdapterParams(Section):
    """Which LLM calls of a rollout become transitions, and how long they may be."""

    agent_match: str | None = Field("write|rewrite", description="Regex (full match) of the LLM span names to train; null = every call")
    credit: str = Field("final", pattern="^(final|discounted|last)$", description="How the episode reward is shared among its matched calls")
    gamma: float = Field(1.0, gt=0, le=1, description="Per-turn discount of credit=discounted")
    max_prompt_length: int = Field(1536, ge=1, description="Prompt tokens kept per call (longer prompts keep their end)")
    max_response_length: int = Field(256, ge=1, description="Response tokens kept per call")
    overlong: str = Field("truncate", pattern="^(truncate|drop)$", description="Over-long calls are truncated or dropped (both are counted)")


class GRPOParams(Section):
    """The native GRPO loop: batches, the loss, optimisation, validation, selection."""

    batch_size: int = Field(8, ge=1, description="Tasks per step")
    n_rollouts: int = Field(8, ge=1, description="Rollouts per task (the GRPO group size)")
    total_steps: int | None = Field(20, ge=1, description="Update steps: the budget (the same params train the same steps on any machine); null: epochs over the train split")
    epochs: int = Field(1, ge=1, description="Passes over the train split when total_steps is unset")
    max_time_s: float | None = Field(14400, gt=0, description="Safety stop: end after the step that crosses this wall-clock time (reported as cut short; a rerun resumes); null: none")
    lr: float = Field(1e-4, gt=0, description="Peak learning rate (AdamW)")
    lr_schedule: str = Field("constant", pattern="^(constant|linear|cosine)$", description="Decay after warm-up")
    warmup_steps: int = Field(0, ge=0, description="Optimizer steps of linear warm-up")
    weight_decay: float = Field(0.0, ge=0, description="AdamW weight decay")
    max_grad_norm: float = Field(1.0, gt=0, description="Gradient clipping norm")
    mini_batch_size: int | None = Field(32, ge=1, description="Transitions per optimizer step (null: the whole batch in one step)")
    micro_batch_size: int = Field(4, ge=1, description="Transitions per forward/backward (gradient accumulation)")
    share_prefix: bool = Field(True, description="Run a prompt shared by a group's samples once per forward/backward (exact gradient, much less compute)")
    ppo_epochs: int = Field(1, ge=1, description="Passes over each batch")
    advantage: AdvantageEstimator = Field(AdvantageEstimator.DR_GRPO, description="Advantage estimator (dr_grpo: no std scaling, so shaping's small differences stay small)")
    loss: PolicyLoss = Field(PolicyLoss.CLIP, description="Policy loss")
    loss_agg: LossAgg = Field(LossAgg.TOKEN_MEAN, description="How per-token losses are aggregated")
    clip_low: float = Field(0.2, ge=0, description="Lower clip of the importance ratio (1 - clip_low)")
    clip_high: float = Field(0.28, ge=0, description="Upper clip (1 + clip_high)")
    kl_coef: float = Field(0.05, ge=0, description="Weight of KL(policy || reference) in the loss (0: no reference pass); the reference is the start model with the adapter off")
    kl_estimator: KLEstimator = Field(KLEstimator.K3, description="KL estimator")
    entropy_coef: float = Field(0.0, description="Entropy bonus weight")
    skip_uniform_groups: bool = Field(True, description="Skip groups whose rollouts all got the same reward (zero advantage)")
    reward_shaping: str = Field("none", min_length=1, description="Training reward: 'none' (the task reward) or a rule registered in agl_ops.algorithms.shaping by the task (evaluation always uses the task reward)")
    shaping_options: dict[str, float] = Field(default_factory=dict, description="Options of the shaping rule")
    old_logprobs: str = Field("recompute", pattern="^(recompute|rollout)$", description="Importance-ratio baseline: recompute with the policy before the update, or the server's logprobs")
    temperature: float = Field(0.8, gt=0, description="Sampling temperature of train rollouts (logits are scaled by it in the loss)")
    val_temperature: float = Field(0.0, ge=0, description="Sampling temperature of validation rollouts")
    val_every: int = Field(5, ge=0, description="Validate every k steps (0: only at the start and the end)")
    val_before_train: bool = Field(True, description="Validate the starting point")
    val_limit: int | None = Field(48, ge=1, description="Validation tasks used during training (monitoring; null: the whole val split)")
    save_every: int = Field(5, ge=1, description="Checkpoint every k steps")
    keep_checkpoints: int = Field(2, ge=1, description="Checkpoints kept on disk")
    early_stop_patience: int = Field(0, ge=0, description="Stop after this many validations without improvement (0: never)")
    early_stop_min_delta: float = Field(0.0, ge=0, description="Improvement in val accuracy that resets the patience")
    select: str = Field("last", pattern="^(best|last)$", description="Which adapter becomes the output model: the last, or the best on val (val figures of the result are then optimistic)")


class WarmStartParams(Section):
    enabled: bool = Field(True, description="Supervised warm start before GRPO: LoRA fine-tuning on the train split's reference answers, with the agent's own prompts (a model that almost never succeeds gives GRPO groups without reward variance)")
    steps: int = Field(80, ge=1, description="Optimizer steps of the warm start: the budget (LR warm-up then cosine decay along them)")
    max_time_s: float | None = Field(7200, gt=0, description="Safety stop: end the warm start after this many seconds (reported as cut short); null: none")
    batch_size: int = Field(8, ge=1, description="Examples per optimizer step")
    micro_batch_size: int = Field(4, ge=1, description="Examples per forward/backward (gradient accumulation)")
    lr: float = Field(1e-3, gt=0, description="Peak learning rate (AdamW; linear warm-up over the first 10% of steps, then cosine decay)")
    difficulties: list[str] | None = Field(None, description="Train only on tasks of these tiers (null: all)")
    output_dir: str | None = Field("models/sft", description="Also export the warm-started model here (merged HF dir) to evaluate it alone; null: do not (with fresh_adapter it goes to run_dir/warm_start_model)")
    fresh_adapter: bool = Field(True, description="GRPO trains a new LoRA adapter on the merged warm-started model, so its KL reference is the warm start (not the base) and the server serves that model; false: GRPO continues the warm-start adapter")
    demo_share: float = Field(0.5, ge=0, le=1, description="Share of examples whose prompt shows retrieved demonstrations (tasks with a demo slot, e.g. SQL's {examples}: the train questions closest to this one, from other databases), so the model learns to use demos a prompt may show it; 0: none")
    demos: int = Field(2, ge=1, le=8, description="Demonstrations in such a prompt")
    demo_schema: str = Field("columns", description="How their schema is shown (SQL: none | columns | create)")


class VerlParams(Section):
    config: dict[str, Any] = Field(default_factory=dict, description="verl config overrides in verl's own nesting (algorithm, data, actor_rollout_ref, trainer); merged over the seed config and verl's defaults")
    pick: str = Field("last", pattern="^(first|last)$", description="verl trains one transition per rollout: the episode's first or last matched call")
    rollout_timeout_s: float = Field(3600.0, gt=0, description="How long verl's rollout manager waits for a batch of rollouts")
    launch: bool = Field(True, description="Start training (false: only validate and print the command line)")


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
    show_reference: bool = Field(True, description="Show the train task's reference answer in critiques (train data only; val/test answers are never shown)")
    targets: list[str] = Field(default_factory=lambda: ["write_prompt"], min_length=1, description="Prompt resources APO may edit")


class SearchParams(Section):
    n_trials: int = Field(6, ge=1, description="Optuna (TPE) trials in total; a resumed study runs only the missing ones")
    study_path: str = Field(".agl/prompt_search.db", description="SQLite file of the Optuna study (resume: run the same command again)")
    study_name: str | None = Field(None, description="Study name (null: derived from the data, model and search space, so a changed setup starts a fresh study)")
    bootstrap_size: int = Field(0, ge=0, description="Scoring tasks rolled out with the baseline prompt first; the space gets the solved ones (a space that bootstraps demos from them)")
    max_demos: int = Field(3, ge=0, description="Demonstrations retrieved per question at most (trials choose 0 to this)")
    samples: int = Field(4, ge=1, le=16, description="Queries per writing step a trial may vote over by their execution results (agent.samples; trials choose the baseline's or this)")
    proposed_instructions: int = Field(2, ge=0, description="Instruction variants proposed by the optimizer LLM (besides the project's own)")
    prune: bool = Field(True, description="Stop a trial early when its first chunk of the minibatch is below the median of earlier trials")
    confirm_top: int = Field(1, ge=1, description="Best trials (by minibatch accuracy) re-scored on the selection tasks (the algorithm's val dataset: in the pipeline the held-out train databases, never val/test); the best of them there wins")
    seed_trials: bool = Field(True, description="Enqueue the baseline layout and the project's first variant as the first trials")


class PromptOptParams(Section):
    algorithm: str = Field("search", pattern="^(apo|search)$", description="apo: textual gradients + beam search; search: Optuna over the task's prompt search space")
    endpoint: str | None = Field(None, description="Agent's model endpoint (null: start the local model server on model_path, with the tracing proxy)")
    model: str | None = Field(None, description="Model name at the endpoint (null: its first /v1/models entry)")
    model_path: str | None = Field(None, description="Model the local server loads (null: the model the pipeline ships, train.output_dir)")
    minibatch_size: int = Field(16, ge=1, description="Train tasks that score one candidate prompt")
    select_limit: int = Field(48, ge=1, description="Held-out train tasks (split prompt_dev: train databases the model was not trained on) the final pick between the baseline and the best trials is made on; the rest of the split feeds the trials' minibatches. Val and test are never used to choose")
    val_limit: int | None = Field(48, ge=1, description="Val tasks of the baseline-vs-best report (report only; null: the whole split)")
    test_limit: int | None = Field(48, ge=1, description="Test tasks of the baseline-vs-best report (report only; null: the whole split; --no-test skips the report)")
    max_tokens: int = Field(96, ge=16, description="Completion tokens per agent call during optimization and the final comparison (both prompts alike)")
    temperature: float = Field(0.0, ge=0, description="Agent sampling temperature while scoring prompts")
    n_runners: int = Field(8, ge=1, description="Rollouts in flight at once (runner threads)")
    max_prompt_chars: int = Field(6000, ge=200, description="Longest prompt template accepted (longer edits are rejected)")
    min_improvement: float = Field(0.0, ge=0, description="A candidate replaces the baseline only when its accuracy on the selection tasks is higher by more than this")
    max_time_s: float | None = Field(None, gt=0, description="Stop exploring once this wall-clock budget is spent (the final val selection still runs)")
    seed: int | None = Field(None, description="Seed of minibatch sampling and the study (null: the global seed)")
    output: str = Field("outputs/prompts/best.json", description="Best prompt set as resources JSON (DVC output; `agl-ops eval --prompts` loads it)")
    metrics_file: str = Field("metrics/prompt_opt.json", description="Val/test accuracy of baseline vs best (DVC metrics)")
    register_best: bool = Field(True, description="Register the best prompt set in MLflow's prompt registry (alias challenger)")
    optimizer: OptimizerLLMParams = Field(default_factory=OptimizerLLMParams)
    apo: ApoParams = Field(default_factory=ApoParams)
    search: SearchParams = Field(default_factory=SearchParams)
