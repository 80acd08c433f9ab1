/**
 * The prodops command line. Each command validates its input and prints a one-line reason on
 * bad input (exit 2), or every problem of a bad configuration (exit 1), never a stack trace.
 * Every command that reads answers `--json` with one JSON document on stdout.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError, formatProblem, summarise, type OrgConfig } from '../domain/config';
import { loadConfig, resolveConfigPath } from '../runtime/config';
import { SettingsError } from '../runtime/errors';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './errors';
import { parseHost, parsePort } from './parse';
import { registerReleaseCommands } from './release';
import { registerSandboxCommands, registerSimulateCommands } from './simulate';
import { registerCalendarCommands } from './calendar';
import { registerLeaveCommands } from './leave';
import { registerInsightCommands } from './insights';
import { registerOnboardingCommands } from './onboarding';
import { registerOperatorCommands } from './operator';
import { registerUpdateCommands } from './update';
import { registerReportCommand } from './report';
import { registerRenewalCommands } from './renewal';
import { registerBudgetCommand } from './budget';

export async function main(argv: string[], io: CliIO = defaultIO): Promise<number> {
  const program = new Command('prodops')
    .description('Product Operations automation on Temporal')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: (s) => io.err(s.trimEnd()),
      // commander reports its own errors (a missing option, an unknown command) as "error: …";
      // every command reports as the rest of prodops does. Subcommands inherit this.
      outputError: (text, write) => write(text.replace(/^error: /, 'prodops: ')),
    })
    .showHelpAfterError(false);

  const configCommand = program.command('config').description('work with the organisation configuration');
  configCommand
    .command('check')
    .description('validate the configuration file and print a summary (exit 1 on any problem)')
    .option('--config <path>', 'configuration file (default: $PRODOPS_CONFIG or ./prodops.config.yaml)')
    .option('--json', 'print one JSON object: the path, and the summary or every problem')
    .action((options: { config?: string; json?: boolean }) => {
      if (!options.json) {
        const { config, path } = loadConfig(options.config, { allowExample: false });
        io.out(`${path}: valid — ${summarise(config)}`);
        return;
      }
      try {
        const { config, path } = loadConfig(options.config, { allowExample: false });
        io.out(JSON.stringify({ path, valid: true, summary: configCounts(config) }));
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        io.out(
          JSON.stringify({ path: resolveConfigPath(options.config), valid: false, problems: error.problems }),
        );
        throw CliError.reported(EXIT_FAILURE);
      }
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
      if (code !== 0) throw CliError.reported(code);
    });

  program
    .command('gateway')
    .description(
      'serve the Jira, Notion and Calendar trigger functions against the configured Temporal server',
    )
    .option('--config <path>', 'configuration file (default: $PRODOPS_CONFIG or ./prodops.config.yaml)')
    .option('--port <port>', 'port to listen on', '8787')
    .option(
      '--host <address>',
      'address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 in a container behind a proxy)',
    )
    .option('--dashboard-port <port>', 'port of the read-only dashboard (GET /dashboard)', '8788')
    .option(
      '--dashboard-host <host>',
      'address the dashboard binds to; keep loopback and put the SSO proxy in front',
      '127.0.0.1',
    )
    .option('--no-dashboard', 'serve no dashboard')
    .action(
      async (options: {
        config?: string;
        port: string;
        host?: string;
        dashboard: boolean;
        dashboardPort: string;
        dashboardHost: string;
      }) => {
        const { runGatewayProcess } = await import('./gateway');
        await runGatewayProcess({
          configPath: options.config,
          port: parsePort(options.port, '--port'),
          ...(options.host !== undefined ? { host: parseHost(options.host) } : {}),
          dashboard: options.dashboard
            ? {
                port: parsePort(options.dashboardPort, '--dashboard-port'),
                host: parseHost(options.dashboardHost),
              }
            : null,
          io,
        });
      },
    );

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
  registerSandboxCommands(program, io);
  registerCalendarCommands(program, io);
  registerLeaveCommands(program, io);
  registerInsightCommands(program, io);
  registerOnboardingCommands(program, io);
  registerOperatorCommands(program, io);
  registerUpdateCommands(program, io);
  registerReportCommand(program, io);
  registerRenewalCommands(program, io);
  registerBudgetCommand(program, io);

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
    return error.exitCode === 0 ? 0 : EXIT_USAGE;
  }
  if (error instanceof CliError) {
    if (!error.reported) io.err(`prodops: ${error.message}`);
    return error.exitCode;
  }
  if (error instanceof ConfigError) {
    io.err(`${error.source}: ${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}`);
    for (const problem of error.problems) io.err(`  ${formatProblem(problem)}`);
    return EXIT_FAILURE;
  }
  // A missing configuration or an unusable Temporal credential: fixed by the operator, like bad input.
  if (error instanceof SettingsError) {
    io.err(`prodops: ${error.message}`);
    return EXIT_USAGE;
  }
  io.err(`prodops: ${error instanceof Error ? error.message : String(error)}`);
  return EXIT_FAILURE;
}

/** The figures `config check` summarises, for `--json`. */
function configCounts(config: OrgConfig) {
  return {
    organisation: config.organisation.name,
    people: config.people.length,
    teams: config.teams.length,
    roles: new Set(config.people.map((p) => p.role)).size,
    calendars: Object.keys(config.calendars).length,
  };
}
