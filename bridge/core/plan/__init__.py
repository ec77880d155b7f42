"""The planner: (internal, client, view, pairs, rules) -> ops. Pure."""
