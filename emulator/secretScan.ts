// Finds the credentials an emulator issued (admin `GET /secrets`) in text that a workflow's readers
// could see: each one as is, JSON-escaped, URL- and form-encoded, and inside base64 or base64url at
// any byte alignment (e.g. `Basic base64(id:secret)`), plus anything shaped like a JWT or a SAS
// signature, which catches credentials the emulator cannot list (a SAS signed on the runner).
// Hits name the kind, the form and where, never the secret. Used by tests/harness and the demo.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface KnownSecret {
  /** The emulator's number for it (admin `GET /secrets`), shown in hits instead of the value. */
  id?: number;
  kind: string;
  value: string;
}

export interface SecretHit {
  /** What leaked, e.g. `endpoint key #12` or `a JWT-shaped string`: never the value itself. */
  secret: string;
  /** How it was written: `as is`, `base64`, `URL-encoded`, ... */
  form: string;
  /** The part of the run it was found in (`log`, `output key`, `file report.json`...), with the line. */
  where: string;
}

/** Shorter values are not scanned: they would match ordinary text (the emulator's secrets are 16+ characters). */
export const MIN_SECRET_LENGTH = 8;
const PREFIX = MIN_SECRET_LENGTH;

const JWT_SHAPE = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/g;
const SAS_SIGNATURE = /[?&]sig=[\w%+/=-]{16,}/g;

interface Needle {
  text: string;
  secret: string;
  form: string;
}

/** The characters of base64(prefix of `offset` bytes + value) that depend only on the value's bytes. */
function base64Core(value: Buffer, offset: number): string {
  const encoded = Buffer.concat([Buffer.alloc(offset), value]).toString('base64');
  return encoded.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + value.length)) / 6));
}

/** Every way the value may be written in a log, a file or a URL: [form, text] pairs, each text once. */
export function encodedForms(value: string): Array<[string, string]> {
  const forms: Array<[string, string]> = [['as is', value]];
  const add = (form: string, text: string): void => {
    if (text.length >= MIN_SECRET_LENGTH && !forms.some(([, known]) => known === text)) forms.push([form, text]);
  };
  add('JSON-escaped', JSON.stringify(value).slice(1, -1));
  add('URL-encoded', encodeURIComponent(value));
  add('form-encoded', new URLSearchParams({ v: value }).toString().slice(2));
  const bytes = Buffer.from(value, 'utf8');
  for (const offset of [0, 1, 2]) {
    const core = base64Core(bytes, offset);
    add('base64', core);
    add('base64url', core.replace(/\+/g, '-').replace(/\//g, '_'));
    // A base64 string in a URL (a signature in a query string) is URL-encoded once more.
    add('base64, URL-encoded', encodeURIComponent(core));
  }
  return forms;
}

export class SecretScanner {
  private readonly needles = new Map<string, Needle[]>();
  private readonly seen = new Set<string>();

  /** `shapes: false` leaves the JWT and SAS shapes to another scanner of the same text. */
  constructor(
    secrets: Iterable<KnownSecret> = [],
    private readonly options: { shapes?: boolean } = {},
  ) {
    this.add(secrets);
  }

  /** How many distinct secrets the scanner looks for. */
  get size(): number {
    return this.seen.size;
  }

  /** Looks for these too (a long-lived scanner grows as its emulator issues more). */
  add(secrets: Iterable<KnownSecret>): void {
    for (const { id, kind, value } of secrets) {
      if (value.length < MIN_SECRET_LENGTH || this.seen.has(value)) continue;
      this.seen.add(value);
      const secret = id === undefined ? kind : `${kind} #${id}`;
      for (const [form, text] of encodedForms(value)) {
        const key = text.slice(0, PREFIX);
        const list = this.needles.get(key) ?? [];
        list.push({ text, secret, form });
        this.needles.set(key, list);
      }
    }
  }

  /** The secrets (and JWT or SAS-signature shapes) in `text`; `where` names the part of the run it is. */
  find(where: string, text: string): SecretHit[] {
    const hits: SecretHit[] = [];
    const at = (index: number): string => `${where}, line ${text.slice(0, index).split('\n').length}`;
    const known = new Set<number>();
    for (let i = 0; i + PREFIX <= text.length; i++) {
      const candidates = this.needles.get(text.slice(i, i + PREFIX));
      if (!candidates) continue;
      for (const needle of candidates) {
        if (!text.startsWith(needle.text, i)) continue;
        hits.push({ secret: needle.secret, form: needle.form, where: at(i) });
        known.add(i);
      }
    }
    if (this.options.shapes === false) return hits;
    for (const match of text.matchAll(JWT_SHAPE)) {
      // An issued JWT found above is reported once, by its kind.
      if (!known.has(match.index)) hits.push({ secret: 'a JWT-shaped string', form: 'as is', where: at(match.index) });
    }
    for (const match of text.matchAll(SAS_SIGNATURE))
      hits.push({ secret: 'a SAS signature (sig=)', form: 'as is', where: at(match.index) });
    return hits;
  }
}

/** One line per hit, for an error message: kind, form and place, never the value. */
export function describeHits(hits: readonly SecretHit[]): string {
  return hits.map((hit) => `- ${hit.secret} (${hit.form}) in ${hit.where}`).join('\n');
}

// ---------------------------------------------------------------------------------------------
// What to scan of a run.
// ---------------------------------------------------------------------------------------------

export interface ScanPart {
  where: string;
  text: string;
}

/** Files bigger than this are not read (models and datasets; what an action writes about itself is small). */
const MAX_FILE_BYTES = 8 * 1024 * 1024;

/** Files under `dir` changed since `sinceMs` (not node_modules or .git), as scan parts named by their path under `dir`. */
export function changedFiles(dir: string, sinceMs: number, label: string, skip: ReadonlySet<string>): ScanPart[] {
  const parts: ScanPart[] = [];
  const walk = (folder: string): void => {
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return; // removed while we looked (a concurrent run's temp folder)
    }
    for (const entry of entries) {
      const file = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== '.git') walk(file);
      } else if (entry.isFile() && !skip.has(file)) {
        try {
          const stat = statSync(file);
          if (stat.mtimeMs < sinceMs || stat.size > MAX_FILE_BYTES) continue;
          parts.push({ where: `${label} ${path.relative(dir, file)}`, text: readFileSync(file, 'latin1') });
        } catch {
          // removed while we looked
        }
      }
    }
  };
  walk(dir);
  return parts;
}
