// Model containers and versions (`.../workspaces/{ws}/models/{name}/versions/{version}`).
import { assetRoutes, isAssetUri } from './assets.js';
import { getResource } from './store.js';
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
      // Azure's model registry looks at storage when a version is created and refuses a path it
      // cannot find (ModelAssetPathNotFoundInStorage, MicrosoftDocs/azure-docs#103778): a datastore
      // the workspace does not have holds nothing.
      const datastore =
        /^azureml:\/\/(?:subscriptions\/[^/]+\/resourcegroups\/[^/]+\/workspaces\/[^/]+\/)?datastores\/([^/]+)\/paths\//i.exec(
          String(p.modelUri),
        )?.[1];
      if (datastore && !getResource(call.ctx, `${call.ctx.workspaceId}/datastores/${datastore}`))
        out.push(
          `The model path's datastore '${datastore}' does not exist in workspace '${call.ctx.settings.workspace}'.`,
        );
    }
    if (typeof p.modelType !== 'string')
      out.push("'modelType' must be a string such as custom_model, mlflow_model or triton_model.");
    return out;
  },
});
