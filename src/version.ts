import packageJson from '../package.json' with { type: 'json' };

/** gantry's version, sent in the user agent of every AWS and GitHub call. */
export const GANTRY_VERSION: string = packageJson.version;
