// Drives the official Telnyx Node SDK (pinned in package.json) through every OAuth step against a sandbox.
//
// Run by tests/e2e/test_official_node_sdk.py with TELNYX_BASE_URL (the sandbox's .../v2) and TELNYX_API_KEY.
// Prints one JSON line per step: {"step", "method", "facts"} or {"step", "method", "error": {...}}. It prints
// facts (names, statuses, booleans), never a secret or a token, and asserts nothing: the pytest side judges.
// The first line lists the SDK's own methods of the four OAuth resources, so a method this file does not
// exercise fails the test instead of passing unnoticed.
import { createHash, randomBytes } from 'node:crypto';
import Telnyx from 'telnyx';

const BASE_URL = process.env.TELNYX_BASE_URL;
const REDIRECT_URI = 'http://127.0.0.1:9/callback'; // never followed: the authorize step stops at the 302
const RESOURCES = { oauth: 'oauth', oauthClients: 'oauth_clients', oauthGrants: 'oauth_grants', wellKnown: 'well_known' };

const client = new Telnyx({ apiKey: process.env.TELNYX_API_KEY, baseURL: BASE_URL, maxRetries: 0, timeout: 15000 });

function emit(record) {
  process.stdout.write(JSON.stringify(record) + '\n');
}

function sdkMethods() {
  const found = [];
  for (const [attr, name] of Object.entries(RESOURCES)) {
    const proto = Object.getPrototypeOf(client[attr]);
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key !== 'constructor' && typeof proto[key] === 'function' && !key.startsWith('_')) found.push(`${name}.${key}`);
    }
  }
  return found.sort();
}

async function step(name, method, fn) {
  try {
    emit({ step: name, method, facts: await fn() });
  } catch (err) {
    emit({ step: name, method, error: { class: err?.constructor?.name, status: err?.status ?? null,
                                        message: String(err?.message ?? err).slice(0, 300) } });
  }
}

async function expectError(fn) {
  try {
    await fn();
    return { raised: null };
  } catch (err) {
    return { raised: err?.constructor?.name, status: err?.status ?? null,
             is_unprocessable: err instanceof Telnyx.UnprocessableEntityError,
             is_not_found: err instanceof Telnyx.NotFoundError };
  }
}

function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

// GET /oauth/authorize without following the redirect (the SDK's retrieveAuthorize follows it to the HTML page;
// the consent token is in the Location it would follow).
async function consentToken(clientId, challenge, state) {
  const query = new URLSearchParams({ client_id: clientId, redirect_uri: REDIRECT_URI, response_type: 'code',
    scope: 'admin', state, code_challenge: challenge, code_challenge_method: 'S256' });
  const response = await fetch(`${BASE_URL}/oauth/authorize?${query}`, { redirect: 'manual' });
  const location = response.headers.get('location');
  if (!location) throw new Error(`authorize answered ${response.status} without a Location`);
  return new URL(location, BASE_URL).searchParams.get('consent_token');
}

async function newClient(fields = {}) {
  const created = await client.oauthClients.create({
    name: `node sdk ${randomBytes(4).toString('hex')}`, client_type: 'confidential',
    allowed_grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    allowed_scopes: ['admin'], redirect_uris: [REDIRECT_URI], ...fields });
  return created.data;
}

const s = {}; // state carried between steps (secrets stay here, never in the output)

emit({ step: 'sdk_methods', method: null, facts: { methods: sdkMethods() } });

await step('well_known.authorization_server', 'well_known.retrieveAuthorizationServerMetadata', async () => {
  const meta = await client.wellKnown.retrieveAuthorizationServerMetadata();
  return { token_endpoint: meta.token_endpoint, issuer: meta.issuer,
           code_challenge_methods_supported: meta.code_challenge_methods_supported,
           scopes_supported: meta.scopes_supported };
});

await step('well_known.protected_resource', 'well_known.retrieveProtectedResourceMetadata', async () => {
  const meta = await client.wellKnown.retrieveProtectedResourceMetadata();
  return { resource: meta.resource, authorization_servers: meta.authorization_servers };
});

await step('clients.create', 'oauth_clients.create', async () => {
  const made = await newClient({ require_pkce: true, logo_uri: 'https://example.test/logo.png',
                                 policy_uri: 'https://example.test/p', tos_uri: 'https://example.test/t' });
  s.client = made;
  const pub = await client.oauthClients.create({ name: 'node sdk public', client_type: 'public',
    allowed_grant_types: ['authorization_code'], allowed_scopes: ['admin'], redirect_uris: [REDIRECT_URI] });
  return { client_type: made.client_type, has_secret: Boolean(made.client_secret), require_pkce: made.require_pkce,
           allowed_scopes: made.allowed_scopes, public_client_type: pub.data.client_type,
           public_has_secret: Boolean(pub.data.client_secret) };
});

await step('clients.list', 'oauth_clients.list', async () => {
  const first = await client.oauthClients.list({ 'page[size]': 5 });
  const ids = [];
  for await (const c of client.oauthClients.list({ 'page[size]': 5 })) ids.push(c.client_id); // auto-pagination
  const byId = await client.oauthClients.list({ 'filter[client_id]': s.client.client_id });
  const second = await client.oauthClients.list({ 'page[number]': 2, 'page[size]': 3 });
  return { first_page_len: first.data.length, page_number: first.meta.page_number,
           total_results: first.meta.total_results, iterated: ids.length, unique: new Set(ids).size,
           filtered_ids_match: byId.data.map((c) => c.client_id).join() === s.client.client_id,
           second_page_number: second.meta.page_number };
});

await step('clients.retrieve', 'oauth_clients.retrieve', async () => {
  const got = await client.oauthClients.retrieve(s.client.client_id);
  return { id_matches: got.data.client_id === s.client.client_id, secret_is_null: got.data.client_secret == null };
});

await step('clients.update', 'oauth_clients.update', async () => {
  const updated = await client.oauthClients.update(s.client.client_id, { name: 'node sdk renamed',
    allowed_scopes: ['admin'], allowed_grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    redirect_uris: [REDIRECT_URI], require_pkce: true });
  return { name: updated.data.name, allowed_scopes: updated.data.allowed_scopes };
});

await step('token.client_credentials', 'oauth.token', async () => {
  const issued = await client.oauth.token({ grant_type: 'client_credentials', client_id: s.client.client_id,
                                            client_secret: s.client.client_secret, scope: 'admin' });
  s.machineToken = issued.access_token;
  return { token_type: issued.token_type, scope: issued.scope, expires_in_is_int: Number.isInteger(issued.expires_in),
           has_access_token: Boolean(issued.access_token) };
});

await step('introspect', 'oauth.introspect', async () => {
  const info = await client.oauth.introspect({ token: s.machineToken });
  const bogus = await client.oauth.introspect({ token: 'not-a-token' });
  return { active: info.active, client_id_matches: info.client_id === s.client.client_id, scope: info.scope,
           exp_is_int: Number.isInteger(info.exp), iat_is_int: Number.isInteger(info.iat),
           has_iss: Boolean(info.iss), bogus_active: bogus.active };
});

await step('jwks', 'oauth.retrieveJwks', async () => {
  const jwks = await client.oauth.retrieveJwks();
  return { keys: jwks.keys.length, all_signing: jwks.keys.every((k) => k.kid && k.kty && k.alg && k.use === 'sig') };
});

await step('authorize.page', 'oauth.retrieveAuthorize', async () => {
  const { challenge } = pkcePair();
  const html = await client.oauth.retrieveAuthorize({ client_id: s.client.client_id, redirect_uri: REDIRECT_URI,
    response_type: 'code', scope: 'admin', state: 'node-state', code_challenge: challenge,
    code_challenge_method: 'S256' });
  return { is_string: typeof html === 'string', names_client: String(html).includes('node sdk renamed'),
           has_form: String(html).toLowerCase().includes('<form') };
});

await step('consent.retrieve', 'oauth.retrieve', async () => {
  s.pkce = pkcePair();
  s.consentToken = await consentToken(s.client.client_id, s.pkce.challenge, 'node-state');
  const consent = await client.oauth.retrieve(s.consentToken);
  return { client_id_matches: consent.data.client_id === s.client.client_id, name: consent.data.name,
           redirect_uri: consent.data.redirect_uri, logo_uri: consent.data.logo_uri,
           requested_scopes: (consent.data.requested_scopes ?? []).map((sc) => sc.id),
           scope_described: Boolean(consent.data.requested_scopes?.[0]?.description) };
});

await step('grants.decision', 'oauth.grants', async () => {
  const decided = await client.oauth.grants({ allowed: true, consent_token: s.consentToken });
  const params = new URL(decided.redirect_uri).searchParams;
  s.code = params.get('code');
  return { redirect_to_registered: decided.redirect_uri.startsWith(REDIRECT_URI), state: params.get('state'),
           has_code: Boolean(s.code) };
});

await step('token.authorization_code', 'oauth.token', async () => {
  const issued = await client.oauth.token({ grant_type: 'authorization_code', client_id: s.client.client_id,
    client_secret: s.client.client_secret, code: s.code, code_verifier: s.pkce.verifier, redirect_uri: REDIRECT_URI });
  s.userToken = issued.access_token;
  const refreshed = await client.oauth.token({ grant_type: 'refresh_token', client_id: s.client.client_id,
    client_secret: s.client.client_secret, refresh_token: issued.refresh_token });
  return { token_type: issued.token_type, scope: issued.scope, has_refresh_token: Boolean(issued.refresh_token),
           refresh_rotated: Boolean(refreshed.refresh_token) && refreshed.refresh_token !== issued.refresh_token };
});

await step('grants.list', 'oauth_grants.list', async () => {
  const first = await client.oauthGrants.list({ 'page[size]': 50 });
  const grants = [];
  for await (const g of client.oauthGrants.list({ 'page[size]': 50 })) grants.push(g);
  s.grant = grants.find((g) => g.client_id === s.client.client_id);
  return { total_results: first.meta.total_results, iterated: grants.length,
           unique: new Set(grants.map((g) => g.id)).size, found_new_grant: Boolean(s.grant) };
});

await step('grants.retrieve', 'oauth_grants.retrieve', async () => {
  const got = await client.oauthGrants.retrieve(s.grant.id);
  return { id_matches: got.data.id === s.grant.id, scopes: got.data.scopes };
});

await step('grants.delete', 'oauth_grants.delete', async () => {
  const revoked = await client.oauthGrants.delete(s.grant.id);
  const after = await client.oauth.introspect({ token: s.userToken });
  return { id_matches: revoked.data.id === s.grant.id, token_active_after: after.active };
});

await step('register', 'oauth.register', async () => {
  const made = await client.oauth.register({ client_name: 'Node Registered', grant_types: ['authorization_code'],
    redirect_uris: [REDIRECT_URI], response_types: ['code'], scope: 'admin',
    token_endpoint_auth_method: 'client_secret_basic' });
  const pub = await client.oauth.register({ client_name: 'Node Public', token_endpoint_auth_method: 'none',
                                            redirect_uris: [REDIRECT_URI] });
  return { has_client_id: Boolean(made.client_id), has_secret: Boolean(made.client_secret),
           client_name: made.client_name, public_has_secret: Boolean(pub.client_secret) };
});

await step('clients.delete', 'oauth_clients.delete', async () => {
  const gone = await newClient();
  const raw = await client.oauthClients.delete(gone.client_id).asResponse();
  return { status: raw.status, body_empty: (await raw.text()) === '',
           retrieve_after: await expectError(() => client.oauthClients.retrieve(gone.client_id)) };
});

await step('errors.unknown_consent', 'oauth.retrieve', async () => ({
  retrieve: await expectError(() => client.oauth.retrieve('no-such-consent-token')),
  decision: await expectError(() => client.oauth.grants({ allowed: true, consent_token: 'no-such-consent-token' })),
}));
