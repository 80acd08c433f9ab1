import { SandboxRouter, serveRouter, type ServedRouter } from '../../sandbox/http';
import type { SandboxVendor } from '../../sandbox/index';

/** Serves one vendor fake on its own port, for tests that need only that vendor. */
export async function serveVendor<V extends SandboxVendor>(
  vendor: V,
): Promise<ServedRouter & { router: SandboxRouter; vendor: V }> {
  const router = new SandboxRouter();
  vendor.register(router);
  const served = await serveRouter(router);
  return { ...served, router, vendor };
}
