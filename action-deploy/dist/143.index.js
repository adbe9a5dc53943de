const k=143,M=[143],y={32143:((g,m,i)=>{i.d(m,{loadWorkerModel:()=>l});var u=i(75919),h=i.n(u),p=i(26695);const f=`
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
`;async function l(c,s,r){const n=new u.Worker(f,{eval:!0,workerData:{model:c,entryUrl:s,sessionOptions:r}}),e=await new Promise((t,o)=>{const a=d=>{d.kind==="ready"?t(d):d.kind==="failed"&&o(new Error(d.message))};n.once("message",a),n.once("error",o)});return new w(n,e)}class w{worker;backend="onnxruntime-web";inputs;outputs;pending=new Map;nextId=0;closing;constructor(s,r){this.worker=s,this.inputs=(0,p.QW)(r.inputNames,r.inputMetadata,"input"),this.outputs=(0,p.QW)(r.outputNames,r.outputMetadata,"output"),s.on("message",e=>{if(e.kind!=="result"&&e.kind!=="error")return;const t=this.pending.get(e.id);if(this.pending.delete(e.id),t===void 0)return;if(e.kind==="error"){t.reject(new Error(e.message));return}const o={};for(const a of e.outputs)o[a.name]={type:a.type,dims:a.dims,data:a.data};t.resolve(o)});const n=e=>{for(const t of this.pending.values())t.reject(e);this.pending.clear()};s.on("error",n),s.on("exit",e=>n(new Error(`The inference worker exited (code ${e})`)))}run(s,r){if(this.closing!==void 0)return Promise.reject(new Error("The model is closed"));const n=this.nextId++,e=Object.keys(s).map(t=>{const o=s[t];return{name:t,type:o.type,dims:o.dims,data:o.data}});return new Promise((t,o)=>{this.pending.set(n,{resolve:t,reject:o}),this.worker.postMessage({kind:"run",id:n,feeds:e,outputNames:r??this.outputs.map(a=>a.name)})})}close(){return this.closing??=(async()=>{const s=new Promise(r=>{const n=e=>{e.kind==="closed"&&r()};this.worker.on("message",n),this.worker.once("exit",()=>r())});this.worker.postMessage({kind:"close"}),await s,await this.worker.terminate()})(),this.closing}}})};export{k as id,M as ids,y as modules};
