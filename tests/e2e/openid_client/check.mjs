// openid-client (panva) against the sandbox's token endpoint: one client-credentials grant with the right secret,
// one with a wrong secret. Prints one JSON line: what the library made of each answer.
// Input: a JSON object in argv[2] with server (RFC 8414 metadata), client_id, client_secret.
import * as client from 'openid-client'

const input = JSON.parse(process.argv[2])
const grant = async (secret) => {
  const config = new client.Configuration(input.server, input.client_id, undefined, client.ClientSecretBasic(secret))
  client.allowInsecureRequests(config) // the sandbox serves plain HTTP on loopback
  try {
    const tokens = await client.clientCredentialsGrant(config, { scope: 'admin' })
    return { ok: true, token_type: tokens.token_type, has_access_token: Boolean(tokens.access_token) }
  } catch (error) {
    return {
      ok: false, name: error.name, code: error.code, status: error.status ?? null,
      challenges: error.code === 'OAUTH_WWW_AUTHENTICATE_CHALLENGE' ? error.cause : null,
      message: String(error.message),
    }
  }
}
console.log(JSON.stringify({ right: await grant(input.client_secret), wrong: await grant('not-the-secret') }))
