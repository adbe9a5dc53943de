// The release history action-deploy keeps on an endpoint's tags: newest first, at most 10, other
// tags untouched, and `model: previous` finding the release before the current one.

import { describe, expect, it } from '@jest/globals';
import {
  previousRelease,
  pullRequestWarning,
  readReleases,
  RELEASES_KEPT,
  tagsWithRelease,
  type Release,
} from '../../action-deploy/src/releases.js';

const release = (n: number, model = `vad:${n}`): Release => ({
  deployment: `vad-v${n}`,
  model,
  commit: `c${n}`,
  time: `2026-11-${String(n).padStart(2, '0')}T00:00:00.000Z`,
});

describe('release history', () => {
  it('records releases newest first, keeps the last 10 and leaves other tags alone', () => {
    let tags: Record<string, string> = { owner: 'ml-team' };
    for (let n = 1; n <= 12; n++) tags = tagsWithRelease(tags, release(n));
    const releases = readReleases(tags);
    expect(releases).toHaveLength(RELEASES_KEPT);
    expect(releases[0]).toEqual(release(12));
    expect(releases.at(-1)).toEqual(release(3));
    expect(tags.owner).toBe('ml-team');
    expect(Object.values(tags).every((v) => v.length <= 256)).toBe(true);
  });

  it('skips tags it cannot read', () => {
    expect(readReleases({ 'azureml-actions.release.0': 'garbage', 'azureml-actions.release.x': 'a;b:1;c;t' })).toEqual(
      [],
    );
  });

  it('skips releases whose fields are not of our shape (anyone who can write the endpoint edits its tags)', () => {
    const good = 'vad-v1;vad:1;abc123;2026-11-01T00:00:00.000Z';
    const tags = {
      'azureml-actions.release.0': good,
      'azureml-actions.release.1': 'vad-v2;vad:2\r::set-output name=pwned::1;abc;2026-11-02T00:00:00.000Z',
      'azureml-actions.release.2': 'vad-v3;vad:3 ##[error]INJECTED;abc;2026-11-03T00:00:00.000Z',
      'azureml-actions.release.3': 'vad v4;vad:4;abc;2026-11-04T00:00:00.000Z',
      'azureml-actions.release.4': 'vad-v5;vad:5;::add-mask::x;2026-11-05T00:00:00.000Z',
      'azureml-actions.release.5': 'vad-v6;vad:6;abc;2026-11-06 <img src=x>',
    };
    expect(readReleases(tags)).toEqual([
      { deployment: 'vad-v1', model: 'vad:1', commit: 'abc123', time: '2026-11-01T00:00:00.000Z' },
    ]);
  });

  it('finds the release before the current one, skipping re-releases of the current model', () => {
    const releases = [release(3), release(9, 'vad:3'), release(2), release(1, 'other:1')];
    expect(previousRelease('ep', releases, undefined)).toEqual(release(2));
    expect(previousRelease('ep', releases, 'other')).toEqual(release(1, 'other:1'));
    expect(() => previousRelease('ep', [], undefined)).toThrow("Endpoint 'ep' has no release history");
    expect(() => previousRelease('ep', [release(1)], undefined)).toThrow('no release before the current one (vad:1)');
  });

  it.each([
    ['a pull request, an endpoint with releases', 'pull_request', true, true],
    ['pull_request_target too', 'pull_request_target', true, true],
    ['a push to main', 'push', true, false],
    ['a pull request, a new endpoint (no releases: a sandbox)', 'pull_request', false, false],
    ['no event (outside a runner)', undefined, true, false],
  ])(
    'warns when a pull request can write to an endpoint production releases own: %s',
    (_name, event, withReleases, warns) => {
      const tags = withReleases ? tagsWithRelease({}, release(3)) : { owner: 'ml-team' };
      const warning = pullRequestWarning(event, 'vad-prod', tags);
      if (!warns) expect(warning).toBeUndefined();
      else
        expect(warning).toMatch(
          new RegExp(
            `^This ${event} run can write to endpoint 'vad-prod', which holds 1 release\\(s\\) \\(the latest vad:3, .*Give pull requests an app of their own`,
          ),
        );
    },
  );
});
