// Types of dist-sources.mjs for the TypeScript tests that import it (the scripts are plain ESM).
// Keep in step with the functions there.

export const SOURCES_FILE: string;
export function sourcesRecord(
  fileDependencies: Iterable<string>,
  root?: string,
): { about: string; files: Record<string, string> };
export function distStaleness(dir: string, root?: string): string | undefined;
