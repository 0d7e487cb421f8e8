"""SmolLM2-135M-Instruct, prepared from the packaged GGUF, served and proxied (slow)."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest

from tests.llm.conftest import REAL_MODEL_DIR

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def real_model_dir() -> Path:
    from agl_ops.llm.prepare import ModelSourceError, prepare_model

    try:
        return prepare_model(None, REAL_MODEL_DIR).path  # kept if already there
    except ModelSourceError as exc:
        pytest.skip(str(exc))


def test_real_model_through_proxy(real_model_dir: Path) -> None:
    from agl_ops.llm.engine import Engine, EngineConfig
    from agl_ops.llm.proxy import LLMProxy
    from agl_ops.llm.server import create_server_app
    from agl_ops.serving import BackgroundServer
    from agl_ops.store import MemoryStore

    engine = Engine(EngineConfig(str(real_model_dir), dtype="auto"))
    store = MemoryStore()
    store.enqueue_rollouts([{"q": "capital"}])
    attempted = store.claim_rollout("w")
    with BackgroundServer(create_server_app(engine, served_model_name="smollm2")) as server, \
            LLMProxy(server.url, store) as proxy:
        base_url = proxy.llm_resource("smollm2").get_base_url(attempted.rollout_id, attempted.attempt_id)
        client = openai.OpenAI(base_url=base_url, api_key="x")
        resp = client.chat.completions.create(
            model="smollm2", messages=[{"role": "user", "content": "What is the capital of France?"}],
            max_tokens=24, temperature=0)
        answer = resp.choices[0].message.content
        proxy.flush()
    assert "Paris" in answer and resp.choices[0].finish_reason == "stop"
    (span,) = store.query_spans(attempted.rollout_id, attempted.attempt_id)
    choice = span.attributes["choices"][0]
    assert engine.tokenizer.decode(choice["token_ids"], skip_special_tokens=True) == answer
    assert choice["token_ids"][-1] == engine.tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert len(choice["logprobs"]) == len(choice["token_ids"])
    assert sum(choice["logprobs"]) / len(choice["logprobs"]) > -1.0  # a confident, sensible answer
