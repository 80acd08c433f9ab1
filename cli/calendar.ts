/**
 * `prodops calendar watch [--all | --person ID]`: makes sure the calendar-sync workflow of each
 * calendar runs, opens a fresh push channel at the public URL, and syncs once. Signal-with-start
 * is idempotent, so running it again (or on every `npm start`) is safe.
 *
 * `prodops calendar status --person ID`: what the sync of one calendar has seen and done.
 */
import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { calendarSyncWorkflowId } from '../contracts/ids';
import type { OrgConfig } from '../domain/config';
import { loadConfig } from '../runtime/config';
import { calendarSyncTargets, type CalendarTarget } from '../triggers/calendar';
import { calendarAddress, DEFAULT_GATEWAY_PORT, PUBLIC_URL_ENV } from '../triggers/endpoints';
import { unsafeUrlReason } from '../domain/config';
import {
  calendarChanged,
  calendarSyncStatus,
  CALENDAR_SYNC_WORKFLOW_TYPE,
  type CalendarChanged,
  type CalendarSyncInput,
} from '../workflows/calendar-sync/messages';
import { CliError } from './errors';
import type { CliIO } from './main';
import { asServiceError, queryWorkflow, withSession, type WorkflowCommandOptions } from './workflow-commands';

export const DEFAULT_PUBLIC_URL = `http://127.0.0.1:${DEFAULT_GATEWAY_PORT}`;

/** `--public-url`, then PRODOPS_PUBLIC_URL, then the local gateway. */
export function publicUrlFrom(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const url = (explicit ?? env[PUBLIC_URL_ENV] ?? DEFAULT_PUBLIC_URL).trim();
  const reason = /^https?:\/\/[^\s/]+/.test(url) ? unsafeUrlReason(url) : 'must be an http(s) URL';
  if (reason)
    throw CliError.usage(`the public URL ${reason}, got "${url}" (--public-url or ${PUBLIC_URL_ENV})`);
  return url.replace(/\/+$/, '');
}

export function selectTargets(
  config: OrgConfig,
  options: { all?: boolean; person?: string },
): CalendarTarget[] {
  if (options.all && options.person) throw CliError.usage('pass --all or --person, not both');
  if (!options.all && !options.person) throw CliError.usage('pass --all, or --person ID for one calendar');
  const targets = calendarSyncTargets(config);
  if (options.all) return targets;
  const target = targets.find((t) => t.personId === options.person);
  if (!target) throw CliError.usage(`--person "${options.person}" is not a person in the configuration`);
  return [target];
}

/** Signal-with-start of each calendar's sync: it runs afterwards, with a channel at `address`. */
export async function watchCalendars(
  client: Client,
  targets: CalendarTarget[],
  options: { taskQueue: string; address: string | null; renewChannel?: boolean },
): Promise<string[]> {
  const ids: string[] = [];
  for (const target of targets) {
    const input: CalendarSyncInput = { ...target, address: options.address };
    const change: CalendarChanged = {
      reason: 'watch',
      address: options.address,
      ...(options.renewChannel ? { renewChannel: true } : {}),
    };
    const workflowId = calendarSyncWorkflowId(target.calendarId);
    await client.workflow.signalWithStart(CALENDAR_SYNC_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: options.taskQueue,
      args: [input],
      signal: calendarChanged,
      signalArgs: [change],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    ids.push(workflowId);
  }
  return ids;
}

export function registerCalendarCommands(
  program: Command,
  io: CliIO,
  options: WorkflowCommandOptions = {},
): void {
  const calendar = program
    .command('calendar')
    .description('watch Google calendars for leave and invite answers');
  calendar
    .command('watch')
    .description('start (or refresh) the sync of calendars: push channel, periodic sync, dispatch')
    .option('--all', 'every person’s calendar and the sender mailbox’s')
    .option('--person <id>', 'one person’s calendar')
    .option(
      '--public-url <url>',
      `where Google can reach the calendar function (default: $${PUBLIC_URL_ENV} or ${DEFAULT_PUBLIC_URL})`,
    )
    .option('--json', 'print the calendars watched and their workflows as one JSON object')
    .option('--config <path>', 'configuration file (default: $PRODOPS_CONFIG or ./prodops.config.yaml)')
    .action(
      async (opts: {
        all?: boolean;
        person?: string;
        publicUrl?: string;
        json?: boolean;
        config?: string;
      }) => {
        const { config } = loadConfig(opts.config);
        const targets = selectTargets(config, opts);
        const address = calendarAddress(publicUrlFrom(opts.publicUrl));
        await withSession(config, options, async ({ client }) => {
          const ids = await watchCalendars(client, targets, {
            taskQueue: config.temporal.taskQueue,
            address,
            renewChannel: true,
          }).catch((error: unknown) => {
            throw asServiceError(error);
          });
          if (opts.json) {
            const watching = ids.map((workflowId, i) => ({ calendarId: targets[i]!.calendarId, workflowId }));
            io.out(JSON.stringify({ watching, address }));
            return;
          }
          for (const [i, id] of ids.entries()) io.out(`watching ${targets[i]!.calendarId} (${id})`);
          io.out(`channels post to ${address}`);
        });
      },
    );

  calendar
    .command('status')
    .description('what the sync of one calendar has seen and done')
    .requiredOption('--person <id>', 'whose calendar')
    .option('--json', 'print one JSON object')
    .option('--config <path>', 'configuration file (default: $PRODOPS_CONFIG or ./prodops.config.yaml)')
    .action(async (opts: { person: string; json?: boolean; config?: string }) => {
      const { config } = loadConfig(opts.config);
      const [target] = selectTargets(config, { person: opts.person });
      const workflowId = calendarSyncWorkflowId(target!.calendarId);
      await withSession(config, options, async (session) => {
        const status = await queryWorkflow(
          session,
          { workflowId, kind: 'calendar sync', label: target!.calendarId },
          calendarSyncStatus,
        );
        if (opts.json) {
          io.out(JSON.stringify(status));
          return;
        }
        io.out(
          `${status.calendarId}: ${status.syncs} syncs (${status.fullResyncs} full), last ${status.lastSyncAt ?? 'never'}`,
        );
        io.out(
          status.channel
            ? `channel ${status.channel.channelId} until ${new Date(status.channel.expiration).toISOString()} → ${status.channel.address}`
            : 'no push channel (polling only)',
        );
        io.out(
          `following ${status.following.outOfOffice} out-of-office events and ${status.following.invites} invites; ${status.dispatched} signals sent`,
        );
        for (const line of status.log.slice(-10)) io.out(`  ${line.at}  ${line.message}`);
      });
    });
}
