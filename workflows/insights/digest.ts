/**
 * The Monthly Insights Digest (`insights-digest:<YYYY-MM>`), started by the scheduled launcher on
 * the first working day of the next month: "Insights Digest — <month>" in Notion and by mail to
 * the Monthly Insights Review's attendees. It lists the top themes, evidence counts,
 * dispositions by PM, what is still open, the High items still unresolved (escalated into the
 * review) and the cross-cutting patterns, with the share of routed themes that got a
 * disposition within 10 working days. `prodops insights report` prints the same report.
 */
import { workflowInfo } from '@temporalio/workflow';
import type { GmailActivities } from '../../activities/gmail';
import type { createInsightsActivities } from '../../activities/insights';
import type { NotionActivities } from '../../activities/notion';
import { localDateOf } from '../../domain/business-calendar';
import {
  monthlyDigestDocument,
  monthlyDigestNotice,
  monthlyDigestTitle,
  type DigestNames,
} from '../../domain/insights/content';
import { DIGEST_ROW } from '../../domain/insights/notion-rows';
import { noticeHtml } from '../../domain/release-content';
import { activitiesFor } from '../activity-options';
import { attempt } from '../entity-loop';
import type { DigestInput, DigestResult } from './messages';

type InsightsCore = ReturnType<typeof createInsightsActivities>;

export async function insightsDigestWorkflow(input: DigestInput): Promise<DigestResult> {
  const { workflowId } = workflowInfo();
  const core = activitiesFor<InsightsCore>(null);
  const notion = activitiesFor<Pick<NotionActivities, 'upsertPage'>>('notion');
  const gmail = activitiesFor<Pick<GmailActivities, 'sendMail'>>('google');
  const problems: string[] = [];
  const failed = (what: string) => (cause: string) => problems.push(`could not ${what}: ${cause}`);

  const context = await core.loadInsightsContext({ at: Date.now() });
  const report = await core.composeMonthlyReport({ month: input.month, at: Date.now() });
  const names: DigestNames = {
    areaName: (id) => context.areas.find((a) => a.id === id)?.name ?? id,
    pmName: (id) => context.people[id]?.name ?? id,
  };

  let pageUrl: string | null = null;
  if (context.notion.insightDigests) {
    const page = await attempt(
      () =>
        notion.upsertPage({
          idempotencyKey: workflowId,
          dataSourceId: context.notion.insightDigests!,
          properties: {
            [DIGEST_ROW.name]: { title: monthlyDigestTitle(input.month) },
            [DIGEST_ROW.kind]: { select: 'Monthly' },
            [DIGEST_ROW.period]: { rich_text: input.month },
            [DIGEST_ROW.date]: { date: { start: localDateOf(Date.now(), context.orgCalendar.timezone) } },
          },
          content: monthlyDigestDocument(report, names),
        }),
      failed('write the digest page'),
    );
    pageUrl = page?.url ?? null;
  }
  const recipients = [
    ...new Set(
      context.digestRecipients.map((id) => context.people[id]?.email).filter((e): e is string => !!e),
    ),
  ];
  const notice = monthlyDigestNotice(report, names, pageUrl);
  const mailed =
    recipients.length > 0
      ? await attempt(
          () =>
            gmail.sendMail({
              idempotencyKey: workflowId,
              from: context.sender,
              to: recipients,
              subject: notice.subject,
              text: notice.text,
              html: noticeHtml(notice.text),
            }),
          failed('mail the digest'),
        )
      : undefined;
  return { month: input.month, pageUrl, mailed: mailed !== undefined, report, problems };
}
