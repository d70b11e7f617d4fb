"""Who is asking: bearer JWTs verified against the provider's JWKS, or dev tokens signed locally.

Production: the organisation's OpenID Connect provider signs the tokens; the console checks
signature (keys from ``VIGIE_OIDC_JWKS_URL``), issuer, audience and expiry. ``vigie console
--dev-login`` instead makes a P-256 key at start, signs short-lived tokens with it and verifies
them through the very same code, so only the key's origin differs.

Claims: ``sub`` is the user (an adviser's id, e.g. ``ADV-0701-03``); ``vigie_role`` is
``adviser``, ``area`` or ``operator``; ``vigie_area`` is an area team's département code.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from streams.errors import VigieError
from streams.settings import Settings

ROLES = ("adviser", "area", "operator")
ROLE_CLAIM = "vigie_role"
AREA_CLAIM = "vigie_area"
DEV_ISSUER = "vigie-dev-login"
ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]
COOKIE = "vigie_jeton"


class AuthenticationError(VigieError):
    """Raised when a request carries no token, or one that fails verification."""


@dataclass(frozen=True, slots=True)
class Identity:
    """A signed-in user: their id, role and, for an area team, its département."""

    sub: str
    role: str
    area: str = ""

    @property
    def label(self) -> str:
        """How the console names the user in its header."""
        names = {"adviser": "Conseiller", "area": "Équipe entreprises", "operator": "Exploitation"}
        suffix = f" {self.area}" if self.role == "area" else ""
        return f"{names[self.role]}{suffix} · {self.sub}"


KeyResolver = Callable[[str], Any]


class TokenVerifier:
    """Checks a bearer token and returns the identity it carries."""

    def __init__(self, key_for: KeyResolver, *, issuer: str, audience: str) -> None:
        self._key_for = key_for
        self.issuer = issuer
        self.audience = audience

    @classmethod
    def from_jwks(cls, settings: Settings) -> TokenVerifier:
        """Production verifier: keys fetched (and cached) from the provider's JWKS URL."""
        if not settings.oidc_jwks_url or not settings.oidc_issuer:
            raise AuthenticationError(
                "VIGIE_OIDC_JWKS_URL and VIGIE_OIDC_ISSUER are required "
                "(or run vigie console --dev-login)"
            )
        client = jwt.PyJWKClient(settings.oidc_jwks_url, cache_keys=True, lifespan=300)
        return cls(
            lambda token: client.get_signing_key_from_jwt(token).key,
            issuer=settings.oidc_issuer,
            audience=settings.oidc_audience,
        )

    def verify(self, token: str) -> Identity:
        """The token's identity; raises AuthenticationError when anything is off."""
        try:
            claims = jwt.decode(
                token,
                self._key_for(token),
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
                leeway=10,
            )
        except (jwt.PyJWTError, ValueError) as exc:
            raise AuthenticationError(f"token refused: {type(exc).__name__}") from exc
        return identity_from_claims(claims)


def identity_from_claims(claims: dict[str, Any]) -> Identity:
    """Map verified claims to an Identity; an unknown role or an area without code is refused."""
    role = str(claims.get(ROLE_CLAIM, ""))
    if role not in ROLES:
        raise AuthenticationError(f"token refused: role {role!r} is not one of {ROLES}")
    area = str(claims.get(AREA_CLAIM, "") or "")
    if role == "area" and not area:
        raise AuthenticationError("token refused: an area team's token needs vigie_area")
    sub = str(claims["sub"]).strip()
    if not sub:
        raise AuthenticationError("token refused: empty sub")
    return Identity(sub=sub, role=role, area=area)


class DevSigner:
    """Signs short-lived tokens with a key made at start (``vigie console --dev-login``)."""

    def __init__(self, settings: Settings) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        self.kid = uuid.uuid4().hex[:12]
        self.ttl_s = settings.console_dev_token_ttl_s
        self.audience = settings.oidc_audience
        public = self._key.public_key()
        self.verifier = TokenVerifier(lambda _t: public, issuer=DEV_ISSUER, audience=self.audience)

    def sign(self, sub: str, role: str, area: str = "", ttl_s: int | None = None) -> str:
        """A token for ``sub`` with ``role`` (and ``area``), valid ``ttl_s`` seconds."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": DEV_ISSUER,
            "aud": self.audience,
            "sub": sub,
            "iat": now,
            "exp": now + (self.ttl_s if ttl_s is None else ttl_s),
            ROLE_CLAIM: role,
        }
        if area:
            claims[AREA_CLAIM] = area
        return jwt.encode(claims, self._key, algorithm="ES256", headers={"kid": self.kid})
