// The invoices API: a plain handler directory. Its package is this directory as it is (no package-lock.json, so
// no build command runs): `gantry package` zips index.mjs and package.json.
export const handler = async (event) => ({ ok: true, function: 'api', invoice: event?.invoice ?? null });
