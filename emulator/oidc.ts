// GitHub Actions' OIDC issuer: the ID-token request URL that `core.getIDToken` calls (GET
// `${ACTIONS_ID_TOKEN_REQUEST_URL}&audience=...` with the request bearer token → {"value": jwt}),
// the issuer's openid-configuration and JWKS. Claims follow GitHub's token; admin POST /oidc/claims
// changes them for the next tokens (`immutable_subject_claims: true` gives the ID-based subject).
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { EmulatorContext } from './context.js';
import { json, type EmuRequest, type Reply } from './http.js';
import { jwk, nowSeconds, signJwt } from './jwt.js';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The claims of the next ID token for `audience` (GitHub's default audience is the owner's URL). */
export function idTokenClaims(ctx: EmulatorContext, audience: string | undefined): Record<string, unknown> {
  const o = ctx.oidcOverrides;
  const repository = typeof o.repository === 'string' ? o.repository : ctx.settings.repository;
  const [owner = 'octo-org'] = repository.split('/');
  const eventName = typeof o.event_name === 'string' ? o.event_name : 'push';
  const ref =
    typeof o.ref === 'string' ? o.ref : eventName === 'pull_request' ? 'refs/pull/7/merge' : 'refs/heads/main';
  const environment = typeof o.environment === 'string' ? o.environment : undefined;
  const ownerId = typeof o.repository_owner_id === 'string' ? o.repository_owner_id : '1342004';
  const repositoryId = typeof o.repository_id === 'string' ? o.repository_id : '711540341';
  // GitHub's immutable subject claims (docs.github.com, actions/reference/openid-connect-reference):
  // the owner's and repository's ids after their names, the rest of the subject unchanged.
  const idBased =
    typeof o.immutable_subject_claims === 'boolean' ? o.immutable_subject_claims : ctx.settings.immutableSubjectClaims;
  const [, name = 'octo-repo'] = repository.split('/');
  const subjectRepository = idBased ? `${owner}@${ownerId}/${name}@${repositoryId}` : repository;
  const subject =
    typeof o.sub === 'string'
      ? o.sub
      : environment !== undefined
        ? `repo:${subjectRepository}:environment:${environment}`
        : eventName === 'pull_request'
          ? `repo:${subjectRepository}:pull_request`
          : `repo:${subjectRepository}:ref:${ref}`;
  const now = nowSeconds();
  const lifetime = typeof o.lifetime === 'number' ? o.lifetime : ctx.settings.idTokenLifetimeSeconds;
  const workflowRef = `${repository}/.github/workflows/ci.yml@${ref}`;
  const sha = 'e4f1c2b3a4d5e6f708192a3b4c5d6e7f80912a3b';
  const claims: Record<string, unknown> = {
    jti: randomUUID(),
    sub: subject,
    aud: typeof o.aud === 'string' ? o.aud : (audience ?? `https://github.com/${owner}`),
    ref,
    sha,
    repository,
    repository_owner: owner,
    repository_owner_id: ownerId,
    run_id: '6244558301',
    run_number: '42',
    run_attempt: '1',
    repository_visibility: 'private',
    repository_id: repositoryId,
    actor_id: '583231',
    actor: 'octocat',
    workflow: 'ci',
    head_ref: eventName === 'pull_request' ? 'feature' : '',
    base_ref: eventName === 'pull_request' ? 'main' : '',
    event_name: eventName,
    ref_protected: ref === 'refs/heads/main' ? 'true' : 'false',
    ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    workflow_ref: workflowRef,
    workflow_sha: sha,
    job_workflow_ref: workflowRef,
    job_workflow_sha: sha,
    runner_environment: 'github-hosted',
    ...(environment !== undefined ? { environment } : {}),
    iss: typeof o.iss === 'string' ? o.iss : ctx.oidcIssuer,
    nbf: now - 5,
    exp: now + lifetime,
    iat: now,
  };
  for (const [k, v] of Object.entries(o)) {
    if (!['lifetime', 'sub', 'aud', 'iss', 'immutable_subject_claims'].includes(k)) claims[k] = v;
  }
  return claims;
}

export function handleOidc(ctx: EmulatorContext, req: EmuRequest): Reply {
  const sub = req.path.slice('/oidc'.length);
  if (req.method === 'GET' && sub === '/.well-known/openid-configuration') {
    return json(200, {
      issuer: ctx.oidcIssuer,
      jwks_uri: `${ctx.oidcIssuer}/.well-known/jwks`,
      subject_types_supported: ['public', 'pairwise'],
      response_types_supported: ['id_token'],
      claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'ref', 'sha', 'repository', 'environment'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid'],
    });
  }
  if (req.method === 'GET' && sub === '/.well-known/jwks') {
    return json(200, { keys: [jwk(ctx.oidcKey)] });
  }
  if (req.method === 'GET' && sub === '/idtoken') {
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (!token || !sameSecret(token, ctx.oidcRequestToken)) {
      // What the Actions token service answers for a missing/wrong ACTIONS_ID_TOKEN_REQUEST_TOKEN.
      return json(401, { message: 'Unauthorized: the bearer token is not a valid ACTIONS_ID_TOKEN_REQUEST_TOKEN.' });
    }
    const audience = req.query.get('audience') ?? undefined;
    const claims = idTokenClaims(ctx, audience);
    req.principal = `github:${String(claims.sub)}`;
    const idToken = signJwt(ctx.oidcKey, claims);
    ctx.issueSecret('GitHub ID token', idToken);
    return json(200, { count: 1, value: idToken });
  }
  return json(404, { message: 'Not Found' });
}
