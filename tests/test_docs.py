"""The examples in the docstrings run and print what they say (doctest), so the documentation stays true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "pidkit.api",
    "pidkit.discretize",
    "pidkit.info",
    "pidkit.estimators.exact",
    "pidkit.estimators.many",
    "pidkit.estimators.gaussian",
    "pidkit.pairwise",
    "pidkit.bounds.accuracy",
    "pidkit.synthetic.suite",
    "pidkit.model_pid",
    "pidkit.fusion.classifier",
    "pidkit.fusion.late",
    "pidkit.selection.recommend",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    if name.startswith(("pidkit.fusion", "pidkit.selection")):
        torch = pytest.importorskip("torch")
        torch.set_num_threads(1)
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples to run"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed"
