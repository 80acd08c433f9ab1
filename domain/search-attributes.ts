/**
 * Custom search attributes prodops writes, so that questions such as "all Tier 3 launches at
 * risk this month", "who is off next week" or "which freelancers are offboarding" are visibility queries, not scans.
 * Registered on the dev server by `prodops start` and the test environments; on Temporal Cloud
 * or a self-hosted cluster, `prodops temporal setup` (or `temporal operator search-attribute
 * create`) registers them once.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** temporal.api.enums.v1.IndexedValueType, by the SDK's names for search attribute types. */
export const INDEXED_VALUE_TYPE = {
  TEXT: 1,
  KEYWORD: 2,
  INT: 3,
  DOUBLE: 4,
  BOOL: 5,
  DATETIME: 6,
  KEYWORD_LIST: 7,
} as const;

export const ReleaseTier = defineSearchAttributeKey('ReleaseTier', SearchAttributeType.INT);
export const LaunchDate = defineSearchAttributeKey('LaunchDate', SearchAttributeType.DATETIME);
export const EnablementStatus = defineSearchAttributeKey('EnablementStatus', SearchAttributeType.KEYWORD);
export const ProductArea = defineSearchAttributeKey('ProductArea', SearchAttributeType.KEYWORD);
export const LeaveStatus = defineSearchAttributeKey('LeaveStatus', SearchAttributeType.KEYWORD);
export const Team = defineSearchAttributeKey('Team', SearchAttributeType.KEYWORD);
export const LeaveStart = defineSearchAttributeKey('LeaveStart', SearchAttributeType.DATETIME);
export const LeaveEnd = defineSearchAttributeKey('LeaveEnd', SearchAttributeType.DATETIME);
export const OnboardingPhase = defineSearchAttributeKey('OnboardingPhase', SearchAttributeType.KEYWORD);
/**
 * An engagement's start and end, as calendar dates written YYYY-MM-DD. Keywords rather than
 * datetimes: SQL visibility stores (the dev server, PostgreSQL, MySQL) hold at most three
 * datetime attributes per namespace, which LaunchDate, LeaveStart and LeaveEnd already take. ISO
 * dates compare in calendar order, and every store answers <, <=, > and >= on keywords.
 */
export const StartDate = defineSearchAttributeKey('StartDate', SearchAttributeType.KEYWORD);
export const EndDate = defineSearchAttributeKey('EndDate', SearchAttributeType.KEYWORD);
/** A subscription's lifecycle: active, missed, cancelled, lapsed or invalid (decisions are in its memo). */
export const RenewalStatus = defineSearchAttributeKey('RenewalStatus', SearchAttributeType.KEYWORD);
/**
 * A subscription's notice deadline, written YYYY-MM-DD: a keyword, which compares in date order,
 * because SQL visibility stores (the dev server, self-hosted Temporal) hold only 3 datetime
 * attributes per namespace and releases and leave use them.
 */
export const NoticeDeadline = defineSearchAttributeKey('NoticeDeadline', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [
  ReleaseTier,
  LaunchDate,
  EnablementStatus,
  ProductArea,
  LeaveStatus,
  Team,
  LeaveStart,
  LeaveEnd,
  OnboardingPhase,
  StartDate,
  EndDate,
  RenewalStatus,
  NoticeDeadline,
] as const;
