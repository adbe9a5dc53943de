// The release history action-deploy keeps on an endpoint's tags: newest first, at most 10, other
// tags untouched, and `model: previous` finding the release before the current one.

import { describe, expect, it } from '@jest/globals';
import {
  previousRelease,
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

  it('finds the release before the current one, skipping re-releases of the current model', () => {
    const releases = [release(3), release(9, 'vad:3'), release(2), release(1, 'other:1')];
    expect(previousRelease('ep', releases, undefined)).toEqual(release(2));
    expect(previousRelease('ep', releases, 'other')).toEqual(release(1, 'other:1'));
    expect(() => previousRelease('ep', [], undefined)).toThrow("Endpoint 'ep' has no release history");
    expect(() => previousRelease('ep', [release(1)], undefined)).toThrow('no release before the current one (vad:1)');
  });
});
