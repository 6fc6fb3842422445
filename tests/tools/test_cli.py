import subprocess
import sys

import convop
from convop.cli import main


def test_version_and_help(capsys):
    for flag in ("--version",):
        try:
            main([flag])
        except SystemExit as exc:
            assert exc.code == 0
    assert convop.__version__ in capsys.readouterr().out
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "tour" in out and "bench" in out


def test_demo_prints_operator_and_dot_test(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "circulant" in out and "dot test" in out


def test_console_script_module():
    res = subprocess.run(
        [sys.executable, "-m", "convop", "--help"], capture_output=True, text=True, check=True
    )
    assert "usage: convop" in res.stdout


def test_show_config_prints_the_constants_in_use(capsys):
    from convop.cli import main

    assert main(["show-config"]) == 0
    out = capsys.readouterr().out
    assert "constants: " in out and "options:" in out and "numpy: " in out
