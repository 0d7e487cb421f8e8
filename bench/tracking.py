"""MLflow tracking costs: registering a model (adapter vs full copy vs reference),
step-metric logging, and rollout traces.

On a temporary sqlite tracking store. The model is ``models/base`` (SmolLM2-135M,
~540 MB fp32) with a fresh LoRA adapter (r=8 on q/v) when it exists, else (and with
``--quick``) a tiny random model of the same architecture.

    python bench/tracking.py [--quick] [--model models/base] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from agl_ops import tracking  # noqa: E402
from agl_ops.types import Rollout, RolloutStatus, Span, SpanKind  # noqa: E402


def make_models(root: Path, base: Path | None) -> tuple[Path, Path]:
    """(base dir, adapter dir); a tiny random Llama when ``base`` is None."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM

    if base is None:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "tracking"))
        from conftest import _tiny_tokenizer  # the test suite's tiny tokenizer

        base = root / "tiny"
        tok = _tiny_tokenizer()
        torch.manual_seed(0)
        # ~10 MB: big enough that the adapter/full ratio means something
        cfg = LlamaConfig(vocab_size=len(tok), hidden_size=256, intermediate_size=512, num_hidden_layers=4,
                          num_attention_heads=4, num_key_value_heads=2)
        LlamaForCausalLM(cfg).save_pretrained(base)
        tok.save_pretrained(base)
    model = AutoModelForCausalLM.from_pretrained(base)
    adapter = root / "adapter"
    get_peft_model(model, LoraConfig(r=8, target_modules=["q_proj", "v_proj"])).save_pretrained(adapter)
    return base, adapter


def dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def logged_mb(info: tracking.ModelVersionInfo) -> float:
    import mlflow

    return dir_mb(Path(mlflow.artifacts.download_artifacts(f"models:/{info.name}/{info.version}")))


def bench_register(base: Path, adapter: Path) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    cases = {"adapter (base referenced)": dict(model_dir=adapter, base_model=base),
             "full copy": dict(model_dir=base), "full by reference": dict(model_dir=base, reference_only=True)}
    with tracking.stage_run("register"):
        tracking.register_model(base, "bench-warmup", reference_only=True, alias=None)  # imports, first-use costs
        for label, kwargs in cases.items():
            started = time.perf_counter()
            info = tracking.register_model(name="bench-model", metrics={"test_accuracy": 0.4}, alias=None, **kwargs)
            out[label] = (time.perf_counter() - started, logged_mb(info))
    return out


def bench_metrics(steps: int) -> float:
    with tracking.stage_run("train") as run:
        sink = run.metrics
        started = time.perf_counter()
        for step in range(steps):
            sink.log_metrics({"loss": 1 / (step + 1), "reward": 0.5, "kl": 0.01, "lr": 1e-5, "grad_norm": 1.0}, step)
    return (time.perf_counter() - started) / steps * 1000


def rollout_spans(i: int) -> tuple[Rollout, list[Span]]:
    t0 = time.time() - 10
    rollout = Rollout(rollout_id=f"ro-{i}", input={"question": f"how many users {i}"}, mode="test",
                      status=RolloutStatus.SUCCEEDED, created_at=t0, reward=float(i % 2))
    common = {"rollout_id": rollout.rollout_id, "attempt_id": f"at-{i}"}
    spans = [Span(**common, span_id=f"{i}-root", name="agent", kind=SpanKind.AGENT, start_time=t0, end_time=t0 + 2)]
    for turn in range(4):
        spans.append(Span(**common, span_id=f"{i}-llm{turn}", parent_id=f"{i}-root", name="chat", kind=SpanKind.LLM,
                          start_time=t0 + turn * 0.4, end_time=t0 + turn * 0.4 + 0.3,
                          attributes={"request": {"messages": [{"role": "user", "content": "schema ... " * 40}]},
                                      "response": {"content": "SELECT count(*) FROM users"},
                                      "prompt_token_ids": list(range(400)),
                                      "choices": [{"token_ids": list(range(30)), "logprobs": [-0.1] * 30}],
                                      "model_version": "v1", "latency_ms": 300.0}))
    spans.append(Span(**common, span_id=f"{i}-reward", name="agl.reward", kind=SpanKind.REWARD, start_time=t0 + 2,
                      end_time=t0 + 2, attributes={"reward": rollout.reward}))
    return rollout, spans


class _Store:
    def __init__(self, data: dict[str, list[Span]]) -> None:
        self.data = data

    def query_spans(self, rollout_id: str, attempt_id: str | None = None) -> list[Span]:
        return self.data[rollout_id]


def bench_traces(n: int) -> tuple[float, float, float]:
    """(traces/s, stored KB per trace, raw span KB per rollout)."""
    pairs = [rollout_spans(i) for i in range(n)]
    store = _Store({r.rollout_id: s for r, s in pairs})
    raw_kb = sum(len(s.model_dump_json()) for s in pairs[0][1]) / 1e3
    import mlflow

    with tracking.stage_run("evaluate") as run:
        started = time.perf_counter()
        ids = tracking.log_rollout_traces(store, [r for r, _ in pairs], limit=None)
        elapsed = time.perf_counter() - started
    trace = mlflow.get_trace(ids[0])
    stored_kb = len(trace.to_json()) / 1e3
    assert run.run_id
    return n / elapsed, stored_kb, raw_kb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny model, fewer steps and traces")
    parser.add_argument("--model", type=Path, default=Path("models/base"), help="base model directory")
    parser.add_argument("--write", type=Path, help="append a results table to this markdown file")
    args = parser.parse_args()
    base = None if args.quick or not (args.model / "config.json").is_file() else args.model.resolve()
    steps, n_traces = (50, 20) if args.quick else (300, 200)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        tracking.setup_tracking(tracking_uri=f"sqlite:///{root}/mlflow.db", experiment="bench", project_dir=root)
        setup_s = time.perf_counter() - started
        base_dir, adapter = make_models(root, base)
        base_mb, adapter_mb = dir_mb(base_dir), dir_mb(adapter)
        register = bench_register(base_dir, adapter)
        ms_per_step = bench_metrics(steps)
        traces_per_s, stored_kb, raw_kb = bench_traces(n_traces)
        import mlflow

        mlflow.flush_trace_async_logging(terminate=True)  # else its exit hook prints after the headline
    model_label = "SmolLM2-135M fp32" if base else "tiny random Llama"
    print(f"tracking store setup (new sqlite db + migrations): {setup_s:.1f} s")
    print(f"model: {model_label} ({base_mb:.1f} MB), adapter {adapter_mb:.2f} MB")
    for label, (seconds, mb) in register.items():
        print(f"register {label:26} {seconds:6.2f} s {mb:9.1f} MB logged")
    print(f"log_metrics (5 keys): {ms_per_step:.1f} ms/step over {steps} steps")
    print(f"traces: {traces_per_s:.1f} rollouts/s; {stored_kb:.1f} KB stored per trace vs {raw_kb:.1f} KB of raw spans")
    if args.write:
        write_markdown(args.write, model_label, register, ms_per_step, steps, traces_per_s, stored_kb, raw_kb, n_traces)
    ratio = register["adapter (base referenced)"][1] / max(register["full copy"][1], 1e-9)
    print(f"tracking_register_adapter_vs_full_size: {ratio:.1%} (target: <= 5%)")


def write_markdown(path: Path, model: str, register: dict[str, tuple[float, float]], ms_per_step: float,
                   steps: int, traces_per_s: float, stored_kb: float, raw_kb: float, n_traces: int) -> None:
    lines = [f"\n### bench/tracking.py ({time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores, "
             f"{model}, mlflow sqlite)\n", "| what | time | logged |", "|---|---:|---:|"]
    lines += [f"| register {label} | {s:.2f} s | {mb:.1f} MB |" for label, (s, mb) in register.items()]
    lines.append(f"| log_metrics, 5 keys ({steps} steps) | {ms_per_step:.1f} ms/step | |")
    lines.append(f"| rollout traces ({n_traces}, 6 spans each) | {traces_per_s:.1f} rollouts/s | "
                 f"{stored_kb:.1f} KB/trace (raw spans {raw_kb:.1f} KB) |")
    with path.open("a") as fh:
        fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
