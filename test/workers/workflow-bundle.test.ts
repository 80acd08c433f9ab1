/**
 * The workflow bundle as the worker makes it: the libraries every run shares are the very copies
 * the workflows import, and nothing that holds a run's own state is shared.
 *
 * Read from the bundle's code: each module is a `/***\/ "<id>"` entry whose body requires others
 * by id. A second copy of zod (its CommonJS build, say) would leave every run evaluating zod again
 * while the shared copy sat unused, which no behaviour shows; only the bundle does.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { bundle } from '../helpers/temporal';
import { WORKFLOWS_PATH } from '../../workers/index';

const SHARED_ENTRY = './workflows/shared-libraries.ts';

interface BundleModules {
  ids: string[];
  requires: Map<string, string[]>;
}

function modulesOf(code: string): BundleModules {
  const parts = code.split(/^\/\*\*\*\/ "([^"]+)":?$/m);
  const requires = new Map<string, string[]>();
  for (let i = 1; i < parts.length; i += 2) {
    const body = parts[i + 1] ?? '';
    requires.set(
      parts[i]!,
      [...body.matchAll(/__webpack_require__\((?:\/\*![^*]*\*\/ )?"([^"]+)"\)/g)].map((m) => m[1]!),
    );
  }
  return { ids: [...requires.keys()], requires };
}

/** Every module `from` loads, itself included. */
function closure({ requires }: BundleModules, from: string): Set<string> {
  const seen = new Set<string>();
  const queue = [from];
  while (queue.length > 0) {
    const id = queue.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    queue.push(...(requires.get(id) ?? []));
  }
  return seen;
}

let code: string;
let modules: BundleModules;

beforeAll(async () => {
  code = (await bundle(WORKFLOWS_PATH)).code;
  modules = modulesOf(code);
}, 120_000);

describe('the workflow bundle', () => {
  it('is read as modules (the format this test relies on)', () => {
    expect(modules.ids).toContain('./workflows/index.ts');
    expect(modules.ids).toContain('./workflows/release/workflow.ts');
    expect(modules.ids.length).toBeGreaterThan(100);
  });

  it('loads the shared libraries once, before any run', () => {
    const preload = /preloadModules\(\) \{([^}]*)\}/.exec(code)?.[1] ?? '';
    expect(preload).toContain(`"${SHARED_ENTRY}"`);
  });

  it('shares every copy of zod and of the Ed25519 curve the workflows use: there is no other', () => {
    const shared = closure(modules, SHARED_ENTRY);
    const libraries = modules.ids.filter((id) => /^\.\/node_modules\/(zod|@noble)\//.test(id));
    expect(libraries.filter((id) => id.includes('/zod/')).length).toBeGreaterThan(10);
    expect(libraries.filter((id) => !shared.has(id))).toEqual([]);
    expect(libraries.filter((id) => id.endsWith('.cjs'))).toEqual([]);
  });

  it('shares no module of prodops but the curve: a shared module is frozen, and schemas built at load refuse that', () => {
    const ours = [...closure(modules, SHARED_ENTRY)].filter((id) => !id.startsWith('./node_modules/'));
    expect(ours.sort()).toEqual(['./domain/signature-curve.ts', SHARED_ENTRY]);
  });
});
