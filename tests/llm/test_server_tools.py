"""Chat ``tools`` through the real model server (tiny model): rendered into the prompt,
tool turns accepted, tool calls parsed into the response (unary and streaming)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from agl_ops.llm.protocol import ChatRequest, ChoiceResult, chat_response
from agl_ops.llm.tools import builtin_tools_prompt
from agl_ops.serving import BackgroundServer
from tests.llm.conftest import build_tiny_model

CALC = {"type": "function", "function": {"name": "calculator", "description": "Evaluate an arithmetic expression",
                                         "parameters": {"type": "object", "properties": {"expression": {"type": "string"}},
                                                        "required": ["expression"]}}}
TOOL_TURNS = [
    {"role": "user", "content": "What is 6*7?"},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "calculator", "arguments": '{"expression": "6*7"}'}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "42"},
]
# a ChatML template that renders tools natively (as Qwen/Hermes templates do)
NATIVE_TEMPLATE = (
    "{%- if tools %}<|im_start|>system\nTOOLS:{% for t in tools %}{{ t | tojson }}{% endfor %}<|im_end|>\n{% endif %}"
    "{%- for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] or '' }}"
    "{%- for c in m.get('tool_calls') or [] %}<tool_call>{{ c['function'] | tojson }}</tool_call>{% endfor %}"
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def _post(server: BackgroundServer, **body: object) -> httpx.Response:
    body.setdefault("max_tokens", 6)
    return httpx.post(f"{server.url}/v1/chat/completions", json=body, timeout=60)


def test_tools_are_rendered_with_the_builtin_prompt_for_smollm2(model_server: BackgroundServer, engine) -> None:
    """SmolLM2's template ignores tools, so the server writes them into the system prompt."""
    resp = _post(model_server, messages=[{"role": "user", "content": "What is 2+3?"}], tools=[CALC],
                 return_token_ids=True, seed=0)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    prompt = engine.tokenizer.decode(body["prompt_token_ids"])
    assert builtin_tools_prompt([CALC]) in prompt and '"name": "calculator"' in prompt
    message = body["choices"][0]["message"]
    # the random model answers in text (a call only if it happened to write a valid one)
    assert message["tool_calls"] is None or message["tool_calls"][0]["function"]["name"] == "calculator"
    assert body["choices"][0]["token_ids"]


def test_tool_turns_are_rendered_and_answered(model_server: BackgroundServer, engine) -> None:
    client = openai.OpenAI(base_url=f"{model_server.url}/v1", api_key="x", max_retries=0)
    resp = client.chat.completions.create(model="tiny", messages=TOOL_TURNS, tools=[CALC], max_tokens=5,
                                          extra_body={"return_token_ids": True})
    assert resp.choices[0].finish_reason in ("stop", "length", "tool_calls")
    prompt = engine.tokenizer.decode(resp.model_extra["prompt_token_ids"])
    assert '<tool_call>\n{"name": "calculator", "arguments": {"expression": "6*7"}}\n</tool_call>' in prompt
    assert "<tool_response>\n42\n</tool_response>" in prompt
    # tool turns without tools in the request (a last turn that offers none) render the same way
    assert _post(model_server, messages=TOOL_TURNS).status_code == 200


def test_tool_choice_none_hides_the_tools(model_server: BackgroundServer, engine) -> None:
    body = _post(model_server, messages=[{"role": "user", "content": "hi"}], tools=[CALC], tool_choice="none",
                 return_token_ids=True).json()
    assert "<tools>" not in engine.tokenizer.decode(body["prompt_token_ids"])


@pytest.mark.parametrize(("extra", "fragment"), [
    ({"tools": [{"type": "web_search"}]}, "only function tools"),
    ({"tools": [{"type": "function", "function": {}}]}, "function.name"),
    ({"messages": [{"role": "assistant", "content": "", "tool_calls": "nope"}]}, "tool_calls"),
])
def test_bad_tools_are_a_clear_400(model_server: BackgroundServer, extra: dict, fragment: str) -> None:
    resp = _post(model_server, **{"messages": [{"role": "user", "content": "hi"}], **extra})
    assert resp.status_code == 400 and fragment in resp.json()["error"]["message"]


def test_template_only_mode_refuses_a_template_without_tools(engine) -> None:
    from agl_ops.llm.server import create_server_app

    app = create_server_app(engine, served_model_name="tiny", manage_engine=False, tool_prompt="template")
    with BackgroundServer(app) as server:
        resp = _post(server, messages=[{"role": "user", "content": "hi"}], tools=[CALC])
        plain = _post(server, messages=[{"role": "user", "content": "hi"}])
    assert resp.status_code == 400 and "cannot render tools" in resp.json()["error"]["message"]
    assert plain.status_code == 200


@pytest.fixture(scope="module")
def native_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BackgroundServer, object]]:
    from agl_ops.llm.engine import Engine, EngineConfig
    from agl_ops.llm.server import create_server_app

    path = build_tiny_model(tmp_path_factory.mktemp("tiny-native-tools") / "model")
    config = json.loads((path / "tokenizer_config.json").read_text())
    config.pop("chat_template", None)
    (path / "tokenizer_config.json").write_text(json.dumps(config))
    Path(path / "chat_template.jinja").write_text(NATIVE_TEMPLATE)
    engine = Engine(EngineConfig(str(path), dtype="float32", max_model_len=1024)).start()
    try:
        with BackgroundServer(create_server_app(engine, served_model_name="tiny", manage_engine=False)) as server:
            yield server, engine
    finally:
        engine.stop()


def test_a_template_that_renders_tools_gets_them_natively(native_server) -> None:
    server, engine = native_server
    body = _post(server, messages=TOOL_TURNS, tools=[CALC], return_token_ids=True).json()
    prompt = engine.tokenizer.decode(body["prompt_token_ids"])
    assert prompt.startswith("<|im_start|>system\nTOOLS:") and '"name": "calculator"' in prompt
    assert "<tools>" not in prompt  # not the built-in prompt
    assert '<tool_call>{"arguments": {"expression": "6*7"}, "name": "calculator"}</tool_call>' in prompt \
        or '<tool_call>{"name": "calculator", "arguments": {"expression": "6*7"}}</tool_call>' in prompt
    assert "<|im_start|>tool\n42<|im_end|>" in prompt


def test_chat_response_parses_tool_calls_of_offered_tools() -> None:
    text = 'ok <tool_call>{"name": "calculator", "arguments": {"expression": "1+1"}}</tool_call>'
    req = ChatRequest.model_validate({"messages": [{"role": "user", "content": "x"}], "tools": [CALC]})
    choice = ChoiceResult(index=0, text=text, token_ids=[1, 2], tokens=[], logprobs=[-0.1, -0.2], finish_reason="stop")
    body = chat_response(req, "tiny", "v0", [3], [choice])
    out = body["choices"][0]
    assert out["finish_reason"] == "tool_calls" and out["message"]["content"] == "ok"
    assert json.loads(out["message"]["tool_calls"][0]["function"]["arguments"]) == {"expression": "1+1"}
    plain = chat_response(ChatRequest.model_validate({"messages": [{"role": "user", "content": "x"}]}), "tiny", "v0", [3],
                          [ChoiceResult(index=0, text=text, token_ids=[1], tokens=[], logprobs=[-1.0], finish_reason="stop")])
    assert plain["choices"][0]["message"] == {"role": "assistant", "content": text, "tool_calls": None}


def test_streaming_with_tools_ends_like_unary(model_server: BackgroundServer) -> None:
    client = openai.OpenAI(base_url=f"{model_server.url}/v1", api_key="x", max_retries=0)
    kw = dict(model="tiny", messages=[{"role": "user", "content": "2+3?"}], tools=[CALC], max_tokens=8, temperature=0)
    unary = client.chat.completions.create(**kw).choices[0]
    chunks = list(client.chat.completions.create(stream=True, **kw))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == (unary.message.content or "") and chunks[-1].choices[0].finish_reason == unary.finish_reason


def _forced_call_regex(call: str) -> str:
    """A regex that admits exactly ``call`` (the server's constrained decoding makes the
    random model write it: a real tool call sampled by the real server)."""
    return re.sub(r"([{}\[\]()*+?.|^$\\])", r"\\\1", call)


FORCED = '<tool_call>{"name": "calculator", "arguments": {"expression": "6*7"}}</tool_call>'


@pytest.mark.parametrize("stream", [False, True])
def test_a_sampled_tool_call_is_parsed_and_recorded(model_server: BackgroundServer, engine, stream: bool) -> None:
    from agl_ops.llm.proxy import LLMProxy
    from agl_ops.store import MemoryStore

    store = MemoryStore()
    store.enqueue_rollouts([{"q": 1}])
    attempted = store.claim_rollout("w")
    with LLMProxy(model_server.url, store) as proxy:
        client = openai.OpenAI(base_url=proxy.llm_resource("tiny").get_base_url(attempted.rollout_id, attempted.attempt_id),
                               api_key="x", max_retries=0)
        kw = dict(model="tiny", messages=[{"role": "user", "content": "What is 6*7?"}], tools=[CALC], max_tokens=64,
                  extra_body={"structured_outputs": {"regex": _forced_call_regex(FORCED)}})
        if stream:
            chunks = list(client.chat.completions.create(stream=True, **kw))
            assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == ""
            (call,) = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []]
            assert chunks[-1].choices[0].finish_reason == "tool_calls"
        else:
            choice = client.chat.completions.create(**kw).choices[0]
            assert choice.finish_reason == "tool_calls" and choice.message.content is None
            (call,) = choice.message.tool_calls
        proxy.flush()
    assert call.function.name == "calculator" and json.loads(call.function.arguments) == {"expression": "6*7"}
    (span,) = store.query_spans(attempted.rollout_id, attempted.attempt_id)
    recorded = span.attributes["choices"][0]
    assert recorded["tool_calls"][0]["function"]["arguments"] == call.function.arguments
    assert engine.tokenizer.decode(recorded["token_ids"], skip_special_tokens=True) == FORCED
    assert len(recorded["logprobs"]) == len(recorded["token_ids"])
