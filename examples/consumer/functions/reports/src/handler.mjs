// The monthly reports job, built before it is zipped: `node build.mjs` (the config's build.command) writes dist/,
// and the package is dist/ (build.directory).
export const handler = async (event) => ({ ok: true, function: 'reports', month: typeof event?.month === 'string' ? event.month : 'current' });
