/**
 * A leave request as it begins in production: the person blocks an out-of-office day in their
 * calendar (in the sandbox's Google Calendar), and the calendar dispatcher signals-with-start the
 * leave workflow with the request and the event's first signal. Answers the workflow and the
 * event, which later changes name.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Sandbox } from '../../sandbox/index';
import { addCalendarDays, type CalendarDate } from '../../domain/business-calendar';
import { leaveWorkflow } from '../../workflows/leave/workflow';
import { leaveWorkflowId, outOfOfficeChanged, type LeaveRequestInput } from '../../workflows/leave/messages';

export async function startLeaveFromOutOfOffice(options: {
  client: Client;
  taskQueue: string;
  google: Sandbox['google']['store'];
  person: { id: string; email: string };
  /** The first day off; the request covers it and the next day. */
  first: CalendarDate;
}): Promise<{ handle: WorkflowHandle<typeof leaveWorkflow>; event: { id: string; updated: string } }> {
  const { client, taskQueue, google, person, first } = options;
  const ooo = google.createEventAs(person.email, {
    summary: 'Holiday',
    eventType: 'outOfOffice',
    start: { dateTime: `${first}T00:00:00`, timeZone: 'Europe/London' },
    end: { dateTime: `${addCalendarDays(first, 2)}T00:00:00`, timeZone: 'Europe/London' },
    outOfOfficeProperties: { autoDeclineMode: 'declineOnlyNewConflictingInvitations' },
  }) as { id: string; updated: string };
  const request: LeaveRequestInput = {
    personId: person.id,
    from: first,
    to: addCalendarDays(first, 1),
    reason: 'Holiday',
    source: 'calendar',
    outOfOfficeEvent: { calendarId: person.email, eventId: ooo.id },
  };
  const handle = await client.workflow.signalWithStart(leaveWorkflow, {
    taskQueue,
    workflowId: leaveWorkflowId(person.id, first),
    args: [request],
    signal: outOfOfficeChanged,
    signalArgs: [
      {
        calendarId: person.email,
        eventId: ooo.id,
        status: 'confirmed',
        from: request.from,
        to: request.to,
        occurredAt: Date.parse(ooo.updated),
      },
    ],
  });
  return { handle, event: ooo };
}
