/**
 * The names every side agrees on. The formats are public (the README documents them, and running
 * workflows carry them), so a change here is a migration, not a refactoring.
 */
import { describe, expect, it } from 'vitest';
import {
  calendarSyncWorkflowId,
  leaveCoordinatorId,
  leaveWorkflowId,
  notionEventWorkflowId,
  PRODOPS_WORKFLOW_ID_PROPERTY,
  readinessSubtaskKey,
  releaseWorkflowId,
} from '../../contracts/ids';
import {
  channelFamily,
  channelFamilyForKey,
  channelIdBase,
  channelToken,
  parseChannelId,
} from '../../contracts/node/channels';
import {
  calendarEventId,
  isEventIdOf,
  jiraLabel,
  secretCalendarEventId,
} from '../../contracts/node/idempotency';
import * as calendarSyncMessages from '../../workflows/calendar-sync/messages';
import * as leaveMessages from '../../workflows/leave/messages';
import * as notionEventMessages from '../../workflows/notion-event/messages';
import * as releaseMessages from '../../workflows/release/messages';

describe('contracts', () => {
  it('workflow ids', () => {
    expect(releaseWorkflowId('REL-7')).toBe('release:REL-7');
    expect(leaveWorkflowId('ana', '2027-03-01')).toBe('leave:ana:2027-03-01');
    expect(leaveCoordinatorId('growth')).toBe('leave-coordinator:growth');
    expect(calendarSyncWorkflowId('Ana@Example.com')).toBe('calendar-sync:ana@example.com');
    expect(notionEventWorkflowId('evt-1')).toBe('notion-event:evt-1');
    expect(PRODOPS_WORKFLOW_ID_PROPERTY).toBe('prodopsWorkflowId');
  });

  it('the workflows’ messages re-export the same ids, so their clients keep compiling', () => {
    expect(releaseMessages.releaseWorkflowId).toBe(releaseWorkflowId);
    expect(leaveMessages.leaveWorkflowId).toBe(leaveWorkflowId);
    expect(leaveMessages.leaveCoordinatorId).toBe(leaveCoordinatorId);
    expect(calendarSyncMessages.calendarSyncWorkflowId).toBe(calendarSyncWorkflowId);
    expect(calendarSyncMessages.PRODOPS_WORKFLOW_ID_PROPERTY).toBe(PRODOPS_WORKFLOW_ID_PROPERTY);
    expect(notionEventMessages.notionEventWorkflowId).toBe(notionEventWorkflowId);
  });

  it('the readiness sub-task key, and the Jira label the trigger recognises it by', () => {
    expect(readinessSubtaskKey('REL-7', 'support')).toBe('release:REL-7:support-readiness');
    expect(readinessSubtaskKey('REL-7', 'sales')).toBe('release:REL-7:sales-readiness');
    expect(jiraLabel(readinessSubtaskKey('REL-7', 'sales'))).toMatch(/^prodops-[0-9a-f]{20}$/);
    expect(jiraLabel(readinessSubtaskKey('REL-7', 'sales'))).not.toBe(
      jiraLabel(readinessSubtaskKey('REL-7', 'support')),
    );
  });

  it('derived ids are stable: a retry finds what the first attempt made', () => {
    const id = calendarEventId('release:REL-7:readiness-check');
    expect(id).toMatch(/^po[0-9a-v]{32}$/);
    expect(calendarEventId('release:REL-7:readiness-check')).toBe(id);
    // The same invite key gives the same secret id, another secret another one, none the plain id.
    const invite = secretCalendarEventId('leave:gita:2027-03-01:r1:approval-invite:hana', 'worker-secret');
    expect(invite).toMatch(/^ps[0-9a-v]{51}$/);
    expect(secretCalendarEventId('leave:gita:2027-03-01:r1:approval-invite:hana', 'worker-secret')).toBe(
      invite,
    );
    expect(secretCalendarEventId('leave:gita:2027-03-01:r1:approval-invite:hana', 'other-secret')).not.toBe(
      invite,
    );
    expect(isEventIdOf(invite, 'leave:gita:2027-03-01:r1:approval-invite:hana', 'worker-secret')).toBe(true);
    expect(isEventIdOf(invite, 'leave:gita:2027-03-01:r1:approval-invite:hana', undefined)).toBe(false);
    const family = channelIdBase('calendar-sync:ana@example.com:channel:1', 1_900_000_000);
    expect(family).toBe(`${channelFamilyForKey('calendar-sync:ana@example.com:channel:1')}_1900000000`);
    expect(channelFamily(family)).toBe(family);
    expect(channelFamily(`${family}-2`)).toBe(family);
    expect(parseChannelId(`${family}-2`)).toEqual({ family, expiresAt: 1_900_000_000_000 });
    expect(channelFamily('prodops-not-hex')).toBeNull();
    expect(channelFamily(channelFamilyForKey('calendar-sync:ana@example.com:channel:1'))).toBeNull();
    // The token binds the family to the calendar, case aside.
    expect(channelToken('s', family, 'Ana@Example.com')).toBe(channelToken('s', family, 'ana@example.com'));
    expect(channelToken('s', family, 'ana@example.com')).not.toBe(
      channelToken('s', family, 'ben@example.com'),
    );
  });
});
