export const id = 293;
export const ids = [293];
export const modules = {

/***/ 1293:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   loadWorkerModel: () => (/* binding */ loadWorkerModel)
/* harmony export */ });
/* harmony import */ var node_worker_threads__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(5919);
/* harmony import */ var node_worker_threads__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_worker_threads__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var _inference_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(7825);
// onnxruntime-web in a worker thread: the thread that parses and answers HTTP requests keeps
// working while the model runs, so a scoring server uses two cores instead of queueing on one.


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
/** Starts a worker with its own onnxruntime-web session for the model. */
async function loadWorkerModel(model, entryUrl, sessionOptions) {
    const worker = new node_worker_threads__WEBPACK_IMPORTED_MODULE_0__.Worker(WORKER_SOURCE, { eval: true, workerData: { model, entryUrl, sessionOptions } });
    const ready = await new Promise((resolve, reject) => {
        const onMessage = (message) => {
            if (message.kind === 'ready')
                resolve(message);
            else if (message.kind === 'failed')
                reject(new Error(message.message));
        };
        worker.once('message', onMessage);
        worker.once('error', reject);
    });
    return new WorkerInferenceModel(worker, ready);
}
class WorkerInferenceModel {
    worker;
    backend = 'onnxruntime-web';
    inputs;
    outputs;
    pending = new Map();
    nextId = 0;
    closing;
    constructor(worker, ready) {
        this.worker = worker;
        this.inputs = (0,_inference_js__WEBPACK_IMPORTED_MODULE_1__/* .describeValues */ .QW)(ready.inputNames, ready.inputMetadata, 'input');
        this.outputs = (0,_inference_js__WEBPACK_IMPORTED_MODULE_1__/* .describeValues */ .QW)(ready.outputNames, ready.outputMetadata, 'output');
        worker.on('message', (message) => {
            if (message.kind !== 'result' && message.kind !== 'error')
                return;
            const waiting = this.pending.get(message.id);
            this.pending.delete(message.id);
            if (waiting === undefined)
                return;
            if (message.kind === 'error') {
                waiting.reject(new Error(message.message));
                return;
            }
            const outputs = {};
            for (const output of message.outputs) {
                outputs[output.name] = { type: output.type, dims: output.dims, data: output.data };
            }
            waiting.resolve(outputs);
        });
        const failAll = (error) => {
            for (const waiting of this.pending.values())
                waiting.reject(error);
            this.pending.clear();
        };
        worker.on('error', failAll);
        worker.on('exit', (code) => failAll(new Error(`The inference worker exited (code ${code})`)));
    }
    run(feeds, outputNames) {
        if (this.closing !== undefined)
            return Promise.reject(new Error('The model is closed'));
        const id = this.nextId++;
        const list = Object.keys(feeds).map((name) => {
            const tensor = feeds[name];
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
    close() {
        this.closing ??= (async () => {
            const closed = new Promise((resolve) => {
                const onMessage = (message) => {
                    if (message.kind === 'closed')
                        resolve();
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


/***/ })

};
