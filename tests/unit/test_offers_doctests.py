"""The runnable examples in the offers modules' docstrings stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = (
    "agents.offers.baseline",
    "agents.offers.model",
    "agents.offers.prior",
    "agents.offers.risk",
    "streams.offers_import",
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
