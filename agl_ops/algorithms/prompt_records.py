"""Recording a prompt optimization: the candidates table, the score-per-round plot,
the result JSON, and the best prompt set in MLflow's prompt registry.

Kept apart from the algorithms so they run (and are tested) with no MLflow at all;
the CLI calls :func:`record_result` inside its stage run.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from agl_ops.algorithms.prompt_candidates import PromptOptResult

__all__ = ["candidate_rows", "score_figure", "record_result"]

logger = logging.getLogger(__name__)


def candidate_rows(result: PromptOptResult) -> list[dict[str, Any]]:
    """One row per candidate (scored or rejected), marking the baseline and the winner."""
    rows = []
    for c in result.candidates:
        row = c.row()
        row["is_baseline"] = c.id == result.baseline.id
        row["is_best"] = c.id == result.best.id
        rows.append(row)
    return rows


def score_figure(result: PromptOptResult) -> Any:
    """Minibatch score of every scored candidate per round (trial), the running best,
    and the val scores of the baseline and the selected prompt."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    scored = [c for c in result.candidates if c.minibatch_scores]
    xs = [c.round for c in scored]
    ys = [c.minibatch_scores[-1] for c in scored]
    ax.scatter(xs, ys, s=22, alpha=0.7, label="candidate (train minibatch)")
    best_so_far, running = [], float("-inf")
    for x in sorted(set(xs)):
        running = max(running, max(y for xx, y in zip(xs, ys) if xx == x))
        best_so_far.append((x, running))
    if best_so_far:
        ax.plot(*zip(*best_so_far), color="tab:green", label="best so far")
    if result.baseline.val_score is not None:
        ax.axhline(result.baseline.val_score, color="tab:gray", linestyle="--", label=f"val baseline {result.baseline.val_score:.2f}")
    if result.best.val_score is not None and result.best.id != result.baseline.id:
        ax.axhline(result.best.val_score, color="tab:red", linestyle="--", label=f"val best {result.best.val_score:.2f}")
    ax.set_xlabel("round" if result.algorithm == "apo" else "trial")
    ax.set_ylabel("execution accuracy")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"prompt optimization ({result.algorithm})")
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig


def registry_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """A candidate's agent settings as the registry keeps them: without the demo pool
    itself (thousands of train rows; ``demo_pool_id`` names it), JSON values only."""
    return {k: v for k, v in settings.items() if k != "demos" and isinstance(v, (str, int, float, bool, type(None)))}


def record_result(result: PromptOptResult, *, run_id: str, prompt_prefix: str, register: bool = True,
                  tags: Mapping[str, Any] | None = None) -> dict[str, int]:
    """Log the table, plot and result to the run; register the best prompt set (new
    versions tagged with score, algorithm and run id, alias ``challenger``). Returns
    the registered ``{role: version}`` ({} when ``register`` is off)."""
    import matplotlib.pyplot as plt

    from agl_ops import tracking

    tracking.log_table(candidate_rows(result), "prompt_candidates", run_id=run_id)
    fig = score_figure(result)
    try:
        tracking.log_figure(fig, "prompt_scores", run_id=run_id)
    finally:
        plt.close(fig)
    tracking.log_json(result.model_dump(mode="json", exclude={"candidates"}), "prompt_opt/result.json", run_id=run_id)
    if not register:
        return {}
    best = result.best
    versions = tracking.register_prompt_set(
        best.prompts, prompt_prefix, score=best.val_score, algorithm=result.algorithm, run_id=run_id,
        tags={"candidate": best.id, "improved": str(result.improved).lower(),
              "baseline_val": result.baseline.val_score, **(tags or {})},
        alias="challenger", settings=registry_settings(best.settings))
    tracking.client().set_tag(run_id, "agl.prompt_versions", tracking.prompt_set_tag(versions))
    logger.info("registered prompt set %s: %s", prompt_prefix, versions)
    return versions
