"""What grammar masks cost a GRPO step: the same update with and without them, side by side.

Workload: SQL-agent write calls on a synthetic dataset (``agl-ops data synth``'s
generator, fixed seed): the agent's own write prompt (chat template, the prompt the
server saw), the grammar of the tables it shows (``constrained=True``), and as the
response the task's gold query + end of turn (a response the grammar allows, as long as
a warm-started model writes; tasks whose gold query uses a table the linking did not
show are left out). Each task is one GRPO group of ``--gens`` rows with alternating
advantages. Model: models/base (SmolLM2-135M; the tiny random model if missing), LoRA
and every other setting from the GRPO defaults (dtype auto, shared-prompt forward, KL to the
reference, temperature 0.8).

Per round, in alternating order: ``unmasked`` = :func:`policy_update` on rows without
masks; ``masked`` = replaying every row under its grammar
(:meth:`ConstraintMasks.bitmask`, grammars already compiled: a schema's grammar is
compiled once per run) + :func:`policy_update` on the masked rows. A warm-up round
first (compiles, llguidance's tokenizer view, allocator). The headline is the masked
step's time over the unmasked one's.

    python bench/train_constrained.py [--quick] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore")

import torch  # noqa: E402

from agl_ops.algorithms.constrained import ConstraintMasks  # noqa: E402
from agl_ops.algorithms.policy import Policy, TrainRow  # noqa: E402
from agl_ops.algorithms.update import make_optimizer, make_scheduler, policy_update  # noqa: E402
from agl_ops.algorithms.warm_start import answer_ids, chat_prompt_ids  # noqa: E402
from agl_ops.config import GRPOParams, LoraParams  # noqa: E402
from agl_ops.types import Triplet  # noqa: E402


def model_dir() -> Path:
    real = ROOT / "models" / "base"
    if (real / "config.json").is_file():
        return real
    from tests.llm.conftest import build_tiny_model

    return build_tiny_model(Path(tempfile.mkdtemp()) / "tiny")


def workload(policy: Policy, masks: ConstraintMasks, n_tasks: int, gens: int) -> tuple[list[Triplet], int]:
    """``n_tasks`` x ``gens`` constrained transitions whose responses replay; and how many
    tasks were skipped (gold query outside the shown tables' grammar)."""
    from agl_ops.tasks.sql.agent import LitSQLAgent
    from agl_ops.tasks.sql.spider import SpiderDataset
    from agl_ops.tasks.sql.synth import SynthParams, generate_dataset

    data = Path(tempfile.mkdtemp(prefix="bench-masks-")) / "data"
    generate_dataset(data, SynthParams(seed=0, train_size=max(4 * n_tasks, 24), val_size=2, test_size=2))
    agent = LitSQLAgent(constrained=True)
    out: list[Triplet] = []
    skipped = 0
    for task in (t.to_row() for t in SpiderDataset(data).load("train")):
        if len(out) >= n_tasks * gens:
            break
        prompt = chat_prompt_ids(policy.tokenizer, agent.write_prompt(task))
        response = answer_ids(policy.tokenizer, str(task["query"]).strip().rstrip(";") + ";")
        grammar = agent.query_grammar(task)
        meta = {"credit": 1.0, "constraint": {"type": "grammar", "sha256": "", "text": grammar}}
        t = Triplet(rollout_id=str(len(out)), attempt_id="a", span_name="write", turn=0, prompt_ids=prompt,
                    response_ids=response, reward=0.0, metadata=meta)
        if masks.bitmask(t) is None:  # also compiles the grammar: the rounds measure replay alone
            skipped += 1
            continue
        out.extend(t.model_copy(update={"rollout_id": f"{t.rollout_id}-{g}"}) for g in range(gens))
    masks.reset_stats()
    return out, skipped


def timed_update(policy: Policy, params: GRPOParams, triplets: list[Triplet], masks: ConstraintMasks | None) -> dict[str, float]:
    start = time.perf_counter()
    allowed = [masks.bitmask(t) if masks is not None else None for t in triplets]
    replay = time.perf_counter() - start
    rows = [TrainRow(t.prompt_ids, t.response_ids, 1.0 if i % 2 else -1.0, allowed=a)
            for i, (t, a) in enumerate(zip(triplets, allowed))]
    opt = make_optimizer(policy, params)
    m = policy_update(policy, opt, make_scheduler(opt, params, 1), rows, params)
    if masks is not None:
        stats = masks.reset_stats()
        assert stats.replay_failed == 0 and stats.constrained_rows == len(rows)
    return {"replay_s": replay, "update_s": m["time/update_s"], "step_s": replay + m["time/update_s"],
            "entropy": m["train/entropy"]}


def write_markdown(path: Path, args: argparse.Namespace, model: Path, info: dict[str, Any], res: dict[str, list[dict[str, float]]]) -> None:
    import datetime as dt
    import platform

    med = {k: {f: statistics.median(r[f] for r in v) for f in v[0]} for k, v in res.items()}
    u, m = med["unmasked"], med["masked"]
    lines = [
        "", f"### bench/train_constrained.py ({dt.date.today()}, {platform.machine()}, {os.cpu_count()} cores, torch "
        f"{torch.__version__}, model {model.name}, {info['rows']} rows = {info['rows'] // args.gens} SQL write prompts "
        f"x {args.gens}, prompt ~{info['prompt']:.0f} + response ~{info['response']:.0f} tokens, GRPO defaults, "
        f"{args.rounds} rounds, medians)", "",
        f"Command: `{info['command']}`", "",
        "| variant | replay s | update s | step s | vs unmasked |", "|---|---:|---:|---:|---:|",
        f"| unmasked | - | {u['update_s']:.2f} | {u['step_s']:.2f} | 1.00x |",
        f"| masked (replay + masked log-softmax) | {m['replay_s']:.3f} | {m['update_s']:.2f} | {m['step_s']:.2f} | "
        f"{m['step_s'] / u['step_s']:.2f}x |",
        "", f"Replay: {1000 * m['replay_s'] / info['tokens']:.2f} ms per response token ({info['tokens']} tokens). "
        f"Mean entropy {u['entropy']:.2f} nats unmasked vs {m['entropy']:.2f} masked.",
        "", f"Headline: `constrained_step_overhead: {100 * (m['step_s'] / u['step_s'] - 1):+.1f}%`.", "",
    ]
    text = path.read_text() if path.exists() else ""
    path.write_text(text.rstrip("\n") + "\n" + "\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="2 tasks x 2 rows, 1 round")
    ap.add_argument("--tasks", type=int, default=None, help="prompts (GRPO groups) per step")
    ap.add_argument("--gens", type=int, default=None, help="rows per prompt (group size)")
    ap.add_argument("--rounds", type=int, default=None, help="measured rounds (each: both variants, alternating order)")
    ap.add_argument("--write", type=Path, default=None, help="append the table to this markdown file")
    args = ap.parse_args()
    for k, (quick, full) in {"tasks": (2, 4), "gens": (2, 8), "rounds": (1, 3)}.items():
        if getattr(args, k) is None:
            setattr(args, k, quick if args.quick else full)
    torch.manual_seed(0)
    model = model_dir()
    params = GRPOParams(lr=1e-6, mini_batch_size=None)  # one optimizer step per update, like a default step of <= 32 rows
    policy = Policy.load(model, LoraParams(), dtype="auto")
    masks = ConstraintMasks.for_policy(policy.model, policy.tokenizer)
    triplets, skipped = workload(policy, masks, args.tasks, args.gens)
    if not triplets:
        raise SystemExit("no task's gold query replays under its grammar")
    info = {"rows": len(triplets), "prompt": statistics.mean(len(t.prompt_ids) for t in triplets),
            "response": statistics.mean(len(t.response_ids) for t in triplets),
            "tokens": sum(len(t.response_ids) for t in triplets), "skipped": skipped,
            "command": "python bench/train_constrained.py " + " ".join(sys.argv[1:])}
    timed_update(policy, params, triplets, masks)  # warm-up
    res: dict[str, list[dict[str, float]]] = {"unmasked": [], "masked": []}
    for i in range(args.rounds):
        order = ["unmasked", "masked"] if i % 2 == 0 else ["masked", "unmasked"]
        for name in order:
            res[name].append(timed_update(policy, params, triplets, masks if name == "masked" else None))
    for name, runs in res.items():
        step = statistics.median(r["step_s"] for r in runs)
        print(f"{name:<9} step {step:7.2f} s  (replay {statistics.median(r['replay_s'] for r in runs):.3f} s, "
              f"update {statistics.median(r['update_s'] for r in runs):.2f} s)")
    print(f"{info['rows']} rows, prompt ~{info['prompt']:.0f} + response ~{info['response']:.0f} tokens, "
          f"{skipped} tasks skipped (gold outside the shown grammar)")
    ratio = statistics.median(r["step_s"] for r in res["masked"]) / statistics.median(r["step_s"] for r in res["unmasked"])
    if args.write:
        write_markdown(args.write, args, model, info, res)
    print(f"constrained_step_overhead: {100 * (ratio - 1):+.1f}% (target: < 10%)")


if __name__ == "__main__":
    main()
