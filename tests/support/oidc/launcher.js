// Test stand-in for Entra ID: a real OIDC provider (oauth2-mock-server signs the tokens and
// serves the JWKS) behind Entra-shaped paths, on 127.0.0.1 only, on a random port.
//
// Prints `PORT=<n>` on stdout once listening. Configured by environment:
//   OIDC_TENANT_ID       tenant GUID (required)
//   OIDC_TENANT_DOMAIN   a domain that resolves to the tenant (optional)
//   OIDC_API_ID          the API app's client ID (required)
//   OIDC_APP_ID_URI      the API app's App ID URI (default api://<OIDC_API_ID>)
//   OIDC_EXTRA_APIS      more API apps in the same tenant, client_id=App ID URI pairs,
//                        comma-separated (e.g. production's own API beside the laptop's)
//   OIDC_CLIENTS         client_id=secret pairs, comma-separated (fake secrets only)
//   OIDC_CLIENTS_URL     optional: for a client not in OIDC_CLIENTS, POST {client_id, client_secret}
//                        there; 200 means the secret is live (the Graph stand-in's app credentials)
//   OIDC_TOKEN_VERSION   1 or 2 (default 2): v1 tokens carry the v1 issuer and aud = resource
//
// Paths (as Entra): /<tenant>/v2.0/.well-known/openid-configuration,
// /<tenant>/.well-known/openid-configuration (v1: issuer http://127.0.0.1:<port>/sts/<tid>/,
// Entra's https://sts.windows.net/<tid>/ made loopback-shaped, trailing slash kept),
// /<tid>/discovery/v2.0/keys, /<tenant>/oauth2/v2.0/token. Token errors mimic Entra's JSON
// (`error`, `error_description` = `AADSTSnnnn: …`, `error_codes`).
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { OAuth2Issuer, OAuth2Service } from 'oauth2-mock-server';

const env = process.env;
const tid = env.OIDC_TENANT_ID;
const apiId = env.OIDC_API_ID;
if (!tid || !apiId) {
  console.error('OIDC_TENANT_ID and OIDC_API_ID are required');
  process.exit(2);
}
const appIdUri = env.OIDC_APP_ID_URI || `api://${apiId}`;
const apis = [[apiId, appIdUri]].concat(
  (env.OIDC_EXTRA_APIS || '').split(',').filter(Boolean).map((pair) => {
    const at = pair.indexOf('=');
    return [pair.slice(0, at), pair.slice(at + 1)];
  }),
);
const version = env.OIDC_TOKEN_VERSION === '1' ? '1' : '2';
const clients = new Map(
  (env.OIDC_CLIENTS || '').split(',').filter(Boolean).map((pair) => {
    const at = pair.indexOf('=');
    return [pair.slice(0, at), pair.slice(at + 1)];
  }),
);
const oids = new Map([...clients.keys()].map((id) => [id, randomUUID()]));
const oidOf = (id) => {
  if (!oids.has(id)) oids.set(id, randomUUID());
  return oids.get(id);
};
const tenants = new Set([tid, env.OIDC_TENANT_DOMAIN].filter(Boolean).map((t) => t.toLowerCase()));

const issuer = new OAuth2Issuer();
await issuer.keys.generate('RS256');
const service = new OAuth2Service(issuer);

let base = '';
const v2Issuer = () => `${base}/${tid}/v2.0`;
const v1Issuer = () => `${base}/sts/${tid}/`;

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function aadsts(res, status, error, code, text) {
  json(res, status, {
    error,
    error_description: `AADSTS${code}: ${text}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${new Date().toISOString()}`,
    error_codes: [code],
    timestamp: new Date().toISOString(),
    trace_id: randomUUID(),
    correlation_id: randomUUID(),
  });
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

// The resource a `<resource>/.default` scope names, and the aud a token for it carries.
function audienceFor(resource) {
  const r = resource.replace(/\/$/, '');
  for (const [id, uri] of apis) {
    if (r === uri || r === id) return version === '2' ? id : r;
  }
  if (r === 'https://storage.azure.com') return 'https://storage.azure.com';
  return null;
}

async function token(req, res, tenant) {
  const form = new URLSearchParams(await readBody(req));
  const clientId = form.get('client_id') || '';
  const scope = form.get('scope') || '';
  if (form.get('grant_type') !== 'client_credentials') {
    return aadsts(res, 400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
  }
  const live = async () => {
    if (clients.has(clientId)) return clients.get(clientId) === form.get('client_secret');
    const answer = await fetch(env.OIDC_CLIENTS_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: clientId, client_secret: form.get('client_secret') || '' }),
    });
    return answer.status === 200;
  };
  if (!clients.has(clientId) && !env.OIDC_CLIENTS_URL) {
    return aadsts(res, 400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant}'.`);
  }
  if (!(await live())) {
    // Entra answers the same for a wrong value and for a pasted Secret ID (a GUID).
    return aadsts(res, 401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`);
  }
  if (!scope.endsWith('/.default')) {
    return aadsts(res, 400, 'invalid_scope', 70011, `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid.`);
  }
  const resource = scope.slice(0, -'/.default'.length);
  const aud = audienceFor(resource);
  if (aud === null) {
    return aadsts(res, 400, 'invalid_resource', 500011, `The resource principal named ${resource} was not found in the tenant named ${tenant}.`);
  }
  const access = await service.buildToken(req, 3600, (_header, payload) => {
    delete payload.scope;
    Object.assign(payload, {
      iss: version === '2' ? v2Issuer() : v1Issuer(),
      aud,
      ver: version === '2' ? '2.0' : '1.0',
      tid,
      oid: oidOf(clientId),
      sub: oidOf(clientId),
      roles: [],
      ...(version === '2' ? { azp: clientId } : { appid: clientId }),
    });
  });
  json(res, 200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: access });
}

const server = http.createServer(async (req, res) => {
  try {
    const path = new URL(req.url, base).pathname;
    const [, tenant = '', ...rest] = path.split('/');
    const tail = rest.join('/');
    if (!tenants.has(tenant.toLowerCase())) {
      return aadsts(res, 400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found.`);
    }
    if (req.method === 'GET' && tail === 'v2.0/.well-known/openid-configuration') {
      return json(res, 200, {
        issuer: v2Issuer(),
        jwks_uri: `${base}/${tid}/discovery/v2.0/keys`,
        token_endpoint: `${base}/${tenant}/oauth2/v2.0/token`,
        id_token_signing_alg_values_supported: ['RS256'],
      });
    }
    if (req.method === 'GET' && tail === '.well-known/openid-configuration') {
      return json(res, 200, {
        issuer: v1Issuer(),
        jwks_uri: `${base}/${tid}/discovery/keys`,
        token_endpoint: `${base}/${tenant}/oauth2/token`,
      });
    }
    if (req.method === 'GET' && (tail === 'discovery/v2.0/keys' || tail === 'discovery/keys')) {
      req.url = '/jwks';
      return service.requestHandler(req, res);
    }
    if (req.method === 'POST' && tail === 'oauth2/v2.0/token') {
      return await token(req, res, tenant);
    }
    json(res, 404, { error: 'not_found' });
  } catch (e) {
    json(res, 500, { error: 'server_error', error_description: String(e) });
  }
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  base = `http://127.0.0.1:${port}`;
  issuer.url = base;
  console.log(`PORT=${port}`);
});

// Exit with the test that started us (its end closes our stdin).
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
