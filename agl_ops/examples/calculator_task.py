"""The task the framework examples share: arithmetic questions, a calculator tool, a reward.

Each framework example (``openai_agents``, ``autogen``, ``crewai``) wraps this one
function as a tool in its framework's own way; the reward is checkable: 1 when the
agent's final answer ends with the right number.
"""

from __future__ import annotations

import ast
import operator
import re
from typing import Any

__all__ = ["TASKS", "INSTRUCTIONS", "calculate", "reward"]

INSTRUCTIONS = ("You are a careful assistant. Use the calculator tool for any arithmetic, "
                "then reply with the result as a number.")

TASKS: list[dict[str, Any]] = [
    {"question": f"What is {a} {op} {b}?", "answer": answer}
    for a, op, b, answer in [
        (17, "*", 23, 391), (128, "+", 256, 384), (1000, "-", 7, 993), (12, "*", 12, 144), (345, "+", 678, 1023),
        (81, "-", 19, 62), (25, "*", 16, 400), (999, "+", 1, 1000), (64, "*", 3, 192), (500, "-", 123, 377),
    ]
]

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}


def _eval(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_eval(node.left), _eval(node.right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand))
    raise ValueError("only numbers and + - * / // % are allowed")


def calculate(expression: str) -> str:
    """Evaluate an arithmetic expression such as '17 * 23' (numbers, + - * / // %, parentheses)."""
    try:
        value = _eval(ast.parse(str(expression).strip(), mode="eval").body)
    except (SyntaxError, ValueError, ZeroDivisionError, RecursionError) as exc:
        return f"error: {exc}"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def reward(final_answer: Any, task: dict[str, Any]) -> float:
    """1.0 when the last number in the final answer is the task's answer, else 0.0."""
    numbers = re.findall(r"-?\d+(?:\.\d+)?", str(final_answer or "").replace(",", ""))
    return 1.0 if numbers and float(numbers[-1]) == float(task["answer"]) else 0.0
