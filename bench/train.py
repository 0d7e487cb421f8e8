"""Training throughput of one GRPO step: ours vs TRL's GRPOTrainer, side by side.

Same model (models/base, SmolLM2-135M; the tiny random model if it is missing), same
LoRA (r=16 on every projection), same batch: TRL generates the completions (exactly
``--completion`` tokens each, ``--gens`` per prompt), and our update then trains on
those very token ids and advantages. "Train tokens" = prompt + completion tokens of
every sequence in the step; the time is the update alone (forward, backward, optimizer
step), generation excluded on both sides. TRL's time per step is read from trainer
callbacks (step begin -> step end, minus its generation).

Variants: TRL as it runs on CPU by default (gradient checkpointing on, fp32; without
checkpointing it ran out of memory at the full sizes on a 23 GB machine, so that variant
is opt-in); ours in fp32 like-for-like (padded batch, sdpa), ours in fp32 with the
shared-prompt forward, and ours as configured by default (bf16 + shared prompt).

    python bench/train.py [--quick] [--write docs/benchmarks.md]

TRL is a benchmark-only dependency: ``pip install trl`` into .venv.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
warnings.filterwarnings("ignore")

import torch  # noqa: E402

from agl_ops.algorithms.policy import Policy, TrainRow  # noqa: E402
from agl_ops.algorithms.update import make_optimizer, make_scheduler, policy_update  # noqa: E402
from agl_ops.config import GRPOParams, LoraParams  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LORA = LoraParams()
FILLER = ("CREATE TABLE employees (employee_id INTEGER PRIMARY KEY, full_name TEXT, job_title TEXT, salary REAL); "
          "/* 3 example rows: 1 | Irene Park | Coordinator | 186000.0 */ Question: how many employees earn more "
          "than the average salary of their department? ")


def model_dir() -> Path:
    real = ROOT / "models" / "base"
    if (real / "config.json").is_file():
        return real
    from tests.llm.conftest import build_tiny_model

    return build_tiny_model(Path(tempfile.mkdtemp()) / "tiny")


def prompts_of_length(tokenizer: Any, n_prompts: int, length: int) -> list[str]:
    """Distinct prompts that tokenise to about ``length`` tokens."""
    out = []
    for i in range(n_prompts):
        ids = tokenizer(f"Task {i}. " + FILLER * (length // 20 + 2))["input_ids"][:length]
        out.append(tokenizer.decode(ids))
    return out


class _StepClock:
    """TRL callback + wrapper: time of each step minus its generation; the batches."""

    def __init__(self) -> None:
        self.step_start = 0.0
        self.gen_s = 0.0
        self.train_s: list[float] = []
        self.tokens: list[int] = []
        self.batches: list[dict[str, Any]] = []

    def wrap_generation(self, trainer: Any) -> None:
        original = trainer._generate_and_score_completions

        def timed(batch: Any) -> Any:
            t = time.perf_counter()
            out = original(batch)
            self.gen_s += time.perf_counter() - t
            self.tokens.append(int(out["prompt_mask"].sum() + out["completion_mask"].sum()))
            self.batches.append({k: v.detach().clone() if torch.is_tensor(v) else v for k, v in out.items()})
            return out

        trainer._generate_and_score_completions = timed

    def callback(self) -> Any:
        from transformers import TrainerCallback

        clock = self

        class Cb(TrainerCallback):
            def on_step_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
                clock.step_start, clock.gen_s = time.perf_counter(), 0.0

            def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
                clock.train_s.append(time.perf_counter() - clock.step_start - clock.gen_s)

        return Cb()


def run_trl(model: Path, args: argparse.Namespace, *, checkpointing: bool) -> tuple[float, list[dict[str, Any]]]:
    """TRL GRPOTrainer for warm-up + measured steps; (train tokens/s, generated batches)."""
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    tok = AutoTokenizer.from_pretrained(model)
    n_prompts = args.batch // args.gens
    data = Dataset.from_dict({"prompt": prompts_of_length(tok, n_prompts, args.prompt) * (args.steps + 2)})
    counter = iter(range(10**9))

    def reward(completions: list[str], **_: Any) -> list[float]:
        return [float(next(counter) % 3 == 0) for _ in completions]  # varied, so advantages are non-zero

    out = Path(tempfile.mkdtemp(prefix="trl-bench-"))
    config = GRPOConfig(
        output_dir=str(out), use_cpu=True, bf16=False, gradient_checkpointing=checkpointing,
        per_device_train_batch_size=args.batch, num_generations=args.gens, max_completion_length=args.completion,
        generation_kwargs={"min_new_tokens": args.completion}, learning_rate=1e-5, max_steps=args.steps + 1,
        logging_steps=1000, save_strategy="no", report_to=[], shuffle_dataset=False, disable_tqdm=True, seed=0,
    )
    lora = LoraConfig(r=LORA.r, lora_alpha=LORA.alpha, lora_dropout=0.0, target_modules=list(LORA.target_modules),
                      task_type="CAUSAL_LM")
    trainer = GRPOTrainer(model=AutoModelForCausalLM.from_pretrained(model, dtype=torch.float32), reward_funcs=reward,
                          args=config, train_dataset=data, processing_class=tok, peft_config=lora)
    clock = _StepClock()
    clock.wrap_generation(trainer)
    trainer.add_callback(clock.callback())
    trainer.train()
    measured = slice(1, None)  # the first step warms up
    rate = sum(clock.tokens[measured]) / sum(clock.train_s[measured])
    return rate, clock.batches


def rows_from_trl(batch: dict[str, Any]) -> list[TrainRow]:
    rows = []
    for p, pm, c, cm, a in zip(batch["prompt_ids"], batch["prompt_mask"], batch["completion_ids"],
                               batch["completion_mask"], batch["advantages"]):
        rows.append(TrainRow(p[pm.bool()].tolist(), c[cm.bool()].tolist(), float(a)))
    return rows


def run_ours(model: Path, batches: list[dict[str, Any]], *, dtype: str = "bfloat16", attn_implementation: str = "eager",
             **overrides: Any) -> float:
    # like TRL's run: one on-policy step per batch, no KL reference pass, temperature 1
    params = GRPOParams(lr=1e-5, micro_batch_size=8, mini_batch_size=None, kl_coef=0.0, temperature=1.0, **overrides)
    policy = Policy.load(model, LORA, dtype=dtype, attn_implementation=attn_implementation)
    opt = make_optimizer(policy, params)
    sched = make_scheduler(opt, params, len(batches))
    tokens, seconds = 0.0, 0.0
    for i, batch in enumerate(batches):
        m = policy_update(policy, opt, sched, rows_from_trl(batch), params)
        if i > 0:  # the first step warms up
            tokens += m["train/tokens"]
            seconds += m["time/update_s"]
    return tokens / seconds


def write_markdown(path: Path, rows: list[tuple[str, float]], args: argparse.Namespace, model: Path, headline: float) -> None:
    import datetime as dt
    import platform

    lines = [
        "", f"### bench/train.py ({dt.date.today()}, {platform.machine()}, {os.cpu_count()} cores, torch "
        f"{torch.__version__}, model {model.name}, batch {args.batch} = {args.batch // args.gens} prompts x "
        f"{args.gens} completions, prompt {args.prompt} + completion {args.completion} tokens, LoRA r={LORA.r})", "",
        "| variant | train tokens/s | vs TRL default |", "|---|---:|---:|",
    ]
    base = rows[0][1]
    lines += [f"| {name} | {rate:,.0f} | {rate / base:.2f}x |" for name, rate in rows]
    lines += ["", f"Headline: `train_tokens_per_s_vs_trl: {headline:.2f}x` (ours by default vs TRL's GRPOTrainer by default on CPU).", ""]
    text = path.read_text() if path.exists() else ""
    path.write_text(text.rstrip("\n") + "\n" + "\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, TRL default vs ours default only")
    ap.add_argument("--prompt", type=int, default=None, help="prompt tokens")
    ap.add_argument("--completion", type=int, default=None, help="completion tokens")
    ap.add_argument("--batch", type=int, default=None, help="sequences per step")
    ap.add_argument("--gens", type=int, default=None, help="completions per prompt (GRPO group size)")
    ap.add_argument("--steps", type=int, default=None, help="measured steps (after one warm-up step)")
    ap.add_argument("--write", type=Path, default=None, help="append the table to this markdown file")
    ap.add_argument("--trl-no-checkpointing", action="store_true",
                    help="also run TRL without gradient checkpointing (at the full sizes it needed > 20 GB here)")
    args = ap.parse_args()
    quick = dict(prompt=64, completion=16, batch=4, gens=4, steps=1)
    full = dict(prompt=512, completion=64, batch=16, gens=8, steps=2)
    for k, v in (quick if args.quick else full).items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    torch.manual_seed(0)
    model = model_dir()
    results: list[tuple[str, float]] = []
    trl_rate, batches = run_trl(model, args, checkpointing=True)
    results.append(("TRL GRPOTrainer, CPU defaults (gradient checkpointing, fp32)", trl_rate))
    if args.trl_no_checkpointing:
        rate, _ = run_trl(model, args, checkpointing=False)
        results.append(("TRL GRPOTrainer, no gradient checkpointing, fp32", rate))
    if not args.quick:
        results.append(("ours, fp32, padded batch, sdpa (TRL's setup minus checkpointing)",
                        run_ours(model, batches, dtype="float32", share_prefix=False, attn_implementation="sdpa")))
        results.append(("ours, fp32, shared-prompt forward, eager attention", run_ours(model, batches, dtype="float32")))
    ours = run_ours(model, batches)
    results.append(("ours, defaults (bf16, shared-prompt forward, eager attention)", ours))
    width = max(len(n) for n, _ in results)
    for name, rate in results:
        print(f"{name:<{width}}  {rate:10,.0f} train tokens/s  ({rate / trl_rate:.2f}x TRL default)")
    headline = ours / trl_rate
    if args.write:
        write_markdown(args.write, results, args, model, headline)
    print(f"train_tokens_per_s_vs_trl: {headline:.2f}x (target: >= 1x)")


if __name__ == "__main__":
    main()
