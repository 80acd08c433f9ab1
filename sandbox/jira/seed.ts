/**
 * What the Jira stand-in is built from: the release project of the org configuration (and the
 * project of every team that names one), its workflow and statuses (named as the configuration
 * names them; the transitions into done statuses show a screen that asks for a resolution), the
 * issue types, Jira Cloud's default resolutions and issue link types, the configured custom
 * fields, and three example releases.
 */
import type { OrgConfig } from '../../domain/config';
import type {
  IssueLinkType,
  JiraCustomField,
  JiraIssueType,
  JiraProject,
  JiraResolution,
  JiraStatus,
  WorkflowTransition,
} from './model';

export interface JiraSetup {
  /** The release project. */
  project: JiraProject;
  /** Every project: the release project, then each team's (`teams[].jiraProjectKey`). */
  projects: JiraProject[];
  statuses: JiraStatus[];
  issueTypes: JiraIssueType[];
  customFields: JiraCustomField[];
  workflow: WorkflowTransition[];
  resolutions: JiraResolution[];
  linkTypes: IssueLinkType[];
}

/** Jira Cloud's default resolutions. */
const RESOLUTIONS: JiraResolution[] = [
  { id: '10000', name: 'Done', description: 'Work has been completed on this issue.' },
  { id: '10001', name: "Won't Do", description: "This issue won't be actioned." },
  { id: '10002', name: 'Duplicate', description: 'The problem is a duplicate of an existing issue.' },
  { id: '10003', name: 'Cannot Reproduce', description: 'This issue could not be reproduced.' },
];

/** Jira Cloud's default issue link types. */
const LINK_TYPES: IssueLinkType[] = [
  { id: '10000', name: 'Blocks', inward: 'is blocked by', outward: 'blocks' },
  { id: '10001', name: 'Cloners', inward: 'is cloned by', outward: 'clones' },
  { id: '10002', name: 'Duplicate', inward: 'is duplicated by', outward: 'duplicates' },
  { id: '10003', name: 'Relates', inward: 'relates to', outward: 'relates to' },
];

export function jiraSetupFor(config: OrgConfig, options: { resolutionScreens?: boolean } = {}): JiraSetup {
  const jira = config.integrations.jira;
  const statuses: JiraStatus[] = [
    { id: '10000', name: 'To Do', category: 'new' },
    { id: '3', name: 'In Progress', category: 'indeterminate' },
    { id: '10001', name: jira.statuses.done, category: 'done' },
    { id: '10002', name: jira.statuses.released, category: 'done' },
    { id: '10003', name: jira.statuses.cancelled, category: 'done' },
  ];
  const names = statuses.map((s) => s.name.toLowerCase());
  if (new Set(names).size !== names.length) {
    throw new Error(
      `integrations.jira.statuses must name distinct statuses (got ${statuses.map((s) => s.name).join(', ')})`,
    );
  }
  const resolve: Pick<WorkflowTransition, 'screen'> =
    options.resolutionScreens === false ? {} : { screen: { resolution: { required: true } } };
  const customFields: JiraCustomField[] = [];
  if (jira.fields.tier) {
    const base = 10100 + Number(jira.fields.tier.replace('customfield_', '')) * 10;
    customFields.push({
      id: jira.fields.tier,
      name: 'Tier',
      kind: 'select',
      options: ['1', '2', '3'].map((value, i) => ({ id: String(base + i), value })),
    });
  }
  if (jira.fields.launchDate)
    customFields.push({ id: jira.fields.launchDate, name: 'Launch date', kind: 'date', options: [] });
  if (jira.fields.productArea)
    customFields.push({ id: jira.fields.productArea, name: 'Product area', kind: 'text', options: [] });
  const project: JiraProject = { id: '10000', key: jira.projectKey, name: 'Releases' };
  const projects = [project];
  for (const team of config.teams) {
    if (!team.jiraProjectKey || projects.some((p) => p.key === team.jiraProjectKey)) continue;
    projects.push({ id: String(10000 + projects.length), key: team.jiraProjectKey, name: team.name });
  }
  return {
    project,
    projects,
    statuses,
    issueTypes: [
      {
        id: '10001',
        name: 'Task',
        subtask: false,
        hierarchyLevel: 0,
        description: 'A small, distinct piece of work.',
      },
      {
        id: '10002',
        name: 'Story',
        subtask: false,
        hierarchyLevel: 0,
        description: "A user story, a feature from a user's view.",
      },
      {
        id: '10003',
        name: jira.subtaskIssueType,
        subtask: true,
        hierarchyLevel: -1,
        description: 'A small piece of work that is part of a larger task.',
      },
    ],
    customFields,
    workflow: [
      { id: '11', name: 'Start progress', from: ['10000'], to: '3' },
      { id: '21', name: 'Stop progress', from: ['3'], to: '10000' },
      { id: '31', name: jira.statuses.done, from: ['10000', '3'], to: '10001', ...resolve },
      { id: '41', name: 'Release', from: ['3', '10001'], to: '10002', ...resolve },
      { id: '51', name: 'Cancel', from: 'any', to: '10003', ...resolve },
      { id: '61', name: 'Reopen', from: ['10001', '10002', '10003'], to: '10000' },
    ],
    resolutions: RESOLUTIONS,
    linkTypes: LINK_TYPES,
  };
}

/**
 * The example releases, as Jira create `fields`, each with the status it is put in: assigned in
 * turn to the product managers who have Jira accounts, reported by the first person who has one.
 */
export function seedReleases(
  config: OrgConfig,
  project: JiraProject,
  reporter: string,
): { fields: Record<string, unknown>; status: string }[] {
  const jira = config.integrations.jira;
  const managers = config.people
    .filter((p) => p.role === 'product_manager' && p.jiraAccountId)
    .map((p) => p.jiraAccountId!);
  const releases = [
    { summary: 'Usage-based billing', tier: '3', launchDate: '2027-02-15', area: 'Billing', status: 'To Do' },
    {
      summary: 'Saved dashboard filters',
      tier: '2',
      launchDate: '2027-01-20',
      area: 'Insights',
      status: 'In Progress',
    },
    {
      summary: 'Dark mode for the admin console',
      tier: '1',
      launchDate: '2026-11-03',
      area: 'Platform',
      status: jira.statuses.released,
    },
  ];
  return releases.map((release, i) => {
    const fields: Record<string, unknown> = {
      project: { key: project.key },
      issuetype: { name: 'Task' },
      summary: release.summary,
      labels: ['release'],
      reporter: { accountId: reporter },
    };
    const assignee = managers.length > 0 ? managers[i % managers.length] : undefined;
    if (assignee) fields.assignee = { accountId: assignee };
    if (jira.fields.tier) fields[jira.fields.tier] = { value: release.tier };
    if (jira.fields.launchDate) fields[jira.fields.launchDate] = release.launchDate;
    if (jira.fields.productArea) fields[jira.fields.productArea] = release.area;
    return { fields, status: release.status };
  });
}
