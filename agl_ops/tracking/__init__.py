"""Everything MLflow: the tracking store, runs, metrics and artifacts, prompt and model
registries, the promotion gate, agent traces and the UI.

Importing this package is light (no mlflow import) and turns MLflow telemetry off for
the process; mlflow itself is imported inside the functions that use it.

Typical stage::

    from agl_ops import tracking

    tracking.setup_tracking(params.tracking)
    with tracking.stage_run("evaluate", params) as run:
        run.metrics.log_metrics({"val_accuracy": 0.41}, step=0)
        tracking.log_table(rows, "test_results")
        tracking.log_rollout_traces(store, rollouts, limit=params.tracking.max_traces)
"""

from __future__ import annotations

from agl_ops.tracking.backend import (
    DEFAULT_TRACKING_URI,
    TrackingBackend,
    client,
    disable_telemetry,
    resolve_backend,
    setup_tracking,
)
from agl_ops.tracking.models import (
    CHALLENGER,
    CHAMPION,
    ModelVersionInfo,
    flatten_metrics,
    get_model_version,
    load_model,
    log_model,
    mlflow_version,
    register_model,
    set_model_alias,
    version_number,
)
from agl_ops.tracking.promotion import PromotionDecision, PromotionError, beats, promote
from agl_ops.tracking.prompts import (
    PromptConversionError,
    RegisteredPrompt,
    from_mlflow_template,
    load_prompt,
    load_prompt_set,
    prompt_name,
    prompt_set_tag,
    prompt_set_versions,
    register_prompt,
    register_prompt_set,
    set_prompt_alias,
    set_prompt_set_alias,
    to_mlflow_template,
)
from agl_ops.tracking.runs import (
    PIPELINE_RUN_ENV,
    StageRun,
    current_pipeline_run,
    end_pipeline_run,
    flatten_params,
    source_tags,
    stage_run,
    start_pipeline_run,
)
from agl_ops.metrics import ListSink, MetricSink
from agl_ops.tracking.sinks import MlflowMetricSink, log_figure, log_json, log_table, log_text
from agl_ops.tracking.traces import log_rollout_trace, log_rollout_traces

disable_telemetry()

__all__ = [
    "DEFAULT_TRACKING_URI",
    "TrackingBackend",
    "client",
    "disable_telemetry",
    "resolve_backend",
    "setup_tracking",
    "PIPELINE_RUN_ENV",
    "StageRun",
    "current_pipeline_run",
    "end_pipeline_run",
    "flatten_params",
    "source_tags",
    "stage_run",
    "start_pipeline_run",
    "MetricSink",
    "MlflowMetricSink",
    "ListSink",
    "log_table",
    "log_figure",
    "log_text",
    "log_json",
    "PromptConversionError",
    "RegisteredPrompt",
    "to_mlflow_template",
    "from_mlflow_template",
    "prompt_name",
    "register_prompt",
    "load_prompt",
    "set_prompt_alias",
    "register_prompt_set",
    "load_prompt_set",
    "set_prompt_set_alias",
    "prompt_set_tag",
    "prompt_set_versions",
    "CHALLENGER",
    "CHAMPION",
    "ModelVersionInfo",
    "flatten_metrics",
    "log_model",
    "register_model",
    "set_model_alias",
    "get_model_version",
    "load_model",
    "mlflow_version",
    "version_number",
    "PromotionDecision",
    "PromotionError",
    "beats",
    "promote",
    "log_rollout_trace",
    "log_rollout_traces",
]
