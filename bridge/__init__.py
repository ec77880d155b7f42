"""pm-bridge: a curated client-facing mirror between project-management tools."""

__version__ = "0.1.0"
