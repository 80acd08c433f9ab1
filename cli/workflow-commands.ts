/**
 * What every command that talks to a running workflow shares: a session (the configuration and a
 * connected client), queries and updates bounded by how long a worker may take to answer, a
 * visibility listing, and `explain`, which turns what Temporal threw into one line a person can
 * act on: no such workflow, a workflow that has finished, no worker polling, a refusal.
 */
import {
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type WorkflowExecutionInfo,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { QueryDefinition, UpdateDefinition, Workflow } from '@temporalio/common';
import type { Command } from 'commander';
import type { OrgConfig } from '../domain/config';
import { loadConfig } from '../runtime/config';
import { withTemporal, type TemporalSession } from '../runtime/temporal';
import { CliError } from './errors';
import type { CliIO } from './main';
import { resolveSigner, type Signer } from './operator';

export interface WorkflowCommandOptions {
  /** How long to wait for the server to answer at all. */
  connectTimeoutMs?: number;
  /** How long to wait for a worker to answer a query or an update. */
  workerTimeoutMs?: number;
  /** Where Temporal credentials and the operator key are read from. */
  env?: NodeJS.ProcessEnv;
  /** The operator, when resolved already (an update command does so before connecting). */
  signer?: Signer;
}

export const CONFIG_HELP = 'configuration file (default: $PRODOPS_CONFIG or ./prodops.config.yaml)';

/** A worker answers in well under a second; this long means none is polling. */
export const DEFAULT_WORKER_TIMEOUT_MS = 30_000;

export interface Session extends TemporalSession {
  config: OrgConfig;
  workerTimeoutMs: number;
  /** Who signs the session's updates; resolved on first use, or before connecting by an update command. */
  signer: () => Signer;
}

/** Runs `body` with a connected client and closes the connection afterwards, whatever happens. */
export async function withSession<T>(
  config: OrgConfig,
  options: WorkflowCommandOptions,
  body: (session: Session) => Promise<T>,
  connectTimeoutMs = options.connectTimeoutMs,
): Promise<T> {
  let signer: Signer | undefined = options.signer;
  const env = options.env ?? process.env;
  return withTemporal(
    config.temporal,
    (session) =>
      body({
        ...session,
        config,
        workerTimeoutMs: options.workerTimeoutMs ?? DEFAULT_WORKER_TIMEOUT_MS,
        signer: () => (signer ??= resolveSigner(config, env)),
      }),
    {
      ...(options.env ? { env: options.env } : {}),
      ...(connectTimeoutMs !== undefined ? { connectTimeoutMs } : {}),
    },
  );
}

/**
 * The workflow a command addresses, as its messages name it: `kind` is what a person calls it
 * ("release", "leave request"), `label` how they wrote it (the issue key, or the workflow id).
 */
export interface WorkflowTarget {
  workflowId: string;
  kind: string;
  label: string;
}

/** Turns what Temporal threw into one line a person can act on (exit 1). */
export async function explain(error: unknown, session: Session, target: WorkflowTarget): Promise<Error> {
  const { workflowId, kind, label } = target;
  const where = `namespace ${session.temporal.namespace} at ${session.temporal.address}`;
  // A refusal: the workflow's validator said why.
  if (error instanceof WorkflowUpdateFailedError)
    return CliError.failure(error.cause?.message ?? error.message);
  if (error instanceof WorkflowNotFoundError) {
    // An update to a finished workflow is "not found" too: tell the two apart.
    try {
      const description = await session.client.workflow.getHandle(workflowId).describe();
      const which = label === workflowId ? '' : `workflow ${workflowId} is `;
      return CliError.failure(
        `${label} has finished (${which}${description.status.name}): it takes no more changes`,
      );
    } catch (describeError) {
      if (describeError instanceof WorkflowNotFoundError)
        return CliError.failure(
          `no ${kind} ${label}${label === workflowId ? '' : `: no workflow ${workflowId}`} in ${where}`,
        );
      return asServiceError(describeError);
    }
  }
  if (isWorkerTimeout(error))
    return CliError.failure(
      `no worker answered for ${workflowId} within ${session.workerTimeoutMs / 1000} s: is a prodops worker polling task queue ${session.temporal.taskQueue} in ${where}?`,
    );
  return asServiceError(error);
}

/** A failed call to the server as one line (exit 1); anything else unchanged. */
export function asServiceError(error: unknown): Error {
  const message = serviceErrorMessage(error);
  if (message !== undefined) return CliError.failure(message);
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Starts a workflow of the type on the configured task queue; answers false when one with that
 * id is already running, so the command can say what to do instead.
 */
export async function startWorkflow<W extends Workflow>(
  session: Session,
  workflowType: string,
  options: Omit<WorkflowStartOptions<W>, 'taskQueue'>,
): Promise<boolean> {
  try {
    await session.client.workflow.start<W>(workflowType, {
      ...options,
      taskQueue: session.config.temporal.taskQueue,
    } as WorkflowStartOptions<W>);
    return true;
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return false;
    throw asServiceError(error);
  }
}

/** Asks the workflow's query, waiting no longer than the worker timeout. */
export async function queryWorkflow<R>(
  session: Session,
  target: WorkflowTarget,
  query: QueryDefinition<R, []>,
): Promise<R> {
  try {
    return await session.connection.withDeadline(Date.now() + session.workerTimeoutMs, () =>
      session.client.workflow.getHandle(target.workflowId).query(query),
    );
  } catch (error) {
    throw await explain(error, session, target);
  }
}

/**
 * Runs one of the workflow's updates, signed by the operator the CLI acts as; a refusal comes back
 * as the workflow's own reason.
 */
export async function updateWorkflow<R, A>(
  session: Session,
  target: WorkflowTarget,
  update: UpdateDefinition<R, [A]>,
  arg: A,
): Promise<R> {
  const signer = session.signer();
  const signed = { ...arg, auth: signer.sign(target.workflowId, update.name, arg as object) } as A;
  try {
    return await session.connection.withDeadline(Date.now() + session.workerTimeoutMs, () =>
      session.client.workflow.getHandle(target.workflowId).executeUpdate(update, { args: [signed] }),
    );
  } catch (error) {
    throw await explain(error, session, target);
  }
}

/**
 * A kind of workflow that answers a status query and every update with its status: the query
 * and the updates of one, addressed the way its commands name it (an issue key, a request id).
 */
export function statusWorkflow<S>(target: (ref: string) => WorkflowTarget, status: QueryDefinition<S, []>) {
  return {
    target,
    queryStatus: (session: Session, ref: string): Promise<S> => queryWorkflow(session, target(ref), status),
    runUpdate: <Arg>(
      session: Session,
      ref: string,
      update: UpdateDefinition<S, [Arg]>,
      arg: Arg,
    ): Promise<S> => updateWorkflow(session, target(ref), update, arg),
  };
}

export interface UpdateCommandSpec<Parsed, S> {
  name: string;
  description: string;
  /** The one argument naming the workflow, for example `<KEY>`, and its help. */
  argument: [name: string, help: string];
  /** The command's own options (`--json` and `--config` are added). */
  options: (command: Command) => Command;
  /** Help for `--json`: what the status printed is. */
  jsonHelp: string;
  /** Checks the argument and the options before anything connects; answers the workflow's ref. */
  parse: (raw: string, opts: Record<string, unknown>, config: OrgConfig) => { ref: string; parsed: Parsed };
  /** Runs the update; answers the status after it and the lines to print without --json. */
  run: (session: Session, ref: string, parsed: Parsed) => Promise<{ status: S; lines: string[] }>;
}

/**
 * Registers a command that changes a workflow through one update and prints what came of it,
 * or with `--json` the workflow's status after it.
 */
export function addUpdateCommand<Parsed, S>(
  parent: Command,
  io: CliIO,
  options: WorkflowCommandOptions,
  spec: UpdateCommandSpec<Parsed, S>,
): void {
  const command = parent
    .command(spec.name)
    .description(spec.description)
    .argument(spec.argument[0], spec.argument[1]);
  spec
    .options(command)
    .option('--json', spec.jsonHelp)
    .option('--config <path>', CONFIG_HELP)
    .action(async (raw: string, opts: Record<string, unknown>) => {
      const { config } = loadConfig(opts.config as string | undefined);
      const { ref, parsed } = spec.parse(raw, opts, config);
      // Who signs, before connecting: a missing operator key is a usage error, not a refusal.
      const signer = options.signer ?? resolveSigner(config, options.env ?? process.env);
      await withSession(config, { ...options, signer }, async (session) => {
        const { status, lines } = await spec.run(session, ref, parsed);
        if (opts.json === true) io.out(JSON.stringify(status));
        else for (const line of lines) io.out(line);
      });
    });
}

/** A visibility query, each execution mapped to a row (or skipped when `row` answers undefined). */
export async function listWorkflows<T>(
  session: Session,
  query: string,
  row: (info: WorkflowExecutionInfo) => T | undefined,
): Promise<T[]> {
  const rows: T[] = [];
  try {
    for await (const info of session.client.workflow.list({ query })) {
      const mapped = row(info);
      if (mapped !== undefined) rows.push(mapped);
    }
  } catch (error) {
    throw asServiceError(error);
  }
  return rows;
}

function grpcCode(cause: unknown): number | undefined {
  return cause && typeof cause === 'object' && 'code' in cause && typeof cause.code === 'number'
    ? cause.code
    : undefined;
}

/**
 * The command's own time limit ran out before a worker answered: DEADLINE_EXCEEDED, or
 * CANCELLED when the deadline fires while the call is still queued on a busy client.
 */
export function isWorkerTimeout(error: unknown): boolean {
  return (
    error instanceof WorkflowUpdateRPCTimeoutOrCancelledError ||
    (error instanceof ServiceError && [1, 4].includes(grpcCode(error.cause) ?? -1))
  );
}

/** One line for a failed call to the server, with the server's details; undefined for anything else. */
export function serviceErrorMessage(error: unknown): string | undefined {
  if (!(error instanceof ServiceError)) return undefined;
  const cause = error.cause;
  const details =
    cause && typeof cause === 'object' && 'details' in cause && typeof cause.details === 'string'
      ? cause.details
      : cause instanceof Error
        ? cause.message
        : '';
  return details ? `${error.message}: ${details}` : error.message;
}
