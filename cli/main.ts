/**
 * The prodops command line. Each command validates its input and prints a one-line reason on
 * bad input (exit 2), or every problem of a bad configuration (exit 1), never a stack trace.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError, formatProblem, summarise } from '../domain/config';
import { MissingConfigError, loadConfig } from './config-file';
import { ReportedFailure, UsageError } from './errors';
import { registerReleaseCommands } from './release';
import { registerSimulateCommands } from './simulate';
import { registerCalendarCommands } from './calendar';
import { registerLeaveCommands } from './leave';

export async function main(argv: string[], io: CliIO = defaultIO): Promise<number> {
  const program = new Command('prodops')
    .description('Product Operations automation on Temporal')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .showHelpAfterError(false);

  const configCommand = program.command('config').description('work with the organisation configuration');
  configCommand
    .command('check')
    .description('validate the configuration file and print a summary')
    .option('--config <path>', 'configuration file (default: $PRODOPS_CONFIG or ./prodops.config.yaml)')
    .action((options: { config?: string }) => {
      const { config, path } = loadConfig(options.config, { allowExample: false });
      io.out(`${path}: valid — ${summarise(config)}`);
    });

  program
    .command('start')
    .description('run the embedded stack: Temporal dev server, worker, trigger gateway, sandbox APIs')
    .option(
      '--config <path>',
      'configuration file (default: $PRODOPS_CONFIG or ./prodops.config.yaml, else the example)',
    )
    .option('--data-dir <dir>', 'where the dev server keeps its database', '.prodops')
    .option('--temporal-port <port>', 'Temporal frontend port', '7233')
    .option('--ui-port <port>', 'Temporal UI port', '8233')
    .option('--sandbox-port <port>', 'port of the local Jira/Notion/Google sandbox', '8789')
    .option('--gateway-port <port>', 'port of the trigger gateway (POST /jira, /notion, /calendar)', '8787')
    .action(
      async (options: {
        config?: string;
        dataDir: string;
        temporalPort: string;
        uiPort: string;
        sandboxPort: string;
        gatewayPort: string;
      }) => {
        const { runEmbeddedStack } = await import('./start');
        await runEmbeddedStack({
          configPath: options.config,
          dataDir: options.dataDir,
          temporalPort: parsePort(options.temporalPort, '--temporal-port'),
          uiPort: parsePort(options.uiPort, '--ui-port'),
          sandboxPort: parsePort(options.sandboxPort, '--sandbox-port'),
          gatewayPort: parsePort(options.gatewayPort, '--gateway-port'),
          io,
        });
      },
    );

  program
    .command('temporal')
    .description('work with the Temporal namespace')
    .command('setup')
    .description(
      "register prodops' search attributes and create or update the rituals' schedules (run on every deployment)",
    )
    .option('--config <path>', 'configuration file (default: $PRODOPS_CONFIG or ./prodops.config.yaml)')
    .action(async (options: { config?: string }) => {
      const { setUpTemporal } = await import('./temporal-setup');
      const code = await setUpTemporal({ configPath: options.config, io });
      if (code !== 0) throw new ReportedFailure(code);
    });

  program
    .command('gateway')
    .description(
      'serve the Jira, Notion and Calendar trigger functions against the configured Temporal server',
    )
    .option('--config <path>', 'configuration file (default: $PRODOPS_CONFIG or ./prodops.config.yaml)')
    .option('--port <port>', 'port to listen on', '8787')
    .action(async (options: { config?: string; port: string }) => {
      const { runGatewayProcess } = await import('./gateway');
      await runGatewayProcess({ configPath: options.config, port: parsePort(options.port, '--port'), io });
    });

  program
    .command('worker')
    .description('run the workers against the configured Temporal server and the real APIs')
    .option('--config <path>', 'configuration file (default: $PRODOPS_CONFIG or ./prodops.config.yaml)')
    .action(async (options: { config?: string }) => {
      const { runWorkerProcess } = await import('./worker');
      await runWorkerProcess({ configPath: options.config, io });
    });

  registerReleaseCommands(program, io);
  registerSimulateCommands(program, io);
  registerCalendarCommands(program, io);
  registerLeaveCommands(program, io);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    return reportError(error, io);
  }
}

export interface CliIO {
  out(line: string): void;
  err(line: string): void;
}

const defaultIO: CliIO = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

function reportError(error: unknown, io: CliIO): number {
  if (error instanceof CommanderError) {
    // Help and version are successes; commander already printed its message.
    return error.exitCode === 0 ? 0 : 2;
  }
  if (error instanceof ReportedFailure) return error.exitCode;
  if (error instanceof ConfigError) {
    io.err(`${error.source}: ${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}`);
    for (const problem of error.problems) io.err(`  ${formatProblem(problem)}`);
    return 1;
  }
  if (error instanceof MissingConfigError || error instanceof UsageError) {
    io.err(`prodops: ${error.message}`);
    return 2;
  }
  io.err(`prodops: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
}

export function parsePort(value: string, flag: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(`${flag} must be a port number, got "${value}"`);
  return port;
}
