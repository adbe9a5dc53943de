// jest's globalTeardown (jest.config.js). Jest loads global hooks without the ESM test transform, so
// this plain module loads the TypeScript through tsx; the work is in printFigures.ts.
import { tsImport } from 'tsx/esm/api';

export default async function globalTeardown() {
  const { printFigures } = await tsImport('./printFigures.ts', import.meta.url);
  printFigures();
}
