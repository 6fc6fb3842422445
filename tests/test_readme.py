"""The README's example runs and its quick start has exactly two command lines."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs(capsys):
    text = README.read_text()
    code = re.search(r"## What it is.*?```python\n(.*?)```", text, re.S).group(1)
    exec(compile(code, "README example", "exec"), {})
    out = capsys.readouterr().out
    assert "bccb (4096, 4096)" in out and "True" in out


def test_every_python_block_runs():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert len(blocks) >= 2
    for i, code in enumerate(blocks):
        exec(compile(code, f"README block {i}", "exec"), {})


def test_quick_start_has_two_lines():
    text = README.read_text()
    block = re.search(r"^## Quick start.*?```[a-z]*\n(.*?)```", text, re.S | re.M).group(1)
    lines = [line for line in block.splitlines() if line.strip()]
    assert len(lines) == 2
    assert "convop tour" in lines[0] and "pytest" in lines[1]
    assert all("constraints.txt" in line for line in lines)
