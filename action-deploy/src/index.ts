// Entry point of the bundle the runner starts: everything happens in main.
import { main } from './main.js';

await main();
