"""Running an administrative action from the CLI, whether or not ``trustlpr serve`` runs.

When a service holds the data directory's audit log (its writer lock, as ``audit checkpoint``
detects it), the action goes to that service over its admin socket (``trustlpr.admin.channel``);
otherwise the command opens the node for writing itself. Either way the one table of actions
(``trustlpr.admin.actions``) runs it, with the same signing, two-person rules and audit entry.
"""

from __future__ import annotations

from collections.abc import Mapping

import typer

from ..admin import Credential, Result
from ..admin.channel import AdminClient, service_running
from ..core.errors import InputError
from ..runtime import System
from .common import settings


def credential(token: str | None, as_user: str | None) -> Credential:
    """The credential of ``--token`` or ``--as`` (asking for the password now), or none."""
    if token and as_user:
        raise InputError("give either --token or --as, not both", field="--as")
    if as_user:
        password = typer.prompt(f"Password for {as_user}", hide_input=True, err=True)
        return Credential(user=as_user, password=password)
    return Credential(token=token or None)


def administer(
    ctx: typer.Context,
    action: str,
    args: Mapping[str, object],
    token: str | None,
    as_user: str | None,
) -> Result:
    """Runs ``action`` signed with ``--token``/``--as``, through the running service if one
    holds the data directory, else in this process."""
    return administer_as(ctx, action, args, credential(token, as_user))


def administer_as(
    ctx: typer.Context, action: str, args: Mapping[str, object], signer: Credential
) -> Result:
    """``administer`` with a credential already asked for."""
    cfg = settings(ctx)
    payload = {k: v for k, v in args.items() if v is not None}
    if service_running(cfg.data_dir):
        return AdminClient(cfg.data_dir).call(action, payload, signer)
    with System(cfg) as system:
        return system.admin.run(action, payload, system.admin.actor(signer))
