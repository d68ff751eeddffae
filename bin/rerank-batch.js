#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm run build` (run by `npm ci` through the prepare script).
import { main } from '../dist/src/cli/main.js';

const code = await main(process.argv);
// Exit explicitly: Redis clients and the log transport must not keep a finished command alive.
process.exit(code);
