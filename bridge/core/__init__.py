"""The pure core: canonical model, link rules, the mirror filter, the planner, and the ports connectors implement.

No module here does I/O, reads a clock or draws a random number (docs/architecture.md)."""
