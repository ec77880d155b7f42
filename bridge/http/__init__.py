"""The one HTTP layer every connector uses."""

from bridge.http.budget import RateBudget, budget_for
from bridge.http.client import HttpClient, RequestStats, Response
from bridge.http.pacing import Pacing, PacingPolicy, pacing_for
from bridge.http.pagination import iter_link, iter_offset, parse_link_header

__all__ = [
    "HttpClient",
    "Pacing",
    "PacingPolicy",
    "RateBudget",
    "RequestStats",
    "Response",
    "budget_for",
    "pacing_for",
    "iter_link",
    "iter_offset",
    "parse_link_header",
]
