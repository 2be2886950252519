"""mypy --strict and ruff on the package, so CI enforces the project's rules."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)


def test_mypy_strict_is_clean():
    pytest.importorskip("mypy")
    result = _run(sys.executable, "-m", "mypy", "sfnlocal")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_is_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed")
    result = _run(ruff, "check", "sfnlocal", "tests", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr
