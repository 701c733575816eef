#!/usr/bin/env node
// The `remediate` bin: TypeScript sources run through tsx's ESM loader (no build step).
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../cli/main.ts');
process.exitCode = await run(process.argv);
