// What pip could not install, read from its error output: used where a Python environment is built
// (scripts/python-env.ts for the tests, environment.ts for scoring servers).

/** The package pip names in its error, and pip's own last error line. */
export function pipFailure(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim());
  const named =
    /(?:satisfies the requirement|No matching distribution found for) ([A-Za-z0-9_.-]+(?:[=<>!~]=?[^\s)]+)?)/.exec(
      stderr,
    )?.[1];
  const hash = /^\s*([A-Za-z0-9_.-]+==\S+) from https?:\S+?:?$/m.exec(stderr)?.[1];
  const last = lines.filter((l) => l.startsWith('ERROR:')).at(-1) ?? lines.filter(Boolean).at(-1) ?? '';
  const pkg = named ?? hash;
  const said = last.replace(/^ERROR:\s*/, '');
  return pkg && !said.includes(pkg) ? `${pkg}: ${said}` : said;
}
