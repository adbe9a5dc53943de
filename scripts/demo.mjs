// `npm run demo [-- --workflow deploy-aci]`: starts the emulator and runs the example workflows of
// examples/workflows/ step by step, for real, like the GitHub runner would (scripts/demo/README.md).
// The runner is TypeScript (scripts/demo/); tsx loads it in this same process.

import { register } from 'tsx/esm/api';

register();
const { main } = await import('./demo/cli.ts');
process.exitCode = await main(process.argv.slice(2));
