// A real OpenID provider for Gatehouse's browser tests: panva/oidc-provider, an independently written and certified
// implementation, with its built-in development login and consent pages. Any login name is accepted (the password is
// ignored) and becomes the account: sub = login, email = <login>@example.test (verified), name = "Login <login>".
//
//   node server.js [port]       port 0 (the default) picks a free one
//
// Environment:
//   OIDC_PORT                   the port when no argument is given
//   OIDC_CLIENT_ID              the one client (default gatehouse)
//   OIDC_CLIENT_SECRET          its secret, client_secret_basic or client_secret_post (default gatehouse-secret)
//   OIDC_REDIRECT_URIS          its redirect URIs, separated by spaces or commas (Gatehouse's callback)
//   OIDC_EXIT_WITH_STDIN=1      exit when stdin closes: a test that dies, however it dies, leaves no provider behind
//
// Listens on 127.0.0.1 only; the issuer is http://127.0.0.1:<port>. When it listens it prints one line
// "ready <issuer>" on stdout, which is what a test waits for.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const port = Number.parseInt(process.argv[2] ?? process.env.OIDC_PORT ?? '0', 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`oidc-provider: bad port ${process.argv[2] ?? process.env.OIDC_PORT}`);
  process.exit(2);
}

const clientId = process.env.OIDC_CLIENT_ID || 'gatehouse';
const clientSecret = process.env.OIDC_CLIENT_SECRET || 'gatehouse-secret';
const redirectUris = (process.env.OIDC_REDIRECT_URIS || 'http://127.0.0.1/callback').split(/[\s,]+/).filter(Boolean);

// The login name, made safe for an email's local part.
const localPart = (login) => login.toLowerCase().replace(/[^a-z0-9._-]/g, '_').slice(0, 64) || 'user';

async function findAccount(_ctx, id) {
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        email: `${localPart(id)}@example.test`,
        email_verified: true,
        name: `Login ${id}`,
      };
    },
  };
}

// A signing key of this run only: nothing outside the test ever trusts it.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: `test-${randomBytes(4).toString('hex')}`, use: 'sig', alg: 'RS256' };

// Bind first, so port 0 works and the issuer names the port actually taken.
const server = createServer();
server.listen(port, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    // Gatehouse authenticates with either; accept both so the test does not depend on its choice.
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    findAccount,
    // PKCE (S256, the only method this version supports) on every authorization request, confidential client or not.
    pkce: { required: () => true },
    features: {
      // The real login and consent pages of the package (development-only by design, which a test is).
      devInteractions: { enabled: true },
    },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    jwks: { keys: [signingKey] },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
    // Every authorization response carries the RFC 9207 iss parameter; this version does so unconditionally.
  });

  // Keep stdout to the one line a test reads; what goes wrong goes to stderr.
  provider.on('server_error', (_ctx, error) => console.error('oidc-provider: server_error', error));
  provider.on('authorization.error', (_ctx, error) => console.error('oidc-provider: authorization.error', error.message, error.error_description ?? ''));
  provider.on('grant.error', (_ctx, error) => console.error('oidc-provider: grant.error', error.message, error.error_description ?? ''));

  server.on('request', provider.callback());
  console.log(`ready ${issuer}`);
});

server.on('error', (error) => {
  console.error(`oidc-provider: ${error.message}`);
  process.exit(1);
});

if (process.env.OIDC_EXIT_WITH_STDIN === '1') {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(0));
}
