/**
 * The organisation's configuration (`prodops.config.yaml`): who works here, on which calendar,
 * in which team, and how releases and leave are governed. Pure: parsing and validation only, so
 * that clients, workers and tests share one definition. Secrets never live here: they come from
 * environment variables (see `integrationSecretsFromEnv` in cli/).
 */
import { z } from 'zod';
import { parseDocument, isMap, isSeq, isScalar, type Node as YamlNode } from 'yaml';
import { DEFAULT_EVIDENCE_TYPES, DEFAULT_SEGMENTS, DEFAULT_THEMES } from './insights/taxonomy';
import { formatPath, isLoopbackHost, isRealDate, isRealTimeZone, unsafeUrlReason } from './values';

// Re-exported: callers that already load the schema find them here too.
export { formatPath, isLoopbackHost, isRealDate, isRealTimeZone, unsafeUrlReason };
import { OperatorConfig } from './operators';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const idPattern = /^[a-z0-9][a-z0-9._-]*$/;
const Id = z
  .string()
  .regex(idPattern, 'must be lower-case letters, digits, ".", "_" or "-", starting with a letter or digit');

export const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD')
  .refine(isRealDate, 'is not a date that exists');

const TimeZone = z.string().refine(isRealTimeZone, {
  error: (issue) => `"${String(issue.input)}" is not an IANA time zone (for example Europe/London)`,
});

export const CalendarConfig = z.strictObject({
  timezone: TimeZone,
  weekend: z
    .array(z.enum(WEEKDAYS, { error: `must be one of ${WEEKDAYS.join(', ')}` }))
    .max(6, 'must leave at least one working day in the week')
    .refine((days) => new Set(days).size === days.length, 'lists a day twice'),
  holidays: z.array(IsoDate).default([]),
  /** ISO 3166-1 alpha-2 code: public holidays come from the maintained date-holidays data. */
  country: z
    .string()
    .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code such as GB')
    .optional(),
  /** A subdivision of the country as date-holidays names it (for example ENG, BY, CA). */
  region: z.string().min(1).optional(),
});
export type CalendarConfig = z.infer<typeof CalendarConfig>;

export const PersonConfig = z.strictObject({
  id: Id,
  name: z.string().min(1, 'must not be empty'),
  email: z.email({ error: 'is not a valid email address' }),
  role: Id,
  team: Id,
  /** The person's manager; only the top of the management chain has none. */
  manager: Id.optional(),
  calendar: z.string().min(1, 'must name a calendar'),
  /** The preferred covering buddy (same role) for leave. */
  buddy: Id.optional(),
  jiraAccountId: z.string().min(1).optional(),
  /** The person's Notion user id: a Notion edit counts as theirs only through it. */
  notionUserId: z
    .string()
    .regex(
      /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/,
      'must be a Notion user id',
    )
    .optional(),
});
export type PersonConfig = z.infer<typeof PersonConfig>;

export const TeamConfig = z.strictObject({
  id: Id,
  name: z.string().min(1, 'must not be empty'),
  /** The fewest people of each role who must be on duty on any working day. */
  minimumOnDuty: z
    .record(Id, z.number().int('must be a whole number').min(0, 'must not be negative'))
    .default({}),
  /** A Google calendar id where confirmed leave of the team is shown. */
  sharedCalendarId: z.string().min(1).optional(),
  /** The person who leads the team: work the team owns is assigned to them and escalated to them. */
  lead: Id.optional(),
  /** The Jira project where the team's work is tracked, for example LEGAL. */
  jiraProjectKey: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]+$/, 'must be a Jira project key such as LEGAL')
    .optional(),
});
export type TeamConfig = z.infer<typeof TeamConfig>;

const WorkingDays = z.number().int('must be a whole number of working days').min(0).max(60);

export const ReleasesConfig = z
  .strictObject({
    leadTimeWorkingDays: z
      .strictObject({ tier2: WorkingDays.default(5), tier3: WorkingDays.default(10) })
      .default({ tier2: 5, tier3: 10 }),
    readinessCheck: z
      .strictObject({
        workingDaysBeforeLaunch: WorkingDays.default(2),
        durationMinutes: z.number().int().min(5).max(240).default(30),
        /** Local time of day in the PM's calendar, HH:MM. */
        time: z
          .string()
          .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time written HH:MM')
          .default('10:00'),
      })
      .default({ workingDaysBeforeLaunch: 2, durationMinutes: 30, time: '10:00' }),
    retro: z
      .strictObject({
        durationMinutes: z.number().int().min(5).max(240).default(15),
        time: z
          .string()
          .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time written HH:MM')
          .default('15:00'),
      })
      .default({ durationMinutes: 15, time: '15:00' }),
    /** People told when a release is late or at risk, for example the Head of Product. */
    escalationContacts: z.array(Id).default([]),
    /** Who confirms readiness for Tier 2 and 3 releases. */
    supportLead: Id.optional(),
    salesLead: Id.optional(),
  })
  .refine((r) => r.leadTimeWorkingDays.tier3 >= r.leadTimeWorkingDays.tier2, {
    message: 'tier3 must need at least as much lead time as tier2',
    path: ['leadTimeWorkingDays', 'tier3'],
  });
export type ReleasesConfig = z.infer<typeof ReleasesConfig>;

export const BlackoutConfig = z.strictObject({
  from: IsoDate,
  to: IsoDate,
  reason: z.string().min(1, 'must say why'),
  /** Limit the blackout to some teams; all teams when absent. */
  teams: z.array(Id).optional(),
});

export const LeaveConfig = z
  .strictObject({
    blackouts: z.array(BlackoutConfig).default([]),
    remindAfterWorkingDays: WorkingDays.default(1),
    escalateAfterWorkingDays: WorkingDays.default(3),
    expireAfterWorkingDays: WorkingDays.default(5),
  })
  .refine((l) => l.remindAfterWorkingDays < l.escalateAfterWorkingDays, {
    message: 'must come after remindAfterWorkingDays',
    path: ['escalateAfterWorkingDays'],
  })
  .refine((l) => l.escalateAfterWorkingDays < l.expireAfterWorkingDays, {
    message: 'must come after escalateAfterWorkingDays',
    path: ['expireAfterWorkingDays'],
  });

const TimeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time written HH:MM');
const Minutes = z.number().int('must be a whole number of minutes').min(5).max(240);
const CountryCode = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code such as GB');

/** The teams that own onboarding work, by what they do; each names a team of `teams`. */
export const ONBOARDING_OWNERS = ['legal', 'finance', 'security', 'it'] as const;
export type OnboardingOwner = (typeof ONBOARDING_OWNERS)[number];

export const DEFAULT_ONBOARDING_TOOLS = [
  { id: 'jira', name: 'Jira' },
  { id: 'notion', name: 'Notion' },
  { id: 'google', name: 'Google Workspace' },
  { id: 'slack', name: 'Slack' },
  { id: 'github', name: 'GitHub' },
  { id: 'figma', name: 'Figma' },
];

const DEFAULT_MEETINGS = {
  welcome: { time: '10:00', durationMinutes: 45 },
  checkIn: { workingDay: 5, time: '15:00', durationMinutes: 30 },
  review: { calendarDaysAfterStart: 30, time: '15:00', durationMinutes: 30 },
};

export const OnboardingConfig = z
  .strictObject({
    /** Which team of `teams` does the work of each owner; by default the teams with these ids. */
    owners: z
      .strictObject({
        legal: Id.default('legal'),
        finance: Id.default('finance'),
        security: Id.default('security'),
        it: Id.default('it'),
      })
      .default({ legal: 'legal', finance: 'finance', security: 'security', it: 'it' }),
    /** Working days of the freelancer's calendar before the start; the start itself never counts. */
    workingDaysBeforeStart: z
      .strictObject({
        contract: WorkingDays.default(10),
        securityApproval: WorkingDays.default(5),
        access: WorkingDays.default(3),
        buddy: WorkingDays.default(3),
      })
      .default({ contract: 10, securityApproval: 5, access: 3, buddy: 3 }),
    welcome: z
      .strictObject({ time: TimeOfDay.default('10:00'), durationMinutes: Minutes.default(45) })
      .default(DEFAULT_MEETINGS.welcome),
    /** The check-in on the Nth working day, the start being the first. */
    checkIn: z
      .strictObject({
        workingDay: z.number().int('must be a whole number').min(1).max(60).default(5),
        time: TimeOfDay.default('15:00'),
        durationMinutes: Minutes.default(30),
      })
      .default(DEFAULT_MEETINGS.checkIn),
    /** The review this many calendar days after the start, moved forward to a working day. */
    review: z
      .strictObject({
        calendarDaysAfterStart: z.number().int('must be a whole number').min(1).max(365).default(30),
        time: TimeOfDay.default('15:00'),
        durationMinutes: Minutes.default(30),
      })
      .default(DEFAULT_MEETINGS.review),
    offboarding: z
      .strictObject({
        /** Working days before the contract end that the manager is asked to extend or let it end. */
        extensionDecisionWorkingDaysBeforeEnd: WorkingDays.default(10),
        /** Working days after the end by which Finance approves the final invoice. */
        finalInvoiceWorkingDaysAfterEnd: WorkingDays.min(1, 'must be at least 1').default(5),
      })
      .default({ extensionDecisionWorkingDaysBeforeEnd: 10, finalInvoiceWorkingDaysAfterEnd: 5 }),
    /** The tools a freelancer may need; IT provisions and revokes each one. */
    tools: z
      .array(z.strictObject({ id: Id, name: z.string().min(1, 'must not be empty') }))
      .min(1, 'must list at least one tool')
      .default(DEFAULT_ONBOARDING_TOOLS),
    /** The compliance check Legal runs per country, for example IR35 status in GB. */
    complianceChecks: z
      .record(CountryCode, z.string().min(1, 'must name the check'))
      .default({ GB: 'IR35 status determination' }),
    /** The check for a country without one of its own. */
    defaultComplianceCheck: z.string().min(1).default('Right-to-work check'),
    /** The product onboarding links mailed to the freelancer on the start date. */
    links: z
      .array(z.strictObject({ title: z.string().min(1), url: z.url({ error: 'must be a URL' }) }))
      .default([]),
    /** A team's configured onboarding buddy (team id → person id), asked before anyone else. */
    buddies: z.record(Id, Id).default({}),
    /** The Product Ops person who coordinates onboarding: copied on notices, owner of first-week pages. */
    coordinator: Id.optional(),
  })
  .refine(
    (o) =>
      o.workingDaysBeforeStart.contract >= o.workingDaysBeforeStart.securityApproval &&
      o.workingDaysBeforeStart.securityApproval >= o.workingDaysBeforeStart.access,
    {
      message: 'must count down: contract ≥ securityApproval ≥ access (each gate opens after the one before)',
      path: ['workingDaysBeforeStart'],
    },
  );
export type OnboardingConfig = z.infer<typeof OnboardingConfig>;

const VendorUrl = z.string().superRefine((value, ctx) => {
  const reason = unsafeUrlReason(value);
  if (reason) ctx.addIssue({ code: 'custom', message: reason });
});

/**
 * How old a vendor event may be and still be acted on: the vendor's retry window (about half an
 * hour for Jira) and an hour beyond it. An older one is a replay, or so late that the workflow's
 * own checks (the bundle read at its due date) have taken over.
 */
export const DEFAULT_MAX_EVENT_AGE_MINUTES = 90;
const EventAge = z
  .number()
  .int('must be a whole number of minutes')
  .min(5, 'must be at least 5 minutes')
  .max(7 * 24 * 60, 'must be at most a week');
/** An ISO 4217 code such as EUR: amounts are converted to the base currency at fixed rates. */
export const CurrencyCode = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 currency code such as EUR');
const BudgetAmount = z.number({ error: 'must be a number' }).min(0, 'must not be negative');

export const DEFAULT_REMINDER_DAYS = [90, 60, 30, 14, 7];

export const RenewalsConfig = z
  .strictObject({
    /** Calendar days before the notice deadline; each date moves back to a working day. */
    reminderDaysBeforeDeadline: z
      .array(z.number().int('must be a whole number of days').min(1, 'must be at least 1').max(731))
      .max(12, 'lists at most 12 reminders')
      .refine((days) => new Set(days).size === days.length, 'lists a day twice')
      .default(DEFAULT_REMINDER_DAYS),
    /** Working days before the notice deadline when the owner's manager and the budget owner are told. */
    escalationWorkingDaysBeforeDeadline: WorkingDays.default(2),
    /** A price rise above this, against the last cycle, is called out. */
    priceRiseThresholdPercent: z.number().min(0, 'must not be negative').max(1000).default(10),
    /** Local time (the owner's calendar) at which reminders and escalations go out. */
    noticeTime: TimeOfDay.default('09:00'),
    /** Working days before the renewal date of a cancelled subscription that its owner exports the data. */
    exportReminderWorkingDays: WorkingDays.default(5),
    /** Who gives notice to vendors and renegotiates: the assignee of the Jira tasks. */
    procurementContact: Id.optional(),
    /** Told with the owner's manager when a decision is late. */
    budgetOwner: Id.optional(),
    /** The Jira project of the procurement tasks; the integrations' projectKey when absent. */
    jiraProjectKey: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]+$/, 'must be a Jira project key such as PROC')
      .optional(),
    baseCurrency: CurrencyCode.default('USD'),
    /** Units of the base currency per unit of each other currency, fixed here: no network call. */
    fxRates: z.record(CurrencyCode, z.number().positive('must be above zero').finite()).default({}),
    /** Per year, per team: the tool budget in the base currency. */
    budgets: z
      .record(z.string().regex(/^\d{4}$/, 'must be a year such as 2027'), z.record(Id, BudgetAmount))
      .default({}),
  })
  .refine((r) => r.fxRates[r.baseCurrency] === undefined || r.fxRates[r.baseCurrency] === 1, {
    message: 'the base currency is worth 1 of itself: leave it out of fxRates',
    path: ['fxRates'],
  });
export type RenewalsConfig = z.infer<typeof RenewalsConfig>;

export const DEFAULT_RENEWALS: RenewalsConfig = {
  reminderDaysBeforeDeadline: DEFAULT_REMINDER_DAYS,
  escalationWorkingDaysBeforeDeadline: 2,
  priceRiseThresholdPercent: 10,
  noticeTime: '09:00',
  exportReminderWorkingDays: 5,
  baseCurrency: 'USD',
  fxRates: {},
  budgets: {},
};

const RatePerSecond = z.number().positive('must be above zero').max(1000);

export const IntegrationsConfig = z
  .strictObject({
    jira: z
      .strictObject({
        /** https://your-site.atlassian.net; credentials come from PRODOPS_JIRA_EMAIL / PRODOPS_JIRA_API_TOKEN. */
        baseUrl: VendorUrl.optional(),
        projectKey: z
          .string()
          .regex(/^[A-Z][A-Z0-9_]+$/, 'must be a Jira project key such as REL')
          .default('REL'),
        fields: z
          .strictObject({
            tier: z
              .string()
              .regex(/^customfield_\d+$/, 'must be a custom field id such as customfield_10050')
              .optional(),
            launchDate: z
              .string()
              .regex(/^customfield_\d+$/, 'must be a custom field id such as customfield_10051')
              .optional(),
            productArea: z
              .string()
              .regex(/^customfield_\d+$/, 'must be a custom field id such as customfield_10052')
              .optional(),
          })
          .default({}),
        statuses: z
          .strictObject({
            released: z.string().min(1).default('Released'),
            cancelled: z.string().min(1).default('Cancelled'),
            done: z.string().min(1).default('Done'),
          })
          .default({ released: 'Released', cancelled: 'Cancelled', done: 'Done' }),
        subtaskIssueType: z.string().min(1).default('Sub-task'),
        /**
         * The resolution set when a transition into a status asks for one on its screen, by
         * status name: `{ Done: Done, Cancelled: "Won't Do" }`.
         */
        resolutions: z
          .record(
            z.string().min(1, 'must name a status'),
            z.string().trim().min(1, 'must name a resolution, such as Done'),
          )
          .default({}),
        /** Webhooks older than this are not acted on: Jira's retries end well before (replays do not). */
        maxEventAgeMinutes: EventAge.default(DEFAULT_MAX_EVENT_AGE_MINUTES),
      })
      .default({
        projectKey: 'REL',
        fields: {},
        statuses: { released: 'Released', cancelled: 'Cancelled', done: 'Done' },
        subtaskIssueType: 'Sub-task',
        resolutions: {},
        maxEventAgeMinutes: DEFAULT_MAX_EVENT_AGE_MINUTES,
      }),
    notion: z
      .strictObject({
        /** Events older than this are not acted on (see jira.maxEventAgeMinutes). */
        maxEventAgeMinutes: EventAge.default(DEFAULT_MAX_EVENT_AGE_MINUTES),
        dataSources: z
          .strictObject({
            releaseLog: z.string().min(1).optional(),
            enablementBundles: z.string().min(1).optional(),
            leaveTracker: z.string().min(1).optional(),
            /** Asynchronous Day-14 retro pages (Tier 2); the bundles data source when absent. */
            retros: z.string().min(1).optional(),
            subscriptions: z.string().min(1).optional(),
            /** Insights: one row per item (a Notion form can add rows; prodops writes the rest). */
            insights: z.string().min(1).optional(),
            /** Routed insight themes: one row per theme awaiting or given the PM's disposition. */
            insightThemes: z.string().min(1).optional(),
            /** The weekly area digests and the Monthly Insights Digest pages. */
            insightDigests: z.string().min(1).optional(),
            /** Freelancer intake and tracker: a row per engagement. */
            freelancers: z.string().min(1).optional(),
            /** First-week pages made for each freelancer before their start. */
            firstWeekPages: z.string().min(1).optional(),
            /** Day-3 check-in pages, where Support and Sales answer "Were you aware…?". */
            checkIns: z.string().min(1).optional(),
            /** Each contributor's page of the Weekly Product Update. */
            weeklyUpdates: z.string().min(1).optional(),
            /** The published Weekly Product Updates; the weeklyUpdates data source when absent. */
            productUpdates: z.string().min(1).optional(),
            /** The monthly "Product Ops metrics" pages; the productUpdates data source when absent. */
            metrics: z.string().min(1).optional(),
            /** Where the "Tool budget YYYY" pages are kept current. */
            toolBudgets: z.string().min(1).optional(),
          })
          .default({}),
      })
      .default({ dataSources: {}, maxEventAgeMinutes: DEFAULT_MAX_EVENT_AGE_MINUTES }),
    google: z
      .strictObject({
        /** The mailbox prodops sends from and the organiser of the events it creates. */
        sender: z.email({ error: 'is not a valid email address' }).optional(),
      })
      .default({}),
    rateLimits: z
      .strictObject({
        notion: RatePerSecond.default(3),
        jira: RatePerSecond.default(10),
        google: RatePerSecond.default(10),
      })
      .default({ notion: 3, jira: 10, google: 10 }),
  })
  .default({
    jira: {
      projectKey: 'REL',
      fields: {},
      statuses: { released: 'Released', cancelled: 'Cancelled', done: 'Done' },
      subtaskIssueType: 'Sub-task',
      resolutions: {},
      maxEventAgeMinutes: DEFAULT_MAX_EVENT_AGE_MINUTES,
    },
    notion: { dataSources: {}, maxEventAgeMinutes: DEFAULT_MAX_EVENT_AGE_MINUTES },
    google: {},
    rateLimits: { notion: 3, jira: 10, google: 10 },
  });
export type IntegrationsConfig = z.infer<typeof IntegrationsConfig>;

const Day = z.enum(WEEKDAYS, { error: `must be one of ${WEEKDAYS.join(', ')}` });
const distinct = <T>(list: T[]) => new Set(list).size === list.length;

export const WEEKLY_UPDATE_DEFAULTS = {
  enabled: true,
  day: 'thu' as Weekday,
  opens: '09:00',
  reminder: '12:00',
  deadline: '14:00',
  publish: '16:00',
  contributorRoles: ['product_manager'],
  stakeholderRoles: ['sales_lead', 'cs_lead', 'support_lead', 'eng_lead'],
  stakeholders: [] as string[],
};

/** The Weekly Product Update ritual: when it opens, reminds, closes and publishes, and who takes part. */
export const WeeklyUpdateConfig = z
  .strictObject({
    /** False pauses the ritual's schedule (the next `temporal setup` or `npm start` pauses it). */
    enabled: z.boolean().default(WEEKLY_UPDATE_DEFAULTS.enabled),
    day: z
      .enum(WEEKDAYS, { error: `must be one of ${WEEKDAYS.join(', ')}` })
      .default(WEEKLY_UPDATE_DEFAULTS.day),
    opens: TimeOfDay.default(WEEKLY_UPDATE_DEFAULTS.opens),
    reminder: TimeOfDay.default(WEEKLY_UPDATE_DEFAULTS.reminder),
    deadline: TimeOfDay.default(WEEKLY_UPDATE_DEFAULTS.deadline),
    publish: TimeOfDay.default(WEEKLY_UPDATE_DEFAULTS.publish),
    /** The calendar whose days and zone the ritual keeps; the Head of Product's when absent. */
    calendar: z.string().min(1).optional(),
    /** Who writes an update each week. */
    contributorRoles: z
      .array(Id)
      .min(1, 'must name at least one role')
      .default(WEEKLY_UPDATE_DEFAULTS.contributorRoles),
    /** Who receives the published update: everyone with these roles, and the people listed. */
    stakeholderRoles: z.array(Id).default(WEEKLY_UPDATE_DEFAULTS.stakeholderRoles),
    stakeholders: z.array(Id).default([]),
    /** Who may publish early; everyone with the product_ops role and the Head of Product when absent. */
    owners: z.array(Id).optional(),
  })
  .refine((w) => w.opens < w.reminder && w.reminder < w.deadline && w.deadline < w.publish, {
    message: 'times must follow each other in the day: opens, reminder, deadline, publish',
    path: ['publish'],
  });
export type WeeklyUpdateConfig = z.infer<typeof WeeklyUpdateConfig>;

/** A product area and the PM who owns it. */
export const ProductAreaConfig = z.strictObject({
  id: Id,
  name: z.string().min(1, 'must not be empty'),
  /** The PM who owns the area: its section of the Weekly Product Update, its routed insights. */
  pm: Id,
});
export type ProductAreaConfig = z.infer<typeof ProductAreaConfig>;

const TaxonomyList = (defaults: readonly string[]) =>
  z
    .array(Id)
    .min(1, 'must list at least one value')
    .max(50, 'lists at most 50 values')
    .refine(distinct, 'lists a value twice')
    .default([...defaults]);

export const INSIGHTS_DEFAULTS = {
  time: '09:00',
  taxonomy: {
    themes: [...DEFAULT_THEMES] as string[],
    segments: [...DEFAULT_SEGMENTS] as string[],
    evidenceTypes: [...DEFAULT_EVIDENCE_TYPES] as string[],
  },
  nearDuplicates: { similarity: 0.8, withinDays: 30 },
  triage: { day: 'mon' as Weekday, topThemesPerArea: 10, remindAfterWorkingDays: 5, crossCuttingAreas: 3 },
  roundup: { days: ['mon', 'thu'] as Weekday[] },
  digest: { topThemes: 5, decidedWithinWorkingDays: 10 },
  backlog: { shards: 4, closeOpenAfterDays: 180, rememberClosedDays: 400 },
};

/** The insights pipeline: taxonomy, deduplication, the weekly triage and the monthly digest. */
export const InsightsConfig = z.strictObject({
  /** The organisation's calendar: scheduled runs keep its working days and zone. The Head of Product's when absent. */
  calendar: z.string().min(1).optional(),
  /** Cross-cutting patterns go to them; the person with the head_of_product role when absent. */
  headOfProduct: Id.optional(),
  /** Who tags items that need it; everyone with the product_ops role when absent. */
  productOps: z.array(Id).optional(),
  /** Local time of the scheduled runs (triage, roundup, digest) on the organisation's calendar. */
  time: TimeOfDay.default(INSIGHTS_DEFAULTS.time),
  taxonomy: z
    .strictObject({
      themes: TaxonomyList(DEFAULT_THEMES),
      segments: TaxonomyList(DEFAULT_SEGMENTS),
      evidenceTypes: TaxonomyList(DEFAULT_EVIDENCE_TYPES),
    })
    .default(INSIGHTS_DEFAULTS.taxonomy),
  nearDuplicates: z
    .strictObject({
      /** Word-trigram Jaccard similarity from which two texts are near-duplicates. */
      similarity: z.number().min(0.5, 'must be at least 0.5').max(1, 'must be at most 1').default(0.8),
      withinDays: z.number().int('must be a whole number of days').min(1).max(365).default(30),
    })
    .default(INSIGHTS_DEFAULTS.nearDuplicates),
  triage: z
    .strictObject({
      /** The weekly triage runs on this day, or the next working day of the same week. */
      day: Day.default('mon'),
      topThemesPerArea: z.number().int('must be a whole number').min(1).max(50).default(10),
      remindAfterWorkingDays: WorkingDays.default(5),
      /** A theme with open items in this many areas or more goes to the Head of Product. */
      crossCuttingAreas: z.number().int('must be a whole number').min(2).max(50).default(3),
    })
    .default(INSIGHTS_DEFAULTS.triage),
  roundup: z
    .strictObject({
      /** Product Ops get the items that need tagging on these days (each moved to a working day). */
      days: z.array(Day).max(7).refine(distinct, 'lists a day twice').default(['mon', 'thu']),
    })
    .default(INSIGHTS_DEFAULTS.roundup),
  digest: z
    .strictObject({
      topThemes: z.number().int('must be a whole number').min(1).max(50).default(5),
      /** The digest's figure: routed themes with a disposition within this many working days. */
      decidedWithinWorkingDays: WorkingDays.default(10),
    })
    .default(INSIGHTS_DEFAULTS.digest),
  backlog: z
    .strictObject({
      /** Accounts are spread over this many backlog workflows; choose once (see README). */
      shards: z.number().int('must be a whole number').min(1).max(64).default(4),
      closeOpenAfterDays: z.number().int('must be a whole number of days').min(30).max(3650).default(180),
      rememberClosedDays: z.number().int('must be a whole number of days').min(30).max(3650).default(400),
    })
    .default(INSIGHTS_DEFAULTS.backlog),
});
export type InsightsConfig = z.infer<typeof InsightsConfig>;

export const RitualsConfig = z.strictObject({
  /** Whose calendar the rituals keep by default; the person with the head_of_product role when absent. */
  headOfProduct: Id.optional(),
  /** Product areas in the order the Weekly Product Update shows them. */
  productAreas: z.array(ProductAreaConfig).default([]),
  weeklyUpdate: WeeklyUpdateConfig.default({ ...WEEKLY_UPDATE_DEFAULTS }),
  metrics: z
    .strictObject({
      /** Keep a "Product Ops metrics — <month>" page current in Notion. */
      monthlyPage: z.boolean().default(true),
      /** Local time of the daily refresh, on the rituals' calendar. */
      refreshAt: TimeOfDay.default('06:00'),
    })
    .default({ monthlyPage: true, refreshAt: '06:00' }),
});
export type RitualsConfig = z.infer<typeof RitualsConfig>;

export const TemporalConfig = z
  .strictObject({
    address: z.string().min(1).default('127.0.0.1:7233'),
    namespace: z.string().min(1).default('default'),
    taskQueue: z.string().min(1).default('prodops'),
  })
  .default({ address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'prodops' });

export const OrgConfigShape = z.strictObject({
  organisation: z.strictObject({ name: z.string().min(1) }).default({ name: 'prodops' }),
  calendars: z
    .record(z.string().regex(idPattern, 'calendar names must be lower-case ids'), CalendarConfig)
    .refine((c) => Object.keys(c).length > 0, 'must define at least one calendar'),
  teams: z.array(TeamConfig).min(1, 'must list at least one team'),
  people: z.array(PersonConfig).min(1, 'must list at least one person'),
  releases: ReleasesConfig.default({
    leadTimeWorkingDays: { tier2: 5, tier3: 10 },
    readinessCheck: { workingDaysBeforeLaunch: 2, durationMinutes: 30, time: '10:00' },
    retro: { durationMinutes: 15, time: '15:00' },
    escalationContacts: [],
  }),
  leave: LeaveConfig.default({
    blackouts: [],
    remindAfterWorkingDays: 1,
    escalateAfterWorkingDays: 3,
    expireAfterWorkingDays: 5,
  }),
  productAreas: z.array(ProductAreaConfig).default([]),
  insights: InsightsConfig.default(INSIGHTS_DEFAULTS),
  /** Freelancer onboarding; without this section no engagement can start. */
  onboarding: OnboardingConfig.optional(),
  rituals: RitualsConfig.default({
    productAreas: [],
    weeklyUpdate: { ...WEEKLY_UPDATE_DEFAULTS },
    metrics: { monthlyPage: true, refreshAt: '06:00' },
  }),
  renewals: RenewalsConfig.default(DEFAULT_RENEWALS),
  integrations: IntegrationsConfig,
  temporal: TemporalConfig,
  /**
   * Who may change workflows from the command line, how each proves it (an Ed25519 public key,
   * or an OS user on a machine one person uses) and what they may do for others.
   */
  operators: z.array(OperatorConfig).default([]),
});

export type OrgConfig = z.infer<typeof OrgConfigShape>;

/** Checks that span fields: references resolve, ids are unique, the management chain is a tree. */
export const OrgConfigSchema = OrgConfigShape.superRefine((config, ctx) => {
  const personIds = new Map<string, number>();
  const teamIds = new Set<string>();

  config.teams.forEach((team, i) => {
    if (teamIds.has(team.id))
      ctx.addIssue({
        code: 'custom',
        path: ['teams', i, 'id'],
        message: `"${team.id}" is used by another team`,
      });
    teamIds.add(team.id);
  });

  const emails = new Map<string, number>();
  config.people.forEach((person, i) => {
    if (personIds.has(person.id)) {
      ctx.addIssue({
        code: 'custom',
        path: ['people', i, 'id'],
        message: `"${person.id}" is used by another person`,
      });
    } else {
      personIds.set(person.id, i);
    }
    const email = person.email.toLowerCase();
    if (emails.has(email)) {
      ctx.addIssue({
        code: 'custom',
        path: ['people', i, 'email'],
        message: `"${person.email}" is used by another person`,
      });
    }
    emails.set(email, i);
  });

  const isPerson = (id: string) => personIds.has(id);
  config.people.forEach((person, i) => {
    if (!teamIds.has(person.team)) {
      ctx.addIssue({
        code: 'custom',
        path: ['people', i, 'team'],
        message: `"${person.team}" is not a team`,
      });
    }
    if (!(person.calendar in config.calendars)) {
      ctx.addIssue({
        code: 'custom',
        path: ['people', i, 'calendar'],
        message: `"${person.calendar}" is not a calendar`,
      });
    }
    if (person.manager !== undefined) {
      if (person.manager === person.id) {
        ctx.addIssue({
          code: 'custom',
          path: ['people', i, 'manager'],
          message: 'a person cannot manage themselves',
        });
      } else if (!isPerson(person.manager)) {
        ctx.addIssue({
          code: 'custom',
          path: ['people', i, 'manager'],
          message: `"${person.manager}" is not a person`,
        });
      }
    }
    if (person.buddy !== undefined) {
      const buddyIndex = personIds.get(person.buddy);
      if (person.buddy === person.id) {
        ctx.addIssue({
          code: 'custom',
          path: ['people', i, 'buddy'],
          message: 'a person cannot be their own buddy',
        });
      } else if (buddyIndex === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['people', i, 'buddy'],
          message: `"${person.buddy}" is not a person`,
        });
      } else {
        const buddy = config.people[buddyIndex]!;
        if (buddy.role !== person.role) {
          ctx.addIssue({
            code: 'custom',
            path: ['people', i, 'buddy'],
            message: `"${person.buddy}" is a ${buddy.role}, not a ${person.role}: a buddy must share the role`,
          });
        }
        if (buddy.id === person.manager) {
          ctx.addIssue({
            code: 'custom',
            path: ['people', i, 'buddy'],
            message: `"${person.buddy}" is the manager and cannot also be the buddy`,
          });
        }
      }
    }
  });

  // A cycle in the management chain would make escalation loop forever.
  const reported = new Set<string>();
  for (const [start, index] of personIds) {
    const seen: string[] = [];
    let current: string | undefined = start;
    while (current !== undefined && isPerson(current)) {
      const at = seen.indexOf(current);
      if (at >= 0) {
        const cycle = seen.slice(at);
        const key = [...cycle].sort().join('>');
        if (!reported.has(key)) {
          reported.add(key);
          ctx.addIssue({
            code: 'custom',
            path: ['people', index, 'manager'],
            message: `the management chain loops: ${[...cycle, current].join(' → ')}`,
          });
        }
        break;
      }
      seen.push(current);
      const p: PersonConfig | undefined = config.people[personIds.get(current)!];
      current = p?.manager === p?.id ? undefined : p?.manager;
    }
  }

  config.teams.forEach((team, i) => {
    for (const [role, minimum] of Object.entries(team.minimumOnDuty)) {
      const members = config.people.filter((p) => p.team === team.id && p.role === role).length;
      if (minimum > members) {
        ctx.addIssue({
          code: 'custom',
          path: ['teams', i, 'minimumOnDuty', role],
          message: `needs ${minimum} ${role} on duty but the team has ${members}`,
        });
      }
    }
  });

  const checkPersonRef = (id: string | undefined, path: (string | number)[]) => {
    if (id !== undefined && !isPerson(id))
      ctx.addIssue({ code: 'custom', path, message: `"${id}" is not a person` });
  };
  config.releases.escalationContacts.forEach((id, i) =>
    checkPersonRef(id, ['releases', 'escalationContacts', i]),
  );
  checkPersonRef(config.releases.supportLead, ['releases', 'supportLead']);
  checkPersonRef(config.releases.salesLead, ['releases', 'salesLead']);

  config.teams.forEach((team, i) => checkPersonRef(team.lead, ['teams', i, 'lead']));
  if (config.onboarding) checkOnboarding(config, ctx, isPerson);
  const operatorIds = new Set<string>();
  const operatorKeys = new Map<string, number>();
  config.operators.forEach((operator, i) => {
    if (!isPerson(operator.id))
      ctx.addIssue({
        code: 'custom',
        path: ['operators', i, 'id'],
        message: `"${operator.id}" is not a person`,
      });
    if (operatorIds.has(operator.id))
      ctx.addIssue({
        code: 'custom',
        path: ['operators', i, 'id'],
        message: `"${operator.id}" is listed as an operator twice`,
      });
    operatorIds.add(operator.id);
    const credential = operator.publicKey ?? `os-user:${operator.osUser}`;
    const other = operatorKeys.get(credential);
    if (other !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['operators', i, operator.publicKey ? 'publicKey' : 'osUser'],
        message: `is also operators[${other}]'s: each operator proves themselves with their own`,
      });
    operatorKeys.set(credential, i);
  });
  checkInsights(config, ctx, isPerson);
  checkRituals(config, ctx, checkPersonRef);
  checkPersonRef(config.renewals.procurementContact, ['renewals', 'procurementContact']);
  checkPersonRef(config.renewals.budgetOwner, ['renewals', 'budgetOwner']);
  for (const [year, teams] of Object.entries(config.renewals.budgets)) {
    for (const team of Object.keys(teams)) {
      if (!teamIds.has(team))
        ctx.addIssue({
          code: 'custom',
          path: ['renewals', 'budgets', year, team],
          message: `"${team}" is not a team`,
        });
    }
  }

  config.leave.blackouts.forEach((blackout, i) => {
    if (blackout.to < blackout.from) {
      ctx.addIssue({
        code: 'custom',
        path: ['leave', 'blackouts', i, 'to'],
        message: `ends (${blackout.to}) before it starts (${blackout.from})`,
      });
    }
    blackout.teams?.forEach((team, j) => {
      if (!teamIds.has(team))
        ctx.addIssue({
          code: 'custom',
          path: ['leave', 'blackouts', i, 'teams', j],
          message: `"${team}" is not a team`,
        });
    });
  });
});

function checkInsights(config: OrgConfig, ctx: z.RefinementCtx, isPerson: (id: string) => boolean): void {
  const areaIds = new Set<string>();
  config.productAreas.forEach((area, i) => {
    if (areaIds.has(area.id))
      ctx.addIssue({
        code: 'custom',
        path: ['productAreas', i, 'id'],
        message: `"${area.id}" is used by another area`,
      });
    areaIds.add(area.id);
    if (!isPerson(area.pm))
      ctx.addIssue({
        code: 'custom',
        path: ['productAreas', i, 'pm'],
        message: `"${area.pm}" is not a person`,
      });
  });
  const insights = config.insights;
  if (insights.calendar !== undefined && !(insights.calendar in config.calendars))
    ctx.addIssue({
      code: 'custom',
      path: ['insights', 'calendar'],
      message: `"${insights.calendar}" is not a calendar`,
    });
  if (insights.headOfProduct !== undefined && !isPerson(insights.headOfProduct))
    ctx.addIssue({
      code: 'custom',
      path: ['insights', 'headOfProduct'],
      message: `"${insights.headOfProduct}" is not a person`,
    });
  insights.productOps?.forEach((id, i) => {
    if (!isPerson(id))
      ctx.addIssue({
        code: 'custom',
        path: ['insights', 'productOps', i],
        message: `"${id}" is not a person`,
      });
  });
}

/** Onboarding's references: owner teams with a lead and a Jira project, buddies, tools, the coordinator. */
function checkOnboarding(config: OrgConfig, ctx: z.RefinementCtx, isPerson: (id: string) => boolean): void {
  const onboarding = config.onboarding!;
  const add = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  for (const owner of ONBOARDING_OWNERS) {
    const teamId = onboarding.owners[owner];
    const index = config.teams.findIndex((t) => t.id === teamId);
    if (index < 0) {
      add(['onboarding', 'owners', owner], `"${teamId}" is not a team (onboarding needs a ${owner} team)`);
      continue;
    }
    const team = config.teams[index]!;
    if (!team.jiraProjectKey)
      add(
        ['teams', index, 'jiraProjectKey'],
        `is required: ${team.id} owns the ${owner} tasks of onboarding (onboarding.owners.${owner})`,
      );
    if (!team.lead)
      add(
        ['teams', index, 'lead'],
        `is required: ${team.id} owns the ${owner} tasks of onboarding and its lead is assigned them`,
      );
  }
  const toolIds = new Set<string>();
  onboarding.tools.forEach((tool, i) => {
    if (toolIds.has(tool.id)) add(['onboarding', 'tools', i, 'id'], `"${tool.id}" is listed twice`);
    toolIds.add(tool.id);
  });
  for (const [teamId, personId] of Object.entries(onboarding.buddies)) {
    if (!config.teams.some((t) => t.id === teamId))
      add(['onboarding', 'buddies', teamId], `"${teamId}" is not a team`);
    else if (!isPerson(personId)) add(['onboarding', 'buddies', teamId], `"${personId}" is not a person`);
  }
  if (onboarding.coordinator !== undefined && !isPerson(onboarding.coordinator))
    add(['onboarding', 'coordinator'], `"${onboarding.coordinator}" is not a person`);
}

type IssueSink = { addIssue(issue: { code: 'custom'; path: (string | number)[]; message: string }): void };

function checkRituals(
  config: z.infer<typeof OrgConfigShape>,
  ctx: IssueSink,
  checkPersonRef: (id: string | undefined, path: (string | number)[]) => void,
): void {
  const rituals = config.rituals;
  checkPersonRef(rituals.headOfProduct, ['rituals', 'headOfProduct']);
  const weekly = rituals.weeklyUpdate;
  if (weekly.calendar !== undefined && !(weekly.calendar in config.calendars))
    ctx.addIssue({
      code: 'custom',
      path: ['rituals', 'weeklyUpdate', 'calendar'],
      message: `"${weekly.calendar}" is not a calendar`,
    });
  weekly.stakeholders.forEach((id, i) => checkPersonRef(id, ['rituals', 'weeklyUpdate', 'stakeholders', i]));
  weekly.owners?.forEach((id, i) => checkPersonRef(id, ['rituals', 'weeklyUpdate', 'owners', i]));
  const areaIds = new Set<string>();
  rituals.productAreas.forEach((area, i) => {
    if (areaIds.has(area.id))
      ctx.addIssue({
        code: 'custom',
        path: ['rituals', 'productAreas', i, 'id'],
        message: `"${area.id}" is used by another product area`,
      });
    areaIds.add(area.id);
    const pm = config.people.find((p) => p.id === area.pm);
    if (!pm)
      ctx.addIssue({
        code: 'custom',
        path: ['rituals', 'productAreas', i, 'pm'],
        message: `"${area.pm}" is not a person`,
      });
    else if (!weekly.contributorRoles.includes(pm.role))
      ctx.addIssue({
        code: 'custom',
        path: ['rituals', 'productAreas', i, 'pm'],
        message: `"${area.pm}" is a ${pm.role}, not one of rituals.weeklyUpdate.contributorRoles (${weekly.contributorRoles.join(', ')}): the area would have no update`,
      });
  });
}

/** One problem in a configuration file, located by its path (`people[3].manager`) and line. */
export interface ConfigProblem {
  path: string;
  message: string;
  line?: number;
}

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: ConfigProblem[],
  ) {
    super(
      `${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems.map(formatProblem).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

export function formatProblem(problem: ConfigProblem): string {
  const where = problem.line !== undefined ? ` (line ${problem.line})` : '';
  return `${problem.path || '(file)'}${where}: ${problem.message}`;
}

const SECRET_KEY =
  /(token|secret|password|passwd|api[_-]?key|private[_-]?key|client[_-]?secret|credentials?)$/i;

/**
 * Parses and validates a configuration document. Every problem is reported at once, each with
 * its path and, where the YAML tells, its line.
 */
export function parseOrgConfig(text: string, source = 'prodops.config.yaml'): OrgConfig {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const lineOf = lineLocator(text);
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({
        path: '',
        message: `YAML syntax: ${e.message.split('\n')[0]}`,
        line: lineOf(e.pos[0]),
      })),
    );
  }
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(source, [
      { path: '', message: 'must be a YAML mapping with calendars, teams and people' },
    ]);
  }

  const problems: ConfigProblem[] = [];
  findSecrets(doc.contents, [], (path, node) =>
    problems.push({
      path: formatPath(path),
      message:
        'secrets do not belong in the configuration file: set them as environment variables (see README, "Credentials")',
      line: node?.range ? lineOf(node.range[0]) : undefined,
    }),
  );

  const result = OrgConfigSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const locate = (path: PropertyKey[]) => {
        const node = doc.getIn(path as (string | number)[], true) as YamlNode | undefined;
        return node?.range ? lineOf(node.range[0]) : undefined;
      };
      const path = issue.path;
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          problems.push({
            path: formatPath([...path, key]),
            message: 'is not a known field',
            line: locate([...path, key]),
          });
        }
        continue;
      }
      // Zod leaves `input` out of nested issues: whether the field is there is read from the file.
      const message =
        issue.code === 'invalid_type' && issue.input === undefined && valueAt(raw, path) === undefined
          ? 'is required'
          : issue.code === 'invalid_key'
            ? (issue.issues[0]?.message ?? issue.message)
            : issue.message;
      problems.push({ path: formatPath(path), message, line: locate(path) });
    }
  }
  if (problems.length > 0) throw new ConfigError(source, dedupe(problems));
  return result.data!;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}|${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function findSecrets(
  node: unknown,
  path: (string | number)[],
  report: (path: (string | number)[], node: YamlNode | undefined) => void,
) {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const here = [...path, key];
      if (
        SECRET_KEY.test(key) &&
        !(isScalar(pair.value) && (pair.value.value === null || pair.value.value === ''))
      ) {
        report(here, pair.key as YamlNode);
      }
      findSecrets(pair.value, here, report);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => findSecrets(item, [...path, i], report));
  }
}

function lineLocator(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/**
 * The Jira projects whose webhooks prodops follows: the release project, and every team's
 * project (onboarding tasks live there). The Jira webhook's JQL filter names them all.
 */
export function followedJiraProjects(config: OrgConfig): string[] {
  return [
    ...new Set([
      config.integrations.jira.projectKey,
      ...config.teams.flatMap((t) => (t.jiraProjectKey ? [t.jiraProjectKey] : [])),
    ]),
  ];
}

/** The JQL filter of the Jira webhook: `project = REL`, or `project in (REL, LEGAL, …)`. */
export function jiraWebhookJql(config: OrgConfig): string {
  const projects = followedJiraProjects(config);
  return projects.length === 1 ? `project = ${projects[0]}` : `project in (${projects.join(', ')})`;
}

/** Convenience lookups used across the project. */
export function personById(config: OrgConfig, id: string): PersonConfig {
  const person = config.people.find((p) => p.id === id);
  if (!person) throw new Error(`"${id}" is not a person in the configuration`);
  return person;
}

export function summarise(config: OrgConfig): string {
  const roles = new Set(config.people.map((p) => p.role));
  return `${config.people.length} people in ${config.teams.length} teams (${roles.size} roles), ${Object.keys(config.calendars).length} calendars`;
}

/**
 * The Head of Product: `rituals.headOfProduct`, else the person with the head_of_product role,
 * else the top of the management chain (the first person without a manager).
 */
export function headOfProduct(config: OrgConfig): PersonConfig {
  const named = config.rituals.headOfProduct;
  if (named !== undefined) return personById(config, named);
  return (
    config.people.find((p) => p.role === 'head_of_product') ??
    config.people.find((p) => p.manager === undefined) ??
    config.people[0]!
  );
}

/** The calendar the rituals keep: `rituals.weeklyUpdate.calendar`, else the Head of Product's. */
export function ritualCalendarName(config: OrgConfig): string {
  return config.rituals.weeklyUpdate.calendar ?? headOfProduct(config).calendar;
}

/** Who may publish the weekly update early: the configured owners, else Product Ops and the Head of Product. */
export function weeklyUpdateOwners(config: OrgConfig): string[] {
  const configured = config.rituals.weeklyUpdate.owners;
  if (configured) return [...configured];
  return [
    ...new Set([
      ...config.people.filter((p) => p.role === 'product_ops').map((p) => p.id),
      headOfProduct(config).id,
    ]),
  ];
}
