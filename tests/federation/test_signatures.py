"""The signer and verifier: published vectors (RFC 9421 B.2.6, RFC 9530, RFC 7638/8037) and
one test per refusal, each of which a broken check would let through."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    InvalidSignature,
    MappingKeyResolver,
)
from http_message_signatures.algorithms import ED25519

from trustlpr.core.errors import SignatureRefused
from trustlpr.federation import Answer, Request
from trustlpr.federation.signatures import WINDOW, sign, verify
from trustlpr.keys.signing import b64url_decode, thumbprint

# RFC 9421 appendix B.1.4 (test-key-ed25519, as a JWK's d and x) and B.2.6
RFC_D = "n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU"
RFC_X = "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs"
RFC_B26_INPUT = (
    'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")'
    ';created=1618884473;keyid="test-key-ed25519"'
)
RFC_B26_SIGNATURE = (
    "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw"
    "==:"
)
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
URL = "http://127.0.0.1:8080/federation/v1/ping"
BODY = b'{"hello":"world"}'


def _rfc_request() -> Request:
    return Request(
        "POST",
        "https://example.com/foo?param=Value&Pet=dog",
        {
            "Host": "example.com",
            "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
            "Content-Type": "application/json",
            "Content-Digest": "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrI"
            "iYllu7BNNyealdVLvRwEmTHWXvJwew==:",
            "Content-Length": "18",
        },
    )


def _rfc_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(b64url_decode(RFC_D, field="d"))


def test_rfc9421_b26_ed25519_signature_is_reproduced_and_verified() -> None:
    key = _rfc_key()
    assert (
        base64.urlsafe_b64encode(key.public_key().public_bytes_raw()).rstrip(b"=").decode() == RFC_X
    )
    resolver = MappingKeyResolver(
        public_keys={"test-key-ed25519": key.public_key()},
        private_keys={"test-key-ed25519": key},
    )
    message = _rfc_request()
    HTTPMessageSigner(signature_algorithm=ED25519, key_resolver=resolver).sign(
        message,
        key_id="test-key-ed25519",
        created=datetime.fromtimestamp(1618884473, UTC),
        label="sig-b26",
        include_alg=False,
        use_existing_digest=True,
        covered_component_ids=("date", "@method", "@path", "@authority", "content-type",
                               "content-length"),
    )  # fmt: skip
    assert message.headers["Signature-Input"] == RFC_B26_INPUT
    assert message.headers["Signature"] == RFC_B26_SIGNATURE  # Ed25519 is deterministic

    published = _rfc_request()
    published.headers.update({"Signature-Input": RFC_B26_INPUT, "Signature": RFC_B26_SIGNATURE})
    verifier = HTTPMessageVerifier(signature_algorithm=ED25519, key_resolver=resolver)
    (result,) = verifier.verify(published, max_age=None)
    assert result.parameters["keyid"] == "test-key-ed25519"
    published.headers["Content-Length"] = "19"
    with pytest.raises(InvalidSignature):
        verifier.verify(published, max_age=None)


def test_rfc9530_sha256_digest_of_the_published_body() -> None:
    message = Request("POST", URL, {"Content-Type": "application/json"})
    sign(message, b'{"hello": "world"}\n', key_id="k", key=_rfc_key(), now=NOW)
    assert (
        message.headers["Content-Digest"]
        == "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:"
    )


def test_rfc8037_thumbprint_vector() -> None:
    x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    assert thumbprint(b64url_decode(x, field="x")) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


# -- our profile ----------------------------------------------------------------------------


KEY = Ed25519PrivateKey.generate()


def _signed(body: bytes = BODY, now: datetime = NOW, key: Ed25519PrivateKey = KEY) -> Request:
    message = Request("POST", URL, {"Content-Type": "application/json"})
    sign(message, body, key_id="kid", key=key, now=now)
    return message


def _check(message: Request | Answer, body: bytes = BODY, now: datetime = NOW) -> str:
    with pytest.raises(SignatureRefused) as caught:
        verify(message, body, resolve=lambda _: KEY.public_key(), now=now)
    return caught.value.reason


def test_a_signed_request_covers_what_the_profile_names_and_verifies() -> None:
    message = _signed()
    given = message.headers["Signature-Input"]
    assert given.startswith('sig1=("@method" "@target-uri" "content-digest" "content-type")')
    for param in (
        "created=",
        "expires=",
        "nonce=",
        'keyid="kid"',
        'alg="ed25519"',
        'tag="trustlpr"',
    ):
        assert param in given
    verified = verify(message, BODY, resolve=lambda _: KEY.public_key(), now=NOW)
    assert (verified.key_id, verified.expires - verified.created) == ("kid", WINDOW)
    assert len(verified.nonce) >= 16


def test_unsigned_and_malformed_are_refused() -> None:
    assert _check(Request("POST", URL, {"Content-Type": "application/json"})) == "unsigned"
    message = _signed()
    message.headers["Signature-Input"] = message.headers["Signature-Input"].replace(
        ';alg="ed25519"', ""
    )
    assert _check(message) == "malformed_signature"
    message = _signed()
    message.headers["Signature-Input"] = "sig1=(((("
    assert _check(message) == "malformed_signature"


def test_a_signature_not_covering_the_body_digest_is_refused() -> None:
    message = Request("POST", URL, {"Content-Type": "application/json"})
    HTTPMessageSigner(
        signature_algorithm=ED25519,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={"kid": KEY}),
    ).sign(
        message, key_id="kid", created=NOW, expires=NOW + WINDOW, nonce="n" * 20, label="sig1",
        tag="trustlpr", covered_component_ids=("@method", "@target-uri", "content-type"),
    )  # fmt: skip
    assert _check(message) == "components_not_covered"


def test_outside_the_window_is_refused() -> None:
    assert _check(_signed(now=NOW - WINDOW - timedelta(minutes=1))) == "outside_window"
    assert _check(_signed(now=NOW + timedelta(minutes=2))) == "outside_window"  # from the future
    assert verify(_signed(), BODY, resolve=lambda _: KEY.public_key(), now=NOW + WINDOW)


def test_a_forged_signature_and_another_key_are_refused() -> None:
    message = _signed()
    value = message.headers["Signature"]
    flipped = value[:10] + ("A" if value[10] != "A" else "B") + value[11:]
    message.headers["Signature"] = flipped
    assert _check(message) == "bad_signature"
    assert _check(_signed(key=Ed25519PrivateKey.generate())) == "bad_signature"


def test_a_body_altered_after_signing_is_refused() -> None:
    assert _check(_signed(), body=b'{"hello":"World"}') == "digest_mismatch"


def test_an_answer_is_bound_to_the_request_it_answers() -> None:
    asked = _signed()
    answer = Answer(200, {"Content-Type": "application/json"}, asked)
    sign(answer, b"{}", key_id="kid", key=KEY, now=NOW)
    assert '"signature";req;key="sig1"' in answer.headers["Signature-Input"]
    assert verify(answer, b"{}", resolve=lambda _: KEY.public_key(), now=NOW)
    other = Answer(200, dict(answer.headers), _signed())  # the same answer to another request
    assert _check(other, body=b"{}") == "bad_signature"
    assert _check(Answer(200, dict(answer.headers), asked), body=b"{ }") == "digest_mismatch"
