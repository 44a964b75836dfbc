"""OAuth 2.0 authorization code flow (RFC 6749, PKCE RFC 7636, revocation RFC 7009)."""
