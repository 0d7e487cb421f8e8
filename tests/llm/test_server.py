"""The OpenAI-compatible model server on a tiny random model."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import openai
import pytest

from agl_ops.llm.client import reload_model, wait_for_health
from agl_ops.serving import BackgroundServer


def _client(server: BackgroundServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="none", max_retries=0)


def _chat(server: BackgroundServer, content: str = "hello", **kw):
    kw.setdefault("max_tokens", 8)
    return _client(server).chat.completions.create(model="tiny", messages=[{"role": "user", "content": content}], **kw)


def _logprobs(resp) -> list[float]:
    return [round(c.logprob, 4) for c in resp.choices[0].logprobs.content]


def test_chat_returns_ids_logprobs_and_version(model_server: BackgroundServer, engine) -> None:
    raw = httpx.post(f"{model_server.url}/v1/chat/completions", json={
        "messages": [{"role": "user", "content": "count rows"}], "max_tokens": 10, "logprobs": True,
        "top_logprobs": 3, "return_token_ids": True, "seed": 1})
    assert raw.status_code == 200
    body = raw.json()
    assert raw.headers["x-agl-model-version"] == body["model_version"] == engine.version
    choice = body["choices"][0]
    expected_prompt = engine.tokenizer.apply_chat_template(
        [{"role": "user", "content": "count rows"}], add_generation_prompt=True, tokenize=True, return_dict=False)
    assert body["prompt_token_ids"] == list(expected_prompt)
    assert engine.tokenizer.decode(choice["token_ids"], skip_special_tokens=True) == choice["message"]["content"]
    content = choice["logprobs"]["content"]
    assert len(content) == len(choice["token_ids"]) == body["usage"]["completion_tokens"]
    assert all(len(c["top_logprobs"]) == 3 and c["top_logprobs"][0]["logprob"] >= c["logprob"] - 1e-6
               for c in content)
    assert body["usage"]["prompt_tokens"] == len(expected_prompt)


def test_extension_fields_off_by_default(model_server: BackgroundServer) -> None:
    body = httpx.post(f"{model_server.url}/v1/chat/completions",
                      json={"messages": [{"role": "user", "content": "x"}], "max_tokens": 2}).json()
    assert "prompt_token_ids" not in body and "token_ids" not in body["choices"][0]
    assert body["choices"][0]["logprobs"] is None


def test_streaming_matches_unary_greedy(model_server: BackgroundServer) -> None:
    unary = _chat(model_server, "stream me", max_tokens=12, temperature=0).choices[0].message.content
    chunks = list(_chat(model_server, "stream me", max_tokens=12, temperature=0, stream=True,
                        stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == unary
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 12
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"


def test_seed_and_n(model_server: BackgroundServer) -> None:
    a = _chat(model_server, "seeded", seed=42, temperature=1.0, n=3)
    b = _chat(model_server, "seeded", seed=42, temperature=1.0, n=3)
    texts = [c.message.content for c in a.choices]
    assert texts == [c.message.content for c in b.choices]
    assert len(set(texts)) > 1  # the n choices are different samples


def test_stop_strings(model_server: BackgroundServer) -> None:
    full = _chat(model_server, "stop test", max_tokens=16, temperature=0).choices[0].message.content
    stop = full[len(full) // 2: len(full) // 2 + 3]
    assert stop
    cut = _chat(model_server, "stop test", max_tokens=16, temperature=0, stop=[stop]).choices[0]
    assert cut.finish_reason == "stop"
    assert cut.message.content == full[: full.index(stop)]


def test_completions_with_token_prompt_and_logprobs(model_server: BackgroundServer, engine) -> None:
    ids = engine.tokenizer.encode("SELECT name FROM")
    body = httpx.post(f"{model_server.url}/v1/completions", json={
        "prompt": ids, "max_tokens": 6, "logprobs": 2, "n": 2, "return_token_ids": True, "seed": 3}).json()
    assert len(body["choices"]) == 2
    for choice in body["choices"]:
        assert choice["prompt_token_ids"] == ids
        assert len(choice["logprobs"]["token_logprobs"]) == len(choice["token_ids"]) == 6
        assert all(len(t) == 2 for t in choice["logprobs"]["top_logprobs"])
    listed = _client(model_server).models.list()
    assert [m.id for m in listed] == ["tiny"]


@pytest.mark.parametrize("payload, fragment", [
    ({"messages": []}, "messages"),
    ({"messages": [{"role": "user", "content": "x"}], "temperature": 5}, "temperature"),
    ({"messages": [{"role": "user", "content": "x"}], "max_tokens": 0}, "max_tokens"),
    ({"messages": [{"role": "user", "content": "x" * 6000}]}, "tokens"),
])
def test_clear_400s(model_server: BackgroundServer, payload: dict, fragment: str) -> None:
    r = httpx.post(f"{model_server.url}/v1/chat/completions", json=payload)
    assert r.status_code == 400
    assert fragment in r.json()["error"]["message"]


def test_bad_json_and_prompt_ids(model_server: BackgroundServer) -> None:
    assert httpx.post(f"{model_server.url}/v1/chat/completions", content=b"[1,").status_code == 400
    r = httpx.post(f"{model_server.url}/v1/completions", json={"prompt": [10**9]})
    assert r.status_code == 400 and "token ids" in r.json()["error"]["message"]


def test_concurrent_requests_are_batched(model_server: BackgroundServer, engine) -> None:
    results: list[str] = []

    def call(i: int) -> None:
        r = _chat(model_server, f"question {i}", max_tokens=6, extra_body={"ignore_eos": True})
        results.append(r.choices[0].message.content)

    with engine.held():  # requests queue up, then start together
        threads = [threading.Thread(target=call, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 10
        while engine.n_waiting < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
    for t in threads:
        t.join(timeout=30)
    assert len(results) == 4
    stats = httpx.get(f"{model_server.url}/admin/stats").json()
    assert stats["max_batch_size"] == 4
    assert stats["batch_sizes"]["4"] == 6  # every one of the 6 steps ran all four together


def test_hot_reload_changes_version_and_weights(model_server: BackgroundServer, tiny_model_dir_2: Path,
                                                tiny_model_dir: Path, engine) -> None:
    before = _chat(model_server, "same prompt", temperature=0, max_tokens=4, logprobs=True)
    version = reload_model(model_server.url, model_path=str(tiny_model_dir_2), version="step-1")
    assert version == "step-1"
    after = _chat(model_server, "same prompt", temperature=0, max_tokens=4, logprobs=True)
    assert (before.model_extra or {})["model_version"] == "v0"
    assert (after.model_extra or {})["model_version"] == "step-1"
    assert _logprobs(after) != _logprobs(before)  # other weights, other distribution
    assert wait_for_health(model_server.url)["model_version"] == "step-1"
    bad = httpx.post(f"{model_server.url}/admin/reload", json={"model_path": "/nonexistent"})
    assert bad.status_code == 400 and "does not exist" in bad.json()["error"]["message"]


def test_reload_lora_adapter(model_server: BackgroundServer, tiny_model_dir: Path, tmp_path: Path, engine) -> None:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    torch.manual_seed(3)
    peft_model = get_peft_model(base, LoraConfig(r=4, lora_alpha=32, target_modules=["q_proj", "v_proj"],
                                                 init_lora_weights=False))
    peft_model.save_pretrained(tmp_path / "adapter")
    before = _chat(model_server, "lora prompt", temperature=0, max_tokens=4, logprobs=True)
    assert reload_model(model_server.url, adapter_path=str(tmp_path / "adapter")) == "v1"
    after = _chat(model_server, "lora prompt", temperature=0, max_tokens=4, logprobs=True)
    assert after.model_extra["model_version"] == "v1"
    assert _logprobs(after) != _logprobs(before)
    assert engine.adapter_path == str(tmp_path / "adapter")


def test_bearer_token(engine) -> None:
    from agl_ops.llm.server import create_server_app

    with BackgroundServer(create_server_app(engine, token="s3cret", manage_engine=False)) as server:
        assert httpx.get(f"{server.url}/health").status_code == 200  # health stays open
        assert httpx.get(f"{server.url}/v1/models").status_code == 401
        ok = httpx.get(f"{server.url}/v1/models", headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200
