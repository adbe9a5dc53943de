// Lineage tags: where a registered version came from (commit, ref, repository, workflow run, actor),
// read from the runner's GITHUB_* variables so any version can be traced back to its run.

import type { InputSource } from '../inputs/source.js';

export function lineageTags(source: InputSource, contentHash: string): Record<string, string> {
  const env = (name: string) => source.env(name)?.trim() || undefined;
  const server = env('GITHUB_SERVER_URL') ?? 'https://github.com';
  const repository = env('GITHUB_REPOSITORY');
  const runId = env('GITHUB_RUN_ID');
  const tags: Record<string, string | undefined> = {
    'github.commit': env('GITHUB_SHA'),
    'github.ref': env('GITHUB_REF'),
    'github.repository': repository,
    'github.run': repository && runId ? `${server}/${repository}/actions/runs/${runId}` : undefined,
    'github.workflow': env('GITHUB_WORKFLOW'),
    'github.actor': env('GITHUB_ACTOR'),
    'content-hash': contentHash,
  };
  return Object.fromEntries(Object.entries(tags).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
