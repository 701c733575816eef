#!/usr/bin/env node
// The `remediate` bin: the JavaScript that scripts/build.mjs compiles into dist/ (the install step,
// scripts/ensure-deps.mjs, builds it; so does `npm ci`, through the prepare script).
//
// When dist/ is missing or older than a source, the bin runs the sources through tsx instead and
// says so: a developer's edit takes effect at once, and a CLI call never spends seconds compiling
// or writes dist/ while another call may be reading it. `npm run build` restores the fast start.
import { pathToFileURL } from 'node:url';
import { CLI_ENTRY, isBuildCurrent } from '../scripts/build.mjs';

// Stack traces (REMEDIATE_DEBUG=1) name the TypeScript sources, through the build's source maps.
if (process.env.REMEDIATE_DEBUG) process.setSourceMapsEnabled(true);
let main;
if (isBuildCurrent()) {
  main = await import(pathToFileURL(CLI_ENTRY).href);
} else {
  process.stderr.write(
    'remediate: the compiled CLI (dist/) is missing or older than the sources; running the sources through tsx (slower). `npm run build` compiles them.\n',
  );
  const { register } = await import('tsx/esm/api');
  register();
  main = await import('../cli/main.ts');
}
process.exitCode = await main.run(process.argv);
