// The release history of an endpoint, kept on the endpoint's own tags (DESIGN.md): the last 10
// releases (deployment, model, commit, time), newest first, so `model: previous` means "the model
// of the release before the current one" even after old deployments were deleted. One tag per
// release because Azure caps a tag value at 256 characters.

import { UserError } from '../../shared/errors.js';

export const RELEASE_TAG_PREFIX = 'azureml-actions.release.';
export const RELEASES_KEPT = 10;

export interface Release {
  deployment: string;
  /** NAME:VERSION */
  model: string;
  /** Commit (short) that released it, '' when unknown. */
  commit: string;
  /** ISO time of the release. */
  time: string;
}

// Anyone who can write the endpoint can edit its tags: a field of another shape is not a release
// of ours (and would otherwise reach the log and the model lookup as it is).
const DEPLOYMENT = /^[a-zA-Z][a-zA-Z0-9-]{0,31}$/;
const MODEL = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}:[a-zA-Z0-9_.-]{1,64}$/;
const COMMIT = /^[0-9a-fA-F]{0,40}$/;
const TIME = /^\d{4}-\d{2}-\d{2}T[0-9:.]+(Z|[+-]\d{2}:\d{2})$/;

/** Releases recorded on an endpoint's tags, newest first (unreadable or malformed tags are skipped). */
export function readReleases(tags: Record<string, string> | undefined): Release[] {
  const releases: Array<[number, Release]> = [];
  for (const [key, value] of Object.entries(tags ?? {})) {
    if (!key.startsWith(RELEASE_TAG_PREFIX)) continue;
    const index = Number(key.slice(RELEASE_TAG_PREFIX.length));
    const [deployment, model, commit, time] = value.split(';');
    if (!Number.isInteger(index) || !deployment || !model || time === undefined) continue;
    if (!DEPLOYMENT.test(deployment) || !MODEL.test(model) || !COMMIT.test(commit ?? '') || !TIME.test(time)) continue;
    releases.push([index, { deployment, model, commit: commit ?? '', time }]);
  }
  return releases.sort((a, b) => a[0] - b[0]).map(([, release]) => release);
}

/** The endpoint's tags with `release` as the newest entry, keeping RELEASES_KEPT. */
export function tagsWithRelease(tags: Record<string, string> | undefined, release: Release): Record<string, string> {
  const others = Object.fromEntries(Object.entries(tags ?? {}).filter(([key]) => !key.startsWith(RELEASE_TAG_PREFIX)));
  const kept = [release, ...readReleases(tags)].slice(0, RELEASES_KEPT);
  kept.forEach((r, index) => {
    others[`${RELEASE_TAG_PREFIX}${index}`] = [r.deployment, r.model, r.commit, r.time].join(';').slice(0, 256);
  });
  return others;
}

/**
 * The release to roll back to: the newest one before the current release whose model differs
 * from the current model (optionally only models called `name`).
 */
export function previousRelease(endpoint: string, releases: Release[], name: string | undefined): Release {
  const [current, ...older] = releases;
  if (!current) {
    throw new UserError(
      `Endpoint '${endpoint}' has no release history, so there is no previous model to go back to. action-deploy records each release on the endpoint's tags; deploy a model by version first.`,
      { input: 'model' },
    );
  }
  const nameOf = (model: string) => model.slice(0, model.lastIndexOf(':'));
  const found = older.find((r) => r.model !== current.model && (name === undefined || nameOf(r.model) === name));
  if (!found) {
    throw new UserError(
      `Endpoint '${endpoint}' has no release before the current one (${current.model})${name ? ` with a model named '${name}'` : ''} in its history of ${releases.length}: ${releases.map((r) => r.model).join(', ')}.`,
      { input: 'model' },
    );
  }
  return found;
}

/**
 * The pre-flight's warning when a pull request can change an endpoint that production releases
 * own (its release history names at least one release): the Entra app this run logged in with
 * passed the write check, so pull requests share production's role. undefined otherwise.
 */
export function pullRequestWarning(
  eventName: string | undefined,
  endpoint: string,
  tags: Record<string, string> | undefined,
): string | undefined {
  if (eventName !== 'pull_request' && eventName !== 'pull_request_target') return undefined;
  const [latest, ...older] = readReleases(tags);
  if (!latest) return undefined;
  return (
    `This ${eventName} run can write to endpoint '${endpoint}', which holds ${older.length + 1} release(s) (the latest ${latest.model}, ${latest.time}): ` +
    `the Entra app pull requests log in with has production's role, so any same-repository pull request could deploy past the production environment's reviewers. ` +
    `Give pull requests an app of their own, trusted only for the pull_request subject with a sandbox role, and keep the production app for environment:production (examples/workflows/README.md).`
  );
}
