/**
 * Temporal's API definitions, as much of them as a client uses, for the function bundles.
 *
 * `@temporalio/proto` ships every definition the SDK knows as one JavaScript object literal of
 * 1.4 MB (585 KiB minified), which each process turns into protobufjs types when it loads the
 * client. A function's client never reads two parts of it:
 *
 * - `coresdk`: the messages between a worker and the Rust Core SDK (a client has no Core);
 * - `temporal.api.cloud`: the Temporal Cloud operations API, served by `@temporalio/cloud`, not
 *   by `@temporalio/client`;
 *
 * nor the options of each service method, which are the HTTP gateway's routes
 * (`google.api.http`), never read by a gRPC client.
 *
 * Nor does a trigger call more than four of WorkflowService's 123 methods (triggers/workflows.ts:
 * signal-with-start, start, signal, describe). The client's Connection builds every method of
 * every service it creates as it is constructed, resolving each request and response type and
 * generating a constructor for it, and protobufjs builds every message of the definitions when
 * they load: that is most of the CPU a first dispatch costs. So the services keep only the
 * methods a trigger calls (and GetSystemInfo, which `Connection.connect` calls, and the health
 * check), OperatorService and TestService none, and the messages only those the kept methods
 * reach, plus whole namespaces the client reads by name: the enums it converts, payloads,
 * failures, the error details and `google.rpc.Status` it decodes from a refusal. Any other method
 * is absent from the bundle's client: calling it is a TypeError, never a different request.
 *
 * What remains is checked to resolve completely (every type a kept message or method names is
 * kept) and that the services a client creates are there, then shipped brotli-compressed and
 * decompressed when the client loads: JSON.parse of a string is faster to load than the same data
 * written as an object literal, which V8 must parse as code.
 *
 * The Functions' gRPC library, `@grpc/grpc-js`, also requires `@grpc/proto-loader` (with its own
 * copy of protobufjs, 111 KiB) for two features that read `.proto` files from grpc-js's own
 * directory at run time: channelz and ORCA load reporting. A bundle has no such directory, so
 * those paths could never work from it; the bundle gets a stub that says so instead.
 */
import type { Plugin } from 'esbuild';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { brotliCompressSync, constants } from 'node:zlib';
import protobuf from 'protobufjs/light.js';

const require = createRequire(import.meta.url);

/** The services `@temporalio/client`'s Connection creates; each must survive the trimming. */
const CLIENT_SERVICES = [
  'temporal.api.workflowservice.v1.WorkflowService',
  'temporal.api.operatorservice.v1.OperatorService',
  'temporal.api.testservice.v1.TestService',
  'grpc.health.v1.Health',
] as const;

/** What each service keeps: the methods triggers/workflows.ts calls through the client. */
export const KEPT_METHODS: Readonly<Record<(typeof CLIENT_SERVICES)[number], readonly string[]>> = {
  'temporal.api.workflowservice.v1.WorkflowService': [
    'SignalWithStartWorkflowExecution',
    'StartWorkflowExecution',
    'SignalWorkflowExecution',
    'DescribeWorkflowExecution',
    // Called by Connection.connect (a function's connection is lazy and does not call it).
    'GetSystemInfo',
  ],
  'temporal.api.operatorservice.v1.OperatorService': [],
  'temporal.api.testservice.v1.TestService': [],
  'grpc.health.v1.Health': ['Check'],
};

/**
 * Namespaces kept whole, because the client reads them by name rather than through a method: the
 * enums it converts to and from strings, payloads and failures, the error details and
 * `google.rpc.Status` it decodes from a refusal's `grpc-status-details-bin`, and the external
 * storage reference of the payload visitor.
 */
const KEPT_NAMESPACES = [
  'temporal.api.enums.v1',
  'temporal.api.common.v1',
  'temporal.api.failure.v1',
  'temporal.api.errordetails.v1',
  'temporal.api.sdk.v1',
  'google',
] as const;

/** Messages the client reads by name outside the kept namespaces (workflow-options.ts). */
const KEPT_TYPES = ['temporal.api.workflow.v1.VersioningOverride'] as const;

interface NamespaceJson {
  nested?: Record<string, NamespaceJson & { methods?: Record<string, { options?: unknown }> }>;
  methods?: Record<string, { options?: unknown }>;
  [key: string]: unknown;
}

export interface TrimmedDefinitions {
  /** The kept definitions, as JSON. */
  json: string;
  /** Their size before and after, as JSON text. */
  bytesBefore: number;
  bytesAfter: number;
}

/** The namespaces as `@temporalio/proto` writes them (`$root.addJSON({ coresdk: …, temporal: … })`). */
function readShippedDefinitions(): Record<string, NamespaceJson> {
  const file = require.resolve('@temporalio/proto/protos/json-module.js');
  const source = readFileSync(file, 'utf8');
  const start = source.indexOf('.addJSON(');
  const end = source.lastIndexOf('});');
  if (start < 0 || end < start)
    throw new Error(
      `${file} is no longer a protobufjs json-module: the trimming in temporal-definitions.ts needs updating`,
    );
  return JSON.parse(source.slice(start + '.addJSON('.length, end + 1)) as Record<string, NamespaceJson>;
}

function dropMethodOptions(node: unknown): void {
  if (!node || typeof node !== 'object') return;
  const ns = node as NamespaceJson;
  for (const method of Object.values(ns.methods ?? {})) delete method.options;
  for (const child of Object.values(ns.nested ?? {})) dropMethodOptions(child);
}

const isWithin = (name: string, namespace: string) => name === namespace || name.startsWith(`${namespace}.`);

/**
 * Drops from `definitions` (in place) every service method a trigger does not call and every
 * message and enum that neither a kept method, a kept namespace nor a kept type reaches.
 */
function keepOnlyWhatTriggersUse(definitions: Record<string, NamespaceJson>): void {
  // A copy: protobufjs may keep the objects it is given, and these are pruned below.
  const root = new protobuf.Root().addJSON(
    JSON.parse(JSON.stringify(definitions)) as Record<string, protobuf.AnyNestedObject>,
  );
  root.resolveAll();
  const kept = new Set<string>();
  const keep = (object: protobuf.ReflectionObject): void => {
    const name = object.fullName.slice(1);
    if (kept.has(name)) return;
    kept.add(name);
    // A message nested in another is kept with it: the JSON cannot hold the one without the other.
    if (object.parent instanceof protobuf.Type) keep(object.parent);
    if (object instanceof protobuf.Type) {
      for (const field of object.fieldsArray) if (field.resolvedType) keep(field.resolvedType);
      for (const nested of object.nestedArray) keep(nested);
    }
  };
  const visit = (namespace: protobuf.NamespaceBase): void => {
    for (const object of namespace.nestedArray) {
      const name = object.fullName.slice(1);
      if (
        KEPT_NAMESPACES.some((ns) => isWithin(name, ns)) ||
        (KEPT_TYPES as readonly string[]).includes(name)
      )
        if (object instanceof protobuf.Type || object instanceof protobuf.Enum) keep(object);
      if (object instanceof protobuf.Namespace && !(object instanceof protobuf.Service)) visit(object);
    }
  };
  visit(root);
  for (const name of KEPT_TYPES) keep(root.lookup(name) ?? missingType(name));
  for (const serviceName of CLIENT_SERVICES) {
    const service = root.lookupService(serviceName);
    for (const methodName of KEPT_METHODS[serviceName]) {
      const method = service.methods[methodName];
      if (!method) throw new Error(`${serviceName} has no ${methodName} in @temporalio/proto`);
      method.resolve();
      keep(method.resolvedRequestType!);
      keep(method.resolvedResponseType!);
    }
  }
  const prune = (node: NamespaceJson, path: string): boolean => {
    if (node.methods) {
      const methods = KEPT_METHODS[path as (typeof CLIENT_SERVICES)[number]] ?? [];
      node.methods = Object.fromEntries(
        Object.entries(node.methods).filter(([name]) => methods.includes(name)),
      );
      return (CLIENT_SERVICES as readonly string[]).includes(path);
    }
    const isTypeOrEnum = 'fields' in node || 'values' in node;
    for (const [name, child] of Object.entries(node.nested ?? {}))
      if (!prune(child, path === '' ? name : `${path}.${name}`)) delete node.nested![name];
    if (isTypeOrEnum) return kept.has(path);
    return Object.keys(node.nested ?? {}).length > 0;
  };
  for (const [name, namespace] of Object.entries(definitions))
    if (!prune(namespace, name)) delete definitions[name];
}

function missingType(name: string): never {
  throw new Error(`@temporalio/proto has no ${name}: KEPT_TYPES in temporal-definitions.ts needs updating`);
}

const trimmed = new Map<boolean, TrimmedDefinitions>();

/**
 * `onlyTriggerMethods` false keeps every method and message of the client's services (as bundles
 * were made before), for measure.ts to show what keeping only the triggers' is worth.
 */
export function trimmedTemporalDefinitions(onlyTriggerMethods = true): TrimmedDefinitions {
  const done = trimmed.get(onlyTriggerMethods);
  if (done) return done;
  const definitions = readShippedDefinitions();
  const bytesBefore = JSON.stringify(definitions).length;
  const api = definitions.temporal?.nested?.api?.nested;
  if (!definitions.coresdk || !api?.cloud)
    throw new Error(
      '@temporalio/proto no longer has coresdk and temporal.api.cloud where temporal-definitions.ts expects them',
    );
  delete definitions.coresdk;
  delete api.cloud;
  for (const namespace of Object.values(definitions)) dropMethodOptions(namespace);
  if (onlyTriggerMethods) keepOnlyWhatTriggersUse(definitions);
  const json = JSON.stringify(definitions);
  // Every type a kept definition names must still be there; resolveAll throws on the first that is not.
  const root = new protobuf.Root().addJSON(JSON.parse(json) as Record<string, protobuf.AnyNestedObject>);
  root.resolveAll();
  for (const name of CLIENT_SERVICES) {
    const service = root.lookupService(name);
    const missing = KEPT_METHODS[name].filter((method) => !service.methods[method]);
    if (missing.length > 0) throw new Error(`${name} has no ${missing.join(', ')} in @temporalio/proto`);
  }
  const result = { json, bytesBefore, bytesAfter: json.length };
  trimmed.set(onlyTriggerMethods, result);
  return result;
}

/** The module that replaces `@temporalio/proto/protos/json-module.js` in a bundle. */
export function definitionsModule(onlyTriggerMethods = true): string {
  const { json } = trimmedTemporalDefinitions(onlyTriggerMethods);
  const compressed = brotliCompressSync(json, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: json.length },
  }).toString('base64');
  return [
    '"use strict";',
    'var $protobuf = require("protobufjs/light");',
    'var zlib = require("node:zlib");',
    // Same root as the original module, so that everything keyed on it behaves the same.
    'var $root = ($protobuf.roots["__temporal"] || ($protobuf.roots["__temporal"] = new $protobuf.Root()))',
    `  .addJSON(JSON.parse(zlib.brotliDecompressSync(Buffer.from(${JSON.stringify(compressed)}, "base64")).toString("utf8")));`,
    'module.exports = $root;',
  ].join('\n');
}

/** The esbuild plugin: trimmed definitions, and no `@grpc/proto-loader`. */
export function temporalDefinitionsPlugin(onlyTriggerMethods = true): Plugin {
  return {
    name: 'prodops-temporal-definitions',
    setup(build) {
      build.onLoad({ filter: /[\\/]@temporalio[\\/]proto[\\/]protos[\\/]json-module\.js$/ }, () => ({
        contents: definitionsModule(onlyTriggerMethods),
        loader: 'js',
      }));
      build.onResolve({ filter: /^@grpc\/proto-loader$/ }, () => ({
        path: '@grpc/proto-loader',
        namespace: 'prodops-stub',
      }));
      build.onLoad({ filter: /.*/, namespace: 'prodops-stub' }, () => ({
        contents:
          'module.exports = { loadSync() { throw new Error("@grpc/proto-loader is not in this bundle: channelz and ORCA load reporting are unavailable"); } };',
        loader: 'js',
      }));
    },
  };
}
