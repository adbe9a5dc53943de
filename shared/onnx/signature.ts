// Reads an ONNX model's graph inputs and outputs (names, element types, shapes) straight from its
// protobuf, so action-register can record a model's signature without shipping a 14 MB inference
// runtime. tests/unit/onnxSignature.test.ts checks the result against onnxruntime's own metadata.

import type { Dim, TensorInfo } from '../scoring/index.js';

/** onnx.TensorProto.DataType → onnxruntime's type names. */
const ELEMENT_TYPES: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
};

export interface OnnxSignature {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

interface Field {
  number: number;
  wireType: number;
  /** varint value (wire type 0). */
  value?: bigint;
  /** bytes of a length-delimited field (wire type 2). */
  bytes?: Uint8Array;
}

/** The fields of one protobuf message, in order (unknown wire types end the scan with an error). */
function* fields(buffer: Uint8Array): Generator<Field> {
  let offset = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (offset >= buffer.length) throw new Error('truncated varint');
      const byte = buffer[offset++] ?? 0;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new Error('varint too long');
    }
  };
  while (offset < buffer.length) {
    const key = varint();
    const number = Number(key >> 3n);
    const wireType = Number(key & 7n);
    switch (wireType) {
      case 0:
        yield { number, wireType, value: varint() };
        break;
      case 1:
        offset += 8;
        yield { number, wireType };
        break;
      case 2: {
        const length = Number(varint());
        if (offset + length > buffer.length) throw new Error('truncated field');
        yield { number, wireType, bytes: buffer.subarray(offset, offset + length) };
        offset += length;
        break;
      }
      case 5:
        offset += 4;
        yield { number, wireType };
        break;
      default:
        throw new Error(`unsupported protobuf wire type ${wireType}`);
    }
  }
}

const text = new TextDecoder();

function valueInfo(bytes: Uint8Array): TensorInfo | undefined {
  let name = '';
  let type = 'unknown';
  let shape: Dim[] | undefined;
  for (const f of fields(bytes)) {
    if (f.number === 1 && f.bytes) name = text.decode(f.bytes);
    if (f.number === 2 && f.bytes) {
      // TypeProto.tensor_type (1): elem_type (1), shape (2) → dim (1): dim_value (1) | dim_param (2)
      for (const t of fields(f.bytes)) {
        if (t.number !== 1 || !t.bytes) continue;
        for (const tensor of fields(t.bytes)) {
          if (tensor.number === 1 && tensor.value !== undefined)
            type = ELEMENT_TYPES[Number(tensor.value)] ?? `onnx-type-${tensor.value}`;
          if (tensor.number === 2 && tensor.bytes) {
            shape = [];
            for (const dim of fields(tensor.bytes)) {
              if (dim.number !== 1 || !dim.bytes) continue;
              let value: Dim = null;
              for (const d of fields(dim.bytes)) {
                if (d.number === 1 && d.value !== undefined) value = Number(d.value);
                if (d.number === 2 && d.bytes) value = text.decode(d.bytes);
              }
              shape.push(value);
            }
          }
        }
      }
    }
  }
  return name ? ({ name, type, shape } as TensorInfo) : undefined;
}

/** The graph's inputs (initializers excluded, as onnxruntime reports them) and outputs. */
export function readOnnxSignature(model: Uint8Array): OnnxSignature {
  const inputs: TensorInfo[] = [];
  const outputs: TensorInfo[] = [];
  const initializers = new Set<string>();
  let sawGraph = false;
  for (const f of fields(model)) {
    if (f.number !== 7 || !f.bytes) continue; // ModelProto.graph
    sawGraph = true;
    for (const g of fields(f.bytes)) {
      if (!g.bytes) continue;
      if (g.number === 11) pushInfo(inputs, g.bytes);
      else if (g.number === 12) pushInfo(outputs, g.bytes);
      else if (g.number === 5) {
        for (const t of fields(g.bytes)) if (t.number === 8 && t.bytes) initializers.add(text.decode(t.bytes)); // TensorProto.name
      }
    }
  }
  if (!sawGraph) throw new Error('no ONNX graph found (is this an ONNX model?)');
  return { inputs: inputs.filter((i) => !initializers.has(i.name)), outputs };
}

function pushInfo(list: TensorInfo[], bytes: Uint8Array) {
  const info = valueInfo(bytes);
  if (info) list.push(info);
}
