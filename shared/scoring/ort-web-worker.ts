// onnxruntime-web in a worker thread: the thread that parses and answers HTTP requests keeps
// working while the model runs, so a scoring server uses two cores instead of queueing on one.

import { Worker } from 'node:worker_threads';
import type { InferenceModel, OrtValueMetadata } from './inference.js';
import { describeValues } from './inference.js';
import type { ElementType, Tensor, TensorInfo } from './tensor.js';

/**
 * The worker's code, evaluated from a string: an action bundle has no separate worker file for
 * ncc to miss, and the worker imports the same onnxruntime-web entry (by `file:` URL) as the
 * main thread would. Outputs are sent back by transferring their buffers; inputs are copied,
 * since callers may reuse their arrays.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const plain = (metadata) =>
  metadata.map((m) => ({ name: m.name, isTensor: m.isTensor, type: m.type, shape: m.shape ? [...m.shape] : undefined }));
(async () => {
  const ort = await import(workerData.entryUrl);
  ort.env.logLevel = 'fatal';
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  const session = await ort.InferenceSession.create(workerData.model, workerData.sessionOptions);
  parentPort.on('message', async (message) => {
    if (message.kind === 'close') {
      await session.release();
      parentPort.postMessage({ kind: 'closed' });
      return;
    }
    try {
      const feeds = {};
      for (const feed of message.feeds) feeds[feed.name] = new ort.Tensor(feed.type, feed.data, feed.dims);
      const results = await session.run(feeds, message.outputNames, { logSeverityLevel: 4 });
      const outputs = [];
      const transfer = [];
      for (const name of Object.keys(results)) {
        const tensor = results[name];
        let data = tensor.data;
        if (ArrayBuffer.isView(data)) {
          // Never transfer a view into shared memory (the WASM heap): copy it into its own buffer.
          if (data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength) data = data.slice();
          transfer.push(data.buffer);
        }
        outputs.push({ name, type: tensor.type, dims: [...tensor.dims], data });
      }
      parentPort.postMessage({ kind: 'result', id: message.id, outputs }, transfer);
    } catch (error) {
      parentPort.postMessage({ kind: 'error', id: message.id, message: String(error && error.message ? error.message : error) });
    }
  });
  parentPort.postMessage({
    kind: 'ready',
    inputNames: [...session.inputNames],
    outputNames: [...session.outputNames],
    inputMetadata: plain(session.inputMetadata),
    outputMetadata: plain(session.outputMetadata),
  });
})().catch((error) => parentPort.postMessage({ kind: 'failed', message: String(error && error.message ? error.message : error) }));
`;

type FromWorker =
  | {
      kind: 'ready';
      inputNames: string[];
      outputNames: string[];
      inputMetadata: OrtValueMetadata[];
      outputMetadata: OrtValueMetadata[];
    }
  | { kind: 'result'; id: number; outputs: { name: string; type: string; dims: number[]; data: Tensor['data'] }[] }
  | { kind: 'error'; id: number; message: string }
  | { kind: 'failed'; message: string }
  | { kind: 'closed' };

interface Pending {
  resolve: (outputs: Record<string, Tensor>) => void;
  reject: (error: Error) => void;
}

/** Starts a worker with its own onnxruntime-web session for the model. */
export async function loadWorkerModel(
  model: Uint8Array,
  entryUrl: string,
  sessionOptions: Record<string, unknown>,
): Promise<InferenceModel> {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { model, entryUrl, sessionOptions } });
  const ready = await new Promise<Extract<FromWorker, { kind: 'ready' }>>((resolve, reject) => {
    const onMessage = (message: FromWorker): void => {
      if (message.kind === 'ready') resolve(message);
      else if (message.kind === 'failed') reject(new Error(message.message));
    };
    worker.once('message', onMessage);
    worker.once('error', reject);
  });
  return new WorkerInferenceModel(worker, ready);
}

class WorkerInferenceModel implements InferenceModel {
  readonly backend = 'onnxruntime-web' as const;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly worker: Worker,
    ready: Extract<FromWorker, { kind: 'ready' }>,
  ) {
    this.inputs = describeValues(ready.inputNames, ready.inputMetadata, 'input');
    this.outputs = describeValues(ready.outputNames, ready.outputMetadata, 'output');
    worker.on('message', (message: FromWorker) => {
      if (message.kind !== 'result' && message.kind !== 'error') return;
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (waiting === undefined) return;
      if (message.kind === 'error') {
        waiting.reject(new Error(message.message));
        return;
      }
      const outputs: Record<string, Tensor> = {};
      for (const output of message.outputs) {
        outputs[output.name] = { type: output.type as ElementType, dims: output.dims, data: output.data };
      }
      waiting.resolve(outputs);
    });
    const failAll = (error: Error): void => {
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`The inference worker exited (code ${code})`)));
  }

  run(feeds: Readonly<Record<string, Tensor>>, outputNames?: readonly string[]): Promise<Record<string, Tensor>> {
    if (this.closing !== undefined) return Promise.reject(new Error('The model is closed'));
    const id = this.nextId++;
    const list = Object.keys(feeds).map((name) => {
      const tensor = feeds[name] as Tensor;
      return { name, type: tensor.type, dims: tensor.dims, data: tensor.data };
    });
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({
        kind: 'run',
        id,
        feeds: list,
        outputNames: outputNames ?? this.outputs.map((o) => o.name),
      });
    });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = new Promise<void>((resolve) => {
        const onMessage = (message: FromWorker): void => {
          if (message.kind === 'closed') resolve();
        };
        this.worker.on('message', onMessage);
        this.worker.once('exit', () => resolve());
      });
      this.worker.postMessage({ kind: 'close' });
      await closed;
      await this.worker.terminate();
    })();
    return this.closing;
  }
}
