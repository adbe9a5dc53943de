// Checks a request's tensors against what the model declares (names, element types, shapes with
// symbolic dims), producing errors that name the input and what was expected, for both contracts.

import type { Dim, ElementType, Tensor, TensorInfo } from './tensor.js';

/** A request the client must change: the HTTP status, a message, and for contract errors the input concerned. */
export class ScoringError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: {
      input?: string;
      expected?: { dtype: ElementType; shape: readonly Dim[] | null };
      received?: { dtype?: string; shape?: readonly number[] };
    } = {},
  ) {
    super(message);
  }
}

/** `[2, "batch", 64]`-style text of a declared shape. */
export function formatDeclaredShape(shape: readonly Dim[] | undefined): string {
  if (shape === undefined) return 'any shape';
  return `[${shape.map((dim) => (dim === null ? '?' : typeof dim === 'string' ? dim : String(dim))).join(', ')}]`;
}

export function formatDims(dims: readonly number[]): string {
  return `[${dims.join(', ')}]`;
}

/** "float32 [2, batch, 64]": what an input must be, for error messages. */
export function describeInput(info: TensorInfo): string {
  return `${info.type} ${formatDeclaredShape(info.shape)}`;
}

export function expectedOf(info: TensorInfo): { dtype: ElementType; shape: readonly Dim[] | null } {
  return { dtype: info.type, shape: info.shape ?? null };
}

/**
 * Checks each tensor's dims against the declared shape: same rank, fixed dims equal, and a
 * symbolic dim (`batch`) the same size in every input that names it. `Received` dims name the
 * input in the error. The caller has already matched names and element types.
 */
export function checkShapes(
  inputs: readonly TensorInfo[],
  feeds: Readonly<Record<string, Tensor>>,
  describe: (info: TensorInfo) => string = describeInput,
  scalarAdvice = 'a scalar (send a bare value, not an array)',
): void {
  const bound = new Map<string, { size: number; input: string }>();
  for (const info of inputs) {
    const tensor = feeds[info.name];
    if (tensor === undefined || info.shape === undefined) continue;
    const declared = info.shape;
    const dims = tensor.dims;
    const fail = (why: string): never => {
      throw new ScoringError(
        400,
        `Input '${info.name}' has shape ${formatDims(dims)}; the model expects ${describe(info)}: ${why}`,
        { input: info.name, expected: expectedOf(info), received: { dtype: tensor.type, shape: dims } },
      );
    };
    if (dims.length !== declared.length) {
      fail(
        declared.length === 0
          ? scalarAdvice
          : `${declared.length} dimension${declared.length === 1 ? '' : 's'}, got ${dims.length}`,
      );
    }
    for (let axis = 0; axis < declared.length; axis++) {
      const want = declared[axis];
      const got = dims[axis] as number;
      if (typeof want === 'number' && want !== got) fail(`dimension ${axis} must be ${want}, got ${got}`);
      if (typeof want === 'string') {
        const previous = bound.get(want);
        if (previous === undefined) bound.set(want, { size: got, input: info.name });
        else if (previous.size !== got) {
          fail(`dimension ${axis} (${want}) is ${got}, but input '${previous.input}' set ${want} to ${previous.size}`);
        }
      }
    }
  }
}
