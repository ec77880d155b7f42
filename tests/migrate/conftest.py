"""Fixtures for migration tests: a state store per test."""

from __future__ import annotations

import pytest


@pytest.fixture
def store_url() -> str:
    """An in-memory store: fast; the tests that play a new process open a file store themselves."""
    return "sqlite://"
