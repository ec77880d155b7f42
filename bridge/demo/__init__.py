"""The offline demo and `pm-bridge emulate`: seeded emulators, the story, and what it prints."""
