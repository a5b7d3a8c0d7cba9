// A stand-in for a bundler (esbuild, tsc): writes dist/index.mjs from src/handler.mjs, the same bytes for the same
// source, so the package's sha256 is the same in every environment's plan.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist');
const source = readFileSync('src/handler.mjs', 'utf8');
writeFileSync('dist/index.mjs', `// Built by build.mjs from src/handler.mjs.\n${source}`);
console.log(`build.mjs: dist/index.mjs (${Buffer.byteLength(source)} bytes of source)`);
