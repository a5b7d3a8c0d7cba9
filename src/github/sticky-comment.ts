/**
 * One comment per pull request and purpose, updated in place: found by a hidden marker, so each push
 * replaces the previous plan instead of adding a comment.
 */
import type { GitHubClient } from './client.js';

/** GitHub refuses issue comment bodies longer than this. */
export const COMMENT_MAX_CHARS = 65_536;

export interface StickyComment {
  owner: string;
  repo: string;
  issueNumber: number;
  /** Identifies the comment, e.g. `gantry:plan:dev`; written as an HTML comment on its first line. */
  marker: string;
  body: string;
}

export function markerLine(marker: string): string {
  return `<!-- ${marker} -->`;
}

export async function upsertStickyComment(client: GitHubClient, comment: StickyComment): Promise<{ id: number; action: 'created' | 'updated'; url: string }> {
  const marker = markerLine(comment.marker);
  const body = `${marker}\n${comment.body}`;
  if (body.length > COMMENT_MAX_CHARS) {
    // The callers size their bodies; this guards against a slip turning into a 422 after the work is done.
    throw new RangeError(`comment body is ${body.length} characters; GitHub accepts at most ${COMMENT_MAX_CHARS}`);
  }
  const target = { owner: comment.owner, repo: comment.repo };
  const existing = await client.paginate(client.rest.issues.listComments, { ...target, issue_number: comment.issueNumber, per_page: 100 });
  const mine = existing.find((candidate) => candidate.body?.startsWith(marker) === true);
  if (mine !== undefined) {
    const { data } = await client.rest.issues.updateComment({ ...target, comment_id: mine.id, body });
    return { id: data.id, action: 'updated', url: data.html_url };
  }
  const { data } = await client.rest.issues.createComment({ ...target, issue_number: comment.issueNumber, body });
  return { id: data.id, action: 'created', url: data.html_url };
}
