// The demo's worker, built before it is zipped: `node build.mjs` (the config's build.command) writes dist/,
// and the package is dist/ (build.directory).
export const handler = async (event) => ({ ok: true, function: 'worker', jobs: Array.isArray(event?.jobs) ? event.jobs.length : 0 });
