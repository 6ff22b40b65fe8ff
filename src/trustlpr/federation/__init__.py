"""Federation: agency nodes that talk to each other directly, with signed requests (RFC 9421)
and answers, pinned peers, and the owner's node deciding every request for its data."""

from .document import NodeDocument, parse_document
from .peers import Peer, PeerRegistry, PeerStatus
from .refusal import Refusal
from .replay import NonceCache
from .service import Federation, NodeFacts, SignedBy
from .signatures import Answer, Request, Verified

__all__ = [
    "Answer",
    "Federation",
    "NodeDocument",
    "NodeFacts",
    "NonceCache",
    "Peer",
    "PeerRegistry",
    "PeerStatus",
    "Refusal",
    "Request",
    "SignedBy",
    "Verified",
    "parse_document",
]
