/*
 * A ZIdentity-style token endpoint for OneAPI clients: `POST /oauth2/v1/token`, form-encoded
 * `grant_type=client_credentials` with `client_id` and `client_secret` (in the body or as HTTP Basic), plus the
 * `audience=https://api.zscaler.com` both official SDKs send. It answers `{access_token, token_type: "Bearer",
 * expires_in}`; the token is then accepted on the OneAPI paths (`/zdx/v1/...`).
 *
 * On the real cloud this lives on the tenant's ZIdentity host (`<vanity>.zslogin.net`), not on the API gateway,
 * so it has no ZDX rate limits, faults or outages here either. Errors follow OAuth 2.0 (RFC 6749 §5.2):
 * `{error, error_description}`, 400 for a bad request or grant, 401 for failed client authentication.
 * The client ids and secrets are the simulator's API keys.
 */
import type { IncomingMessage } from 'node:http';
import { ONEAPI_AUDIENCE, type TokenAuthority } from './auth.js';
import { readBody, type Answer } from './server.js';

export const IDENTITY_TOKEN_PATH = '/oauth2/v1/token';
export const IDENTITY_KEY = `POST ${IDENTITY_TOKEN_PATH}`;

// RFC 6749 §5.1: token answers must not be cached.
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

/** Whether a request path is the identity token endpoint (a trailing slash tolerated). */
export function isIdentityPath(pathname: string): boolean {
  return pathname.replace(/\/+$/, '') === IDENTITY_TOKEN_PATH;
}

function oauthError(
  status: 400 | 401 | 405 | 413 | 415,
  error: string,
  description: string,
  headers: Record<string, string> = {},
): Answer {
  return { status, body: { error, error_description: description }, headers: { ...NO_STORE, ...headers } };
}

/** Answers one request to the token endpoint. */
export async function answerIdentity(
  req: IncomingMessage,
  method: string,
  tokens: TokenAuthority,
  maxBodyBytes: number,
): Promise<Answer> {
  if (method !== 'POST') {
    return oauthError(405, 'invalid_request', `the token endpoint accepts POST only, not ${method}`, { Allow: 'POST' });
  }
  const body = await readBody(req, maxBodyBytes);
  if (!body.ok)
    return oauthError(413, 'invalid_request', `the request body is larger than ${maxBodyBytes} bytes`, {
      Connection: 'close',
    });
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    return oauthError(400, 'invalid_request', 'the token request must be application/x-www-form-urlencoded');
  }
  const form = new URLSearchParams(body.bytes.toString('utf8'));
  const basic = basicCredentials(req.headers.authorization);
  const inBody = form.has('client_id') || form.has('client_secret');
  if (basic !== undefined && inBody) {
    return oauthError(
      400,
      'invalid_request',
      'send the client credentials either in the body or as HTTP Basic, not both',
    );
  }
  const grant = form.get('grant_type');
  if (grant === null || grant === '') return oauthError(400, 'invalid_request', 'grant_type is required');
  if (grant !== 'client_credentials') {
    return oauthError(
      400,
      'unsupported_grant_type',
      `grant_type ${JSON.stringify(grant)} is not supported; use client_credentials`,
    );
  }
  const audience = form.get('audience');
  if (audience !== null && audience !== ONEAPI_AUDIENCE) {
    return oauthError(400, 'invalid_request', `audience must be ${ONEAPI_AUDIENCE}`);
  }
  if (form.has('client_assertion')) {
    return oauthError(
      401,
      'invalid_client',
      'private key JWT (client_assertion) is not supported by the simulator; use client_secret',
    );
  }
  const clientId = basic?.id ?? form.get('client_id') ?? '';
  const clientSecret = basic?.secret ?? form.get('client_secret') ?? '';
  // A Basic-authenticating client is told how to authenticate when it fails (RFC 6749 §5.2).
  const challenge: Record<string, string> =
    basic === undefined ? {} : { 'WWW-Authenticate': 'Basic realm="zidentity"' };
  if (clientId === '' || clientSecret === '') {
    return oauthError(401, 'invalid_client', 'client_id and client_secret are required', challenge);
  }
  const check = tokens.checkClient(clientId, clientSecret);
  if (!check.ok) {
    // Only a client that proved its secret learns that it is disabled.
    if (check.disabled) return oauthError(400, 'unauthorized_client', 'the client is disabled');
    return oauthError(401, 'invalid_client', 'client authentication failed', challenge);
  }
  return {
    status: 200,
    body: { access_token: tokens.issue(clientId, true), token_type: 'Bearer', expires_in: tokens.ttl },
    headers: NO_STORE,
  };
}

function basicCredentials(authorization: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return { id: decoded, secret: '' };
  // RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
  const unform = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s;
    }
  };
  return { id: unform(decoded.slice(0, colon)), secret: unform(decoded.slice(colon + 1)) };
}
