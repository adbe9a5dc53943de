// Model containers and versions (`.../workspaces/{ws}/models/{name}/versions/{version}`).
import { assetRoutes, isAssetUri } from './assets.js';
import { jobOutputProblem } from './jobs.js';

export const modelRoutes = assetRoutes({
  collection: 'models',
  opName: 'Model',
  noun: 'model',
  defaults: () => ({ modelType: 'custom_model', flavors: {} }),
  validate: (p, call) => {
    const out: string[] = [];
    if (!isAssetUri(p.modelUri))
      out.push("A model version needs 'modelUri' (an azureml://, https:// or wasbs:// URI of the model's files).");
    else {
      const problem = jobOutputProblem(call.ctx, String(p.modelUri));
      if (problem) out.push(problem);
    }
    if (typeof p.modelType !== 'string')
      out.push("'modelType' must be a string such as custom_model, mlflow_model or triton_model.");
    return out;
  },
});
