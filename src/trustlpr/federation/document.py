"""The node document (``GET /.well-known/trustlpr``): who a node is and how to check it.

Everything in it is public: the agency (id, name, state, type), the federation keys in force as
RFC 8037 JWKs with their ids (RFC 7638 thumbprints) and retirement times, the policy in force
and the SHA-256 of its file (the digest its ``policy_changed`` log entry carries), the log's
checkpoint origin, verifier key and latest signed checkpoint, and the endpoint URLs. A peer
pins keys from it; the answer itself is signed (RFC 9421) with every key in force, so a peer
that pinned an older key learns a rotated one from a document signed by the key it trusts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..core.errors import FormatError
from ..core.identity import AgencyType
from ..keys.signing import PublicKeyInfo, parse_public_key, thumbprint

DOCUMENT_PATH = "/.well-known/trustlpr"
FORMAT_VERSION: Literal[1] = 1
ENDPOINTS = {
    "document": DOCUMENT_PATH,
    "federation": "/federation/v1/",
    "search": "/federation/v1/search",
    "log": "/log/",
    "portal": "/",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class DocAgency(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    name: str = Field(min_length=1, max_length=200)
    state: str = Field(pattern=r"^[A-Z]{2}$")
    type: AgencyType


class DocKey(_Strict):
    kty: Literal["OKP"]
    crv: Literal["Ed25519"]
    x: str = Field(min_length=43, max_length=43)
    kid: str = Field(min_length=43, max_length=43)
    use: Literal["sig"] = "sig"
    created: datetime
    retires: datetime | None = None


class DocPolicy(_Strict):
    name: str = Field(max_length=64)
    digest: str = Field(pattern=r"^[0-9a-f]{64}$")


class DocLog(_Strict):
    origin: str = Field(max_length=200)
    verifier_key: str = Field(max_length=200)
    checkpoint: str | None = Field(default=None, max_length=4096)


class NodeDocument(_Strict):
    """The parsed document of a node (ours, or a peer's fetched for pinning)."""

    trustlpr_federation: Literal[1]
    agency: DocAgency
    keys: list[DocKey] = Field(min_length=1, max_length=8)
    policy: DocPolicy
    log: DocLog
    endpoints: dict[str, str]

    def key_pairs(self) -> dict[str, str]:
        """``{key id: public key}`` of the document's keys, each id checked to be its key's
        thumbprint (a document naming a key under someone else's id is refused)."""
        pairs: dict[str, str] = {}
        for key in self.keys:
            public = parse_public_key(key.x, field="keys.x")
            if thumbprint(public.public_bytes_raw()) != key.kid:
                raise FormatError("a key's kid is not its RFC 7638 thumbprint", field="keys.kid")
            pairs[key.kid] = key.x
        return pairs


def build_document(
    *,
    agency: DocAgency,
    keys: list[PublicKeyInfo],
    policy: DocPolicy,
    log: DocLog,
    base_url: str,
) -> NodeDocument:
    """This node's document; endpoint URLs are ``base_url`` plus the fixed paths."""
    base = base_url.rstrip("/")
    return NodeDocument(
        trustlpr_federation=FORMAT_VERSION,
        agency=agency,
        keys=[DocKey.model_validate(k.jwk()) for k in keys],
        policy=policy,
        log=log,
        endpoints={name: base + path for name, path in ENDPOINTS.items()},
    )


def parse_document(raw: bytes) -> NodeDocument:
    """A fetched document, validated; ``FormatError`` saying what is wrong."""
    try:
        return NodeDocument.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid"}
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise FormatError(
            f"not a TrustLPR node document: {first.get('msg')}", field=where or None
        ) from exc
