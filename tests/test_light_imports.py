"""The core imports stay light: no torch behind the store, the runner, tracing or the
VERL launcher (torch loads only in the modules that build tensors)."""

from __future__ import annotations

import subprocess
import sys

import pytest

LIGHT = ["agl_ops", "agl_ops.store", "agl_ops.runner", "agl_ops.trainer", "agl_ops.tracing", "agl_ops.algorithms.verl"]


@pytest.mark.parametrize("module", LIGHT)
def test_import_does_not_load_torch(module: str) -> None:
    code = f"import {module}, sys; assert 'torch' not in sys.modules, 'torch loaded'"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_the_check_sees_torch() -> None:
    code = "import agl_ops.algorithms.verl.batch, sys; assert 'torch' not in sys.modules, 'torch loaded'"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "torch loaded" in proc.stderr
