"""Who really has access: the outside organisations in network audit exports, their state
and its law (``load_state_laws``, a maintained table with sources and dates), compared with
the sharing list a department publishes (``read_sharing_list``). ``who_searched`` builds the
``AccessReport``; the report and ``trustlpr oversight access`` show it.
"""

from .laws import StateLaw, StateLaws, load_state_laws
from .orgs import AccessReport, OrgAccess, who_searched
from .sharing import SharingList, org_key, read_sharing_list

__all__ = [
    "AccessReport",
    "OrgAccess",
    "SharingList",
    "StateLaw",
    "StateLaws",
    "load_state_laws",
    "org_key",
    "read_sharing_list",
    "who_searched",
]
