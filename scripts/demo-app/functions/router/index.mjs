// The demo's router: a plain handler directory. Its package is this directory as it is (no package-lock.json,
// so no build command): `gantry package` zips it.
export const handler = async (event) => ({ ok: true, function: 'router', received: event });
