// The scoring contract, implemented once: the inference interface with its two backends, the
// generic ONNX JSON and KServe v2 contracts, the per-request handler and the HTTP server.

export type { BackendName, InferenceModel, LoadModelOptions, ModelSource } from './inference.js';
export { loadModel, zeroFeeds } from './inference.js';
export { ORT_WEB_BUNDLE_FOLDER, ORT_WEB_DIST_FILES, ortWebCandidateDirectories } from './ort-web.js';
export type { Dim, ElementType, Tensor, TensorInfo, TensorValues } from './tensor.js';
export { nestedJson, tensorFromNested, tensorValues } from './tensor.js';
export { ScoringError } from './validate.js';
export { jsonContractFeeds, jsonContractResponse, scoreJsonContract } from './json-contract.js';
export type { KServeModelIdentity } from './kserve-contract.js';
export {
  kserveDatatype,
  kserveFeeds,
  kserveInferResponse,
  kserveModelMetadata,
  scoreKServe,
} from './kserve-contract.js';
export type { HeaderValues, ScoringContract, ScoringRequest, ScoringResponse } from './handler.js';
export {
  bearerKeyChecker,
  checkBearerKey,
  errorResponse,
  handleScoringRequest,
  isLivenessPath,
  jsonResponse,
} from './handler.js';
export type { ScoringServer, ScoringServerOptions } from './server.js';
export { startScoringServer } from './server.js';
export type { TritonModelLocation } from './triton-repository.js';
export { findTritonModel } from './triton-repository.js';
