// RS256 JSON Web Tokens with Node's crypto: what the GitHub OIDC issuer, Entra and the scoring
// endpoints (AML tokens) sign, and what the emulator verifies on the way in.
import { createHash, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

export type Claims = Record<string, unknown>;

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function newSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const kid = createHash('sha256').update(der).digest('base64url').slice(0, 27);
  return { kid, privateKey, publicKey };
}

export function jwk(key: SigningKey): Record<string, unknown> {
  const j = key.publicKey.export({ format: 'jwk' });
  return { kty: 'RSA', use: 'sig', alg: 'RS256', kid: key.kid, n: j.n, e: j.e };
}

export function signJwt(key: SigningKey, claims: Claims, header: Claims = {}): string {
  const h = Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'RS256', kid: key.kid, ...header })).toString('base64url');
  const p = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const s = sign('sha256', Buffer.from(`${h}.${p}`), key.privateKey).toString('base64url');
  return `${h}.${p}.${s}`;
}

export interface DecodedJwt {
  header: Claims;
  claims: Claims;
  signingInput: string;
  signature: Buffer;
}

/** Parses a compact JWS without verifying it; undefined when it is not one. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0] ?? '', 'base64url').toString('utf8')) as unknown;
    const claims = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as unknown;
    if (typeof header !== 'object' || header === null || typeof claims !== 'object' || claims === null) {
      return undefined;
    }
    return {
      header: header as Claims,
      claims: claims as Claims,
      signingInput: `${parts[0]}.${parts[1]}`,
      signature: Buffer.from(parts[2] ?? '', 'base64url'),
    };
  } catch {
    return undefined;
  }
}

/** True when the token is RS256-signed by `key` (kid must match when the header names one). */
export function verifySignature(decoded: DecodedJwt, keys: SigningKey[]): boolean {
  if (decoded.header.alg !== 'RS256') return false;
  const kid = decoded.header.kid;
  return keys.some(
    (k) =>
      (kid === undefined || kid === k.kid) &&
      verify('sha256', Buffer.from(decoded.signingInput), k.publicKey, decoded.signature),
  );
}

/** Verifies against a JWK (for keys the emulator did not make). */
export function verifyWithJwk(decoded: DecodedJwt, key: Record<string, unknown>): boolean {
  try {
    const pub = createPublicKey({ key: key as never, format: 'jwk' });
    return verify('sha256', Buffer.from(decoded.signingInput), pub, decoded.signature);
  } catch {
    return false;
  }
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
