// Preloaded with `node --import` by the cold-start benchmark (scripts/bench/cold-start.ts); plain JavaScript so
// that node runs it without a compiler. At exit it appends to $GANTRY_PROBE_OUT the process's peak RSS and, with
// GANTRY_PROBE_FILES=1, every file the process loaded (ES modules through a loader hook, CommonJS through
// require's .js handler). The hook thread costs time and memory, so the timed runs do not use this probe, and
// the RSS runs do not register the hook.
import { appendFileSync } from 'node:fs';
import { Module, register } from 'node:module';

const out = process.env.GANTRY_PROBE_OUT;
if (out !== undefined) {
  if (process.env.GANTRY_PROBE_FILES === '1') {
    const hook = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.startsWith('file:')) appendFileSync(${JSON.stringify(out)}, 'file ' + url + '\\n');
  return next(url, context);
}`;
    register(`data:text/javascript,${encodeURIComponent(hook)}`);
    const compile = Module._extensions['.js'];
    Module._extensions['.js'] = function (module, filename) {
      appendFileSync(out, `file file://${filename}\n`);
      return compile.call(this, module, filename);
    };
  }
  process.on('exit', () => appendFileSync(out, `maxrss ${process.resourceUsage().maxRSS}\n`));
}
