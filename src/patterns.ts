/** The text patterns gantry checks in more than one place: one definition each. */

/** A full git commit SHA: 40 lower-case hex digits (a branch name would let the build pick whatever it points at). */
export const COMMIT_SHA = /^[0-9a-f]{40}$/;

/** A sha256 digest in hex: 64 lower-case hex digits. */
export const SHA256 = /^[0-9a-f]{64}$/;
