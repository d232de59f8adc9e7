"""A relying party written with Authlib (Python), the second library the OpenID Provider is
tested with (the first is openid-client, in examples/relying-app).

Driven by server/tests/http/harness/authlib.rs over stdin and stdout:
  1. prints the authorization URL it built (discovery, PKCE S256, state, nonce);
  2. reads the callback URL the browser ended at;
  3. checks state and iss (RFC 9207), exchanges the code (client_secret_basic), verifies the
     ID token with the JWKS (signature, iss, aud, exp, nonce, at_hash), calls /userinfo, and
     prints {"claims": …, "userinfo": …} as one JSON line.
Any failure is printed as {"error": "..."}.

Usage: authlib_rp.py ISSUER CLIENT_ID CLIENT_SECRET REDIRECT_URI
"""

import json
import os
import sys
from urllib.parse import parse_qs, urlparse

# The tests run AskOnce over http on 127.0.0.1; Authlib refuses plain http otherwise.
os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")

import requests  # noqa: E402
from authlib.common.security import generate_token  # noqa: E402
from authlib.integrations.requests_client import OAuth2Session  # noqa: E402
from authlib.jose import JsonWebKey, jwt  # noqa: E402
from authlib.oidc.core import CodeIDToken  # noqa: E402


def main() -> None:
    issuer, client_id, client_secret, redirect_uri = sys.argv[1:5]
    meta = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
    if meta["issuer"] != issuer:
        raise RuntimeError("the discovery document names another issuer")
    client = OAuth2Session(
        client_id,
        client_secret,
        scope="openid profile email",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    verifier = generate_token(64)
    nonce = generate_token(24)
    url, state = client.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    print(url, flush=True)

    callback = sys.stdin.readline().strip()
    answer = parse_qs(urlparse(callback).query)
    if answer.get("iss") != [issuer]:
        raise RuntimeError("the authorization response does not name its issuer (RFC 9207)")
    token = client.fetch_token(meta["token_endpoint"], authorization_response=callback, state=state, code_verifier=verifier)
    keys = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
    claims = jwt.decode(
        token["id_token"],
        keys,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": issuer}},
        claims_params={"nonce": nonce, "client_id": client_id, "access_token": token["access_token"]},
    )
    claims.validate()
    userinfo = client.get(meta["userinfo_endpoint"]).json()
    print(json.dumps({"claims": dict(claims), "userinfo": userinfo}), flush=True)


if __name__ == "__main__":
    try:
        main()
    except Exception as err:  # noqa: BLE001 — the test reads the reason
        print(json.dumps({"error": f"{type(err).__name__}: {err}"}), flush=True)
        sys.exit(1)
