"""The basecamp emulator: the tool's API as the reference documents it, for tests, the demo and `pm-bridge emulate`."""
