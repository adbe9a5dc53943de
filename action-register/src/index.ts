// Entry point of the bundle the runner starts: everything happens in main. main is
// imported after the compile cache is on, so V8's compiled code of it is cached for the next step.
import { enableCompileCache } from '../../shared/github/compileCache.js';

enableCompileCache();
const { main } = await import('./main.js');
await main();
