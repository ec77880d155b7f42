"""The shared connector contract and each tool's run of it."""
