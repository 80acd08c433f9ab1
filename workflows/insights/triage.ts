/**
 * The weekly triage (`insights-triage:<ISO week>`), started by the scheduled launcher on the
 * first working day of the week: ranks every area's themes across the backlog shards, routes
 * each area's top N to its theme workflow (which opens or carries the round and writes the
 * theme's row), then writes one digest page per area and mails it to the area's PM, with every
 * piece of evidence and its link. Themes with open items in several areas go to the Head of
 * Product when they are new or have spread since last week.
 */
import { condition, setHandler, upsertMemo, workflowInfo } from '@temporalio/workflow';
import type { GmailActivities } from '../../activities/gmail';
import type { createInsightsActivities, ThemeRoute } from '../../activities/insights';
import type { NotionActivities } from '../../activities/notion';
import { localDateOf } from '../../domain/business-calendar';
import { areaDigestDocument, areaDigestNotice, crossCuttingNotice } from '../../domain/insights/content';
import { DIGEST_ROW } from '../../domain/insights/notion-rows';
import { noticeHtml } from '../../domain/release-content';
import { activitiesFor } from '../activity-options';
import { attempt } from '../entity-loop';
import {
  themeReady,
  triageStatus,
  type ThemeReady,
  type TriageInput,
  type TriageMemo,
  type TriageResult,
} from './messages';

type InsightsCore = ReturnType<typeof createInsightsActivities>;

/** How long the triage waits for the routed themes' rows before writing digests without links. */
export const THEME_ROWS_WAIT = '1 hour';

export async function insightsTriageWorkflow(input: TriageInput): Promise<TriageResult> {
  const { workflowId, taskQueue } = workflowInfo();
  const core = activitiesFor<InsightsCore>(null);
  const notion = activitiesFor<Pick<NotionActivities, 'upsertPage'>>('notion');
  const gmail = activitiesFor<Pick<GmailActivities, 'sendMail'>>('google');
  const result: TriageResult = {
    week: input.week,
    outcome: 'nothing-to-route',
    routed: [],
    digests: [],
    crossCutting: [],
    needsTagging: 0,
    problems: [],
  };
  const ready = new Map<string, ThemeReady>();
  setHandler(themeReady, (answer) => {
    ready.set(`${answer.area}:${answer.theme}`, answer);
  });
  setHandler(triageStatus, () => result);
  // What could not be done after its retries is said in the result, not hidden.
  const log = (what: string) => (cause: string) => {
    result.problems.push(`could not ${what}: ${cause}`);
  };

  const context = await core.loadInsightsContext({ at: Date.now() });
  const ranking = await core.rankInsights();
  result.needsTagging = ranking.needsTagging;
  result.crossCutting = ranking.crossCutting;
  upsertMemo({ triage: { crossCutting: ranking.crossCutting } satisfies TriageMemo });

  const routes: ThemeRoute[] = ranking.areas.flatMap((area) =>
    area.themes
      .filter((t) => t.routed)
      .map((t) => ({
        area: area.area,
        theme: t.theme,
        rank: t.rank,
        counts: {
          high: t.high,
          accounts: t.accounts,
          items: t.items,
          evidence: t.evidence,
          newest: t.newest,
        },
        itemIds: t.itemIds,
      })),
  );
  result.routed = routes.map((r) => ({ area: r.area, theme: r.theme, rank: r.rank, round: null, url: null }));

  if (routes.length > 0) {
    result.outcome = 'routed';
    await core.routeThemes({ week: input.week, triageId: workflowId, taskQueue, routes });
    // Every routed theme answers with its round and row; a theme that cannot is written without a link.
    await condition(() => routes.every((r) => ready.has(`${r.area}:${r.theme}`)), THEME_ROWS_WAIT);
    for (const row of result.routed) {
      const answer = ready.get(`${row.area}:${row.theme}`);
      row.round = answer?.round ?? null;
      row.url = answer?.url ?? null;
    }

    const today = localDateOf(Date.now(), context.orgCalendar.timezone);
    for (const area of ranking.areas) {
      const routed = area.themes.filter((t) => t.routed);
      if (routed.length === 0) continue;
      const digest = await core.composeAreaDigest({
        week: input.week,
        area: area.area,
        notRouted: area.themes.length - routed.length,
        themes: routed.map((t) => {
          const answer = ready.get(`${area.area}:${t.theme}`);
          return {
            theme: t.theme,
            rank: t.rank,
            counts: {
              high: t.high,
              accounts: t.accounts,
              items: t.items,
              evidence: t.evidence,
              newest: t.newest,
            },
            round: answer?.round ?? `${area.area}:${t.theme}:${input.week}`,
            since: answer?.since ?? input.week,
            routedOn: answer?.routedOn ?? today,
            remindOn: answer?.remindOn ?? today,
            url: answer?.url ?? null,
            itemIds: t.itemIds,
          };
        }),
      });
      const key = `${workflowId}:${area.area}`;
      let pageUrl: string | null = null;
      if (context.notion.insightDigests) {
        const page = await attempt(
          () =>
            notion.upsertPage({
              idempotencyKey: key,
              dataSourceId: context.notion.insightDigests!,
              properties: {
                [DIGEST_ROW.name]: { title: `Insights — ${digest.area.name} — ${input.week}` },
                [DIGEST_ROW.kind]: { select: 'Weekly' },
                [DIGEST_ROW.area]: { select: digest.area.name },
                [DIGEST_ROW.period]: { rich_text: input.week },
                [DIGEST_ROW.date]: { date: { start: today } },
              },
              content: areaDigestDocument(digest),
            }),
          log(`write the digest page of ${area.area}`),
        );
        pageUrl = page?.url ?? null;
      }
      const pm = context.people[digest.pm.id];
      const notice = areaDigestNotice(digest, pageUrl);
      const mailed = pm
        ? await attempt(
            () =>
              gmail.sendMail({
                idempotencyKey: key,
                from: context.sender,
                to: [pm.email],
                subject: notice.subject,
                text: notice.text,
                html: noticeHtml(notice.text),
              }),
            log(`mail the digest of ${area.area}`),
          )
        : undefined;
      result.digests.push({ area: area.area, pageUrl, mailed: mailed !== undefined });
    }
  }

  // Cross-cutting patterns: new ones, and those that reached another area since last week.
  const head = context.headOfProduct ? context.people[context.headOfProduct] : undefined;
  if (head && ranking.crossCutting.length > 0) {
    const before = (await core.previousCrossCutting({ week: input.week })) ?? [];
    const raised = ranking.crossCutting.flatMap((t) => {
      const last = before.find((b) => b.theme === t.theme);
      if (!last) return [{ ...t, isNew: true }];
      return t.areas.some((a) => !last.areas.includes(a)) ? [{ ...t, isNew: false }] : [];
    });
    if (raised.length > 0) {
      const notice = crossCuttingNotice({
        headName: head.name,
        week: input.week,
        themes: raised,
        areaName: (id) => context.areas.find((a) => a.id === id)?.name ?? id,
      });
      await attempt(
        () =>
          gmail.sendMail({
            idempotencyKey: `${workflowId}:cross-cutting`,
            from: context.sender,
            to: [head.email],
            subject: notice.subject,
            text: notice.text,
            html: noticeHtml(notice.text),
          }),
        log('mail the cross-cutting patterns'),
      );
    }
  }
  return result;
}
