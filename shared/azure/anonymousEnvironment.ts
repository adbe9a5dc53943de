// An environment written inline in a job or component file (`environment: {image, conda_file}`)
// becomes an anonymous environment version named by its content, exactly as azure-ai-ml names it,
// so the same definition is registered (and built) once, by us or by az ml, and a change is a new one.
import { createHash } from 'node:crypto';

/** azure-ai-ml's name for every anonymous environment (constants/_common.py ANONYMOUS_ENV_NAME). */
export const ANONYMOUS_ENVIRONMENT_NAME = 'CliV2AnonymousEnvironment';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
/** Python's `separator.join(text)`: the characters of `text` with `separator` between them. */
const pythonJoin = (separator: string, text: string): string => [...text].join(separator);

export interface AnonymousEnvironmentContent {
  image?: string | undefined;
  /** The conda file as azure-ai-ml sends it: pyYamlDump of the loaded file (what `condaFile` carries). */
  condaFile?: string | undefined;
  /** A deployment environment's inference_config, as loaded. */
  inferenceConfig?: unknown;
  /** azure-ai-ml's object hash of a local build context folder (shared/upload azureAiMlObjectHash). */
  buildContextHash?: string | undefined;
  dockerfilePath?: string | undefined;
}

/**
 * The version azure-ai-ml 1.35 gives an anonymous environment (entities/_assets/environment.py,
 * `_generate_anonymous_name_version`), its quirk included: each part is folded in with Python's
 * `str.join`, so the earlier hash separates the characters of the next one.
 */
export function anonymousEnvironmentVersion(env: AnonymousEnvironmentContent): string {
  let hash = '';
  if (env.buildContextHash !== undefined) {
    hash = pythonJoin(hash, sha256(env.buildContextHash));
    if (env.dockerfilePath) hash = pythonJoin(hash, sha256(env.dockerfilePath));
  } else if (env.image) {
    hash = pythonJoin(hash, sha256(env.image));
    if (env.inferenceConfig) hash = pythonJoin(hash, sha256(pyYamlDump(env.inferenceConfig)));
    if (env.condaFile) hash = pythonJoin(hash, sha256(env.condaFile));
  }
  return sha256(hash);
}

// ---- PyYAML's yaml.dump(data, sort_keys=True) for plain data (what azure-ai-ml sends as condaFile) ----

const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const INT =
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const NULL = /^(?:~|null|Null|NULL|)$/;
const TIMESTAMP =
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/;

/** A string PyYAML's resolver would read back as something else, so it must be quoted. */
function resolvesToNonString(text: string): boolean {
  return (
    BOOL.test(text) ||
    INT.test(text) ||
    FLOAT.test(text) ||
    NULL.test(text) ||
    TIMESTAMP.test(text) ||
    text === '<<' ||
    text === '='
  );
}

/** PyYAML's Emitter.analyze_scalar, for block context: may it be plain, single-quoted? */
function analyzeScalar(text: string): { plain: boolean; singleQuoted: boolean } {
  if (text === '') return { plain: false, singleQuoted: true };
  let blockIndicators = false;
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false;
  let trailingSpace = false;
  let spaceBreak = false;
  if (text.startsWith('---') || text.startsWith('...')) blockIndicators = true;
  const chars = [...text];
  let precededByWhitespace = true;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    const next = chars[i + 1];
    const followedByWhitespace = next === undefined || ' \t\r\n\x85\u2028\u2029\0'.includes(next);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true;
      if ('?:'.includes(ch) && followedByWhitespace) blockIndicators = true;
      if (ch === '-' && followedByWhitespace) blockIndicators = true;
    } else {
      if (ch === ':' && followedByWhitespace) blockIndicators = true;
      if (ch === '#' && precededByWhitespace) blockIndicators = true;
    }
    if ('\n\x85\u2028\u2029'.includes(ch)) lineBreaks = true;
    const code = ch.codePointAt(0)!;
    // allow_unicode=False: only printable ASCII (and newline) stays as it is.
    if (!(ch === '\n' || (code >= 0x20 && code <= 0x7e))) special = true;
    if (ch === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
    }
    if ('\n\x85\u2028\u2029'.includes(ch) && chars[i - 1] === ' ') spaceBreak = true;
    precededByWhitespace = ' \t\r\n\x85\u2028\u2029\0'.includes(ch);
  }
  const plain = !(leadingSpace || trailingSpace || spaceBreak || special || lineBreaks || blockIndicators);
  const singleQuoted = !(special || spaceBreak);
  return { plain, singleQuoted };
}

const ESCAPES: Record<string, string> = {
  '\0': '0',
  '\x07': 'a',
  '\b': 'b',
  '\t': 't',
  '\n': 'n',
  '\x0B': 'v',
  '\f': 'f',
  '\r': 'r',
  '\x1B': 'e',
  '"': '"',
  '\\': '\\',
  '\x85': 'N',
  '\xA0': '_',
  '\u2028': 'L',
  '\u2029': 'P',
};

function doubleQuoted(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ESCAPES[ch] !== undefined) out += `\\${ESCAPES[ch]}`;
    else if (code >= 0x20 && code <= 0x7e) out += ch;
    else if (code <= 0xff) out += `\\x${code.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (code <= 0xffff) out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += `\\U${code.toString(16).toUpperCase().padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** PyYAML's write_plain: a space past column 80 becomes a line break at the scalar's indentation. */
function foldedPlain(text: string, column: number, indent: number): string {
  let out = '';
  let col = column;
  const words = text.split(' ');
  words.forEach((word, i) => {
    if (i > 0) {
      // A run of spaces is written as is; a single space may break the line.
      if (word !== '' && words[i - 1] !== '' && col > 80) {
        out += `\n${' '.repeat(indent)}`;
        col = indent;
      } else {
        out += ' ';
        col += 1;
      }
    }
    out += word;
    col += word.length;
  });
  return out;
}

function scalar(value: unknown, column: number, indent: number): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return '.nan';
    if (!Number.isFinite(value)) return value > 0 ? '.inf' : '-.inf';
    return String(value);
  }
  const text = String(value);
  const { plain, singleQuoted } = analyzeScalar(text);
  if (plain && !resolvesToNonString(text)) return foldedPlain(text, column, indent);
  if (singleQuoted && !/[\n\x85\u2028\u2029]/.test(text)) return `'${text.replace(/'/g, "''")}'`;
  return doubleQuoted(text);
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function block(value: unknown, indent: number, lines: string[], prefix: string): void {
  // `prefix` is what precedes the value on its line ('key: ', '- ', or '' at the top).
  if (isMap(value) && Object.keys(value).length > 0) {
    const keys = Object.keys(value).sort();
    keys.forEach((key, i) => {
      const head = i === 0 ? prefix : ' '.repeat(indent);
      const k = scalar(key, head.length, indent);
      const v = value[key];
      if (isMap(v) && Object.keys(v).length > 0) {
        lines.push(`${head}${k}:`);
        block(v, indent + 2, lines, ' '.repeat(indent + 2));
      } else if (Array.isArray(v) && v.length > 0) {
        // PyYAML writes a sequence inside a mapping without indenting its dashes.
        lines.push(`${head}${k}:`);
        block(v, indent, lines, ' '.repeat(indent));
      } else {
        const start = `${head}${k}: `;
        lines.push(`${start}${flowOrScalar(v, start.length, indent + 2)}`);
      }
    });
  } else if (Array.isArray(value) && value.length > 0) {
    value.forEach((item, i) => {
      const head = `${i === 0 ? prefix : ' '.repeat(indent)}- `;
      if ((isMap(item) && Object.keys(item).length > 0) || (Array.isArray(item) && item.length > 0)) {
        block(item, indent + 2, lines, head);
      } else lines.push(`${head}${flowOrScalar(item, head.length, indent + 2)}`);
    });
  } else lines.push(`${prefix}${flowOrScalar(value, prefix.length, indent)}`);
}

function flowOrScalar(value: unknown, column: number, indent: number): string {
  if (isMap(value)) return '{}';
  if (Array.isArray(value)) return '[]';
  return scalar(value, column, indent);
}

/**
 * `yaml.dump(value, sort_keys=True)` of PyYAML 6 for the plain data of conda files: block style,
 * sorted keys, unindented sequences in mappings, PyYAML's quoting and its folding at 80 columns.
 * Two known differences, absent from every sample file: a float written with a trailing `.0` reads
 * back as an integer here, and a multi-line string is double-quoted here where PyYAML folds it in
 * single quotes. Either only gives the environment another (still content-named) version.
 */
export function pyYamlDump(value: unknown): string {
  const lines: string[] = [];
  block(value, 0, lines, '');
  // A top-level scalar ends with PyYAML's document end marker.
  if (!isMap(value) && !Array.isArray(value)) return `${lines.join('\n')}\n...\n`;
  return `${lines.join('\n')}\n`;
}
