// What shared/ code logs through: the GitHub adapter maps it to @actions/core, tests capture it.
// Nothing below the adapter prints directly, so every line can be masked and grouped in one place.

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  /** Runs `work` inside a collapsible log group named `name`. */
  group<T>(name: string, work: () => Promise<T>): Promise<T>;
  /** Registers a secret so it is masked in every later log line. Call it the moment a secret exists. */
  setSecret(secret: string): void;
}

/** A logger that keeps lines in memory: for unit tests and for code that must stay quiet. */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  readonly secrets: string[] = [];

  debug(message: string): void {
    this.lines.push(`debug: ${message}`);
  }
  info(message: string): void {
    this.lines.push(message);
  }
  warning(message: string): void {
    this.lines.push(`warning: ${message}`);
  }
  error(message: string): void {
    this.lines.push(`error: ${message}`);
  }
  async group<T>(name: string, work: () => Promise<T>): Promise<T> {
    this.lines.push(`group: ${name}`);
    try {
      return await work();
    } finally {
      this.lines.push(`endgroup: ${name}`);
    }
  }
  setSecret(secret: string): void {
    if (secret) this.secrets.push(secret);
  }
}
