/**
 * What must exist for the week, made to exist: the contributors' pages when collection opens,
 * one reminder each, the published page and its mail, exactly once. Every side effect carries
 * an idempotency key derived from the week, so a retry, a replay or a restarted worker finds
 * what an earlier attempt made instead of making it twice.
 */
import type { GmailActivities } from '../../activities/gmail';
import type { NotionActivities } from '../../activities/notion';
import type { RitualActivities } from '../../activities/rituals';
import {
  documentHtml,
  documentText,
  contributionBody,
  contributionDocument,
  onLeaveAllDay,
  publishedDocument,
  reminderNotice,
  updateTitle,
  launchedThisWeek,
  areasOfContributors,
  type PublishedSection,
  type WeeklyFacts,
} from '../../domain/weekly-update-content';
import type { PageDocument } from '../../domain/document';
import { longDate } from '../../domain/rituals';
import { localTimeOf } from '../../domain/business-calendar';
import { patched } from '@temporalio/workflow';
import { attempt, markSent, sendOnce, wasSent } from '../entity-loop';
import type { ContributionReady, Preview, Rollover, WeeklyUpdateContext } from './messages';
import type { IncludedInWeeklyUpdateEvent } from '../release/messages';
import { instant, recordPublished, type WeeklyUpdateState } from './state';

/** A failed publication or mail is tried again after this long, until the week ends. */
export const RETRY_AFTER_MS = 15 * 60_000;

export interface WeeklyEffects {
  notion: Pick<NotionActivities, 'upsertPage' | 'readPageContent'>;
  gmail: Pick<GmailActivities, 'sendMail'>;
  rituals: Pick<
    RitualActivities,
    'loadWeeklyUpdateContext' | 'weeklyUpdateFacts' | 'takeRollovers' | 'weeklyWorkerKeys'
  >;
  /** Signals another week's workflow (late ticks after the hand-over). */
  forward(week: string, event: ContributionReady): Promise<void>;
  /** Tells a release that this week's update listed its launch (its Tier 1 step closes). */
  tellRelease(issueKey: string, event: IncludedInWeeklyUpdateEvent): Promise<void>;
  note(message: string): void;
}

const key = (state: WeeklyUpdateState, suffix: string) => `weekly-update:${state.week}:${suffix}`;

function ctx(state: WeeklyUpdateState): WeeklyUpdateContext {
  if (!state.context) throw new Error('the weekly update context is not loaded');
  return state.context;
}

/** "Thu 4 Jun 2026 14:00 (Europe/London)": the deadline as contributors read it. */
export function deadlineText(context: WeeklyUpdateContext): string {
  const { dates } = context;
  return `${longDate(dates.date)} ${localTimeOf(instant(dates.deadlineAt), dates.timezone)} (${dates.timezone})`;
}

/** The week's context from the configuration: its dates, contributors and recipients. */
export async function loadContext(state: WeeklyUpdateState, fx: WeeklyEffects): Promise<void> {
  state.context = await fx.rituals.loadWeeklyUpdateContext({ week: state.week });
  fx.note(
    `the ${state.week} update is on ${state.context.dates.date}, opening at ${state.context.dates.opensAt}`,
  );
}

/** Collection opens: who is away, the previous week's late contributions, the pages. */
export async function openCollection(state: WeeklyUpdateState, fx: WeeklyEffects): Promise<void> {
  const context = ctx(state);
  const facts = await fx.rituals.weeklyUpdateFacts({ date: context.dates.date, since: context.since });
  state.leave = facts.leave;
  state.contributions = context.contributors.map((c) => ({
    personId: c.id,
    name: c.name,
    status: onLeaveAllDay(facts.leave, c.id, context.dates.date) ? 'on-leave' : 'awaiting',
    pageId: null,
    url: null,
    readyAt: null,
    reminded: false,
  }));
  const away = state.contributions.filter((c) => c.status === 'on-leave').map((c) => c.personId);
  const fromWeek = context.previousWeek;
  const handed = fromWeek
    ? await attempt(
        () => fx.rituals.takeRollovers({ fromWeek, toWeek: state.week }),
        (cause) => fx.note(`could not take ${fromWeek}'s late contributions: ${cause}`),
      )
    : undefined;
  for (const r of handed?.rollovers ?? [])
    if (!state.rolledIn.some((x) => x.fromWeek === r.fromWeek && x.personId === r.personId))
      state.rolledIn.push(r);
  state.phase = Date.now() >= instant(context.dates.deadlineAt) ? 'closed' : 'collecting';
  fx.note(
    `collection opened for ${state.contributions.length} contributors${away.length ? `; on leave: ${away.join(', ')}` : ''}${state.rolledIn.length ? `; ${state.rolledIn.length} carried from last week` : ''}`,
  );
  await ensurePages(state, fx, facts);
}

/** Each contributor not on leave has their page, pre-filled; a page that failed is tried again. */
export async function ensurePages(
  state: WeeklyUpdateState,
  fx: WeeklyEffects,
  known?: WeeklyFacts,
): Promise<void> {
  const context = ctx(state);
  const dataSourceId = context.notion.weeklyUpdates;
  const wanted = state.contributions.filter(
    (c) =>
      c.pageId === null &&
      c.status === 'awaiting' &&
      !wasSent(state, key(state, `page-failed:${c.personId}`)),
  );
  if (!dataSourceId || wanted.length === 0 || state.published) return;
  const facts =
    known ?? (await fx.rituals.weeklyUpdateFacts({ date: context.dates.date, since: context.since }));
  for (const entry of wanted) {
    const contributor = context.contributors.find((c) => c.id === entry.personId)!;
    const page = await attempt(
      () =>
        fx.notion.upsertPage({
          idempotencyKey: key(state, `page:${entry.personId}`),
          dataSourceId,
          // Ready is left out: on a retry it must not untick what the contributor ticked.
          properties: {
            Name: { title: `${contributor.name} — ${state.week}` },
            Week: { rich_text: state.week },
            Person: { rich_text: contributor.id },
            'Product area': { rich_text: contributor.areas.join(', ') },
            Due: { date: { start: context.dates.deadlineAt } },
          },
          content: contributionDocument(contributor, facts, deadlineText(context)),
        }),
      (cause) => {
        // Not retried within the week: the contributor is told in the reminder instead.
        markSent(state, key(state, `page-failed:${entry.personId}`));
        fx.note(`could not make ${entry.personId}'s page: ${cause}`);
      },
    );
    if (page) {
      entry.pageId = page.id;
      entry.url = page.url;
      await tellReleasesOnPage(state, fx, facts, entry.personId, page);
    }
  }
}

/**
 * Patch: the releases a contributor's page is pre-filled with are told at once, which closes a
 * Tier 1 release's "PM updates weekly product update" step; runs from before told them at
 * publication only.
 */
export const TELL_RELEASES_AT_PREFILL_PATCH = 'weekly-tells-releases-at-prefill';

/** The launches this week that the contributor's page was pre-filled with, each told once. */
async function tellReleasesOnPage(
  state: WeeklyUpdateState,
  fx: WeeklyEffects,
  facts: WeeklyFacts,
  personId: string,
  page: { id: string; url: string },
): Promise<void> {
  const theirs = launchedThisWeek(facts).filter((r) => r.pmId === personId);
  if (theirs.length === 0 || !patched(TELL_RELEASES_AT_PREFILL_PATCH)) return;
  for (const release of theirs) {
    const told = key(state, `release:${release.issueKey}`);
    if (wasSent(state, told)) continue;
    await fx.tellRelease(release.issueKey, {
      week: state.week,
      pageId: page.id,
      url: page.url,
      via: 'contribution-page',
      deliveryId: told,
    });
    markSent(state, told);
  }
}

/** One mail to each contributor not ready at the reminder time. */
export async function sendReminders(state: WeeklyUpdateState, fx: WeeklyEffects): Promise<void> {
  const context = ctx(state);
  for (const entry of state.contributions.filter((c) => c.status === 'awaiting' && !c.reminded)) {
    const contributor = context.contributors.find((c) => c.id === entry.personId)!;
    const notice = reminderNotice({
      name: contributor.name,
      date: context.dates.date,
      deadline: deadlineText(context),
      url: entry.url,
    });
    const sent = await sendOnce(state, key(state, `reminder:${entry.personId}`), () =>
      attempt(
        () =>
          fx.gmail.sendMail({
            idempotencyKey: key(state, `reminder:${entry.personId}`),
            from: context.sender,
            to: [contributor.email],
            subject: notice.subject,
            text: notice.text,
            html: documentHtml(notice.text.split('\n').map((text) => ({ type: 'paragraph' as const, text }))),
          }),
        (cause) => fx.note(`could not remind ${entry.personId}: ${cause}`),
      ),
    );
    if (sent || wasSent(state, key(state, `reminder:${entry.personId}`))) entry.reminded = true;
  }
  markSent(state, key(state, 'reminders'));
}

async function contentOf(fx: WeeklyEffects, pageId: string | null, what: string): Promise<PageDocument> {
  if (!pageId) return [];
  const read = await attempt(
    () => fx.notion.readPageContent({ pageId }),
    (cause) => fx.note(`could not read ${what}: ${cause}`),
  );
  if (!read) throw new PublicationDeferred(`could not read ${what}`);
  return contributionBody(read.content);
}

/** A page that could not be read: publishing without it would drop someone's update. */
class PublicationDeferred extends Error {}

/** The page as it would be published now: highlights from the releases, then each area's section. */
export async function compose(
  state: WeeklyUpdateState,
  fx: WeeklyEffects,
): Promise<{ facts: WeeklyFacts; preview: Preview }> {
  const context = ctx(state);
  const facts = await fx.rituals.weeklyUpdateFacts({ date: context.dates.date, since: context.since });
  const sections: PublishedSection[] = [];
  for (const contributor of context.contributors) {
    // Before the week opens nobody has a contribution yet: a preview shows them as missing.
    const entry = state.contributions.find((c) => c.personId === contributor.id);
    const outcome =
      entry?.status === 'ready' || entry?.status === 'late'
        ? entry.status
        : entry?.status === 'on-leave'
          ? 'on-leave'
          : 'missing';
    const body =
      entry && (outcome === 'ready' || outcome === 'late')
        ? await contentOf(fx, entry.pageId, `${entry.personId}'s page`)
        : [];
    const rolledOver: PublishedSection['rolledOver'] = [];
    for (const r of state.rolledIn.filter((x: Rollover) => x.personId === contributor.id))
      rolledOver.push({
        week: r.fromWeek,
        body: await contentOf(fx, r.pageId, `${r.personId}'s ${r.fromWeek} page`),
      });
    sections.push({ contributor, outcome, body, rolledOver, url: entry?.url ?? null });
  }
  // Each page was read once above, in the contributors' order; the areas only arrange them.
  const areas = context.areas ?? areasOfContributors(context.contributors);
  const document = publishedDocument({ week: state.week, date: context.dates.date, facts, sections, areas });
  const title = updateTitle(context.dates.date);
  return { facts, preview: { title, document, text: `${title}\n\n${documentText(document)}` } };
}

/** Publication, once: the page, then the mail, then the releases it covered are told. */
export async function publish(
  state: WeeklyUpdateState,
  fx: WeeklyEffects,
  by: string,
  via?: string,
): Promise<void> {
  const context = ctx(state);
  let composed: Awaited<ReturnType<typeof compose>>;
  try {
    composed = await compose(state, fx);
  } catch (error) {
    if (!(error instanceof PublicationDeferred)) throw error;
    deferPublication(state, fx, error.message);
    return;
  }
  const { facts, preview } = composed;
  const dataSourceId = context.notion.productUpdates;
  let page: { id: string; url: string } | null = null;
  if (dataSourceId) {
    const made = await attempt(
      () =>
        fx.notion.upsertPage({
          idempotencyKey: key(state, 'published'),
          dataSourceId,
          properties: {
            Name: { title: preview.title },
            Week: { rich_text: state.week },
            Date: { date: { start: context.dates.date } },
          },
          content: preview.document,
        }),
      (cause) => fx.note(`could not write the published page: ${cause}`),
    );
    if (!made) {
      deferPublication(state, fx, 'could not write the published page');
      return;
    }
    page = { id: made.id, url: made.url };
  }
  recordPublished(state, page, by, Date.now(), via);
  fx.note(
    `published${by === 'schedule' ? '' : ` early by ${via ?? by}`}${page ? `: ${page.url}` : ' by mail only (no productUpdates data source)'}`,
  );
  await ensureMailed(state, fx, preview);
  // Launches no contributor's page carried (a PM on leave, a launch since the pages were made).
  for (const release of launchedThisWeek(facts)) {
    const told = key(state, `release:${release.issueKey}`);
    if (wasSent(state, told)) continue;
    await fx.tellRelease(release.issueKey, {
      week: state.week,
      pageId: state.published!.pageId,
      url: state.published!.url,
      via: 'published',
      deliveryId: told,
    });
    markSent(state, told);
  }
}

function deferPublication(state: WeeklyUpdateState, fx: WeeklyEffects, problem: string): void {
  state.publicationProblem = problem;
  state.retryPublicationAt = Date.now() + RETRY_AFTER_MS;
  fx.note(
    `publication deferred: ${problem}; trying again at ${new Date(state.retryPublicationAt).toISOString()}`,
  );
}

/** The mail to the stakeholders, once; after a failure, tried again at the next turn after a pause. */
export async function ensureMailed(
  state: WeeklyUpdateState,
  fx: WeeklyEffects,
  known?: Preview,
): Promise<void> {
  const published = state.published;
  if (!published || published.mailed) return;
  const context = ctx(state);
  const recipients = [...new Set(context.stakeholders.map((s) => s.email))];
  if (recipients.length === 0) {
    published.mailed = true;
    fx.note('no stakeholders configured: the update was not mailed');
    return;
  }
  let preview = known;
  if (!preview) {
    try {
      preview = (await compose(state, fx)).preview;
    } catch (error) {
      if (!(error instanceof PublicationDeferred)) throw error;
      state.retryPublicationAt = Date.now() + RETRY_AFTER_MS;
      return;
    }
  }
  const sent = await sendOnce(state, key(state, 'mail'), () =>
    attempt(
      () =>
        fx.gmail.sendMail({
          idempotencyKey: key(state, 'mail'),
          from: context.sender,
          to: recipients,
          subject: preview.title,
          text: `${published.url ? `${published.url}\n\n` : ''}${documentText(preview.document)}`,
          html: documentHtml(
            preview.document,
            published.url ? { url: published.url, text: `Open “${preview.title}” in Notion` } : undefined,
          ),
        }),
      (cause) => fx.note(`could not mail the update: ${cause}`),
    ),
  );
  if (sent || wasSent(state, key(state, 'mail'))) {
    published.mailed = true;
    published.recipients = recipients.length;
    state.retryPublicationAt = null;
  } else {
    state.retryPublicationAt = Date.now() + RETRY_AFTER_MS;
  }
}

/** Ticks that reached this week after next week took its hand-over go on to next week. */
export async function forwardLateTicks(state: WeeklyUpdateState, fx: WeeklyEffects): Promise<void> {
  const to = state.handedOverTo;
  if (!to) return;
  for (const r of state.rolledOver) {
    const forwarded = key(state, `forward:${r.fromWeek}:${r.personId}`);
    if (wasSent(state, forwarded)) continue;
    await fx.forward(to, {
      week: r.fromWeek,
      personId: r.personId,
      by: r.personId,
      ...(r.pageId ? { pageId: r.pageId } : {}),
      occurredAt: instant(r.readyAt),
      deliveryId: forwarded,
    });
    markSent(state, forwarded);
  }
}
