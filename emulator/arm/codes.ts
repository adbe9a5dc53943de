// Code containers and versions (snapshots of scoring scripts and training code).
import { assetRoutes, isAssetUri } from './assets.js';

export const codeRoutes = assetRoutes({
  collection: 'codes',
  opName: 'Code',
  noun: 'code asset',
  validate: (p) => (isAssetUri(p.codeUri) ? [] : ["A code version needs 'codeUri' (the folder holding the code)."]),
});
