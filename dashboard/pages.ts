/**
 * The dashboard's pages for the gateway: `/dashboard` (HTML) and `/dashboard.json` (the same
 * model). Reading every running release costs a query each, so the model is kept for a minute
 * and shared by every viewer in that minute; an unreachable Temporal is a 503 in one line.
 */
import type { Client } from '@temporalio/client';
import type { OrgConfig } from '../domain/config';
import type { PageHandler } from '../triggers/gateway';
import { readDashboard } from './data';
import type { DashboardModel } from './model';
import { DASHBOARD_CSP, renderDashboard } from './render';

export const DASHBOARD_CACHE_MS = 60_000;

export interface DashboardOptions {
  client: Client;
  config: OrgConfig;
  cacheMs?: number;
  log?: (line: string) => void;
  now?: () => number;
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export function dashboardPages(options: DashboardOptions): Record<string, PageHandler> {
  const now = options.now ?? (() => Date.now());
  let cached: { at: number; model: Promise<DashboardModel> } | null = null;
  const model = (): Promise<DashboardModel> => {
    const at = now();
    if (!cached || at - cached.at > (options.cacheMs ?? DASHBOARD_CACHE_MS)) {
      const reading = readDashboard(options.client, options.config, at);
      cached = { at, model: reading };
      // A failed read is not kept: the next viewer tries again.
      reading.catch(() => {
        if (cached?.model === reading) cached = null;
      });
    }
    return cached.model;
  };
  const unavailable = (error: unknown) => {
    const line = `the dashboard cannot read Temporal: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
    options.log?.(`dashboard: ${line}`);
    return line;
  };
  return {
    '/dashboard': async () => {
      try {
        return {
          status: 200,
          headers: {
            'content-type': 'text/html; charset=utf-8',
            'content-security-policy': DASHBOARD_CSP,
            ...SECURITY_HEADERS,
          },
          body: renderDashboard(await model()),
        };
      } catch (error) {
        return {
          status: 503,
          headers: { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '30', ...SECURITY_HEADERS },
          body: `${unavailable(error)}\n`,
        };
      }
    },
    '/dashboard.json': async () => {
      try {
        return {
          status: 200,
          headers: { 'content-type': 'application/json; charset=utf-8', ...SECURITY_HEADERS },
          body: JSON.stringify(await model()),
        };
      } catch (error) {
        return {
          status: 503,
          headers: { 'content-type': 'application/json; charset=utf-8', ...SECURITY_HEADERS },
          body: JSON.stringify({ error: unavailable(error) }),
        };
      }
    },
  };
}
