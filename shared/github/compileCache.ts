// Node's compile cache for the bundles: V8's compiled code of every chunk a step loads is kept under
// the OS temp folder, so the next step of the job that runs one of these actions (or the post step)
// skips compiling what it loads. Node 22.1+ (the runner's node24) has it; on older Node these are
// no-ops, and Node itself ignores a cache folder it cannot write.

import nodeModule from 'node:module';

/** The compile cache functions, in Node 22.10+ but not in the Node 20 types this project builds with. */
interface CompileCacheApi {
  enableCompileCache?: () => unknown;
  flushCompileCache?: () => void;
}

/** Called first in each action's index.ts: only what is imported afterwards is cached. */
export function enableCompileCache(): void {
  (nodeModule as CompileCacheApi).enableCompileCache?.();
}

/** Node writes the cache at a normal exit, which `process.exit()` skips: write it before. */
export function flushCompileCache(): void {
  (nodeModule as CompileCacheApi).flushCompileCache?.();
}
