// Starts tests/support/scoringServer.ts in a child process and returns its URL and a stop function.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../harness/runAction.js';

export interface ChildScoringServer {
  scoringUri: string;
  stop(): Promise<void>;
}

export async function startChildScoringServer(modelPath: string, key: string): Promise<ChildScoringServer> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(REPO_ROOT, 'tests', 'support', 'scoringServer.ts'), modelPath, key],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const firstLine = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`scoring server exited with ${code}`)));
  });
  const { scoringUri } = JSON.parse(firstLine) as { scoringUri: string };
  return {
    scoringUri,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
