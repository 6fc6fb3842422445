"""``convop compress --data DIR``: CIFAR-10 evaluation from a local folder of the standard
python-pickle batches, tested on a tiny fixture written in that exact format."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("tensorly")

from convop.cli import main  # noqa: E402
from convop.compress import load_cifar10  # noqa: E402


def _fixture(folder, n=6, seed=0, names=None):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    names = names or [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in names:
        batch = {
            b"batch_label": name.encode(),
            b"labels": rng.integers(0, 10, n).tolist(),
            b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            b"filenames": [f"{i}.png".encode() for i in range(n)],
        }
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    return folder


def _net(tmp_path):
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(8, 8, 3, padding=1),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(8, 10),
    )
    path = tmp_path / "net.pt"
    torch.save(net, path)
    return net, path


def test_data_evaluates_both_models_on_the_test_batch(tmp_path, capsys):
    root = _fixture(tmp_path / "cifar" / "cifar-10-batches-py")
    net, path = _net(tmp_path)
    # full Tucker-2 ranks: the compressed model computes the same function
    rc = main(["compress", str(path), "--rank", "8,8", "--data", str(tmp_path / "cifar")])
    assert rc == 0
    out = capsys.readouterr().out
    assert "CIFAR-10 test, 6 images" in out and "agree on 100.0%" in out
    # the accuracy printed is the model's on the (scaled) test images
    _, _, x, y = load_cifar10(root, train_batches=1)
    with torch.no_grad():
        pred = net(torch.from_numpy(x.astype(np.float32) / 255.0)).argmax(1).numpy()
    assert f"top-1 original {float((pred == y).mean()):.1%}" in out
    assert main(["compress", str(path), "--rank", "8,8", "--data", str(root), "--eval", "2"]) == 0
    assert "CIFAR-10 test, 2 images" in capsys.readouterr().out


def test_missing_or_incomplete_data_folder_is_a_clear_error(tmp_path, capsys):
    _, path = _net(tmp_path)
    assert main(["compress", str(path), "--data", str(tmp_path / "nowhere")]) == 2
    assert "--data" in (err := capsys.readouterr().err) and "does not exist" in err
    part = _fixture(tmp_path / "part", names=["data_batch_1"])
    assert main(["compress", str(path), "--data", str(part)]) == 2
    assert "test_batch" in capsys.readouterr().err
    (tmp_path / "bad").mkdir()
    for name in ["data_batch_1", "test_batch"]:
        (tmp_path / "bad" / name).write_bytes(b"not a pickle")
    assert main(["compress", str(path), "--data", str(tmp_path / "bad")]) == 2
    assert "CIFAR-10 batch" in capsys.readouterr().err
    assert main(["compress", str(path), "--eval", "0"]) == 2
    assert "--eval=0" in capsys.readouterr().err
