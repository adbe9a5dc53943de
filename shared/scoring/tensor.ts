// Tensors as the scoring contracts see them: element types, typed storage, and the conversions
// between JSON values (nested or flat arrays) and typed arrays, written once for both contracts.

/** Element types both ONNX Runtime backends accept from JavaScript (ONNX names, as ORT spells them). */
export type ElementType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool'
  | 'string';

/** float16 is kept as its IEEE 754 half-precision bits, bool as 0/1 bytes: what both ORT packages take. */
export type TensorValues =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | string[];

export interface Tensor {
  readonly type: ElementType;
  readonly dims: readonly number[];
  readonly data: TensorValues;
}

/** A declared dimension: a fixed size, a symbolic name shared between tensors (`batch`), or unknown. */
export type Dim = number | string | null;

/** What a model declares about one input or output. `shape` is undefined when the model declares none. */
export interface TensorInfo {
  readonly name: string;
  readonly type: ElementType;
  readonly shape: readonly Dim[] | undefined;
}

const ELEMENT_TYPES: ReadonlySet<string> = new Set<ElementType>([
  'float32',
  'float64',
  'float16',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'bool',
  'string',
]);

export function isElementType(value: string): value is ElementType {
  return ELEMENT_TYPES.has(value);
}

export function elementCount(dims: readonly number[]): number {
  let count = 1;
  for (const dim of dims) count *= dim;
  return count;
}

/** A value in a request that does not fit: `path` is the index path inside the tensor, e.g. [0, 3]. */
export class TensorValueError extends Error {
  constructor(
    message: string,
    readonly path: readonly number[] = [],
  ) {
    super(message);
  }
}

export function allocate(type: ElementType, count: number): TensorValues {
  switch (type) {
    case 'float32':
      return new Float32Array(count);
    case 'float64':
      return new Float64Array(count);
    case 'float16':
    case 'uint16':
      return new Uint16Array(count);
    case 'int8':
      return new Int8Array(count);
    case 'uint8':
    case 'bool':
      return new Uint8Array(count);
    case 'int16':
      return new Int16Array(count);
    case 'int32':
      return new Int32Array(count);
    case 'uint32':
      return new Uint32Array(count);
    case 'int64':
      return new BigInt64Array(count);
    case 'uint64':
      return new BigUint64Array(count);
    case 'string':
      return new Array<string>(count).fill('');
  }
}

const INTEGER_RANGES: Partial<Record<ElementType, readonly [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};
const INT64_RANGE = [-(2n ** 63n), 2n ** 63n - 1n] as const;
const UINT64_RANGE = [0n, 2n ** 64n - 1n] as const;

/** What one element must look like, for error messages. */
export function describeElement(type: ElementType): string {
  switch (type) {
    case 'float32':
    case 'float64':
    case 'float16':
      return `a number (${type})`;
    case 'int64':
    case 'uint64':
      return `an integer (${type}; as a JSON number, or a string of digits for values beyond 2^53)`;
    case 'bool':
      return 'true or false (bool)';
    case 'string':
      return 'a string';
    default: {
      const [low, high] = INTEGER_RANGES[type] ?? [0, 0];
      return `an integer from ${low} to ${high} (${type})`;
    }
  }
}

/**
 * Writes one JSON element into `data[index]`, or returns false when it does not fit the type
 * (the caller knows where it is and builds the message).
 */
function writeElement(type: ElementType, data: TensorValues, index: number, value: unknown): boolean {
  switch (type) {
    case 'float32':
    case 'float64':
      if (typeof value !== 'number') return false;
      (data as Float32Array)[index] = value;
      return true;
    case 'float16':
      if (typeof value !== 'number') return false;
      (data as Uint16Array)[index] = toFloat16Bits(value);
      return true;
    case 'bool':
      if (value === true || value === 1) (data as Uint8Array)[index] = 1;
      else if (value === false || value === 0) (data as Uint8Array)[index] = 0;
      else return false;
      return true;
    case 'string':
      if (typeof value !== 'string') return false;
      (data as string[])[index] = value;
      return true;
    case 'int64':
    case 'uint64': {
      let big: bigint;
      if (typeof value === 'number' && Number.isInteger(value)) big = BigInt(value);
      else if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) big = BigInt(value);
      else return false;
      const [low, high] = type === 'int64' ? INT64_RANGE : UINT64_RANGE;
      if (big < low || big > high) return false;
      (data as BigInt64Array)[index] = big;
      return true;
    }
    default: {
      const range = INTEGER_RANGES[type];
      if (typeof value !== 'number' || !Number.isInteger(value) || range === undefined) return false;
      if (value < range[0] || value > range[1]) return false;
      (data as Int32Array)[index] = value;
      return true;
    }
  }
}

/**
 * Reads a JSON value (a scalar or arrays nested to any depth) as a tensor whose shape is the
 * nesting: `[[1, 2, 3]]` has dims [1, 3], `16000` has dims []. Ragged nesting is an error.
 */
export function tensorFromNested(type: ElementType, value: unknown): Tensor {
  const dims: number[] = [];
  let probe = value;
  while (Array.isArray(probe)) {
    dims.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  const data = allocate(type, elementCount(dims));
  if (dims.length === 0) {
    if (!writeElement(type, data, 0, value)) throw elementError(type, value, []);
    return { type, dims, data };
  }
  fillFromNested(type, data, value as unknown[], dims, 0, 0, []);
  return { type, dims, data };
}

/** Fills `data` from `values` at nesting `depth`, returning the next free index. */
function fillFromNested(
  type: ElementType,
  data: TensorValues,
  values: unknown[],
  dims: readonly number[],
  depth: number,
  start: number,
  path: number[],
): number {
  const expected = dims[depth];
  if (values.length !== expected) {
    throw new TensorValueError(
      `the array at ${formatPath(path)} has ${values.length} items where its siblings have ${expected}: nested arrays must be rectangular`,
      path,
    );
  }
  let index = start;
  if (depth === dims.length - 1) {
    for (let i = 0; i < values.length; i++) {
      const element = values[i];
      if (!writeElement(type, data, index, element)) throw elementError(type, element, [...path, i]);
      index++;
    }
    return index;
  }
  for (let i = 0; i < values.length; i++) {
    const child = values[i];
    if (!Array.isArray(child)) {
      throw new TensorValueError(
        `the item at ${formatPath([...path, i])} is ${describeJson(child)} where its siblings are arrays: nested arrays must be rectangular`,
        [...path, i],
      );
    }
    path.push(i);
    index = fillFromNested(type, data, child, dims, depth + 1, index, path);
    path.pop();
  }
  return index;
}

/**
 * Reads a flat (or nested, flattened in row-major order) JSON array as a tensor of the given dims,
 * as KServe v2 sends `data`. The element count must match the dims.
 */
export function tensorFromFlat(type: ElementType, dims: readonly number[], values: unknown): Tensor {
  const count = elementCount(dims);
  const data = allocate(type, count);
  if (!Array.isArray(values)) throw new TensorValueError(`'data' must be an array, got ${describeJson(values)}`);
  let index = 0;
  const visit = (items: unknown[], path: number[]): void => {
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (Array.isArray(item)) {
        path.push(i);
        visit(item, path);
        path.pop();
        continue;
      }
      if (index >= count) {
        index++;
        continue;
      }
      if (!writeElement(type, data, index, item)) throw elementError(type, item, [...path, i]);
      index++;
    }
  };
  visit(values, []);
  if (index !== count) {
    throw new TensorValueError(`'data' has ${index} elements but shape [${dims.join(', ')}] needs ${count}`);
  }
  return { type, dims, data };
}

function elementError(type: ElementType, value: unknown, path: readonly number[]): TensorValueError {
  const where = path.length === 0 ? 'the value' : `the element at ${formatPath(path)}`;
  return new TensorValueError(`${where} is ${describeJson(value)}; expected ${describeElement(type)}`, path);
}

function formatPath(path: readonly number[]): string {
  return path.length === 0 ? 'the top level' : `[${path.join('][')}]`;
}

/** A short description of a JSON value for error messages; never the whole value. */
export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return value.length > 20 ? `a string ("${value.slice(0, 17)}...")` : `"${value}"`;
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** JSON text of the tensor's values as nested arrays (a bare scalar for dims []). */
export function nestedJson(tensor: Tensor): string {
  const { dims } = tensor;
  if (dims.length === 0) return elementsJson(tensor, 0, 1);
  if (elementCount(dims) === 0) return nestedEmpty(dims, 0);
  const parts: string[] = [];
  writeNested(tensor, 0, 0, parts);
  return parts.join('');
}

function writeNested(tensor: Tensor, depth: number, offset: number, parts: string[]): void {
  const { dims } = tensor;
  const size = dims[depth] ?? 0;
  if (depth === dims.length - 1) {
    parts.push('[', elementsJson(tensor, offset, size), ']');
    return;
  }
  let stride = 1;
  for (let d = depth + 1; d < dims.length; d++) stride *= dims[d] ?? 0;
  parts.push('[');
  for (let i = 0; i < size; i++) {
    if (i > 0) parts.push(',');
    writeNested(tensor, depth + 1, offset + i * stride, parts);
  }
  parts.push(']');
}

function nestedEmpty(dims: readonly number[], depth: number): string {
  const size = dims[depth] ?? 0;
  if (depth === dims.length - 1 || size === 0) return '[]';
  return `[${new Array<string>(size).fill(nestedEmpty(dims, depth + 1)).join(',')}]`;
}

/** JSON text of all values as one flat array (KServe v2 `data`, row-major). */
export function flatJson(tensor: Tensor): string {
  return `[${elementsJson(tensor, 0, elementCount(tensor.dims))}]`;
}

/**
 * Comma-separated JSON for `count` elements from `offset`. Typed arrays' own `join` writes the
 * same digits as JSON.stringify (and whole bigints), without building an array of numbers first;
 * non-finite floats, which JSON cannot carry, become null as JSON.stringify would make them.
 */
function elementsJson(tensor: Tensor, offset: number, count: number): string {
  const { type, data } = tensor;
  switch (type) {
    case 'string':
      return (data as string[])
        .slice(offset, offset + count)
        .map((text) => JSON.stringify(text))
        .join(',');
    case 'bool': {
      const bytes = data as Uint8Array;
      const words: string[] = new Array<string>(count);
      for (let i = 0; i < count; i++) words[i] = bytes[offset + i] ? 'true' : 'false';
      return words.join(',');
    }
    case 'float16': {
      const bits = data as Uint16Array;
      const values = new Float64Array(count);
      for (let i = 0; i < count; i++) values[i] = fromFloat16Bits(bits[offset + i] ?? 0);
      return finiteJoin(values);
    }
    case 'float32':
    case 'float64':
      return finiteJoin((data as Float32Array).subarray(offset, offset + count));
    default:
      return (data as Int32Array).subarray(offset, offset + count).join(',');
  }
}

function finiteJoin(values: Float32Array | Float64Array): string {
  // x - x is NaN exactly for NaN and +-Infinity: one pass over the numbers, cheaper than
  // scanning the joined text for "NaN"/"Infinity".
  let finite = true;
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as number;
    if (value - value !== 0) {
      finite = false;
      break;
    }
  }
  if (finite) return values.join(',');
  return Array.from(values, (value) => (Number.isFinite(value) ? String(value) : 'null')).join(',');
}

/** The values of a tensor as plain JS numbers/strings/booleans (bigint kept for 64-bit integers). */
export function tensorValues(tensor: Tensor): (number | bigint | string | boolean)[] {
  const { type, data } = tensor;
  if (type === 'bool') return Array.from(data as Uint8Array, (byte) => byte !== 0);
  if (type === 'float16') return Array.from(data as Uint16Array, fromFloat16Bits);
  return Array.from(data as ArrayLike<number | bigint | string>);
}

const float32Scratch = new Float32Array(1);
const uint32Scratch = new Uint32Array(float32Scratch.buffer);

/** IEEE 754 binary16 bits of a number, rounded to nearest even (as numpy's astype(float16)). */
export function toFloat16Bits(value: number): number {
  float32Scratch[0] = value;
  const bits = uint32Scratch[0] ?? 0;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - halfExponent;
    let half = mantissa >>> shift;
    const remainder = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (remainder > halfway || (remainder === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  if (remainder > 0x1000 || (remainder === 0x1000 && half & 1)) half++;
  return sign | half;
}

export function fromFloat16Bits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
