// A real, certified OpenID Provider (panva/oidc-provider) for AskOnce's tests.
//
//   node end2end/oidc/provider.mjs --port 0 --redirect http://127.0.0.1:3100/auth/demo/callback
//
// Prints `READY <issuer>` on stdout once it listens. Its login page accepts any password
// for the accounts below (and any other login name, as a bare account); consent is implied
// for AskOnce, as for a first-party application.
import http from 'node:http';
import Provider from 'oidc-provider';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const port = Number(arg('port', process.env.OIDC_PORT ?? '0'));
const redirectUris = (arg('redirect', process.env.OIDC_REDIRECT_URIS ?? '')).split(',').filter(Boolean);
const clientId = arg('client-id', 'askonce');
const clientSecret = arg('client-secret', 'askonce-test-secret');

// People of the seed scenario: a provider that already knows name and job title, and one
// that knows almost nothing.
const accounts = {
  grace: {
    email: 'grace@example.com', email_verified: true,
    given_name: 'Grace', family_name: 'Hopper', name: 'Grace Hopper', job_title: 'Rear Admiral',
  },
  alan: { email: 'alan@example.com', email_verified: true },
  katherine: {
    email: 'katherine@example.com', email_verified: true,
    given_name: 'Katherine', family_name: 'Johnson', name: 'Katherine Johnson', job_title: 'Mathematician',
  },
};

const server = http.createServer();
await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: redirectUris,
    // RP-initiated logout returns to the relying party's home page.
    post_logout_redirect_uris: redirectUris.map((uri) => `${new URL(uri).origin}/`),
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'nickname', 'picture', 'locale', 'job_title'],
  },
  cookies: { keys: ['askonce-test-cookie-key'] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      async claims() {
        // `katherine-123` is another person with katherine's claims (fresh accounts per test).
        return { sub: id, ...(accounts[id] ?? accounts[id.split('-')[0]] ?? {}) };
      },
    };
  },
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});
provider.proxy = false;
server.on('request', provider.callback());
process.stdout.write(`READY ${issuer}\n`);

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
