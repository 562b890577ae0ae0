/*
 * The ZDX direct-host token flow: POST /v1/oauth/token with `key_id` and `key_secret` returns
 * `{token, token_type: "Bearer", expires_in}`, and every other call carries `Authorization: Bearer <token>`.
 *
 * Two secret forms are accepted, because both are seen in the wild (see the research notes, §3):
 * - plain: `{key_id, key_secret: <secret>}` (help example, third-party plugins);
 * - hashed: `{key_id, key_secret: sha256_hex(<secret> + ":" + <timestamp>), timestamp}` (both official SDKs),
 *   valid only while the timestamp is within 15 minutes of the server clock. When `timestamp` is present the
 *   secret must be the hash, so a stale timestamp cannot be bypassed by also knowing the plain secret.
 *
 * Tokens are real JWTs signed with a per-simulator Ed25519 key (served at /v1/oauth/jwks), because the Go SDK
 * decodes the JWT `exp` claim to decide when to re-authenticate.
 *
 * OneAPI clients get their token from ZIdentity instead (identity.ts, `POST /oauth2/v1/token`); those tokens
 * carry OneAPI's audience and are accepted only on OneAPI paths (`/zdx/v1/...`), as the direct host does not
 * know ZIdentity. Direct-host tokens keep working on both path forms, as before.
 */
import {
  createHash,
  generateKeyPairSync,
  randomUUID,
  sign,
  timingSafeEqual,
  verify,
  type KeyObject,
} from 'node:crypto';

export interface ApiKeyConfig {
  readonly secret: string;
  /** A disabled key gets 403 at the token endpoint and on every call made with a token issued to it. */
  readonly disabled?: boolean;
  /** Endpoint groups (catalog `group`, e.g. `devices`, `alerts`) the key's role may call; absent = all. */
  readonly scopes?: readonly string[];
}

export const DEFAULT_API_KEY_ID = 'zdx-sim-key';
export const DEFAULT_API_KEY_SECRET = 'zdx-sim-secret';

/** How far (seconds) a hashed request's `timestamp` may be from the server clock. */
export const HASH_WINDOW_SECONDS = 15 * 60;

export interface AuthFailure {
  readonly ok: false;
  readonly status: 400 | 401 | 403;
  readonly message: string;
  readonly details?: readonly string[];
}

export interface IssuedToken {
  readonly ok: true;
  readonly body: { token: string; token_type: 'Bearer'; expires_in: number };
}

export interface VerifiedToken {
  readonly ok: true;
  readonly keyId: string;
}

interface Claims {
  sub: string;
  iat: number;
  exp: number;
  aud?: string;
}

/** The audience OneAPI clients ask ZIdentity for (both SDKs send it), and the `aud` of the tokens it issues. */
export const ONEAPI_AUDIENCE = 'https://api.zscaler.com';

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

// Signature checks dominate under load; remember a bounded number of tokens already verified.
const VERIFIED_CACHE_MAX = 1_000;

export class TokenAuthority {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private readonly kid = randomUUID();
  private readonly verified = new Map<string, Claims>();

  constructor(
    private readonly keys: Readonly<Record<string, ApiKeyConfig>>,
    private readonly ttlSeconds: number,
    private readonly now: () => number,
  ) {
    const pair = generateKeyPairSync('ed25519');
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
  }

  /** Handles a parsed /oauth/token request body. */
  issueFromBody(body: unknown): IssuedToken | AuthFailure {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return invalid('the body must be a JSON object with key_id and key_secret', ['body: expected a JSON object']);
    }
    const { key_id: keyId, key_secret: keySecret, timestamp } = body as Record<string, unknown>;
    const details: string[] = [];
    if (typeof keyId !== 'string' || keyId === '') details.push('key_id: required, a non-empty string');
    if (typeof keySecret !== 'string' || keySecret === '') details.push('key_secret: required, a non-empty string');
    const ts = typeof timestamp === 'string' && /^\d+$/.test(timestamp) ? Number(timestamp) : timestamp;
    if (ts !== undefined && (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0)) {
      details.push('timestamp: must be epoch seconds (a non-negative integer)');
    }
    if (details.length > 0 || typeof keyId !== 'string' || typeof keySecret !== 'string') {
      return invalid('invalid token request', details);
    }
    const key = Object.hasOwn(this.keys, keyId) ? this.keys[keyId] : undefined;
    if (key === undefined) return unauthorized('invalid key_id or key_secret');
    if (typeof ts === 'number') {
      const expected = createHash('sha256')
        .update(`${key.secret}:${String(timestamp)}`)
        .digest('hex');
      if (!sameText(keySecret.toLowerCase(), expected)) return unauthorized('invalid key_id or key_secret');
      const skew = Math.abs(this.now() / 1000 - ts);
      if (skew > HASH_WINDOW_SECONDS) {
        return unauthorized(
          `timestamp is ${Math.round(skew)} s from server time; it must be within ${HASH_WINDOW_SECONDS} s`,
        );
      }
    } else if (!sameText(keySecret, key.secret)) {
      return unauthorized('invalid key_id or key_secret');
    }
    // Only a caller who proved the secret learns that the key is disabled.
    if (key.disabled === true) return forbidden('the API key was disabled by your service provider');
    return { ok: true, body: { token: this.issue(keyId), token_type: 'Bearer', expires_in: this.ttlSeconds } };
  }

  /** Signs a token for a configured key, without the HTTP round trip; `oneApi` makes it a ZIdentity token. */
  issue(keyId: string, oneApi = false): string {
    if (!Object.hasOwn(this.keys, keyId)) throw new Error(`zdx simulator: unknown API key id ${JSON.stringify(keyId)}`);
    const iat = Math.floor(this.now() / 1000);
    const claims = {
      iss: 'zdx-simulator',
      sub: keyId,
      ...(oneApi ? { aud: ONEAPI_AUDIENCE } : {}),
      iat,
      exp: iat + this.ttlSeconds,
      jti: randomUUID(),
    };
    const head = b64url(JSON.stringify({ alg: 'EdDSA', typ: 'JWT', kid: this.kid }));
    const payload = b64url(JSON.stringify(claims));
    const signature = sign(null, Buffer.from(`${head}.${payload}`), this.privateKey);
    return `${head}.${payload}.${b64url(signature)}`;
  }

  /** Checks the credentials of a client-credentials grant; the secret is the API key's secret. */
  checkClient(clientId: string, clientSecret: string): { ok: true } | { ok: false; disabled: boolean } {
    const key = Object.hasOwn(this.keys, clientId) ? this.keys[clientId] : undefined;
    if (key === undefined || !sameText(clientSecret, key.secret)) return { ok: false, disabled: false };
    return key.disabled === true ? { ok: false, disabled: true } : { ok: true };
  }

  get ttl(): number {
    return this.ttlSeconds;
  }

  /** Checks the Authorization header of a call to an endpoint of `group`, made via OneAPI or not. */
  verify(authorization: string | undefined, group: string, oneApi = false): VerifiedToken | AuthFailure {
    if (authorization === undefined || authorization.trim() === '') return unauthorized('missing bearer token');
    const claims = this.decode(authorization);
    if (claims === undefined) return unauthorized('invalid bearer token');
    if (this.now() >= claims.exp * 1000) return unauthorized('the token duration has expired');
    if (claims.aud === ONEAPI_AUDIENCE && !oneApi) {
      return unauthorized('a ZIdentity token is accepted only through OneAPI (/zdx/v1/...)');
    }
    const key = Object.hasOwn(this.keys, claims.sub) ? this.keys[claims.sub] : undefined;
    if (key === undefined || key.disabled === true)
      return forbidden('the API key was disabled by your service provider');
    if (key.scopes !== undefined && !key.scopes.some((s) => s.toLowerCase() === group.toLowerCase())) {
      return forbidden(`the API key's role has no access to ${group} endpoints`);
    }
    return { ok: true, keyId: claims.sub };
  }

  /** The key id of a well-signed token (expired or not), to tell callers apart for rate limiting. */
  keyIdOf(authorization: string | undefined): string | undefined {
    return authorization === undefined ? undefined : this.decode(authorization)?.sub;
  }

  /** The JSON Web Key Set that verifies the simulator's tokens. */
  jwks(): { keys: object[] } {
    return { keys: [{ ...this.publicKey.export({ format: 'jwk' }), kid: this.kid, use: 'sig', alg: 'EdDSA' }] };
  }

  private decode(authorization: string): Claims | undefined {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    const token = match?.[1];
    if (token === undefined) return undefined;
    const cached = this.verified.get(token);
    if (cached !== undefined) return cached;
    const [head, payload, signature, extra] = token.split('.');
    if (head === undefined || payload === undefined || signature === undefined || extra !== undefined) return undefined;
    let ok = false;
    try {
      ok = verify(null, Buffer.from(`${head}.${payload}`), this.publicKey, Buffer.from(signature, 'base64url'));
    } catch {
      return undefined;
    }
    if (!ok) return undefined;
    let claims: Claims;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Claims;
    } catch {
      return undefined;
    }
    if (typeof claims.sub !== 'string' || typeof claims.exp !== 'number') return undefined;
    if (this.verified.size >= VERIFIED_CACHE_MAX) this.verified.clear();
    this.verified.set(token, claims);
    return claims;
  }
}

// Constant-time comparison, so response timing does not leak how much of a secret matched.
function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function invalid(message: string, details: readonly string[]): AuthFailure {
  return { ok: false, status: 400, message, details };
}
function unauthorized(message: string): AuthFailure {
  return { ok: false, status: 401, message };
}
function forbidden(message: string): AuthFailure {
  return { ok: false, status: 403, message };
}
