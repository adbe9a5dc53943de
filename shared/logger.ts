// What shared/ code logs through: the GitHub adapter maps it to @actions/core, tests capture it.
// Nothing below the adapter prints directly, so every line can be masked and grouped in one place.

/** A place in a file of the repository: annotations point there (file relative to the workspace). */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  /** A warning; with `location`, an annotation on that line of the file. */
  warning(message: string, location?: SourceLocation): void;
  /** An error line (the step still fails only by throwing); with `location`, an annotation there. */
  error(message: string, location?: SourceLocation): void;
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
  warning(message: string, location?: SourceLocation): void {
    this.lines.push(`warning: ${at(location)}${message}`);
  }
  error(message: string, location?: SourceLocation): void {
    this.lines.push(`error: ${at(location)}${message}`);
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

function at(location: SourceLocation | undefined): string {
  return location ? `${location.file}:${location.line}:${location.column}: ` : '';
}
