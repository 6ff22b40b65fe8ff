"""Administration of a node: one table of actions for the CLI, the admin socket and the API."""

from . import (
    alert_actions,  # noqa: F401  (registers alerts.outcome)
    federation_actions,  # noqa: F401  (registers the federation.* actions)
    protected_actions,  # noqa: F401  (registers the protected.* actions)
)
from .actions import ACTIONS, Action, AdminService, Credential, Result

__all__ = ["ACTIONS", "Action", "AdminService", "Credential", "Result"]
