// The KServe v2 (Open Inference Protocol) / Triton HTTP contract that Azure ML speaks for no-code
// triton_model deployments: infer, model metadata and readiness, JSON tensors (no binary extension).

import type { InferenceModel } from './inference.js';
import { runModel } from './json-contract.js';
import type { Dim, ElementType, Tensor, TensorInfo } from './tensor.js';
import { describeJson, flatJson, tensorFromFlat, TensorValueError } from './tensor.js';
import { checkShapes, formatDims, ScoringError } from './validate.js';

/** KServe v2 datatypes, by ONNX element type. BF16 has no ONNX Runtime JS type and is refused. */
const DATATYPE_OF: Record<ElementType, string> = {
  bool: 'BOOL',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  float16: 'FP16',
  float32: 'FP32',
  float64: 'FP64',
  string: 'BYTES',
};

export function kserveDatatype(type: ElementType): string {
  return DATATYPE_OF[type];
}

export interface KServeModelIdentity {
  /** The model's name in the URL (`/v2/models/{name}`): the Triton repository folder name. */
  readonly name: string;
  /** The version folder, "1" in a typical repository. */
  readonly version: string;
}

/** KServe shapes: fixed sizes, -1 for a dynamic dimension. */
function kserveShape(shape: readonly Dim[] | undefined): number[] {
  return (shape ?? []).map((dim) => (typeof dim === 'number' ? dim : -1));
}

function describeKServeInput(info: TensorInfo): string {
  return `${kserveDatatype(info.type)} [${kserveShape(info.shape).join(', ')}]`;
}

/** `GET /v2/models/{name}`: the model metadata response. */
export function kserveModelMetadata(model: InferenceModel, identity: KServeModelIdentity): string {
  const describe = (info: TensorInfo) => ({
    name: info.name,
    datatype: kserveDatatype(info.type),
    shape: kserveShape(info.shape),
  });
  return JSON.stringify({
    name: identity.name,
    versions: [identity.version],
    platform: 'onnxruntime_onnx',
    inputs: model.inputs.map(describe),
    outputs: model.outputs.map(describe),
  });
}

interface RequestedOutput {
  name: string;
}

/** Validates a parsed infer request body and turns it into the model's feeds and requested outputs. */
export function kserveFeeds(
  model: InferenceModel,
  identity: KServeModelIdentity,
  body: unknown,
): { feeds: Record<string, Tensor>; outputNames: string[]; id: string | undefined } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ScoringError(
      400,
      `The request body is ${describeJson(body)}; expected {"inputs": [{"name", "shape", "datatype", "data"}, ...]}`,
    );
  }
  const request = body as { id?: unknown; inputs?: unknown; outputs?: unknown; parameters?: unknown };
  if (request.id !== undefined && typeof request.id !== 'string') {
    throw new ScoringError(400, `'id' must be a string, got ${describeJson(request.id)}`);
  }
  refuseBinaryData(request.parameters, 'the request');
  if (!Array.isArray(request.inputs) || request.inputs.length === 0) {
    throw new ScoringError(
      400,
      `'inputs' must be a non-empty array of {"name", "shape", "datatype", "data"}; got ${request.inputs === undefined ? 'nothing' : describeJson(request.inputs)}`,
    );
  }
  const infoByName = new Map(model.inputs.map((info) => [info.name, info]));
  const feeds: Record<string, Tensor> = {};
  for (const [index, entry] of (request.inputs as unknown[]).entries()) {
    const tensor = readInput(entry, index, infoByName, identity);
    if (feeds[tensor.name] !== undefined) {
      throw new ScoringError(400, `Input '${tensor.name}' is given more than once`, { input: tensor.name });
    }
    feeds[tensor.name] = tensor.tensor;
  }
  const missing = model.inputs.filter((info) => feeds[info.name] === undefined);
  if (missing.length > 0) {
    throw new ScoringError(
      400,
      `expected ${model.inputs.length} inputs but got ${Object.keys(feeds).length} inputs for model '${identity.name}'; missing ${missing.map((info) => `'${info.name}' (${describeKServeInput(info)})`).join(', ')}`,
      { input: missing[0]?.name },
    );
  }
  checkShapes(model.inputs, feeds, describeKServeInput, 'a scalar (shape [] or [1], with one datum)');
  const outputNames = readRequestedOutputs(model, identity, request.outputs);
  return { feeds, outputNames, id: request.id as string | undefined };
}

function readInput(
  entry: unknown,
  index: number,
  infoByName: ReadonlyMap<string, TensorInfo>,
  identity: KServeModelIdentity,
): { name: string; tensor: Tensor } {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw new ScoringError(
      400,
      `inputs[${index}] is ${describeJson(entry)}; expected {"name", "shape", "datatype", "data"}`,
    );
  }
  const { name, shape, datatype, data, parameters } = entry as Record<string, unknown>;
  if (typeof name !== 'string') throw new ScoringError(400, `inputs[${index}].name must be a string`);
  const info = infoByName.get(name);
  if (info === undefined) {
    throw new ScoringError(
      400,
      `unexpected inference input '${name}' for model '${identity.name}'; its inputs are ${[...infoByName.values()].map((known) => `'${known.name}' (${describeKServeInput(known)})`).join(', ')}`,
      { input: name },
    );
  }
  const expected = { dtype: info.type, shape: info.shape ?? null };
  if (!Array.isArray(shape) || !shape.every((dim) => Number.isInteger(dim) && (dim as number) >= 0)) {
    throw new ScoringError(
      400,
      `Input '${name}': 'shape' must be an array of non-negative integers (the model expects ${describeKServeInput(info)})`,
      { input: name, expected },
    );
  }
  const dims = shape as number[];
  if (datatype !== kserveDatatype(info.type)) {
    throw new ScoringError(
      400,
      `Input '${name}' has datatype ${typeof datatype === 'string' ? datatype : describeJson(datatype)}; the model expects ${describeKServeInput(info)}`,
      { input: name, expected, received: { dtype: typeof datatype === 'string' ? datatype : undefined, shape: dims } },
    );
  }
  refuseBinaryData(parameters, `input '${name}'`);
  try {
    const tensor = tensorFromFlat(info.type, dims, data);
    // Triton cannot declare 0-d tensors: its configs give a scalar input dims [1] with
    // `reshape: { shape: [] }`, so Triton clients send shape [1]. Take it as the scalar it is.
    if (info.shape !== undefined && info.shape.length === 0 && dims.length === 1 && dims[0] === 1) {
      return { name, tensor: { ...tensor, dims: [] } };
    }
    return { name, tensor };
  } catch (error) {
    if (!(error instanceof TensorValueError)) throw error;
    throw new ScoringError(
      400,
      `Input '${name}' (shape ${formatDims(dims)}): ${error.message}; the model expects ${describeKServeInput(info)}`,
      { input: name, expected, received: { dtype: datatype, shape: dims } },
    );
  }
}

function readRequestedOutputs(model: InferenceModel, identity: KServeModelIdentity, outputs: unknown): string[] {
  const all = model.outputs.map((info) => info.name);
  if (outputs === undefined) return all;
  if (!Array.isArray(outputs)) throw new ScoringError(400, `'outputs' must be an array of {"name"}`);
  const names: string[] = [];
  for (const [index, entry] of outputs.entries()) {
    const name = (entry as Partial<RequestedOutput> | null)?.name;
    if (typeof name !== 'string') throw new ScoringError(400, `outputs[${index}].name must be a string`);
    if (!all.includes(name)) {
      throw new ScoringError(
        400,
        `unexpected inference output '${name}' for model '${identity.name}'; its outputs are ${all.map((known) => `'${known}'`).join(', ')}`,
      );
    }
    refuseBinaryData((entry as { parameters?: unknown }).parameters, `output '${name}'`);
    names.push(name);
  }
  return names.length > 0 ? names : all;
}

/** The binary tensor extension (data after the JSON header) is not implemented: say so plainly. */
function refuseBinaryData(parameters: unknown, where: string): void {
  if (parameters === null || typeof parameters !== 'object') return;
  const flags = parameters as Record<string, unknown>;
  if (flags.binary_data === true || flags.binary_data_output === true || flags.binary_data_size !== undefined) {
    throw new ScoringError(
      400,
      `${where} asks for the binary tensor data extension, which this server does not support; send tensors as JSON 'data' arrays`,
    );
  }
}

/** The infer response body as JSON text, tensors flattened in row-major order as the spec has them. */
export function kserveInferResponse(
  identity: KServeModelIdentity,
  outputs: Readonly<Record<string, Tensor>>,
  outputNames: readonly string[],
  id: string | undefined,
): string {
  const parts: string[] = [
    '{"model_name":',
    JSON.stringify(identity.name),
    ',"model_version":',
    JSON.stringify(identity.version),
  ];
  if (id !== undefined) parts.push(',"id":', JSON.stringify(id));
  parts.push(',"outputs":[');
  let first = true;
  for (const name of outputNames) {
    const tensor = outputs[name];
    if (tensor === undefined) continue;
    if (!first) parts.push(',');
    first = false;
    parts.push(
      '{"name":',
      JSON.stringify(name),
      ',"datatype":"',
      kserveDatatype(tensor.type),
      '","shape":[',
      tensor.dims.join(','),
      '],"data":',
      flatJson(tensor),
      '}',
    );
  }
  parts.push(']}');
  return parts.join('');
}

/** Scores one parsed infer request body, returning the response body text. */
export async function scoreKServe(
  model: InferenceModel,
  identity: KServeModelIdentity,
  body: unknown,
): Promise<string> {
  const { feeds, outputNames, id } = kserveFeeds(model, identity, body);
  const outputs = await runModel(model, feeds, outputNames);
  return kserveInferResponse(identity, outputs, outputNames, id);
}
