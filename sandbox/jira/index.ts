/**
 * A Jira Cloud stand-in: the REST v3 subset prodops calls (issues, sub-tasks, enhanced JQL
 * search, comments, transitions with their screens, issue links, issue properties, fields,
 * myself), with Jira's request and
 * response shapes and its `{ errorMessages, errors }` error bodies. State lives in memory and is
 * seeded from the org configuration: the release project, its workflow and statuses, the issue
 * types, the people who have Jira accounts and the configured custom fields.
 *
 * It refuses what Jira refuses (missing summary, a sub-task without a parent, a transition the
 * workflow does not offer, JQL it cannot answer), so a client bug fails here as it would there.
 *
 *   model.ts   records and limits (all public)            seed.ts    project, workflow, examples
 *   errors.ts  Jira's error body and shared refusals
 *   store.ts   state and changes, listeners               fields.ts  field checks, changelog items
 *   adf.ts     Atlassian Document Format                  jql.ts     JQL parsing and matching
 *   render.ts  response shapes                            search.ts  enhanced search and paging
 *   routes.ts  the REST routes
 */
import type { OrgConfig } from '../../domain/config';
import { storeVendor, type SandboxVendor } from '../http';
import type { JiraSandboxOptions } from './model';
import { registerJiraRoutes } from './routes';
import { JiraStore } from './store';

export { adfProblem, adfToText, type AdfDocument, type AdfNode } from './adf';
export { parseJql, type JqlQuery } from './jql';
export * from './model';
export { JiraStore } from './store';

export interface JiraSandbox extends SandboxVendor {
  readonly name: 'jira';
  readonly store: JiraStore;
}

export function createJiraSandbox(config: OrgConfig, options: JiraSandboxOptions = {}): JiraSandbox {
  const store = new JiraStore(config, options.now ?? (() => new Date()), options.seedIssues ?? true, {
    indexLagMs: options.indexLagMs ?? 0,
    resolutionScreens: options.resolutionScreens ?? true,
  });
  return storeVendor('jira', store, registerJiraRoutes);
}
