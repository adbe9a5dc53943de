// GitHub's `${{ }}` expressions, evaluated by GitHub's own implementation (@actions/expressions):
// templates in `with:`, `env:`, `run:` and names, and `if:` conditions with the status functions
// success(), failure(), always() and cancelled().

import { data, Evaluator, Lexer, Parser } from '@actions/expressions';
import type { FunctionDefinition, FunctionInfo } from '@actions/expressions/funcs/info';
import { truthy } from '@actions/expressions/result';

/** Plain JSON contexts: github, env, vars, secrets, inputs, steps, needs, job, runner. */
export type Contexts = Record<string, unknown>;

/** What the status functions answer at this point of the job. */
export interface Status {
  /** A previous step (or a needed job) failed. */
  failed: boolean;
  cancelled?: boolean;
  /** A needed job did not succeed without failing (it was skipped): success() is false too. */
  blocked?: boolean;
}

export class ExpressionFailure extends Error {}

const STATUS_FUNCTIONS = ['success', 'failure', 'always', 'cancelled'];

function functions(status: Status): Map<string, FunctionDefinition> {
  const flag = (name: string, value: () => boolean): [string, FunctionDefinition] => [
    name,
    { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(value()) },
  ];
  return new Map([
    flag('success', () => !status.failed && !status.cancelled && !status.blocked),
    flag('failure', () => status.failed),
    flag('always', () => true),
    flag('cancelled', () => status.cancelled === true),
  ]);
}

const FUNCTION_INFO: FunctionInfo[] = STATUS_FUNCTIONS.map((name) => ({ name, minArgs: 0, maxArgs: 0 }));

/** Evaluates one expression body (what stands between `${{` and `}}`). */
export function evaluate(
  expression: string,
  contexts: Contexts,
  status: Status = { failed: false },
): data.ExpressionData {
  try {
    const lexed = new Lexer(expression).lex();
    const ast = new Parser(lexed.tokens, Object.keys(contexts), FUNCTION_INFO).parse();
    const context = JSON.parse(JSON.stringify(contexts), data.reviver) as data.Dictionary;
    return new Evaluator(ast, context, functions(status)).evaluate();
  } catch (error) {
    throw new ExpressionFailure(`in \${{ ${expression.trim()} }}: ${(error as Error).message}`);
  }
}

/** A value as it appears when substituted into a string: objects and arrays as JSON. */
export function asString(value: data.ExpressionData): string {
  if (value.kind === data.Kind.Dictionary || value.kind === data.Kind.Array)
    return JSON.stringify(value, data.replacer, 2);
  return value.coerceString();
}

/** Splits a template into literal text and expression bodies, respecting quotes inside `${{ }}`. */
export function splitTemplate(template: string): Array<{ text: string } | { expression: string }> {
  const parts: Array<{ text: string } | { expression: string }> = [];
  let i = 0;
  while (i < template.length) {
    const start = template.indexOf('${{', i);
    if (start < 0) {
      parts.push({ text: template.slice(i) });
      break;
    }
    if (start > i) parts.push({ text: template.slice(i, start) });
    let j = start + 3;
    let end = -1;
    while (j < template.length) {
      const c = template[j];
      if (c === "'") {
        j++;
        while (j < template.length) {
          if (template[j] === "'" && template[j + 1] === "'") j += 2;
          else if (template[j] === "'") break;
          else j++;
        }
        j++;
        continue;
      }
      if (c === '}' && template[j + 1] === '}') {
        end = j;
        break;
      }
      j++;
    }
    if (end < 0) throw new ExpressionFailure(`an expression is not closed with '}}': ${template.slice(start)}`);
    parts.push({ expression: template.slice(start + 3, end) });
    i = end + 2;
  }
  return parts;
}

/** Substitutes every `${{ }}` of a string. */
export function interpolate(template: string, contexts: Contexts, status?: Status): string {
  if (!template.includes('${{')) return template;
  return splitTemplate(template)
    .map((part) => ('text' in part ? part.text : asString(evaluate(part.expression, contexts, status))))
    .join('');
}

/**
 * An `if:` condition, as GitHub reads it: the whole value is an expression (with or without
 * `${{ }}`), and without a status function it means `success() && (condition)`.
 */
export function condition(text: string | undefined, contexts: Contexts, status: Status): boolean {
  let body = (text ?? '').trim();
  const whole = /^\$\{\{([\s\S]*)\}\}$/.exec(body);
  if (whole && splitTemplate(body).length === 1) body = whole[1]!.trim();
  if (body === '') body = 'success()';
  else if (!/\b(success|failure|always|cancelled)\s*\(/i.test(body)) body = `success() && (${body})`;
  return truthy(evaluate(body, contexts, status));
}
