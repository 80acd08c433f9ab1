/**
 * `prodops insight …` and `prodops insights …` without a server: every option and every row of a
 * CSV file is checked before anything connects, and refused with the flag or the line named.
 * (The commands against a running stack are in test/workflows/insights/insights.e2e.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, type CliIO } from '../../cli/main';
import { derivedExternalId, readInsightsCsv } from '../../cli/insight-intake';
import { exampleConfigText, loadExampleConfig } from '../helpers/config';

const dir = mkdtempSync(join(tmpdir(), 'prodops-insights-cli-'));
const configPath = join(dir, 'prodops.config.yaml');
writeFileSync(configPath, exampleConfigText().replace('address: 127.0.0.1:7233', 'address: 127.0.0.1:1'));
const config = loadExampleConfig();

async function prodops(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = await main([...args, '--config', configPath], io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

async function expectUsage(args: string[], message: RegExp) {
  const run = await prodops(...args);
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(/^prodops: /);
  expect(run.stderr).toMatch(message);
}

describe('prodops insight, before connecting', () => {
  it('refuses bad input naming the flag', async () => {
    await expectUsage(
      ['insight', 'add', '--source', 'Zen Desk', '--account', 'Acme', '--text', 'slow'],
      /^prodops: --source must name the sending system/,
    );
    await expectUsage(
      [
        'insight',
        'add',
        '--source',
        'zendesk',
        '--account',
        'Acme',
        '--text',
        'slow',
        '--severity',
        'urgent',
      ],
      /^prodops: --severity "urgent" is not one of low, medium, high$/,
    );
    await expectUsage(
      ['insight', 'add', '--source', 'zendesk', '--account', 'Acme', '--text', 'slow', '--area', 'payments'],
      /--area "payments" is not a product area \(onboarding, billing/,
    );
    await expectUsage(
      ['insight', 'add', '--source', 'zendesk', '--account', 'Acme', '--text', 'slow', '--link', 'ftp://x'],
      /^prodops: --link must be an http\(s\) URL$/,
    );
    await expectUsage(
      ['insight', 'add', '--source', 'zendesk', '--account', 'Acme', '--text', 'slow', '--by', 'nobody'],
      /--by "nobody" is not a person/,
    );
    await expectUsage(
      ['insight', 'show', 'INS-9-1'],
      /INS-9-1 names shard 9, but insights.backlog.shards is 4/,
    );
    await expectUsage(['insight', 'show', '17'], /"17" is not an insight id: they look like ins-2-17/);
    await expectUsage(['insight', 'tag', 'ins-1-2', '--by', 'priya'], /give at least one of --theme/);
    await expectUsage(
      ['insight', 'tag', 'ins-1-2', '--theme', 'billing', '--by', 'priya'],
      /--theme "billing" is not one of onboarding/,
    );
    await expectUsage(
      ['insight', 'decide', 'billing', '--disposition', 'backlog', '--by', 'ana'],
      /does not name a routed theme: write <area>\/<theme>/,
    );
    await expectUsage(
      ['insight', 'decide', 'billing/pricing', '--disposition', 'later', '--by', 'ana'],
      /--disposition must be backlog, research, addressed, wont-do, got "later"/,
    );
    await expectUsage(
      ['insight', 'decide', 'billing/pricing', '--disposition', "won't do", '--by', 'ana'],
      /--rationale is required with --disposition wont-do/,
    );
    await expectUsage(['insights', 'triage'], /give --preview \(nothing is routed\) or --run/);
    await expectUsage(
      ['insights', 'report', '--month', '2027-13'],
      /--month must be a month written YYYY-MM, got "2027-13"/,
    );
  });

  it('checks a whole CSV file first, and sends nothing when a row is wrong', async () => {
    const csv = join(dir, 'bad.csv');
    writeFileSync(
      csv,
      [
        'Source,External id,Account,Text,Theme,Severity,Area,Notes',
        'zendesk,1,Acme,Export is slow,performance,high,reports,ok',
        'zendesk,2,,No account here,performance,high,reports,',
        'zendesk,3,Globex,Wrong theme,billing,high,reports,',
        'zendesk,1,Acme,The same row again,performance,high,reports,',
        'zendesk,4,Initech,"too, few"',
      ].join('\n'),
    );
    const run = await prodops('insight', 'import', csv);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `prodops: ${csv} was not imported (nothing was sent): line 3: account: must not be empty; line 4: theme: "billing" is not one of onboarding, activation, reliability, pricing, feature-gap, ux-friction, performance; line 5: externalId: repeats line 2 (zendesk:1); line 6: (row): has 4 fields, the header 8`,
    );
  });

  it('reads CSV columns as people name them, and keeps what the taxonomy does not know when lenient', () => {
    const text =
      'Customer,Feedback,Product area,Evidence,Date,Priority\nAcme,Export is slow,Reports and exports,NPS verbatim,2027-01-05,p1\n';
    const read = readInsightsCsv(text, config, { source: 'survey', lenient: true });
    expect(read.problems).toEqual([]);
    expect(read.ignoredColumns).toEqual(['Priority']);
    expect(read.entries[0]!.entry).toMatchObject({
      source: 'survey',
      externalId: derivedExternalId({ source: 'survey', account: 'Acme', text: 'Export is slow' }),
      account: 'Acme',
      area: 'Reports and exports',
      evidenceType: 'NPS verbatim',
      occurredAt: Date.parse('2027-01-05T12:00:00Z'),
      via: 'csv',
    });
    const strict = readInsightsCsv('source,account,text,segment\nx,Acme,Slow,startups\n', config, {
      lenient: false,
    });
    expect(strict.problems).toEqual([
      {
        line: 2,
        field: 'segment',
        message: '"startups" is not one of smb, mid-market, enterprise, new-user, power-user',
      },
    ]);
    expect(readInsightsCsv('account,text\nAcme,Slow\n', config, { lenient: false }).problems).toEqual([
      { line: 1, field: 'source', message: 'no column for it (or pass --source)' },
    ]);
  });
});
