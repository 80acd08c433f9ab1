/**
 * Custom search attributes prodops writes, so that questions such as "all Tier 3 launches at
 * risk this month", "who is off next week" or "which freelancers are offboarding" are visibility queries, not scans.
 * Registered on the dev server by `prodops start` and the test environments; on Temporal Cloud
 * or a self-hosted cluster, `prodops temporal setup` (or `temporal operator search-attribute
 * create`) registers them once.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const ReleaseTier = defineSearchAttributeKey('ReleaseTier', SearchAttributeType.INT);
export const LaunchDate = defineSearchAttributeKey('LaunchDate', SearchAttributeType.DATETIME);
export const EnablementStatus = defineSearchAttributeKey('EnablementStatus', SearchAttributeType.KEYWORD);
export const ProductArea = defineSearchAttributeKey('ProductArea', SearchAttributeType.KEYWORD);
export const LeaveStatus = defineSearchAttributeKey('LeaveStatus', SearchAttributeType.KEYWORD);
export const Team = defineSearchAttributeKey('Team', SearchAttributeType.KEYWORD);
export const LeaveStart = defineSearchAttributeKey('LeaveStart', SearchAttributeType.DATETIME);
export const LeaveEnd = defineSearchAttributeKey('LeaveEnd', SearchAttributeType.DATETIME);
export const OnboardingPhase = defineSearchAttributeKey('OnboardingPhase', SearchAttributeType.KEYWORD);
export const StartDate = defineSearchAttributeKey('StartDate', SearchAttributeType.DATETIME);
export const EndDate = defineSearchAttributeKey('EndDate', SearchAttributeType.DATETIME);

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
] as const;
