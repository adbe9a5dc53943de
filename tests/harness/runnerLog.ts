// A step's stdout read the way the GitHub runner reads it, written apart from the action's own
// sanitiser (shared/github/untrustedText.ts) so that one cannot hide the other's mistake:
// - lines end at `\r\n`, `\r` or `\n` (src/Runner.Sdk/ProcessInvoker.cs: StreamReader.ReadLine);
// - a line is a command when, after leading white space, it is `::name props::data`
//   (ActionCommand.TryParseV2), or when it holds `##[name props]data` anywhere (TryParse);
// - only registered names count (case-insensitive); after `stop-commands` nothing is a command until
//   the token comes back, so a later `::add-mask::` line is printed as it is, secret and all
//   (src/Runner.Worker/ActionCommandManager.cs, TryProcessCommand).

/** Commands the runner registers (its IActionCommandExtension list) besides stop-commands. */
const REGISTERED = [
  'set-env',
  'set-output',
  'save-state',
  'add-mask',
  'add-path',
  'add-matcher',
  'remove-matcher',
  'debug',
  'warning',
  'error',
  'notice',
  'group',
  'endgroup',
  'echo',
];

const ANNOTATIONS = new Set(['error', 'warning', 'notice', 'debug']);

export interface RunnerCommand {
  /** Lower-cased command name. */
  command: string;
  properties: Record<string, string>;
  data: string;
  /** The whole line it was read from. */
  line: string;
  /** `::` (TryParseV2) or `##[` (the legacy form). */
  form: '::' | '##[';
}

export interface RunnerRead {
  /**
   * The log as a reader sees it: processed add-mask lines show `***`, annotation commands are left
   * out (they are read as annotations), everything else as printed.
   */
  shown: string[];
  /** Commands the runner processed (not those ignored while stopped). */
  commands: RunnerCommand[];
  /** Lines that were commands but were printed as text because commands were stopped. */
  ignoredWhileStopped: string[];
  /** Values registered with add-mask (while commands ran). */
  masks: string[];
}

/** The runner's white space: what .NET's String.TrimStart removes (char.IsWhiteSpace). */
const DOTNET_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

export function runnerSplit(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function unescapeData(value: string): string {
  return value.replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%25/gi, '%');
}

function unescapeProperty(value: string): string {
  return unescapeData(value).replace(/%3A/gi, ':').replace(/%2C/gi, ',');
}

function parseV2(line: string, registered: Set<string>): RunnerCommand | undefined {
  const message = line.replace(DOTNET_SPACE, '');
  if (!message.startsWith('::')) return undefined;
  const end = message.indexOf('::', 2);
  if (end < 0) return undefined;
  const info = message.slice(2, end);
  const space = info.indexOf(' ');
  const name = (space < 0 ? info : info.slice(0, space)).toLowerCase();
  if (!registered.has(name)) return undefined;
  const properties: Record<string, string> = {};
  if (space > 0) {
    for (const pair of info
      .slice(space + 1)
      .trim()
      .split(',')
      .filter(Boolean)) {
      const eq = pair.indexOf('=');
      if (eq > 0 && eq < pair.length - 1) properties[pair.slice(0, eq)] = unescapeProperty(pair.slice(eq + 1));
    }
  }
  return { command: name, properties, data: unescapeData(message.slice(end + 2)), line, form: '::' };
}

function parseLegacy(line: string, registered: Set<string>): RunnerCommand | undefined {
  const prefix = line.indexOf('##[');
  if (prefix < 0) return undefined;
  const close = line.indexOf(']', prefix);
  if (close < 0) return undefined;
  const info = line.slice(prefix + 3, close);
  const space = info.indexOf(' ');
  const name = (space < 0 ? info : info.slice(0, space)).toLowerCase();
  if (!registered.has(name)) return undefined;
  const properties: Record<string, string> = {};
  if (space > 0) {
    for (const pair of info
      .slice(space + 1)
      .split(';')
      .filter(Boolean)) {
      const eq = pair.indexOf('=');
      if (eq > 0 && eq < pair.length - 1) properties[pair.slice(0, eq)] = unescapeData(pair.slice(eq + 1));
    }
  }
  return { command: name, properties, data: unescapeData(line.slice(close + 1)), line, form: '##[' };
}

/** Reads `stdout` line by line as the runner does, keeping its stop-commands state. */
export function readAsRunner(stdout: string): RunnerRead {
  const registered = new Set([...REGISTERED, 'stop-commands']);
  const read: RunnerRead = { shown: [], commands: [], ignoredWhileStopped: [], masks: [] };
  let stopToken: string | undefined;
  for (const line of runnerSplit(stdout)) {
    const command = parseV2(line, registered) ?? parseLegacy(line, registered);
    if (!command) {
      read.shown.push(line);
      continue;
    }
    if (stopToken !== undefined) {
      if (stopToken !== '' && command.command === stopToken.toLowerCase()) {
        registered.delete(stopToken.toLowerCase());
        stopToken = undefined;
        read.commands.push(command);
      } else {
        read.ignoredWhileStopped.push(line);
      }
      read.shown.push(line);
      continue;
    }
    read.commands.push(command);
    if (command.command === 'stop-commands') {
      stopToken = command.data;
      registered.add(command.data.toLowerCase());
      read.shown.push(line);
    } else if (command.command === 'add-mask') {
      if (command.data.trim() !== '') read.masks.push(command.data);
      read.shown.push('::add-mask::***');
    } else if (!ANNOTATIONS.has(command.command)) {
      // Group titles and the like are shown; annotations are read apart (runAction's `annotations`).
      read.shown.push(command.data);
    }
  }
  return read;
}
