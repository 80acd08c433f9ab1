import { SandboxRouter, serveRouter, type ServedRouter } from '../../sandbox/http';
import type { ActiveFaultRule, FaultRule, SandboxAudit, SandboxVendor } from '../../sandbox/index';

/** Serves one vendor fake on its own port, for tests that need only that vendor. */
export async function serveVendor<V extends SandboxVendor>(
  vendor: V,
): Promise<ServedRouter & { router: SandboxRouter; vendor: V }> {
  const router = new SandboxRouter();
  vendor.register(router);
  const served = await serveRouter(router);
  return { ...served, router, vendor };
}

/** Reads `GET /_sandbox/audit`: what prodops made, per idempotency key, from the vendors' records. */
export async function sandboxAudit(baseUrl: string): Promise<SandboxAudit> {
  const response = await fetch(new URL('/_sandbox/audit', baseUrl));
  if (!response.ok)
    throw new Error(`GET /_sandbox/audit answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as SandboxAudit;
}

/** Injects a fault rule through `POST /_sandbox/faults`; returns the rule as the sandbox keeps it. */
export async function injectSandboxFault(baseUrl: string, rule: FaultRule): Promise<ActiveFaultRule> {
  const response = await fetch(new URL('/_sandbox/faults', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(rule),
  });
  if (response.status !== 201)
    throw new Error(`POST /_sandbox/faults answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { injected: ActiveFaultRule }).injected;
}

/** Clears every fault rule through `DELETE /_sandbox/faults`. */
export async function clearSandboxFaults(baseUrl: string): Promise<void> {
  const response = await fetch(new URL('/_sandbox/faults', baseUrl), { method: 'DELETE' });
  if (!response.ok) throw new Error(`DELETE /_sandbox/faults answered ${response.status}`);
}
