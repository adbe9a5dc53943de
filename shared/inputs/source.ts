// Where raw input values come from: the runner's INPUT_* variables through the GitHub adapter,
// or a plain object in tests and the demo. Parsing never talks to @actions/core directly.

export interface InputSource {
  /** The raw value of an action input, '' when it is not set (as the runner passes it). */
  input(name: string): string;
  /** An environment variable: the fallbacks of DESIGN.md "Login and workspace", GITHUB_WORKSPACE... */
  env(name: string): string | undefined;
}

/** An InputSource over plain maps, for tests and for callers that already hold the values. */
export function inputsFromRecord(
  inputs: Record<string, string | undefined>,
  env: Record<string, string | undefined> = {},
): InputSource {
  return {
    input: (name) => (inputs[name] ?? '').trim(),
    env: (name) => env[name],
  };
}

/** Reads INPUT_* variables the way the runner sets them (and @actions/core reads them). */
export function inputsFromEnvironment(env: NodeJS.ProcessEnv = process.env): InputSource {
  return {
    input: (name) => (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim(),
    env: (name) => env[name],
  };
}
