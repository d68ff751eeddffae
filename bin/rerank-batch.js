#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm run build` (run by `npm ci` through the prepare script).
import { setFlagsFromString } from 'node:v8';

// Runs are long and allocate fast (every text passes through), and V8 then lets its heap grow to up to 4x
// what is live, so the process grew with the input. A factor of 2 keeps it near its live size: measured
// (npm run bench memory) 225 MB at 2,000,000 pairs vs 278 MB without, for ~3% more CPU in GC. The flag is
// read each time V8 sets a heap limit, so setting it first thing, before any work, takes effect.
setFlagsFromString('--heap-growing-percent=100');

const { main } = await import('../dist/src/cli/main.js');
const code = await main(process.argv);
// A pipe read slowly takes what does not fit in it later: wait until both streams have handed over
// everything written (an empty write's callback runs after the writes before it), or exit would cut
// a long output (`trec_eval -q ... | less`) short.
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
// Exit explicitly: Redis clients and the log transport must not keep a finished command alive.
process.exit(code);
