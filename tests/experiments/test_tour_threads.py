"""The tour's one-thread sections restore the caller's torch thread count."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from convop.experiments._threads import torch_single_thread  # noqa: E402


def test_single_thread_inside_and_restored_also_on_error():
    old = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        with torch_single_thread(torch):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
        with pytest.raises(RuntimeError, match="boom"), torch_single_thread(torch):
            raise RuntimeError("boom")
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(old)


def test_recsys_section_restores_the_thread_count(monkeypatch):
    from convop.experiments import recsys

    seen = []
    monkeypatch.setattr(recsys, "_toy", lambda res, seed: seen.append(torch.get_num_threads()))
    monkeypatch.setattr(recsys, "_sweep", lambda res, quick, seed: None)
    monkeypatch.setattr(recsys, "_davis", lambda res, quick, seed: None)
    old = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        recsys.run(quick=True)
        assert seen == [1] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(old)
