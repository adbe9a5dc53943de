// Environment containers and versions: a Docker image, or a build context (+ optional conda file).
import { isRecord } from '../http.js';
import { assetRoutes } from './assets.js';

export const environmentRoutes = assetRoutes({
  collection: 'environments',
  opName: 'Environment',
  noun: 'environment',
  readOnly: ['environmentType'],
  defaults: () => ({ osType: 'Linux', autoRebuild: 'Disabled' }),
  validate: (p) => {
    const hasImage = typeof p.image === 'string' && p.image.length > 0;
    const hasBuild = isRecord(p.build) && typeof p.build.contextUri === 'string';
    if (hasImage === hasBuild)
      return ["An environment version needs exactly one of 'image' (a Docker image) or 'build' (with 'contextUri')."];
    // The spec (BuildContext.contextUri, 2022-10-01 and 2024-04-01 mfe.json): "Supports blob URIs on
    // environment creation and may return blob or Git URIs". azure-ai-ml sends the uploaded folder's
    // https blob URL (_check_and_upload_env_build_context); an azureml:// datastore URI is refused.
    if (hasBuild && !/^https:\/\/\S+$/i.test(String((p.build as Record<string, unknown>).contextUri)))
      return [
        `The build context '${String((p.build as Record<string, unknown>).contextUri)}' is not a blob URI: environment builds take the https URL of a blob folder (https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH/).`,
      ];
    return [];
  },
});
