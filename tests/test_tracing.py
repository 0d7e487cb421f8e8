"""Spans reach the store with the right attempt, names, kinds and nesting."""

from __future__ import annotations

import agl_ops as agl
from agl_ops.runner import Runner
from agl_ops.store import MemoryStore
from agl_ops.types import SpanKind
from tests.sample_agents import custom_span_agent, langchain_agent


def run_one(agent, task):
    store = MemoryStore()
    (r,) = store.enqueue_rollouts([task])
    Runner(agent, store, poll_interval_s=0.01, max_rollouts=1).run()
    attempt = store.query_attempts(r.rollout_id)[0]
    return store, r, attempt


def test_langchain_runs_are_traced_without_code_changes():
    store, r, attempt = run_one(langchain_agent, {"text": "hi"})
    assert store.query_rollouts()[0].reward == 1.0
    spans = store.query_spans(r.rollout_id)
    by_name = {s.name: s for s in spans}
    assert {"pipeline", "shout", "exclaim", "agl.reward"} <= set(by_name)
    assert all(s.attempt_id == attempt.attempt_id for s in spans)
    assert by_name["shout"].kind is SpanKind.AGENT
    assert by_name["shout"].parent_id == by_name["pipeline"].span_id
    assert by_name["exclaim"].attributes["langchain.outputs"] == "HI!"


def test_otel_spans_from_get_tracer_are_recorded():
    store, r, _ = run_one(custom_span_agent, {"key": "k1"})
    (lookup,) = [s for s in store.query_spans(r.rollout_id) if s.name == "lookup"]
    assert lookup.attributes == {"key": "k1"} and lookup.end_time >= lookup.start_time


def test_emit_outside_a_rollout_is_ignored_with_a_warning(caplog):
    agl.emit_reward(1.0)
    agl.emit_message("nothing")
    assert "outside a rollout" in caplog.text


def test_without_langchain_the_hook_is_off_and_attempts_still_trace():
    import subprocess
    import sys

    code = ("import sys; sys.modules['langchain_core'] = None\n"  # as if LangChain were not installed
            "from agl_ops.runner import Runner\n"
            "from agl_ops.store import MemoryStore\n"
            "from agl_ops.tracing import install_langchain_hook\n"
            "from tests.sample_agents import custom_span_agent\n"
            "assert install_langchain_hook() is False\n"
            "store = MemoryStore(); (r,) = store.enqueue_rollouts([{'key': 'k'}])\n"
            "Runner(custom_span_agent, store, poll_interval_s=0.01, max_rollouts=1).run()\n"
            "assert 'lookup' in {s.name for s in store.query_spans(r.rollout_id)}\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
