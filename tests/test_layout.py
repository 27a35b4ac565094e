"""Package layout rules: data flows one way, and torch-free stages import without torch."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "pixref"
TORCH_FREE = ["pixref.params", "pixref.infotext", "pixref.metadata", "pixref.home"]
OPTIONAL_TORCH_FREE = [
    "pixref.library",
    "pixref.mockup",
    "pixref.pixel",
    "pixref.pose",
    "pixref.batch",
]


def _imports(path: Path):
    tree = ast.parse(path.read_text("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_no_stage_imports_the_adapters():
    offenders = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if rel.parts[0] in ("cli", "server"):
            continue
        for name in _imports(path):
            if name.startswith(("pixref.cli", "pixref.server")):
                offenders.append(f"{rel} imports {name}")
    assert offenders == []


def test_torch_free_stages_import_without_torch():
    present = [m for m in OPTIONAL_TORCH_FREE if (SRC / m.split(".")[1]).is_dir()]
    code = (
        "import sys; sys.modules['torch'] = None\n"
        + "".join(f"import {m}\n" for m in TORCH_FREE + present)
        + "import pixref.cli\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=SRC.parents[1]
    )
    if result.returncode != 0:
        pytest.fail(result.stderr[-2000:])
