/**
 * One turn of a routed theme: its rows in Notion show its rounds, the backlog shards know which
 * items are routed and which are decided, and every triage waiting for the theme has heard its
 * row's link. Each step compares what should be with what was done, so a turn repeated after a
 * failure does only what is missing.
 */
import { getExternalWorkflowHandle } from '@temporalio/workflow';
import type { GmailActivities } from '../../../activities/gmail';
import type { NotionActivities, NotionPropertyInputs } from '../../../activities/notion';
import { insightsBacklogId, parseInsightId } from '../../../contracts/ids';
import { fnv1a } from '../../../domain/insights/backlog';
import { THEME_ROW, THEME_STATUS_LABELS } from '../../../domain/insights/notion-rows';
import { labelOf } from '../../../domain/insights/taxonomy';
import { noticeHtml, type Notice } from '../../../domain/release-content';
import { attempt, sendOnce, type Progress } from '../../entity-loop';
import { roundChanged, themeReady, type ThemeInput } from '../messages';
import { areaOf, type ThemeRound, type ThemeState } from './state';

export interface ThemeEffects {
  notion: Pick<NotionActivities, 'upsertPage' | 'listUsers'>;
  gmail: Pick<GmailActivities, 'sendMail'>;
  note: (message: string) => void;
}

export interface ThemeRun {
  readonly input: ThemeInput;
  readonly workflowId: string;
  readonly state: ThemeState;
  readonly effects: ThemeEffects;
}

/** The idempotency key of a round's row in the insightThemes data source. */
export const roundRowKey = (round: string) => `insight-round:${round}`;

export function tryTo<T>(run: ThemeRun, what: string, action: () => Promise<T>): Promise<T | undefined> {
  return attempt(action, (cause) => run.effects.note(`could not ${what}: ${cause}`));
}

function rowOf(run: ThemeRun, round: ThemeRound): { properties: NotionPropertyInputs; fingerprint: string } {
  const context = run.state.context!;
  const R = THEME_ROW;
  const areaName = areaOf(context, run.input)?.name ?? round.area;
  const pm = context.people[round.pm];
  const pmUser = pm ? run.state.notionUsers?.[pm.email.toLowerCase()] : undefined;
  const refusal = [...run.state.refusals].reverse().find((r) => r.reason.includes(round.round));
  const decidedBy = round.decision ? (context.people[round.decision.by]?.name ?? round.decision.by) : '';
  const properties: NotionPropertyInputs = {
    [R.name]: { title: `${areaName} · ${labelOf(round.theme)} — ${round.weeks[0]}` },
    [R.area]: { select: areaName },
    [R.theme]: { select: labelOf(round.theme) },
    ...(pmUser ? { [R.pm]: { people: [pmUser] } } : {}),
    [R.weeks]: { rich_text: round.weeks.join(', ') },
    [R.routed]: { date: { start: round.routedOn } },
    [R.high]: { number: round.counts.high },
    [R.accounts]: { number: round.counts.accounts },
    [R.items]: { number: round.counts.items },
    [R.evidence]: { number: round.counts.evidence },
    [R.status]: { select: round.decision ? THEME_STATUS_LABELS.decided : THEME_STATUS_LABELS.open },
    [R.disposition]: { select: round.decision ? labelOf(round.decision.disposition) : null },
    [R.rationale]: { rich_text: round.decision?.rationale ?? '' },
    [R.decidedBy]: { rich_text: decidedBy },
    [R.note]: { rich_text: refusal && !round.decision ? `Not taken: ${refusal.reason}` : '' },
  };
  return { properties, fingerprint: fnv1a(JSON.stringify(properties)).toString(16) };
}

async function publishRow(run: ThemeRun, round: ThemeRound): Promise<void> {
  const dataSourceId = run.state.context!.notion.insightThemes;
  if (!dataSourceId) return;
  const { properties, fingerprint } = rowOf(run, round);
  if (round.published === fingerprint && round.pageId) return;
  const written = await tryTo(run, `write the Notion row of ${round.round}`, () =>
    run.effects.notion.upsertPage({ idempotencyKey: roundRowKey(round.round), dataSourceId, properties }),
  );
  if (written) {
    round.pageId = written.id;
    round.url = written.url || null;
  }
  // A row that cannot be written is noted and left until the round changes again.
  round.published = fingerprint;
}

async function loadNotionUsers(run: ThemeRun): Promise<void> {
  const { state } = run;
  if (state.notionUsers !== null || !state.context!.notion.insightThemes) return;
  const listed = await tryTo(run, 'read the Notion users', () => run.effects.notion.listUsers());
  state.notionUsers = {};
  for (const user of listed?.users ?? [])
    if (user.email) state.notionUsers[user.email.toLowerCase()] = user.id;
}

/** Tells each shard holding items of the round that they are routed, or decided. */
async function tellBacklogs(run: ThemeRun, round: ThemeRound): Promise<void> {
  const decided = round.decision?.disposition ?? null;
  const ids = decided ? round.itemIds : round.itemIds.filter((id) => !round.told.includes(id));
  if (ids.length === 0 || (decided && round.toldDecision)) return;
  const byShard = new Map<number, string[]>();
  for (const id of ids) {
    const shard = parseInsightId(id)?.shard;
    if (shard === undefined) continue;
    byShard.set(shard, [...(byShard.get(shard) ?? []), id]);
  }
  for (const [shard, list] of byShard) {
    const deliveryId = decided
      ? `${round.round}:decided`
      : `${round.round}:routed:${round.told.length}:${list.length}`;
    try {
      await getExternalWorkflowHandle(insightsBacklogId(shard)).signal(roundChanged, {
        round: round.round,
        ids: list,
        decided,
        deliveryId,
      });
    } catch (error) {
      run.effects.note(`could not tell ${insightsBacklogId(shard)} about ${round.round}: ${String(error)}`);
    }
  }
  if (decided) round.toldDecision = true;
  else round.told.push(...ids);
}

/** Each triage waiting for the theme hears its round and row, then writes its digest. */
async function answerTriages(run: ThemeRun, round: ThemeRound): Promise<void> {
  const waiting = [...round.answering];
  round.answering = [];
  for (const triageId of waiting) {
    try {
      await getExternalWorkflowHandle(triageId).signal(themeReady, {
        area: round.area,
        theme: round.theme,
        round: round.round,
        since: round.weeks[0]!,
        routedOn: round.routedOn,
        remindOn: round.remindOn,
        url: round.url,
      });
    } catch (error) {
      // The triage has moved on without the link (it waits an hour at most).
      run.effects.note(`could not answer ${triageId}: ${String(error)}`);
    }
  }
}

/** Mails a notice once per key; a mail that failed for good may be tried again later. */
export async function notify(run: ThemeRun, key: string, to: string[], notice: Notice): Promise<boolean> {
  const context = run.state.context!;
  const recipients = [...new Set(to.map((id) => context.people[id]?.email).filter((e): e is string => !!e))];
  return sendOnce(run.state, key, async () => {
    if (recipients.length === 0) return undefined;
    return tryTo(run, `send "${notice.subject}"`, () =>
      run.effects.gmail.sendMail({
        idempotencyKey: key,
        from: context.sender,
        to: recipients,
        subject: notice.subject,
        text: notice.text,
        html: noticeHtml(notice.text),
      }),
    );
  });
}

export async function reconcile(run: ThemeRun): Promise<Progress> {
  const { state } = run;
  await loadNotionUsers(run);
  const open = state.open;
  if (open) {
    await publishRow(run, open);
    await tellBacklogs(run, open);
    await answerTriages(run, open);
  }
  // Rounds decided since the last turn: their rows show the decision, the backlog closes their items.
  for (const round of state.rounds.slice(-5)) {
    await publishRow(run, round);
    await tellBacklogs(run, round);
    await answerTriages(run, round);
  }
  return 'idle';
}
