// The endpoint key or token as the smoke test holds it: a value that refuses to be printed, plus a
// redactor that scrubs secrets from text the endpoint sent back (a server may echo the header).

import { inspect } from 'node:util';

const HIDDEN = '***';

/**
 * A secret string. `String(secret)`, template literals, `JSON.stringify` and `util.inspect` all
 * give `***`; only `reveal()` gives the value, and only the HTTP client calls it.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return HIDDEN;
  }

  toJSON(): string {
    return HIDDEN;
  }

  [inspect.custom](): string {
    return `Secret(${HIDDEN})`;
  }
}

/** Replaces every occurrence of each secret (of 4+ characters, so `***` never eats ordinary text) with `***`. */
export function redactor(secrets: readonly Secret[]): (text: string) => string {
  const values = secrets
    .map((secret) => secret.reveal())
    .filter((value) => value.length >= 4)
    .sort((a, b) => b.length - a.length);
  if (values.length === 0) return (text) => text;
  return (text) => {
    let result = text;
    for (const value of values) {
      if (result.includes(value)) result = result.split(value).join(HIDDEN);
    }
    return result;
  };
}
