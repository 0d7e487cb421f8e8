"""``agl-ops run``: the main job behind ``make run``."""

from __future__ import annotations

from agl_ops.cli.app import app, console


@app.command("run")
def run_cmd() -> None:
    """Run the main job end to end with embedded defaults (no servers to start by hand).

    Today: a dry run of the built-in example agent through store, runners and tracing.
    The full DVC pipeline (model, data, baseline, prompt optimization, training,
    evaluation, registry) replaces it as those stages land.
    """
    from agl_ops.cli.runtime import dev_cmd

    console.rule("agl-ops run")
    dev_cmd(agent="agl_ops.examples.arithmetic:arithmetic_agent", data=None, llm_endpoint=None,
            model="default", limit=10, n_runners=2)
