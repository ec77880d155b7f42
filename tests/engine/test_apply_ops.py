"""Every op type the planner can emit has its own way to apply (bridge/sync/apply.py)."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest
from pydantic import BaseModel

from bridge.core.ops import Op
from bridge.sync.apply import apply_op


def concrete(cls: type[Op]) -> list[type[Op]]:
    """Every op type the planner can emit; a base named with a leading underscore (``_FileCopy``) only shares fields."""
    found: list[type[Op]] = []
    for sub in cls.__subclasses__():
        found += [*([] if sub.__name__.startswith("_") else [sub]), *concrete(sub)]
    return found


class Unknown(Op):
    action = "create"


@pytest.mark.parametrize("cls", [c for c in concrete(Op) if c is not Unknown], ids=lambda c: c.__name__)
def test_every_op_type_has_a_case(cls: type[BaseModel]) -> None:
    op = cls.model_construct(kind="task", key="k")  # fields left unset: only the dispatch is under test
    try:
        apply_op(MagicMock(), op)  # type: ignore[arg-type]
    except TypeError as exc:
        assert "no way to apply" not in str(exc)
    except Exception:  # noqa: BLE001 - a handler ran, and a mock or an unset field stopped it
        pass


def test_an_op_type_without_a_case_is_refused() -> None:
    with pytest.raises(TypeError, match="no way to apply Unknown"):
        apply_op(MagicMock(), Unknown(kind="task", key="k"))
