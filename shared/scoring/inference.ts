// The one inference interface the scoring contracts run on: load an ONNX model, describe its
// inputs and outputs, run it with named tensors. Backends: onnxruntime-web (WASM) and onnxruntime-node.

import { readFile } from 'node:fs/promises';
import type { Logger } from '../logger.js';
import type { Dim, ElementType, Tensor, TensorInfo } from './tensor.js';
import { allocate, isElementType } from './tensor.js';

export type BackendName = 'onnxruntime-web' | 'onnxruntime-node';

export interface InferenceModel {
  readonly backend: BackendName;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /** Runs the model. `outputNames` limits what is fetched (default: every output). */
  run(feeds: Readonly<Record<string, Tensor>>, outputNames?: readonly string[]): Promise<Record<string, Tensor>>;
  /** Frees the session (the WASM heap or native memory it holds). */
  close(): Promise<void>;
}

/** The ONNX model: its bytes, or a path to an `.onnx` file. */
export type ModelSource = Uint8Array | string;

export interface LoadModelOptions {
  /** `onnxruntime-web` (default; what bundled actions use) or `onnxruntime-node` (test equipment). */
  backend?: BackendName;
  /** onnxruntime-web only: the folder holding the files in ORT_WEB_DIST_FILES (default: see ort-web.ts). */
  ortWebDirectory?: string;
  /**
   * onnxruntime-web only: run the session in a worker thread, so the thread that serves HTTP
   * parses and answers other requests while the model runs (a scoring server then uses two
   * cores). Costs a copy of inputs and a message round trip per run. Default false.
   */
  worker?: boolean;
  /** Runs this many calls after loading, so the first request does not pay for WASM compilation
   * and allocator growth. Default 3. Failures are ignored and logged at debug level. */
  warmUpRuns?: number;
  /** The inputs for warm-up runs. Default: zeros, with dynamic dimensions set to 1 (which some
   * models reject, e.g. silero_vad needs more than one sample: pass a real request's tensors). */
  warmUpFeeds?: Readonly<Record<string, Tensor>>;
  logger?: Logger;
}

/**
 * The parts of onnxruntime-web's and onnxruntime-node's API this module uses; both packages
 * implement onnxruntime-common's InferenceSession/Tensor, so one adapter serves both.
 */
export interface OrtSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly OrtValueMetadata[];
  readonly outputMetadata: readonly OrtValueMetadata[];
  run(
    feeds: Record<string, unknown>,
    fetches: readonly string[],
    options: Record<string, unknown>,
  ): Promise<Record<string, OrtTensorLike>>;
  release(): Promise<void>;
}
export interface OrtValueMetadata {
  readonly name: string;
  readonly isTensor: boolean;
  readonly type?: string;
  readonly shape?: ReadonlyArray<number | string>;
}
export interface OrtTensorLike {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}
export interface OrtModuleLike {
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSessionLike> };
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => OrtTensorLike;
}

/** Reads the model's bytes from a path, or returns the bytes given. */
export async function modelBytes(source: ModelSource): Promise<Uint8Array> {
  return typeof source === 'string' ? new Uint8Array(await readFile(source)) : source;
}

/** Loads an ONNX model with the chosen backend. */
export async function loadModel(source: ModelSource, options: LoadModelOptions = {}): Promise<InferenceModel> {
  const backend = options.backend ?? 'onnxruntime-web';
  const bytes = await modelBytes(source);
  const sessionOptions: Record<string, unknown> = {
    // Errors reach the caller as exceptions (and the client as a 400); ORT's own stderr lines
    // would only repeat them, in colour, in the action's log.
    logSeverityLevel: 4,
    ...(backend === 'onnxruntime-node' ? { intraOpNumThreads: 1, interOpNumThreads: 1 } : {}),
  };
  if (options.worker === true && backend === 'onnxruntime-web') {
    const { findOrtWebDirectory, ortWebEntryUrl } = await import('./ort-web.js');
    const { loadWorkerModel } = await import('./ort-web-worker.js');
    const entryUrl = ortWebEntryUrl(findOrtWebDirectory(options.ortWebDirectory));
    const model = await loadWorkerModel(bytes, entryUrl, sessionOptions);
    await warmUp(model, options.warmUpRuns ?? 3, options.warmUpFeeds, options.logger);
    return model;
  }
  const ort =
    backend === 'onnxruntime-web'
      ? await (await import('./ort-web.js')).loadOrtWeb(options.ortWebDirectory)
      : await (await import('./ort-node.js')).loadOrtNode();
  const session = await ort.InferenceSession.create(bytes, sessionOptions);
  const model = new OrtInferenceModel(backend, ort, session);
  await warmUp(model, options.warmUpRuns ?? 3, options.warmUpFeeds, options.logger);
  return model;
}

/** A failed run is reported to the caller as an exception; ORT's own stderr line would repeat it. */
const RUN_OPTIONS = { logSeverityLevel: 4 };

class OrtInferenceModel implements InferenceModel {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];

  constructor(
    readonly backend: BackendName,
    private readonly ort: OrtModuleLike,
    private readonly session: OrtSessionLike,
  ) {
    this.inputs = describeValues(session.inputNames, session.inputMetadata, 'input');
    this.outputs = describeValues(session.outputNames, session.outputMetadata, 'output');
  }

  async run(feeds: Readonly<Record<string, Tensor>>, outputNames?: readonly string[]): Promise<Record<string, Tensor>> {
    const ortFeeds: Record<string, unknown> = {};
    for (const name in feeds) {
      const tensor = feeds[name] as Tensor;
      ortFeeds[name] = new this.ort.Tensor(tensor.type, tensor.data, tensor.dims);
    }
    const results = await this.session.run(ortFeeds, outputNames ?? this.session.outputNames, RUN_OPTIONS);
    const outputs: Record<string, Tensor> = {};
    for (const name in results) {
      const value = results[name] as OrtTensorLike;
      outputs[name] = { type: value.type as ElementType, dims: value.dims, data: value.data as Tensor['data'] };
    }
    return outputs;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

export function describeValues(
  names: readonly string[],
  metadata: readonly OrtValueMetadata[],
  kind: 'input' | 'output',
): TensorInfo[] {
  return names.map((name, index) => {
    const meta = metadata.find((entry) => entry.name === name) ?? metadata[index];
    if (meta === undefined || !meta.isTensor || meta.type === undefined) {
      throw new Error(`The model's ${kind} '${name}' is not a tensor; only tensor inputs and outputs can be served`);
    }
    if (!isElementType(meta.type)) {
      throw new Error(`The model's ${kind} '${name}' has element type ${meta.type}, which cannot be served as JSON`);
    }
    // ORT reports an undeclared shape as []; a declared scalar is also []. Treat both as a scalar
    // only when the model says so: metadata cannot tell them apart, and a scalar is the common case.
    const shape: Dim[] | undefined = meta.shape?.map((dim) =>
      typeof dim === 'number' ? (dim >= 0 ? dim : null) : dim === '' ? null : dim,
    );
    return { name, type: meta.type, shape };
  });
}

/** Zero-filled inputs with dynamic dimensions set to 1: enough to exercise the graph once. */
export function zeroFeeds(inputs: readonly TensorInfo[]): Record<string, Tensor> | undefined {
  const feeds: Record<string, Tensor> = {};
  for (const input of inputs) {
    if (input.shape === undefined) return undefined;
    const dims = input.shape.map((dim) => (typeof dim === 'number' ? dim : 1));
    let count = 1;
    for (const dim of dims) count *= dim;
    const data = allocate(input.type, count);
    feeds[input.name] = { type: input.type, dims, data };
  }
  return feeds;
}

async function warmUp(
  model: InferenceModel,
  runs: number,
  given: Readonly<Record<string, Tensor>> | undefined,
  logger: Logger | undefined,
): Promise<void> {
  if (runs <= 0) return;
  const feeds = given ?? zeroFeeds(model.inputs);
  if (feeds === undefined) return;
  try {
    for (let run = 0; run < runs; run++) await model.run(feeds);
  } catch (error) {
    logger?.debug(`Warm-up run skipped: ${error instanceof Error ? error.message : String(error)}`);
  }
}
