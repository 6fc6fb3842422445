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


def test_compress_cli(tmp_path, capsys):
    torch = __import__("pytest").importorskip("torch")
    __import__("pytest").importorskip("tensorly")
    from convop.cli import main

    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(8, 8, 3)
    )
    path = tmp_path / "net.pt"
    torch.save(net, path)
    out = tmp_path / "out.pt"
    assert main(["compress", str(path), "--rank", "4,4", "--out", str(out)]) == 0
    assert "tucker2" in capsys.readouterr().out and out.is_file()
    x = torch.randn(1, 3, 10, 10)
    small = torch.load(out, weights_only=False)
    assert small(x).shape == net(x).shape
    assert main(["compress", str(tmp_path / "missing.pt")]) == 2
    torch.save(net.state_dict(), tmp_path / "sd.pt")
    assert main(["compress", str(tmp_path / "sd.pt")]) == 2
    assert "state_dict" in capsys.readouterr().err
