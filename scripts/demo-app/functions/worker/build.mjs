// A stand-in for a bundler (esbuild, tsc): writes dist/index.mjs from src/, the same bytes for the same source.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist');
const source = readFileSync('src/handler.mjs', 'utf8');
writeFileSync('dist/index.mjs', `// Built by build.mjs from src/handler.mjs.\n${source}`);
console.log(`build.mjs: dist/index.mjs (${Buffer.byteLength(source)} bytes of source)`);
