"""How a question is phrased: full wordings, or a noun phrase in a request frame.

People ask for the same thing in many ways: "List the names of all students.",
"Could you show me the names of all students?", "I need the names of all
students, please.", "what's the number of students". A template gives full
wordings (questions whose shape depends on the intent: "How many students are
there?") and noun phrases ("the names of all students"); a noun phrase is put into
one of the frames of its family (``rows``: requests for a list; ``value``: for one
fact; ``number``: for a count or a computed amount; a noun phrase that is itself a
question, "how many students there are", goes into ``embedded`` frames: "Can you
tell me how many students there are?").

Held out of train and val, for test only: each template's last wording, its last
noun phrase and the last ``HELDOUT_FRAMES`` frames of each family.
"""

from __future__ import annotations

import random
from typing import Any

__all__ = ["FRAMES", "HELDOUT_FRAMES", "choose_wording", "render_question", "wording_forms"]

FRAMES: dict[str, tuple[str, ...]] = {
    "rows": (
        "List {np}.", "Show {np}.", "Show me {np}.", "Give me {np}.", "Find {np}.", "Return {np}.",
        "Display {np}.", "Get {np}.", "I need {np}.", "I need a list of {np}.", "I'd like to see {np}.",
        "Can you list {np}?", "Could you show me {np}?", "Can you give me {np}?", "Please list {np}.",
        "Please show {np}.", "Tell me {np}.", "{np}?", "{np}, please.", "Let me see {np}.", "I want {np}.",
        "Could you please list {np}?", "Provide {np}.", "List {np}, please.",
        "Would you mind listing {np}?", "Pull up {np} for me.",
    ),
    "value": (
        "What is {np}?", "What's {np}?", "Tell me {np}.", "Give me {np}.", "Find {np}.", "Show {np}.",
        "Could you tell me {np}?", "Can you tell me {np}?", "I'd like to know {np}.", "I want to know {np}.",
        "Please tell me {np}.", "{np}?", "I need {np}.", "Get me {np}.", "Do you know {np}?",
        "What is {np}, please?", "Quick question: what is {np}?", "Look up {np}.",
        "Any idea what {np} is?", "Would you look up {np} for me?",
    ),
    "number": (
        "What is {np}?", "What's {np}?", "Tell me {np}.", "Give me {np}.", "Find {np}.", "Show {np}.",
        "Could you tell me {np}?", "Can you tell me {np}?", "I'd like to know {np}.", "I want to know {np}.",
        "Please tell me {np}.", "{np}?", "I need {np}.", "Compute {np}.", "Calculate {np}.", "Get me {np}.",
        "What is {np}, please?", "Quick question: what is {np}?", "Work out {np}.",
        "Would you figure out {np} for me?", "Any idea what {np} comes to?",
    ),
    "embedded": (  # for noun phrases that are questions themselves: "how many students there are"
        "Tell me {np}.", "Can you tell me {np}?", "Could you tell me {np}?", "I'd like to know {np}.",
        "I want to know {np}.", "Please tell me {np}.", "Do you know {np}?", "Find out {np}.", "Let me know {np}.",
        "I need to know {np}.", "Show me {np}.", "Can you check {np}?", "Any idea {np}?",
    ),
}
HELDOUT_FRAMES = 2
_INFORMAL_SHARE = 0.07  # typed fast: no capital, no final punctuation
_QUESTION_WORDS = ("how", "what", "which", "who", "whether")


def _seen(items: tuple[str, ...], held: int) -> tuple[str, ...]:
    return items[:-held] if len(items) > held else items


def _held(items: tuple[str, ...], held: int) -> tuple[str, ...]:
    return items[-held:] if len(items) > held else ()


def _frames(family: str, np: str) -> tuple[str, ...]:
    return FRAMES["embedded" if np.split(" ", 1)[0] in _QUESTION_WORDS else family]


def wording_forms(wordings: tuple[str, ...], nps: tuple[str, ...], family: str) -> tuple[list[str], list[str]]:
    """(seen, held-out) format strings of a template: what train/val may use, and
    what only test may."""
    seen = list(_seen(wordings, 1)) + [f.replace("{np}", np) for np in _seen(nps, 1)
                                       for f in _seen(_frames(family, np), HELDOUT_FRAMES)]
    held = list(_held(wordings, 1)) + [f.replace("{np}", np) for np in _held(nps, 1) for f in _frames(family, np)]
    held += [f.replace("{np}", np) for np in _seen(nps, 1) for f in _held(_frames(family, np), HELDOUT_FRAMES)]
    return seen, held


def choose_wording(rng: random.Random, wordings: tuple[str, ...], nps: tuple[str, ...], family: str,
                   heldout: bool) -> str:
    """One format string: a held-out one when ``heldout`` (test), else a seen one.
    Full wordings and framed noun phrases are drawn about equally often."""
    if heldout:
        options = []
        if _held(wordings, 1):
            options.append(lambda: rng.choice(_held(wordings, 1)))
        if _held(nps, 1):
            options.append(lambda: _frame(rng, family, rng.choice(_held(nps, 1)), None))
        if nps:
            options.append(lambda: _frame(rng, family, rng.choice(_seen(nps, 1)), True))
        if options:
            return rng.choice(options)()
    if nps and rng.random() < 0.5:
        return _frame(rng, family, rng.choice(_seen(nps, 1)), False)
    return rng.choice(_seen(wordings, 1))


def _frame(rng: random.Random, family: str, np: str, held: bool | None) -> str:
    """``np`` in a frame: any (None), a held-out one (True) or a seen one (False)."""
    frames = _frames(family, np)
    if held is not None:
        frames = _held(frames, HELDOUT_FRAMES) if held else _seen(frames, HELDOUT_FRAMES)
    return rng.choice(frames).replace("{np}", np)


def render_question(rng: random.Random, wording: str, fields: dict[str, Any]) -> str:
    """Fill the wording; capitalised, except now and then typed as people type in a
    hurry (when the wording starts with a word, not a value that must keep its case)."""
    text = " ".join(wording.format(**fields).split())
    if not wording.startswith("{") and rng.random() < _INFORMAL_SHARE:
        return text[0].lower() + text[1:].rstrip("?.")
    return text[0].upper() + text[1:]
