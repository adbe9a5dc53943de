// Node's compile cache for the bundles: V8's compiled code of every chunk a step loads is kept under
// the job's RUNNER_TEMP, so the next step of the job that runs one of these actions (or the post
// step) skips compiling what it loads. Not the OS temp folder: on a shared self-hosted runner another
// user could plant compiled code there that the next job would run. Without RUNNER_TEMP (outside a
// runner) nothing is cached. Node 22.1+ (the runner's node24) has it; on older Node these are
// no-ops, and Node itself ignores a cache folder it cannot write.

import nodeModule from 'node:module';
import path from 'node:path';

/** The compile cache functions, in Node 22.10+ but not in the Node 20 types this project builds with. */
interface CompileCacheApi {
  enableCompileCache?: (directory?: string) => unknown;
  flushCompileCache?: () => void;
}

/** Called first in each action's index.ts: only what is imported afterwards is cached. */
export function enableCompileCache(runnerTemp = process.env.RUNNER_TEMP): void {
  const directory = compileCacheDirectory(runnerTemp);
  if (directory) (nodeModule as CompileCacheApi).enableCompileCache?.(directory);
}

/** Where the cache goes: a folder of the job's RUNNER_TEMP, or nowhere. */
export function compileCacheDirectory(runnerTemp: string | undefined): string | undefined {
  return runnerTemp ? path.join(runnerTemp, 'azureml-actions-node-compile-cache') : undefined;
}

/** Node writes the cache at a normal exit, which `process.exit()` skips: write it before. */
export function flushCompileCache(): void {
  (nodeModule as CompileCacheApi).flushCompileCache?.();
}
