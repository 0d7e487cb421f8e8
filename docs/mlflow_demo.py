"""Fill a tracking store with two small pipeline runs, as the real stages log them, and
optionally screenshot the MLflow UI listing them (docs/mlflow_ui_*.png).

The numbers are made up (no model is trained): the point is what the UI shows, i.e.
parent pipeline runs with nested stage runs, params side by side, step metrics, a
results table, figures, traces, a prompt version and registered model versions with
the champion/challenger aliases.

    python docs/mlflow_demo.py --root /tmp/agl-demo [--screenshot]
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agl_ops import tracking  # noqa: E402
from agl_ops.config import load_params  # noqa: E402
from agl_ops.types import Rollout, RolloutStatus, Span, SpanKind  # noqa: E402

PROMPTS = {
    "write": "Schema:\n{schema}\n\nWrite one SQLite query that answers: {question}",
    "check": "Query: {sql}\nResult: {result}\nDoes it answer '{question}'? Reply OK or explain the problem.",
    "rewrite": "The query {sql} has a problem: {feedback}\nWrite a corrected SQLite query.",
}


def _spans(i: int, t0: float) -> tuple[Rollout, list[Span]]:
    rollout = Rollout(rollout_id=f"ro-demo-{i}", input={"question": f"How many singers are older than {30 + i}?"},
                      mode="test", status=RolloutStatus.SUCCEEDED, created_at=t0, reward=float(i % 2))
    c = {"rollout_id": rollout.rollout_id, "attempt_id": f"at-demo-{i}"}
    sql = f"SELECT count(*) FROM singer WHERE age > {30 + i}"
    return rollout, [
        Span(**c, span_id=f"{i}a", name="write_query", kind=SpanKind.AGENT, start_time=t0, end_time=t0 + 0.8,
             attributes={"langchain.run_type": "chain"}),
        Span(**c, span_id=f"{i}b", parent_id=f"{i}a", name="chat.completions", kind=SpanKind.LLM,
             start_time=t0 + 0.05, end_time=t0 + 0.7, attributes={
                 "request": {"messages": [{"role": "user", "content": PROMPTS["write"].format(
                     schema="singer(id, name, age)", question=rollout.input["question"])}]},
                 "response": {"content": sql}, "prompt_token_ids": list(range(60)), "model_version": "v1",
                 "latency_ms": 650.0}),
        Span(**c, span_id=f"{i}c", name="execute_sql", kind=SpanKind.AGENT, start_time=t0 + 0.8, end_time=t0 + 0.82,
             attributes={"langchain.run_type": "tool", "input": sql, "output": "[[3]]"}),
        Span(**c, span_id=f"{i}d", name="agl.reward", kind=SpanKind.REWARD, start_time=t0 + 0.83, end_time=t0 + 0.83,
             attributes={"reward": rollout.reward}),
    ]


class _Spans:
    def __init__(self, pairs: list[tuple[Rollout, list[Span]]]) -> None:
        self.data = {r.rollout_id: s for r, s in pairs}

    def query_spans(self, rollout_id: str, attempt_id: str | None = None) -> list[Span]:
        return self.data[rollout_id]


def pipeline(lr: float, test_accuracy: float, model_dir: Path, run_file: Path) -> None:
    import functools

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    params = load_params(None, [f"seed={int(lr * 1e6) % 7}"])
    tags = {"agl.demo": "true", "train.lr": lr}
    tracking.start_pipeline_run(params, name=f"pipeline lr={lr:g}", tags=tags, run_file=run_file)
    stage_run = functools.partial(tracking.stage_run, run_file=run_file)
    with stage_run("prepare_data", params) as run:
        run.metrics.log_metrics({"train_rows": 400, "val_rows": 100, "test_rows": 100})
    with stage_run("baseline_eval", params) as run:
        run.metrics.log_metrics({"val_accuracy": 0.22, "test_accuracy": 0.21})
    with stage_run("optimize_prompt", params) as run:
        for step, acc in enumerate([0.22, 0.27, 0.31, 0.33]):
            run.metrics.log_metrics({"val_accuracy": acc, "beam_width": 4}, step=step)
        versions = tracking.register_prompt_set(PROMPTS, params.tracking.prompt_name, score=0.33, algorithm="apo",
                                                run_id=run.run_id)
        tracking.log_json(versions, "prompts/versions")
    with stage_run("train", params, tags={"agl.method": "grpo", "train.lr": lr}) as run:
        for step in range(30):
            reward = 0.3 + (test_accuracy - 0.3) * (1 - math.exp(-step / 8))
            run.metrics.log_metrics({"reward_mean": reward, "loss": 0.7 * math.exp(-step / 10), "kl": 0.002 * step},
                                    step=step)
    with stage_run("evaluate", params) as run:
        run.metrics.log_metrics({"val_accuracy": test_accuracy + 0.01, "test_accuracy": test_accuracy})
        rows = [{"id": i, "question": f"How many singers are older than {30 + i}?", "reward": float(i % 2),
                 "tier": ["easy", "medium", "hard"][i % 3]} for i in range(12)]
        tracking.log_table(rows, "test_results")
        fig, ax = plt.subplots(figsize=(5, 3))
        ax.bar(["easy", "medium", "hard"], [test_accuracy + 0.2, test_accuracy, test_accuracy - 0.2])
        ax.set_ylabel("test accuracy")
        tracking.log_figure(fig, "accuracy_by_tier")
        plt.close(fig)
        pairs = [_spans(i, time.time() - 60 + i) for i in range(4)]
        tracking.log_rollout_traces(_Spans(pairs), [r for r, _ in pairs], limit=params.tracking.max_traces)
    with stage_run("register", params):
        tracking.register_model(model_dir, params.tracking.registered_model, reference_only=True,
                                metrics={"test_accuracy": test_accuracy}, prompt_versions=versions,
                                prompt_prefix=params.tracking.prompt_name)
    with stage_run("promote", params):
        decision = tracking.promote(params.tracking.registered_model, margin=params.tracking.promotion_margin)
        print(decision.message)
    tracking.end_pipeline_run(run_file=run_file)


class Chromium:
    """Headless Chromium driven over the DevTools protocol: navigate, click, screenshot."""

    def __init__(self, width: int = 1600, height: int = 900, port: int = 9333) -> None:
        import itertools
        import tempfile

        import httpx
        from websockets.sync.client import connect

        self.process = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--no-first-run", "--hide-scrollbars", f"--remote-debugging-port={port}",
             f"--user-data-dir={tempfile.mkdtemp()}", f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(150):
            try:
                targets = httpx.get(f"http://127.0.0.1:{port}/json").json()
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        page = next(t for t in targets if t["type"] == "page")
        self.ws = connect(page["webSocketDebuggerUrl"], max_size=None)
        self.ids = itertools.count(1)
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)

    def call(self, method: str, **params: object) -> dict:
        import json

        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def js(self, expression: str) -> object:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return result.get("result", {}).get("value")

    def goto(self, url: str, settle_s: float = 5.0) -> None:
        self.call("Page.navigate", url=url)
        time.sleep(settle_s)

    def wait_for(self, expression: str, timeout_s: float = 60.0) -> object:
        """Evaluate until it returns something truthy (the UI renders asynchronously)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(1.0)
        raise TimeoutError(f"page never satisfied: {expression[:80]}")

    def screenshot(self, path: Path) -> None:
        import base64

        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))
        print(f"saved {path}")

    def close(self) -> None:
        self.ws.close()
        self.process.terminate()
        self.process.wait(timeout=10)


# close the assistant side panel and feature pop-ups; expand the parent runs' children
_TIDY = """(() => {
  for (const b of document.querySelectorAll('button')) {
    if (b.getAttribute('aria-label') === 'Close' || b.textContent.trim() === 'Got it') b.click();
  }
})()"""
_EXPAND = """(() => {
  const toggles = Array.from(document.querySelectorAll('[role=gridcell] button'))
    .filter(b => !b.getAttribute('aria-label') && !b.textContent.trim());
  toggles.forEach(b => b.click());
  return toggles.length;
})()"""
_OPEN_FIRST_TRACE = """(() => {
  const cell = Array.from(document.querySelectorAll('td, [role=cell], [role=gridcell]'))
    .find(c => c.textContent.includes('How many singers'));
  if (cell) cell.click();
  return !!cell;
})()"""


def screenshot(root: Path, out_dir: Path, port: int = 5077) -> None:
    """The runs table (children expanded), the model registry and one trace, as PNGs."""
    from agl_ops.tracking.ui import start_ui

    backend = tracking.resolve_backend(tracking_uri=f"sqlite:///{root}/mlflow.db", experiment="agl-ops/text2sql")
    experiment_id = tracking.client().get_experiment_by_name(backend.experiment).experiment_id
    with start_ui(backend, port=port, wait_s=120) as server:
        browser = Chromium()
        try:
            browser.goto(f"{server.url}/#/experiments/{experiment_id}/runs")
            browser.wait_for(_EXPAND)  # no toggles = the runs did not load
            browser.js(_TIDY)
            time.sleep(3)
            browser.screenshot(out_dir / "mlflow_ui_runs.png")
            browser.goto(f"{server.url}/#/models/agl-ops-text2sql")
            browser.js(_TIDY)
            browser.screenshot(out_dir / "mlflow_ui_models.png")
            browser.goto(f"{server.url}/#/experiments/{experiment_id}/traces")
            browser.js(_TIDY)
            browser.wait_for(_OPEN_FIRST_TRACE)
            time.sleep(4)
            browser.js(_TIDY)
            browser.screenshot(out_dir / "mlflow_ui_trace.png")
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True, help="folder for the demo tracking store")
    parser.add_argument("--screenshot", action="store_true", help="start the UI and save PNGs under docs/")
    args = parser.parse_args()
    root = args.root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    model_dir = root / "model"
    model_dir.mkdir(exist_ok=True)
    (model_dir / "config.json").write_text('{"model_type": "llama"}')  # registered by reference only
    tracking.setup_tracking(tracking_uri=f"sqlite:///{root}/mlflow.db", experiment="agl-ops/text2sql",
                            project_dir=root)
    run_file = root / "pipeline_run.json"
    pipeline(lr=1e-5, test_accuracy=0.36, model_dir=model_dir, run_file=run_file)
    pipeline(lr=5e-6, test_accuracy=0.31, model_dir=model_dir, run_file=run_file)  # worse: the gate refuses it
    if args.screenshot:
        screenshot(root, Path(__file__).resolve().parent)


if __name__ == "__main__":
    main()
