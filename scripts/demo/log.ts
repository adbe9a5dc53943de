// The log side of the runner: masks secrets (values registered with `::add-mask::`, secrets.*,
// the token) in everything it prints, and reads the workflow commands that steps print on stdout
// the way the GitHub runner does (`::add-mask::`, `::group::`, `::error::`, `::save-state`, ...).

export class Masker {
  private readonly values = new Set<string>();

  add(value: string | undefined): void {
    if (!value) return;
    this.values.add(value);
    // A multi-line secret is also masked line by line, as the runner does (lines of 4 characters or
    // more: a lone brace of a JSON secret would mask every brace of the log).
    if (value.includes('\n'))
      for (const line of value.split(/\r?\n/)) if (line.trim().length >= 4) this.values.add(line.trim());
  }

  has(text: string): boolean {
    for (const value of this.values) if (text.includes(value)) return true;
    return false;
  }

  /** How many registered values of 8 characters or more occur in the text (a leak check). */
  findIn(text: string): number {
    return [...this.values].filter((value) => value.length >= 8 && text.includes(value)).length;
  }

  mask(text: string): string {
    if (this.values.size === 0) return text;
    let result = text;
    for (const value of [...this.values].sort((a, b) => b.length - a.length)) result = result.split(value).join('***');
    return result;
  }
}

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  message: string;
  properties: Record<string, string>;
}

/** What a step's stdout asked of the runner (besides log lines). */
export interface CommandEffects {
  annotations: Annotation[];
  /** Deprecated `::set-output` / `::save-state` forms, still honoured. */
  outputs: Record<string, string>;
  state: Record<string, string>;
}

function unescapeData(value: string): string {
  return value.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

function unescapeProperty(value: string): string {
  return unescapeData(value).replace(/%3A/g, ':').replace(/%2C/g, ',');
}

const COMMAND = /^::([a-zA-Z-]+)(?: ([^:]*))?::(.*)$/;

/**
 * Turns a step's output into log lines: one instance per step. Lines are split as they arrive,
 * workflow commands are applied, and every printed line is masked.
 */
export class StepLog {
  readonly effects: CommandEffects = { annotations: [], outputs: {}, state: {} };
  private depth = 0;
  private stopToken: string | undefined;
  private readonly pending = new Map<string, string>();

  constructor(
    private readonly masker: Masker,
    private readonly print: (line: string) => void,
    private readonly debug: boolean,
    private readonly prefix = '│ ',
  ) {}

  /** Feeds a chunk of a stream ('out' lines may carry commands; 'err' lines are only printed). */
  write(stream: 'out' | 'err', chunk: string): void {
    const text = (this.pending.get(stream) ?? '') + chunk;
    const lines = text.split('\n');
    this.pending.set(stream, lines.pop() ?? '');
    for (const line of lines) this.line(stream, line.replace(/\r$/, ''));
  }

  /** Flushes unterminated lines at the end of the step. */
  end(): void {
    for (const [stream, rest] of this.pending) if (rest) this.line(stream as 'out' | 'err', rest);
    this.pending.clear();
  }

  /** A line the runner itself prints inside the step (masked and indented like the step's own). */
  note(line: string): void {
    this.print(this.masker.mask(`${this.prefix}${'  '.repeat(this.depth)}${line}`));
  }

  private line(stream: 'out' | 'err', line: string): void {
    const command = stream === 'out' ? COMMAND.exec(line) : null;
    if (command && this.stopToken !== undefined) {
      if (command[1] === this.stopToken) this.stopToken = undefined;
      else this.note(line);
      return;
    }
    if (!command) {
      this.note(line);
      return;
    }
    const [, name = '', rawProperties = '', rawData = ''] = command;
    const value = unescapeData(rawData);
    const properties: Record<string, string> = {};
    for (const pair of rawProperties.split(',').filter(Boolean)) {
      const equals = pair.indexOf('=');
      if (equals > 0) properties[pair.slice(0, equals)] = unescapeProperty(pair.slice(equals + 1));
    }
    switch (name) {
      case 'add-mask':
        this.masker.add(value);
        return;
      case 'group':
        this.note(`▸ ${value}`);
        this.depth++;
        return;
      case 'endgroup':
        this.depth = Math.max(0, this.depth - 1);
        return;
      case 'error':
      case 'warning':
      case 'notice': {
        this.effects.annotations.push({ level: name, message: value, properties });
        const label = name === 'error' ? 'Error' : name === 'warning' ? 'Warning' : 'Notice';
        const [first = '', ...rest] = value.split('\n');
        this.note(`${label}: ${first}`);
        for (const more of rest) this.note(`${' '.repeat(label.length + 2)}${more}`);
        return;
      }
      case 'debug':
        if (this.debug) this.note(`##[debug]${value}`);
        return;
      case 'set-output':
        if (properties.name) this.effects.outputs[properties.name] = value;
        return;
      case 'save-state':
        if (properties.name) this.effects.state[properties.name] = value;
        return;
      case 'stop-commands':
        this.stopToken = value;
        return;
      case 'echo':
        return;
      default:
        this.note(line);
    }
  }
}

/** Parses GITHUB_OUTPUT / GITHUB_ENV / GITHUB_STATE files: `name=value` or `name<<DELIMITER` blocks. */
export function parseFileCommands(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heredoc = /^([^=]+?)<<(.+)$/.exec(line);
    if (heredoc && !line.slice(0, line.indexOf('<<')).includes('=')) {
      const [, name = '', delimiter = ''] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? '');
      result[name] = value.join('\n');
    } else if (line.includes('=')) {
      result[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return result;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
