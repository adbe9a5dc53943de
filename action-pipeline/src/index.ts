// Entry point of the bundle the runner starts (main and post step): everything happens in main.
import { main } from './main.js';

await main();
