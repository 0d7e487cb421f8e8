"""Prompt registry: f-string <-> MLflow template conversion, versions, tags, aliases."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agl_ops.tracking import (
    PromptConversionError,
    from_mlflow_template,
    load_prompt,
    load_prompt_set,
    prompt_set_versions,
    register_prompt,
    register_prompt_set,
    to_mlflow_template,
)
from agl_ops.types import PromptTemplate

SQL_PROMPT = (
    "Schema:\n{schema}\n\nWrite one SQLite query for: {question}\n"
    'Answer as JSON like {{"sql": "SELECT ..."}}; use {dialect} only.'
)


def test_conversion_doubles_placeholders_and_undoubles_literal_braces():
    converted = to_mlflow_template(SQL_PROMPT)
    assert "{{schema}}" in converted and "{{question}}" in converted
    assert '{"sql": "SELECT ..."}' in converted  # literal braces as they are
    assert from_mlflow_template(converted) == SQL_PROMPT
    # MLflow sees exactly the f-string's fields as variables
    from mlflow.entities.model_registry import PromptVersion

    assert PromptVersion("p", 1, converted).variables == {"schema", "question", "dialect"}
    assert from_mlflow_template("Hi {{ name }} and {{x}}!") == "Hi {name} and {x}!"


@pytest.mark.parametrize("bad", ["{x!r}", "{x:>4}", "{0}", "{}", "{a.b}", "{a[0]}", "{unclosed", "stray }"])
def test_unrepresentable_templates_are_refused(bad):
    with pytest.raises(PromptConversionError):
        to_mlflow_template(bad)


def test_literal_double_braces_that_mlflow_would_read_as_variables_are_refused():
    # f-string '{{{{x}}}}' is the literal text '{{x}}': MLflow would make it a variable
    with pytest.raises(PromptConversionError, match="come back as"):
        to_mlflow_template("{{{{x}}}}")
    # a literal brace next to a placeholder is fine: '{' + x + '}'
    assert from_mlflow_template(to_mlflow_template("{{{x}}}")) == "{{{x}}}"


_literal = st.text(alphabet=st.sampled_from(list("ab {}\n\"'é")), max_size=12)
_field = st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_literal.map(lambda t: ("lit", t)), _field.map(lambda f: ("var", f))), max_size=8))
def test_round_trip_is_exact_or_refused(parts):
    template = "".join(t.replace("{", "{{").replace("}", "}}") if kind == "lit" else "{" + t + "}"
                       for kind, t in parts)
    try:
        converted = to_mlflow_template(template)
    except PromptConversionError:
        # refused only when MLflow would misread literal braces as a variable
        assert any(kind == "lit" and ("{" in t or "}" in t) for kind, t in parts)
        assert from_mlflow_template(_unchecked(template)) != template
        return
    assert from_mlflow_template(converted) == template
    fields = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    assert PromptTemplate(template=from_mlflow_template(converted)).format(**{f: "v" for f in fields}) == \
        template.format(**{f: "v" for f in fields})


def _unchecked(template: str) -> str:
    out = []
    for literal, name, _, _ in string.Formatter().parse(template):
        out.append(literal)
        if name is not None:
            out.append("{{" + name + "}}")
    return "".join(out)


def test_register_versions_tags_alias_and_load(tracking, unique):
    name = f"sql-write-{unique}"
    v1 = register_prompt(name, PromptTemplate(template=SQL_PROMPT), score=0.25, algorithm="apo", run_id="r1",
                         alias="challenger")
    v2 = register_prompt(name, SQL_PROMPT + "\nThink step by step.", score=0.5, algorithm="apo", run_id="r2",
                         alias="challenger")
    assert (v1, v2) == (1, 2) and isinstance(v2, int)
    got = load_prompt(name, "challenger")
    assert got.version == 2 and got.template.template.endswith("Think step by step.")
    assert got.tags["score"] == "0.5" and got.tags["algorithm"] == "apo" and got.tags["run_id"] == "r2"
    assert got.template.format(schema="s", question="q", dialect="d").startswith("Schema:\ns")
    assert load_prompt(name, 1).template.template == SQL_PROMPT
    # the MLflow URI the rest of the world uses
    import mlflow

    assert mlflow.genai.load_prompt(f"prompts:/{name}@challenger", link_to_model=False).version == 2
    # an identical template does not make a new version
    assert register_prompt(name, SQL_PROMPT + "\nThink step by step.", score=0.9) == 2


def test_prompt_set_registers_changed_roles_only(tracking, unique):
    prefix = f"text2sql-{unique}"
    first = {"write": "Write SQL for {question}", "check": "Check {sql} against {question}"}
    v1 = register_prompt_set(first, prefix, score=0.3, algorithm="baseline", alias="champion")
    assert v1 == {"write": 1, "check": 1}
    v2 = register_prompt_set({**first, "write": "Write one SQLite query for {question}"}, prefix, score=0.4,
                             algorithm="apo", alias="challenger")
    assert v2 == {"write": 2, "check": 1}
    assert prompt_set_versions(prefix, "challenger") == v2
    assert prompt_set_versions(prefix, "champion") == v1
    loaded = load_prompt_set(prefix, "challenger")
    assert loaded["write"].template == "Write one SQLite query for {question}"
    assert load_prompt_set(prefix, {"write": 1})["write"].template == first["write"]
    with pytest.raises(PromptConversionError, match="'check'"):
        register_prompt_set({"write": "ok {q}", "check": "{x!r}"}, prefix)
    assert prompt_set_versions(prefix, "latest") == v2  # the failed set registered nothing


def test_the_same_template_chosen_with_other_agent_settings_is_a_new_version(tracking, unique):
    """A winner that differs from the baseline only by its settings (2 demos per
    question) is registered as a version of its own, and its settings come back."""
    from agl_ops.algorithms.prompt_records import registry_settings

    prefix = f"text2sql-{unique}"
    template = {"write": "Write SQL for {question}"}
    base = register_prompt_set(template, prefix, alias="champion")
    winner = registry_settings({"few_shot": 2, "demo_schema": "columns", "demo_pool_id": "ab12",
                                "demos": [{"question": "q", "query": "SELECT 1"}]})
    assert winner == {"few_shot": 2, "demo_schema": "columns", "demo_pool_id": "ab12"}
    new = register_prompt_set(template, prefix, alias="challenger", settings=winner)
    assert base == {"write": 1} and new == {"write": 2}
    got = load_prompt(f"{prefix}-write", "challenger")
    assert got.settings == winner and load_prompt(f"{prefix}-write", "champion").settings == {}
    assert register_prompt_set(template, prefix, settings=winner) == {"write": 2}  # same again: reused
