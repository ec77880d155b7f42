"""One contract test class that every connector (and the in-memory fake) passes.

Usage in ``tests/contract/test_<tool>_contract.py``::

    from .contract import SEEDED_SECTIONS, ConnectorContract, ContractEnv

    class TestToolContract(ConnectorContract):
        @pytest.fixture
        def env(self) -> ContractEnv:
            sandbox = ToolSandbox(ToolEmulator(clock=VirtualClock()), clock=...)
            project = sandbox.create_project("Contract", list(SEEDED_SECTIONS))
            ...
            return ContractEnv(connector=..., human=sandbox.connector("human"), project_id=project, ...)

The tests use only the :class:`~bridge.core.ports.Connector` protocol, so the
same class checks every tool; what a tool cannot hold is skipped according to
its declared capabilities, and everything it declares must round-trip.
"""

from __future__ import annotations

from .contract_fields import FieldContract
from .contract_files import FileContract
from .contract_pull import PullContract
from .contract_writes import WriteContract
from .support import SEEDED_SECTIONS, ContractEnv

__all__ = ["SEEDED_SECTIONS", "ConnectorContract", "ContractEnv"]


class ConnectorContract(PullContract, WriteContract, FileContract, FieldContract):
    """Subclass as ``Test<Tool>Contract`` and provide a fixture ``env`` returning a :class:`ContractEnv`."""
