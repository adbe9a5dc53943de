// Login for every action: one TokenCredential per auth type. OIDC asks GitHub for a fresh ID token
// each time Entra needs an assertion (long jobs never hit AADSTS700024), every token is masked the
// moment it exists, and a failed login is explained with what to change.

import {
  AzureCliCredential,
  ClientAssertionCredential,
  ClientSecretCredential,
  type AccessToken,
  type GetTokenOptions,
  type TokenCredential,
} from '@azure/identity';

import { UserError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AzureSettings } from './settings.js';

export interface LoginDependencies {
  log: Logger;
  /** GitHub's ID token for an audience (core.getIDToken in an action). */
  requestIdToken(audience: string): Promise<string>;
  /** Whether the job can request ID tokens at all (ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN are set). */
  canRequestIdToken: boolean;
}

/** A credential plus what is needed to explain its failures. */
export interface LoginSession {
  credential: TokenCredential;
  settings: AzureSettings;
  /** Claims of the last GitHub ID token presented to Entra (OIDC only): subject, audience, issuer... */
  lastIdTokenClaims(): Record<string, unknown> | undefined;
}

const TOKEN_REUSE_MARGIN_MS = 5 * 60_000;
/** A GitHub ID token is presented again only within this time of being issued to this step... */
const ID_TOKEN_REUSE_MS = 60_000;
/** ...and while it stays valid this long (GitHub's tokens live minutes; tests use shorter ones). */
const ID_TOKEN_MIN_LIFETIME_MS = 2 * 60_000;

export function createLoginSession(settings: AzureSettings, deps: LoginDependencies): LoginSession {
  let claims: Record<string, unknown> | undefined;
  const authority = {
    authorityHost: settings.cloud.authorityHost,
    // Custom clouds (and the emulator) have no instance-discovery endpoint at login.microsoftonline.com.
    ...(settings.cloud.name === 'custom' ? { disableInstanceDiscovery: true } : {}),
  };
  let inner: TokenCredential;
  switch (settings.authType) {
    case 'oidc': {
      if (!deps.canRequestIdToken) throw missingIdTokenPermission(settings);
      const { tenantId, clientId } = requireApp(settings);
      // MSAL asks for an assertion twice for each access token (once to set up, once for the token
      // request): one GitHub ID token serves both while it is fresh, which saves a round trip to
      // GitHub per login. A token that is older, or close to its expiry, is never reused.
      let last: { idToken: string; fetchedAt: number; expiresAt: number } | undefined;
      inner = new ClientAssertionCredential(
        tenantId,
        clientId,
        async () => {
          const now = Date.now();
          if (last && now - last.fetchedAt < ID_TOKEN_REUSE_MS && last.expiresAt - now > ID_TOKEN_MIN_LIFETIME_MS)
            return last.idToken;
          const idToken = await deps.requestIdToken(settings.audience).catch((error: unknown) => {
            throw new UserError(
              `GitHub did not issue an ID token for audience '${settings.audience}': ${(error as Error).message}`,
              { cause: error },
            );
          });
          deps.log.setSecret(idToken);
          claims = decodeJwtClaims(idToken);
          const exp = typeof claims?.exp === 'number' ? claims.exp * 1000 : 0;
          last = { idToken, fetchedAt: now, expiresAt: exp };
          return idToken;
        },
        authority,
      );
      break;
    }
    case 'secret': {
      const { tenantId, clientId } = requireApp(settings);
      if (!settings.clientSecret)
        throw new UserError("auth-type 'secret' needs 'client-secret' (or AZURE_CLIENT_SECRET).", {
          input: 'client-secret',
        });
      deps.log.warning(
        'Logging in with a client secret. Prefer OIDC (federated credentials): no secret to store, rotate or leak.',
      );
      inner = new ClientSecretCredential(tenantId, clientId, settings.clientSecret, authority);
      break;
    }
    case 'azure-cli':
      inner = new AzureCliCredential(settings.tenantId ? { tenantId: settings.tenantId } : {});
      break;
  }
  // Access tokens are kept per scope until 5 minutes before they expire: MSAL calls the assertion
  // callback on every request even when it holds a token, which would cost a GitHub ID-token
  // request (and a new secret to mask) per ARM call.
  const cache = new Map<string, AccessToken>();
  const credential: TokenCredential = {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      const key = [scopes].flat().join(' ');
      const cached = cache.get(key);
      if (cached && !options?.claims && cached.expiresOnTimestamp - Date.now() > TOKEN_REUSE_MARGIN_MS) return cached;
      const token = await inner.getToken(scopes, options);
      if (token) {
        deps.log.setSecret(token.token);
        cache.set(key, token);
      }
      return token;
    },
  };
  return { credential, settings, lastIdTokenClaims: () => claims };
}

/** Gets an ARM token once, so a login problem is reported as one before any other request. */
export async function checkLogin(session: LoginSession, log: Logger): Promise<void> {
  const { settings } = session;
  try {
    await session.credential.getToken(settings.cloud.armScope);
  } catch (error) {
    throw explainLoginFailure(error, session);
  }
  const claims = session.lastIdTokenClaims();
  const who = settings.authType === 'oidc' ? ` as ${String(claims?.sub ?? 'the GitHub workflow')}` : '';
  log.info(
    `Logged in to ${settings.cloud.name} with ${settings.authType}${who} (client ${settings.clientId ?? 'from the Azure CLI'}).`,
  );
}

function requireApp(settings: AzureSettings): { tenantId: string; clientId: string } {
  if (!settings.tenantId)
    throw new UserError(`auth-type '${settings.authType}' needs 'tenant-id' (or AZURE_TENANT_ID).`, {
      input: 'tenant-id',
    });
  if (!settings.clientId)
    throw new UserError(`auth-type '${settings.authType}' needs 'client-id' (or AZURE_CLIENT_ID).`, {
      input: 'client-id',
    });
  return { tenantId: settings.tenantId, clientId: settings.clientId };
}

function missingIdTokenPermission(settings: AzureSettings): UserError {
  const how = settings.authTypeWasAuto
    ? " (client-id and tenant-id are set without a client-secret, so auth-type 'auto' means OIDC)"
    : " (auth-type is 'oidc')";
  return new UserError(
    `This job cannot request a GitHub ID token${how}: ACTIONS_ID_TOKEN_REQUEST_URL is not set. ` +
      `Add 'permissions: id-token: write' to the workflow or job ` +
      '(and keep contents: read). Pull requests from forks never get ID tokens; use pull_request_target with care, ' +
      "or auth-type 'secret' there. To log in with the Azure CLI of an earlier azure/login step instead, set auth-type 'azure-cli'.",
    { input: 'auth-type' },
  );
}

/** Decodes a JWT's claims without verifying it: only to explain which subject was presented. */
export function decodeJwtClaims(jwt: string): Record<string, unknown> | undefined {
  const payload = jwt.split('.')[1];
  if (!payload) return undefined;
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

const SUBJECT_FORMATS = [
  'repo:OWNER/REPO:ref:refs/heads/BRANCH  (push to a branch)',
  'repo:OWNER/REPO:ref:refs/tags/TAG      (tag)',
  'repo:OWNER/REPO:environment:NAME       (job with environment: NAME; replaces the ref subject)',
  'repo:OWNER/REPO:pull_request           (pull_request events)',
  'repo:OWNER@OWNER_ID/REPO@REPO_ID:…     (the same with ids: repositories created, renamed or transferred after 2026-06-18, or opted in)',
];

/** `repo:OWNER[@OWNER_ID]/REPO[@REPO_ID]:CONTEXT`, GitHub's default subject in its two forms. */
const DEFAULT_SUBJECT = /^repo:([^/@:]+)(?:@(\d+))?\/([^/@:]+)(?:@(\d+))?:(.+)$/;

/**
 * The presented subject beside its other form. GitHub gives repositories created, renamed or
 * transferred after June 18, 2026 (or opted in) subjects with the owner's and the repository's
 * immutable ids (docs.github.com, actions/reference/openid-connect-reference, "Immutable subject
 * claims"), and the Entra portal proposes that form; a credential in one form never matches a token
 * in the other. Works from the token alone: Entra does not reveal the credentials' subjects.
 */
export function subjectForms(claims: Record<string, unknown>): string {
  const sub = String(claims.sub ?? '');
  const m = DEFAULT_SUBJECT.exec(sub);
  if (!m) return '';
  const [, owner = '', ownerId, repo = '', repoId, context = ''] = m;
  if (ownerId !== undefined && repoId !== undefined) {
    return (
      ` That subject is ID-based (repo:OWNER@OWNER_ID/REPO@REPO_ID): its name-based equivalent is ` +
      `'repo:${owner}/${repo}:${context}', which this repository no longer presents. The credential's subject ` +
      `must be exactly the ID-based one above; a credential made with the name-based form never matches.`
    );
  }
  const idOwner = typeof claims.repository_owner_id === 'string' ? claims.repository_owner_id : undefined;
  const idRepo = typeof claims.repository_id === 'string' ? claims.repository_id : undefined;
  if (idOwner === undefined || idRepo === undefined) return '';
  return (
    ` That subject is name-based: if the credential was made with the ID-based form the Entra portal may ` +
    `propose ('repo:${owner}@${idOwner}/${repo}@${idRepo}:${context}'), it does not match; the credential's ` +
    `subject must be exactly the name-based one above (or opt the repository into immutable subject claims ` +
    `and use the ID-based form).`
  );
}

/** Turns an Entra failure into a paragraph that says what to change. */
export function explainLoginFailure(error: unknown, session: LoginSession): Error {
  if (error instanceof UserError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = /AADSTS(\d+)/.exec(message)?.[1];
  const { settings } = session;
  const claims = session.lastIdTokenClaims();
  const presented = claims
    ? ` This run presented subject '${String(claims.sub)}', audience '${String(Array.isArray(claims.aud) ? claims.aud.join(',') : claims.aud)}', issuer '${String(claims.iss)}'` +
      `${claims.environment ? `, environment '${String(claims.environment)}'` : ''}${claims.ref ? `, ref '${String(claims.ref)}'` : ''}.`
    : '';
  const app = `app ${settings.clientId ?? '?'} in tenant ${settings.tenantId ?? '?'}`;
  const entraSays = ` Entra said: ${firstLine(message)}`;
  const explain = (text: string) => new UserError(text + entraSays, { cause: error });
  switch (code) {
    case '700213':
    case '7002138':
    case '70021':
      return explain(
        `Login failed: no federated credential of ${app} matches this workflow.${presented}` +
          `${claims ? subjectForms(claims) : ''} ` +
          `Add a federated credential whose subject is exactly that (case-sensitive). Subject formats: ${SUBJECT_FORMATS.join('; ')}.`,
      );
    case '700212':
      return explain(
        `Login failed: the federated credentials of ${app} do not accept the audience '${settings.audience}'.${presented} ` +
          "Set the 'audience' input to the audience of the federated credential (default api://AzureADTokenExchange).",
      );
    case '700211':
      return explain(
        `Login failed: no federated credential of ${app} trusts the issuer of GitHub's token.${presented} ` +
          'The issuer must be https://token.actions.githubusercontent.com (or your enterprise issuer).',
      );
    case '700024':
      return explain(
        `Login failed: the GitHub ID token had expired when Entra received it.${presented} Check the runner's clock.`,
      );
    case '7000215':
      return explain(
        `Login failed: the client secret is not valid for ${app}. Check 'client-secret' (or switch to OIDC).`,
      );
    case '7000222':
      return explain(
        `Login failed: the client secret of ${app} has expired. Create a new one (or switch to OIDC, which has no secret).`,
      );
    case '90002':
      return explain(
        `Login failed: tenant '${settings.tenantId ?? ''}' was not found. Check 'tenant-id' (AZURE_TENANT_ID).`,
      );
    case '700016':
      return explain(
        `Login failed: no application '${settings.clientId ?? ''}' exists in tenant ${settings.tenantId ?? '?'}. Check 'client-id' and 'tenant-id'.`,
      );
    default:
      if (message.includes('endpoints_resolution_error')) {
        return new UserError(
          `Login failed: ${settings.cloud.authorityHost} has no tenant '${settings.tenantId ?? ''}' (its OpenID configuration could not be read). ` +
            "Check 'tenant-id' (AZURE_TENANT_ID) and, for a custom cloud, 'authority-host'.",
          { cause: error },
        );
      }
      if (settings.authType === 'azure-cli') {
        return new UserError(
          `Login with the Azure CLI failed: run azure/login (or 'az login') in an earlier step, or use OIDC. ${firstLine(message)}`,
          { cause: error },
        );
      }
      return explain(
        `Login to ${settings.cloud.authorityHost} as ${app} with ${settings.authType} failed.${presented}`,
      );
  }
}

/** What Entra said, from its AADSTS code to the end of that sentence (MSAL wraps it in other text). */
function firstLine(message: string): string {
  const aadsts = /AADSTS\d+:.*?(?:\.(?=\s)|$)/s.exec(message)?.[0];
  return (aadsts ?? message.split(/\r?\n/)[0] ?? '').replace(/\s+/g, ' ').slice(0, 400);
}
