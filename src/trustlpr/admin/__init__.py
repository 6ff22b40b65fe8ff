"""Administration of a node: one table of actions for the CLI, the admin socket and the API."""

from . import federation_actions, protected_actions  # noqa: F401  (register their actions)
from .actions import ACTIONS, Action, AdminService, Credential, Result

__all__ = ["ACTIONS", "Action", "AdminService", "Credential", "Result"]
