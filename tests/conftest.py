"""Shared fixtures."""
from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="module")
def one_thread():
    """Tiny batches: one torch thread avoids OpenMP barrier stalls (10-30x slower on a busy 2-core
    machine). Use with ``pytestmark = pytest.mark.usefixtures("one_thread")``."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def source_tree_plugin_manager():
    """The plugins this checkout declares (built-ins and integrations), whatever else is installed."""
    from hjgan_plugin.plugin_manager import make_plugin_manager

    return make_plugin_manager(load_entrypoints=False)


@pytest.fixture(autouse=True)
def isolated_default_plugin_manager(source_tree_plugin_manager, monkeypatch):
    """Tests see the checkout's own plugins as the process-wide manager, not the venv's extra plugins
    (the example MSGAN plugin, a user's own); tests of entry-point discovery build their own manager."""
    from hjgan_plugin import plugin_manager

    monkeypatch.setattr(plugin_manager, "_default", source_tree_plugin_manager)
