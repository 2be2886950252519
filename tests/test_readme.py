"""The README's Python examples run as written (they carry their own assertions)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)


def test_readme_has_python_examples():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index: int):
    result = subprocess.run([sys.executable, "-c", BLOCKS[index]], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr


def test_engine_example_prints_what_the_readme_says():
    block = next(b for b in BLOCKS if "async def main" in b)
    result = subprocess.run([sys.executable, "-c", block], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.stdout.splitlines()[0] == 'SUCCEEDED {"receipt":{"charged":42}}'
    assert "'TaskFailed'" in result.stdout.splitlines()[1]
