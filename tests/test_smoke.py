from typer.testing import CliRunner

from pixref.cli import app


def test_paths_uses_home(tmp_path):
    result = CliRunner().invoke(app, ["--home", str(tmp_path), "paths", "--json"])
    assert result.exit_code == 0, result.output
    assert str(tmp_path / "models") in result.stdout
