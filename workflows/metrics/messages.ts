/**
 * The monthly metrics page's contract: the `prodops-metrics-monthly` schedule fires daily and
 * starts one workflow whenever none is going, so once a month (on the first, or the first day it
 * could); it closes last month's page and keeps this month's "Product Ops metrics — <month>" page
 * current until the month ends.
 */
import { defineQuery } from '@temporalio/workflow';

export const METRICS_WORKFLOW_TYPE = 'productOpsMetricsWorkflow';
export const METRICS_SCHEDULE_ID = 'prodops-metrics-monthly';

export interface MetricsInput {
  /** The month to keep current (YYYY-MM); the current month on the rituals' calendar when absent. */
  month?: string;
}

export interface MetricsPageRecord {
  month: string;
  pageId: string;
  url: string;
  refreshedAt: string;
  final: boolean;
}

export interface MetricsStatus {
  month: string | null;
  pages: MetricsPageRecord[];
  log: { at: string; message: string }[];
}

export const metricsStatus = defineQuery<MetricsStatus>('metricsStatus');
