import ast
import subprocess
import sys
from pathlib import Path

PIXEL = Path(__file__).resolve().parents[2] / "src" / "pixref" / "pixel"


def test_pixel_package_imports_without_torch():
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import pixref.pixel, pixref.pixel.io, pixref.pixel.palette_io\n"
        "assert 'torch' not in {m.split('.')[0] for m in sys.modules if sys.modules[m]}\n"
    )
    src = str(PIXEL.parents[1])
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONPATH": src}
    )
    assert result.returncode == 0, result.stderr


def test_pixel_imports_only_the_shared_language():
    for path in PIXEL.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("pixref")
            ):
                allowed = ("pixref.pixel", "pixref.params", "pixref._atomic")
                assert node.module.startswith(allowed), f"{path.name} imports {node.module}"
