"""Tool calling as pure functions: parsing <tool_call> blocks, streaming hold-back, rendering."""

from __future__ import annotations

import json
from itertools import count

import pytest

from agl_ops.llm.tools import (
    ToolCallStream,
    ToolRequestError,
    builtin_tools_prompt,
    check_tools,
    parse_tool_calls,
    render_messages,
    stream_safe_len,
    template_renders_tools,
)

CALC = {"type": "function", "function": {"name": "calculator", "description": "Evaluate an arithmetic expression",
                                         "parameters": {"type": "object", "properties": {"expression": {"type": "string"}},
                                                        "required": ["expression"]}}}


def _ids():
    n = count()
    return lambda: f"call_{next(n)}"


def test_one_call_becomes_tool_calls_and_leaves_the_rest_as_content() -> None:
    text = 'Let me compute.\n<tool_call>\n{"name": "calculator", "arguments": {"expression": "2+3"}}\n</tool_call>'
    out = parse_tool_calls(text, {"calculator"}, new_id=_ids())
    assert out.tool_calls == [{"id": "call_0", "type": "function",
                               "function": {"name": "calculator", "arguments": '{"expression": "2+3"}'}}]
    assert out.message_content == "Let me compute."


def test_several_blocks_a_list_parameters_alias_and_an_unclosed_last_block() -> None:
    text = ('<tool_call>[{"name": "a", "arguments": {}}, {"name": "b", "parameters": {"x": 1}}]</tool_call>'
            '<tool_call>{"name": "a", "arguments": "{\\"y\\": 2}"}')
    out = parse_tool_calls(text, None, new_id=_ids())
    assert [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in out.tool_calls] == [
        ("a", {}), ("b", {"x": 1}), ("a", {"y": 2})]
    assert [c["id"] for c in out.tool_calls] == ["call_0", "call_1", "call_2"]
    assert out.message_content is None


@pytest.mark.parametrize("text", [
    "no calls at all",
    "<tool_call>not json</tool_call>",
    '<tool_call>{"arguments": {}}</tool_call>',  # no name
    '<tool_call>{"name": "rm_rf", "arguments": {}}</tool_call>',  # not an offered tool
    '<tool_call>{"name": "calculator", "arguments": {"expression": "1+</tool_call>',  # cut JSON
])
def test_anything_but_a_valid_call_of_an_offered_tool_stays_text(text: str) -> None:
    out = parse_tool_calls(text, {"calculator"})
    assert out.tool_calls == [] and out.message_content == text


def test_a_malformed_block_next_to_a_valid_one_stays_in_the_content() -> None:
    text = '<tool_call>oops</tool_call> and <tool_call>{"name": "calculator", "arguments": {}}</tool_call>'
    out = parse_tool_calls(text, {"calculator"})
    assert len(out.tool_calls) == 1 and out.message_content == "<tool_call>oops</tool_call> and"


@pytest.mark.parametrize(("text", "safe"), [
    ("hello", 5), ("hello <", 6), ("hello <tool_c", 6), ("a<tool_call>{", 1), ("<x>", 3), ("", 0),
])
def test_stream_safe_len_holds_back_what_may_be_a_call(text: str, safe: int) -> None:
    assert stream_safe_len(text) == safe


def test_tool_call_stream_sends_text_and_ends_with_the_calls() -> None:
    pieces = ["The answer", " needs <", "tool_", 'call>{"name": "calculator", ', '"arguments": {"expression": "6*7"}}',
              "</tool_call>"]
    stream = ToolCallStream({"calculator"})
    sent = "".join(stream.feed(p) for p in pieces)
    rest, calls = stream.finish()
    assert sent == "The answer needs " and rest == ""
    assert json.loads(calls[0]["function"]["arguments"]) == {"expression": "6*7"}
    # text that only looked like a call is sent at the end
    stream = ToolCallStream({"calculator"})
    sent = stream.feed("x <tool") + stream.feed("box> y")
    assert sent + stream.finish()[0] == "x <toolbox> y" and stream.finish()[1] == []


def test_check_tools_refuses_what_it_cannot_serve() -> None:
    check_tools([CALC])
    with pytest.raises(ToolRequestError, match="only function tools"):
        check_tools([{"type": "code_interpreter"}])
    with pytest.raises(ToolRequestError, match="name"):
        check_tools([{"type": "function", "function": {"description": "nameless"}}])


def test_builtin_rendering_writes_tools_calls_and_results_as_text() -> None:
    messages = [
        {"role": "system", "content": "You are a calculator."},
        {"role": "user", "content": "2+3?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "calculator", "arguments": '{"expression": "2+3"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "5"},
    ]
    out, tools = render_messages(messages, [CALC], native=False)
    assert tools is None
    assert out[0]["content"].startswith("You are a calculator.\n\n") and builtin_tools_prompt([CALC]) in out[0]["content"]
    assert '"name": "calculator"' in out[0]["content"]
    assert out[2] == {"role": "assistant", "content":
                      '<tool_call>\n{"name": "calculator", "arguments": {"expression": "2+3"}}\n</tool_call>'}
    assert out[3] == {"role": "user", "content": "<tool_response>\n5\n</tool_response>"}
    # what the model produced parses back into the same call
    assert parse_tool_calls(out[2]["content"], {"calculator"}).tool_calls[0]["function"]["arguments"] == \
        '{"expression": "2+3"}'
    no_system, _ = render_messages(messages[1:2], [CALC], native=False)
    assert no_system[0]["role"] == "system" and no_system[1] == messages[1]


def test_native_rendering_passes_tools_and_decodes_arguments() -> None:
    messages = [{"role": "assistant", "content": "", "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "calculator", "arguments": '{"expression": "1"}'}}]}]
    out, tools = render_messages(messages, [CALC], native=True)
    assert tools == [CALC] and out[0]["tool_calls"][0]["function"]["arguments"] == {"expression": "1"}
    for bad in ["oops", [{"function": "calculator"}], [{"type": "function"}], [{"function": {"arguments": "{}"}}]]:
        for native in (True, False):
            with pytest.raises(ToolRequestError, match="tool_calls"):
                render_messages([{"role": "assistant", "tool_calls": bad}], None, native=native)


def test_template_probe() -> None:
    assert template_renders_tools(lambda m, t: json.dumps(t))
    assert not template_renders_tools(lambda m, t: "system prompt only")

    def broken(m, t):
        raise ValueError("no tools here")

    assert not template_renders_tools(broken)
