"""Grammar-constrained decoding on the tiny random model: the output follows the grammar
(random weights would write garbage), logprobs are those of the masked distribution,
unconstrained rows in the same batch are untouched, bad grammars are 400s, and the
proxy records the constraint with token ids a trainer can replay."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest
import torch

from agl_ops.llm.constraint import Constraint, ConstraintError, parse_constraint
from agl_ops.llm.engine import Engine, EngineConfig
from agl_ops.llm.masks import GrammarCompiler, allowed_token_masks, grammar_accepts
from agl_ops.llm.proxy import LLMProxy
from agl_ops.llm.sampling import MASKED, SamplingParams
from agl_ops.serving import BackgroundServer
from agl_ops.store import MemoryStore
from agl_ops.tasks.sql.grammar import sql_grammar
from agl_ops.tasks.sql.schema import ColumnInfo, TableInfo

SMALL = 'root ::= "SELECT " ("name" | "age") " FROM " ("singer" | "concert") ";"'
SMALL_TEXTS = {f"SELECT {c} FROM {t};" for c in ("name", "age") for t in ("singer", "concert")}
TABLES = [TableInfo(name="singer", columns=[ColumnInfo(name="singer_id", type="INTEGER"), ColumnInfo(name="name", type="TEXT"),
                                            ColumnInfo(name="age", type="INTEGER")]),
          TableInfo(name="concert", columns=[ColumnInfo(name="concert_id", type="INTEGER"), ColumnInfo(name="year", type="TEXT")])]
MSG = [{"role": "user", "content": "How many singers are there?"}]


def _chat(server: BackgroundServer, **body) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/chat/completions", json={"messages": MSG, **body}, timeout=120)


@pytest.fixture
def compiler(engine: Engine) -> GrammarCompiler:
    return engine._grammars


def test_parse_constraint_fields() -> None:
    assert parse_constraint({}) is None
    assert parse_constraint({"structured_outputs": {"grammar": SMALL}}) == Constraint("grammar", SMALL)
    assert parse_constraint({"guided_grammar": SMALL}) == Constraint("grammar", SMALL)
    assert parse_constraint({"structured_outputs": {"regex": "[0-9]+", "disable_fallback": True}}).kind == "regex"
    assert parse_constraint({"guided_regex": "a+"}).sha256 == Constraint("regex", "a+").sha256
    for bad, fragment in [({"structured_outputs": {"json": {"type": "object"}}}, "structured_outputs.json is not supported"),
                          ({"guided_choice": ["a"]}, "guided_choice is not supported"),
                          ({"structured_outputs": {"grammar": ""}}, "non-empty"),
                          ({"structured_outputs": "root ::= x"}, "must be an object"),
                          ({"structured_outputs": {"grammar": SMALL}, "guided_regex": "a"}, "one constraint")]:
        with pytest.raises(ConstraintError, match=fragment):
            parse_constraint(bad)


def test_constrained_chat_follows_grammar_with_masked_logprobs(model_server: BackgroundServer) -> None:
    for seed in range(3):
        r = _chat(model_server, max_tokens=30, seed=seed, logprobs=True, top_logprobs=20, return_token_ids=True,
                  structured_outputs={"grammar": SMALL})
        assert r.status_code == 200, r.text
        body = r.json()
        choice = body["choices"][0]
        assert choice["message"]["content"] in SMALL_TEXTS and choice["finish_reason"] == "stop"
        sha = Constraint("grammar", SMALL).sha256
        assert body["constraint"] == {"type": "grammar", "sha256": sha}
        assert r.headers["x-agl-constraint"] == f"grammar sha256={sha}"
        for entry in choice["logprobs"]["content"]:
            probs = [2.718281828 ** t["logprob"] for t in entry["top_logprobs"]]
            assert sum(probs) == pytest.approx(1.0, abs=1e-4)  # < 20 tokens allowed here: the whole masked mass
            assert entry["logprob"] == pytest.approx(max(t["logprob"] for t in entry["top_logprobs"] if t["token"] == entry["token"]))


def test_unconstrained_response_has_no_constraint(model_server: BackgroundServer) -> None:
    r = _chat(model_server, max_tokens=3)
    assert "constraint" not in r.json() and "x-agl-constraint" not in r.headers


def test_regex_and_guided_grammar_on_completions(model_server: BackgroundServer, engine: Engine) -> None:
    r = httpx.post(f"{model_server.url}/v1/completions", json={
        "prompt": "code:", "max_tokens": 12, "n": 3, "seed": 1, "structured_outputs": {"regex": "[0-9]{3}-[a-z]{2}"}})
    assert r.status_code == 200, r.text
    import re

    assert all(re.fullmatch(r"[0-9]{3}-[a-z]{2}", c["text"]) for c in r.json()["choices"])
    r = httpx.post(f"{model_server.url}/v1/completions", json={"prompt": "q:", "max_tokens": 30, "guided_grammar": SMALL})
    assert r.json()["choices"][0]["text"] in SMALL_TEXTS


@pytest.mark.parametrize("body, fragment", [
    ({"structured_outputs": {"grammar": "root ::= undefined_rule"}}, "does not compile"),
    ({"guided_grammar": "this is not ((a grammar"}, "does not compile"),
    ({"structured_outputs": {"grammar": 'start: /[/'}}, "does not compile"),
    ({"structured_outputs": {"choice": ["a", "b"]}}, "not supported"),
])
def test_bad_or_unsupported_constraint_is_400(model_server: BackgroundServer, body: dict, fragment: str) -> None:
    for path, base in (("chat/completions", {"messages": MSG}), ("completions", {"prompt": "x"})):
        r = httpx.post(f"{model_server.url}/v1/{path}", json={**base, "max_tokens": 4, **body}, timeout=60)
        assert r.status_code == 400 and fragment in r.json()["error"]["message"], r.text


def test_stop_string_still_applies(model_server: BackgroundServer, engine: Engine) -> None:
    r = _chat(model_server, max_tokens=30, stop=[";"], return_token_ids=True, structured_outputs={"grammar": SMALL})
    choice = r.json()["choices"][0]
    assert choice["message"]["content"] + ";" in SMALL_TEXTS and choice["finish_reason"] == "stop"
    decoded = engine.tokenizer.decode(choice["token_ids"], skip_special_tokens=True)
    assert decoded.startswith(choice["message"]["content"] + ";")  # ids are what was sampled, text is cut at the stop


def _submit_all(engine: Engine, jobs: list[tuple[list[int], SamplingParams, object]]):
    done = [threading.Event() for _ in jobs]
    with engine.held():  # admitted together: one batch
        seqs = [engine.submit(ids, p, lambda s, fin, e=e: fin and e.set(), c) for (ids, p, c), e in zip(jobs, done)]
    assert all(e.wait(120) for e in done)
    return seqs


def test_mixed_batch_sql_grammar_and_unconstrained_rows(engine: Engine, tiny_model_dir: Path, compiler) -> None:
    grammar = sql_grammar(TABLES)
    compiled = engine.compile_constraint(Constraint("grammar", grammar))
    prompts = [engine.tokenizer.encode(f"Question {i}: list the singers older than {20 + i}.") for i in range(6)]
    free = SamplingParams(max_tokens=12, temperature=0.9, seed=11, ignore_eos=True)
    sql = SamplingParams(max_tokens=40, temperature=0.9, seed=5, top_logprobs=2)
    jobs = [(p, sql if i % 2 else free, compiled if i % 2 else None) for i, p in enumerate(prompts)]
    seqs = _submit_all(engine, jobs)
    assert max(engine.stats.batch_sizes) == 6  # the constrained and free rows decoded together
    alone = Engine(EngineConfig(str(tiny_model_dir), dtype="float32", max_model_len=1024)).start()
    try:
        refs = _submit_all(alone, [(p, free, None) for p in prompts[::2]])
    finally:
        alone.stop()
    for s, ref in zip(seqs[::2], refs):  # unconstrained rows: exactly what they make without company
        assert s.constraint is None and s.token_ids == ref.token_ids
        assert s.logprobs == pytest.approx(ref.logprobs, abs=1e-4)
    for s in seqs[1::2]:
        assert s.finish_reason in ("stop", "length") and s.token_ids
        text = engine.tokenizer.decode(s.token_ids, skip_special_tokens=True)
        assert text.lstrip().upper().startswith("SELECT")
        assert grammar_accepts(compiler, grammar, text, complete=s.finish_reason == "stop")
        masks = allowed_token_masks(grammar, compiler, s.token_ids)  # replays: every sampled token was allowed
        assert masks.shape == (len(s.token_ids), compiler.vocab_size)
        assert all(masks[i, t] for i, t in enumerate(s.token_ids))
        assert all(len(top) <= 2 for top in s.top)


def test_masked_logprobs_are_reproducible_from_the_model(engine: Engine, compiler) -> None:
    """What a trainer does: recompute logits of prompt + response, mask with
    allowed_token_masks, log-softmax: the server's logprobs come back."""
    grammar = sql_grammar(TABLES)
    prompt = engine.tokenizer.encode("Write a query:")
    (seq,) = _submit_all(engine, [(prompt, SamplingParams(max_tokens=16, temperature=1.0, seed=3),
                                   engine.compile_constraint(Constraint("grammar", grammar)))])
    masks = allowed_token_masks(grammar, compiler, seq.token_ids)
    ids = torch.tensor([prompt + seq.token_ids])
    with torch.inference_mode():
        logits = engine._model(input_ids=ids).logits[0, len(prompt) - 1:-1].float()
    masked = torch.log_softmax(logits.masked_fill(~masks, float("-inf")), -1)
    recomputed = masked.gather(1, torch.tensor(seq.token_ids)[:, None]).flatten()
    assert recomputed.tolist() == pytest.approx(seq.logprobs, abs=1e-3)
    unmasked = torch.log_softmax(logits, -1).gather(1, torch.tensor(seq.token_ids)[:, None]).flatten()
    assert (recomputed - unmasked).max() > 1.0  # the mask matters: these differ from the raw distribution


def test_allowed_token_masks_refuses_a_foreign_response(engine: Engine, compiler) -> None:
    ids = engine.tokenizer.encode("DROP TABLE singer", add_special_tokens=False)
    with pytest.raises(ValueError, match="not allowed"):
        allowed_token_masks(sql_grammar(TABLES), compiler, ids)
    assert MASKED < -1e29


def test_proxy_records_constraint_and_replayable_ids(model_server: BackgroundServer, engine: Engine, compiler) -> None:
    store = MemoryStore()
    store.enqueue_rollouts([{"q": 1}])
    attempted = store.claim_rollout("w1")
    grammar = sql_grammar(TABLES)
    with LLMProxy(model_server.url, store) as proxy:
        url = f"{proxy.url}/rollout/{attempted.rollout_id}/attempt/{attempted.attempt_id}/v1/chat/completions"
        r = httpx.post(url, json={"messages": MSG, "max_tokens": 24, "seed": 2, "structured_outputs": {"grammar": grammar}},
                       timeout=120)
        assert r.status_code == 200, r.text
        text = r.json()["choices"][0]["message"]["content"]
        proxy.flush()
    (span,) = store.query_spans(attempted.rollout_id, attempted.attempt_id)
    attrs = span.attributes
    assert attrs["constraint"] == {"type": "grammar", "sha256": Constraint("grammar", grammar).sha256, "text": grammar}
    ids = attrs["choices"][0]["token_ids"]
    assert engine.tokenizer.decode(ids, skip_special_tokens=True) == text
    assert grammar_accepts(compiler, grammar, text, complete=attrs["choices"][0]["finish_reason"] == "stop")
    masks = allowed_token_masks(Constraint(attrs["constraint"]["type"], attrs["constraint"]["text"]), compiler, ids)
    assert masks.shape[0] == len(ids)


def test_constrained_sql_agent_on_the_tiny_model(model_server: BackgroundServer, compiler, tmp_path: Path) -> None:
    """The agent's constrained calls against our server: every query it writes is in the
    grammar of the tables it showed (random weights unconstrained write no SQL at all)."""
    from agl_ops.tasks.sql.agent import LitSQLAgent
    from agl_ops.tasks.sql.prompts import default_resources
    from tests.tasks.sql.conftest import build_spider_mini

    db = build_spider_mini(tmp_path / "spider") / "database" / "concert_singer" / "concert_singer.sqlite"
    task = {"question": "How many singers are from France?", "db_path": str(db),
            "query": "SELECT count(*) FROM singer WHERE Country = 'France'"}
    agent = LitSQLAgent(max_turns=2, max_tokens=32, constrained=True)
    resources = default_resources(f"{model_server.url}/v1", "tiny", sampling_parameters={"temperature": 0.8, "seed": 4})
    outcome = agent.run_episode(task, resources)
    grammar = agent.query_grammar(task)
    assert outcome.first_query.upper().startswith("SELECT")
    assert grammar_accepts(compiler, grammar, outcome.first_query, complete=False)
    assert grammar_accepts(compiler, grammar, outcome.final_query, complete=False)


def test_grammars_compile_once_per_text(engine: Engine) -> None:
    first = engine.compile_constraint(Constraint("grammar", SMALL))
    assert engine.compile_constraint(Constraint("grammar", SMALL)) is first  # the LRU: one compile per distinct text
    other = engine.compile_constraint(Constraint("regex", "[a-z]+"))
    assert other is not first and engine._grammars.cached == 2
    m1, m2 = first.matcher(), first.matcher()  # each sequence its own state
    assert m1.accept(engine.tokenizer.encode("SELECT", add_special_tokens=False)[0]) and not m2.accepting


def test_streaming_constrained_chat(model_server: BackgroundServer) -> None:
    import json as _json

    with httpx.stream("POST", f"{model_server.url}/v1/chat/completions", timeout=120, json={
            "messages": MSG, "max_tokens": 30, "stream": True, "guided_grammar": SMALL}) as r:
        assert r.status_code == 200 and r.headers["x-agl-constraint"].startswith("grammar sha256=")
        events = [line[6:] for line in r.iter_lines() if line.startswith("data: ") and line != "data: [DONE]"]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in map(_json.loads, events) if c["choices"])
    assert text in SMALL_TEXTS
