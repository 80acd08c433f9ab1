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
 * (`google.api.http`), never read by a gRPC client. What remains is checked to resolve completely
 * (every type a kept message or method names is kept) and that the services a client creates are
 * there, then shipped brotli-compressed and decompressed when the client loads: JSON.parse of a
 * string is faster to load than the same data written as an object literal, which V8 must parse
 * as code.
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

let trimmed: TrimmedDefinitions | undefined;

export function trimmedTemporalDefinitions(): TrimmedDefinitions {
  if (trimmed) return trimmed;
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
  const json = JSON.stringify(definitions);
  // Every type a kept definition names must still be there; resolveAll throws on the first that is not.
  const root = new protobuf.Root().addJSON(JSON.parse(json) as Record<string, protobuf.AnyNestedObject>);
  root.resolveAll();
  for (const name of CLIENT_SERVICES) root.lookupService(name);
  trimmed = { json, bytesBefore, bytesAfter: json.length };
  return trimmed;
}

/** The module that replaces `@temporalio/proto/protos/json-module.js` in a bundle. */
export function definitionsModule(): string {
  const { json } = trimmedTemporalDefinitions();
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
export function temporalDefinitionsPlugin(): Plugin {
  return {
    name: 'prodops-temporal-definitions',
    setup(build) {
      build.onLoad({ filter: /[\\/]@temporalio[\\/]proto[\\/]protos[\\/]json-module\.js$/ }, () => ({
        contents: definitionsModule(),
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
