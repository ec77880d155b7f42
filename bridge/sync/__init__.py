"""The I/O shell around the core: one link's cycle (engine), applying ops (apply), and its typed events."""
