"""Promotion gate: move ``champion`` to a challenger only if it is measurably better.

The comparison is a pure function (:func:`beats`); :func:`promote` reads both
versions' metric tags, decides, moves the alias (and the aliases of the prompt set the
model was evaluated with), and records the decision on the model version and on the
active run, so every promotion (forced ones with their reason) is auditable.
"""

from __future__ import annotations

import logging
import math
import time

from pydantic import BaseModel

from agl_ops.tracking.backend import client
from agl_ops.tracking.models import (
    CHALLENGER,
    CHAMPION,
    PROMPT_PREFIX_TAG,
    ModelVersionInfo,
    get_model_version,
    mlflow_version,
    set_model_alias,
)
from agl_ops.tracking.prompts import set_prompt_set_alias

__all__ = ["PromotionDecision", "PromotionError", "beats", "promote"]

logger = logging.getLogger(__name__)

_EPS = 1e-12


class PromotionError(ValueError):
    """The promotion cannot even be evaluated (no such version, metric missing)."""


class PromotionDecision(BaseModel):
    model_name: str
    candidate_version: int
    champion_version: int | None
    metric: str
    candidate_score: float | None
    champion_score: float | None
    margin: float
    greater_is_better: bool = True
    forced: bool = False
    reason: str | None = None
    promoted: bool
    message: str

    @property
    def outcome(self) -> str:
        """promoted | refused | unchanged (the candidate already is the champion)."""
        if self.promoted:
            return "promoted"
        return "unchanged" if self.champion_version == self.candidate_version else "refused"


def beats(candidate: float, champion: float, margin: float = 0.0, greater_is_better: bool = True) -> bool:
    """The candidate improves on the champion by more than zero and by at least ``margin``."""
    delta = candidate - champion if greater_is_better else champion - candidate
    return delta > _EPS and delta >= margin - _EPS


def _score(info: ModelVersionInfo, metric: str) -> float | None:
    value = info.metrics.get(metric)
    return value if value is not None and math.isfinite(value) else None


def _decide(candidate: ModelVersionInfo, champion: ModelVersionInfo | None, metric: str, margin: float,
            greater_is_better: bool, force: bool, reason: str | None) -> PromotionDecision:
    cand_score = _score(candidate, metric)
    champ_score = _score(champion, metric) if champion else None
    fields = dict(model_name=candidate.name, candidate_version=candidate.version,
                  champion_version=champion.version if champion else None, metric=metric,
                  candidate_score=cand_score, champion_score=champ_score, margin=margin,
                  greater_is_better=greater_is_better, forced=force, reason=reason)
    cand_txt = f"v{candidate.version} {metric}={cand_score:.4f}" if cand_score is not None else f"v{candidate.version} has no {metric}"
    champ_txt = (f"champion v{champion.version} {metric}={champ_score:.4f}" if champion and champ_score is not None
                 else f"champion v{champion.version} has no {metric}" if champion else "no champion yet")
    if champion is not None and champion.version == candidate.version:
        return PromotionDecision(**fields, promoted=False, message=f"v{candidate.version} is already the champion")
    if force:
        return PromotionDecision(**fields, promoted=True, message=f"forced: {cand_txt} vs {champ_txt} (reason: {reason})")
    if cand_score is None:
        return PromotionDecision(**fields, promoted=False, message=f"refused: {cand_txt}; log it at registration or use --force")
    if champion is None:
        return PromotionDecision(**fields, promoted=True, message=f"promoted: {cand_txt}; {champ_txt}")
    if champ_score is None:
        return PromotionDecision(**fields, promoted=False, message=f"refused: {champ_txt}, cannot compare {cand_txt}; use --force")
    direction = "higher" if greater_is_better else "lower"
    if beats(cand_score, champ_score, margin, greater_is_better):
        return PromotionDecision(**fields, promoted=True, message=f"promoted: {cand_txt} beats {champ_txt} (margin {margin:g})")
    return PromotionDecision(
        **fields, promoted=False,
        message=f"refused: {cand_txt} does not beat {champ_txt} by the margin {margin:g} ({direction} is better)",
    )


def _record(decision: PromotionDecision, previous: ModelVersionInfo | None) -> None:
    """Tags on the candidate version, and params/metrics/tags on the active run."""
    import mlflow

    tags = {"agl.promotion.outcome": decision.outcome, "agl.promotion.forced": str(decision.forced).lower(),
            "agl.promotion.message": decision.message}
    if decision.reason:
        tags["agl.promotion.reason"] = decision.reason
    if decision.promoted:
        tags["agl.promotion.promoted_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        if previous is not None:
            tags["agl.promotion.previous_champion"] = str(previous.version)
    mlflow_client = client()
    for key, value in tags.items():
        mlflow_client.set_model_version_tag(decision.model_name, mlflow_version(decision.candidate_version), key, value)
    if mlflow.active_run() is not None:
        mlflow.set_tags({**tags, "agl.promotion.candidate_version": str(decision.candidate_version)})
        mlflow.log_metrics({k: v for k, v in {"candidate_score": decision.candidate_score,
                                              "champion_score": decision.champion_score}.items() if v is not None})


def promote(
    model_name: str,
    candidate_version: int | str | None = None,
    *,
    metric: str = "test_accuracy",
    margin: float = 0.0,
    greater_is_better: bool = True,
    force: bool = False,
    reason: str | None = None,
) -> PromotionDecision:
    """Move ``champion`` to ``candidate_version`` (default: the ``challenger``) if it beats
    the current champion on ``metric`` by ``margin``, or if there is no champion yet.

    ``force`` promotes regardless and is recorded with ``reason``. A refusal moves
    nothing and returns the decision, whose message gives both scores.
    """
    if margin < 0:
        raise PromotionError(f"margin must be >= 0, got {margin}")
    if force and not reason:
        reason = "forced without a reason"
    ref = candidate_version if candidate_version is not None else CHALLENGER
    candidate = get_model_version(model_name, ref)
    if candidate is None:
        raise PromotionError(f"model {model_name!r} has no version {ref!r} (register one with `agl-ops register`)")
    champion = get_model_version(model_name, CHAMPION)
    decision = _decide(candidate, champion, metric, margin, greater_is_better, force, reason)
    if champion is not None and champion.version == candidate.version:
        return decision  # nothing to decide: keep the champion's promotion record as it is
    if decision.promoted:
        set_model_alias(model_name, CHAMPION, candidate.version)
        prefix = candidate.tags.get(PROMPT_PREFIX_TAG)
        if prefix and candidate.prompt_versions:
            set_prompt_set_alias(prefix, CHAMPION, candidate.prompt_versions)
    _record(decision, champion)
    (logger.info if decision.promoted else logger.warning)("%s: %s", model_name, decision.message)
    return decision
