// Component containers and versions (command and pipeline components).
import { isRecord } from '../http.js';
import { assetRoutes } from './assets.js';

export const componentRoutes = assetRoutes({
  collection: 'components',
  opName: 'Component',
  noun: 'component',
  validate: (p) =>
    isRecord(p.componentSpec) ? [] : ["A component version needs 'componentSpec' (the component's YAML as an object)."],
});
