// Transpile the component with jco, then make one cheap fix to its output.
//   MOTH_WASM=path/to/moth.wasm npm run build   (default: ./moth.wasm)
//
// jco 1.35's output wraps every call, each way, in its component-model-
// async task bookkeeping, and none of its options turns that off (tried
// on this component, benches/node_validate.mjs): --async-mode sync,
// --tla-compat and --multi-memory emit the very same file; --instantiation
// sync and --no-nodejs-compat change only how it is loaded; --strict adds
// argument checks; --valid-lifting-optimization measured the same (18-22
// µs a validate, as this) and drops checks of what the guest returns;
// --import-bindings optimized and direct-optimized emit JS that does not
// parse; --no-component-error-wrapping throws WIT errors as bare objects
// (then a host function's thrown object could pass for one). So the options
// stay these, and the binding does the canonical ABI itself where it counts:
// src/abi.js, for every import and for validate.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const wasm = process.env.MOTH_WASM || 'moth.wasm';
execFileSync(
  'npx',
  ['jco', 'transpile', wasm, '-o', 'generated', '--instantiation', 'async', '--name', 'moth', '--quiet'],
  { stdio: 'inherit' },
);

// jco's debug logger reads process.env.JCO_DEBUG on every call into and
// out of the component; environment reads are slow in Node, and that one
// line was most of the time of a `validate`. Read it once, at load.
const path = 'generated/moth.js';
const js = readFileSync(path, 'utf8');
const check = 'if (!globalThis?.process?.env?.JCO_DEBUG) { return; }';
if (!js.includes(check)) {
  throw new Error(`jco's output changed: cannot find "${check}"; revisit scripts/build.js`);
}
writeFileSync(
  path,
  'const JCO_DEBUG_ONCE = Boolean(globalThis?.process?.env?.JCO_DEBUG);\n' +
    js.replaceAll(check, 'if (!JCO_DEBUG_ONCE) { return; }'),
);
