"""Benchmarks: scripts, not tests (docs/benchmarks.md). A package so that mypy names each module once."""
