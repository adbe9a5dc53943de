// Data containers and versions (uri_file, uri_folder, mltable).
import { assetRoutes, isAssetUri } from './assets.js';

const dataTypes = ['uri_file', 'uri_folder', 'mltable'];

export const dataRoutes = assetRoutes({
  collection: 'data',
  opName: 'Data',
  noun: 'data asset',
  validate: (p) => {
    const out: string[] = [];
    if (typeof p.dataType !== 'string' || !dataTypes.includes(p.dataType)) {
      out.push(`'dataType' is required and must be one of ${dataTypes.join(', ')}.`);
    }
    if (!isAssetUri(p.dataUri)) out.push("'dataUri' is required: an azureml://, https:// or wasbs:// URI of the data.");
    return out;
  },
  containerFromVersion: (p) => ({ dataType: p.dataType }),
});
